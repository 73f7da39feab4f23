// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package dirstore is a store.Backend keeping one plain JSON file per key
// in a directory, written atomically. It exists for tests that share a
// token cache between processes; it keeps secrets in plain text and must
// never be used for real credentials.
package dirstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker-credential-mint/mint/store"
)

// Store is the backend; Dir must exist.
type Store struct{ Dir string }

var _ store.Backend = Store{}

type file struct {
	Key   string
	Entry store.Entry
}

func (s Store) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(s.Dir, hex.EncodeToString(sum[:])+".json")
}

// Get implements store.Backend.
func (s Store) Get(_ context.Context, key string) (store.Entry, error) {
	data, err := os.ReadFile(s.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return store.Entry{}, store.ErrNotFound
	}
	if err != nil {
		return store.Entry{}, err
	}
	var f file
	err = json.Unmarshal(data, &f)
	return f.Entry, err
}

// Put implements store.Backend.
func (s Store) Put(_ context.Context, key string, e store.Entry) error {
	data, err := json.Marshal(file{Key: key, Entry: e})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, "tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), s.path(key))
}

// Delete implements store.Backend.
func (s Store) Delete(_ context.Context, key string) error {
	err := os.Remove(s.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return store.ErrNotFound
	}
	return err
}

// List implements store.Backend.
func (s Store) List(context.Context) (map[string]store.Entry, error) {
	names, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, err
	}
	out := map[string]store.Entry{}
	for _, n := range names {
		if !strings.HasSuffix(n.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.Dir, n.Name()))
		if err != nil {
			continue
		}
		var f file
		if json.Unmarshal(data, &f) == nil {
			f.Entry.Secret = ""
			out[f.Key] = f.Entry
		}
	}
	return out, nil
}
