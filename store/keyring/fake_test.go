// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keyring

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"

	gokeyring "github.com/zalando/go-keyring"
)

// errKilled is what every operation of a killed limitedKeyring returns.
var errKilled = errors.New("process killed")

// limitedKeyring is an in-memory Keyring that refuses values over limit with
// go-keyring's ErrSetDataTooBig (as Windows does above 2560 bytes), and can
// simulate a process killed before its Nth write (Set or Delete): that write
// and every operation after it fail without effect.
type limitedKeyring struct {
	mu     sync.Mutex
	items  map[string]string // service + "\x00" + user → value
	limit  int
	killAt int // 0: never
	writes int
	// onGet, if set, runs (without the lock) before every Get; an error
	// it returns is Get's result.
	onGet func(service, user string) error
}

func newLimitedKeyring(limit int) *limitedKeyring {
	return &limitedKeyring{items: map[string]string{}, limit: limit}
}

func itemID(service, user string) string { return service + "\x00" + user }

func (k *limitedKeyring) write() error {
	k.writes++
	if k.killAt > 0 && k.writes >= k.killAt {
		return errKilled
	}
	return nil
}

func (k *limitedKeyring) Set(service, user, password string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.write(); err != nil {
		return err
	}
	if len(password) > k.limit {
		return gokeyring.ErrSetDataTooBig
	}
	k.items[itemID(service, user)] = password
	return nil
}

func (k *limitedKeyring) Get(service, user string) (string, error) {
	if k.onGet != nil {
		if err := k.onGet(service, user); err != nil {
			return "", err
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.killAt > 0 && k.writes >= k.killAt {
		return "", errKilled
	}
	v, ok := k.items[itemID(service, user)]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return v, nil
}

func (k *limitedKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.write(); err != nil {
		return err
	}
	id := itemID(service, user)
	if _, ok := k.items[id]; !ok {
		return gokeyring.ErrNotFound
	}
	delete(k.items, id)
	return nil
}

// clone returns a live copy of k's items with the same limit.
func (k *limitedKeyring) clone() *limitedKeyring {
	k.mu.Lock()
	defer k.mu.Unlock()
	return &limitedKeyring{items: maps.Clone(k.items), limit: k.limit}
}

// revive makes a killed keyring work again, as a new process would see it.
func (k *limitedKeyring) revive() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.killAt, k.writes = 0, 0
}

// users returns the account names stored under service.
func (k *limitedKeyring) users(service string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for id := range k.items {
		if s, u, _ := strings.Cut(id, "\x00"); s == service {
			out = append(out, u)
		}
	}
	return out
}

func (k *limitedKeyring) set(service, user, v string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items[itemID(service, user)] = v
}

func (k *limitedKeyring) get(service, user string) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.items[itemID(service, user)]
	return v, ok
}

func (k *limitedKeyring) del(service, user string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.items, itemID(service, user))
}

func (k *limitedKeyring) swap(items map[string]string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items = maps.Clone(items)
}

// fileKeyring is a Keyring shared by processes: one file per item in dir,
// named by the hex of service + "\x00" + user. Like a real keychain, each
// Set, Get and Delete is atomic on its own (a Set writes a temporary file
// and renames it over the item), and nothing orders or locks a sequence of
// them. Values over limit get go-keyring's ErrSetDataTooBig.
type fileKeyring struct {
	dir   string
	limit int
}

func (k fileKeyring) path(service, user string) string {
	return filepath.Join(k.dir, hex.EncodeToString([]byte(itemID(service, user))))
}

func (k fileKeyring) Set(service, user, password string) error {
	if len(password) > k.limit {
		return gokeyring.ErrSetDataTooBig
	}
	f, err := os.CreateTemp(k.dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(password)
	if err = errors.Join(err, f.Close()); err == nil {
		err = os.Rename(f.Name(), k.path(service, user))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func (k fileKeyring) Get(service, user string) (string, error) {
	b, err := os.ReadFile(k.path(service, user))
	if errors.Is(err, fs.ErrNotExist) {
		return "", gokeyring.ErrNotFound
	}
	return string(b), err
}

func (k fileKeyring) Delete(service, user string) error {
	err := os.Remove(k.path(service, user))
	if errors.Is(err, fs.ErrNotExist) {
		return gokeyring.ErrNotFound
	}
	return err
}

// users returns the account names stored under service.
func (k fileKeyring) users(service string) ([]string, error) {
	entries, err := os.ReadDir(k.dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		id, err := hex.DecodeString(e.Name())
		if err != nil {
			continue // a temporary file
		}
		if s, u, _ := strings.Cut(string(id), "\x00"); s == service {
			out = append(out, u)
		}
	}
	return out, nil
}
