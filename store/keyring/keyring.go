// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package keyring is a store.Backend over the OS keychain through
// github.com/zalando/go-keyring: the macOS Keychain (login keychain, generic
// passwords, via /usr/bin/security), the Windows Credential Manager (generic
// credentials), and, where go-keyring supports it, Secret Service on Linux
// and the BSDs.
//
// go-keyring cannot enumerate items and its items are small: on Windows a
// credential blob holds at most 2560 bytes, and on macOS the service, account
// and base64-encoded value must fit one 4096-byte `security -i` command
// (about 3000 bytes). Entries are therefore stored as chunked blobs of at
// most Backend.ItemSize bytes per item, and each namespace keeps an index
// item for List.
//
// # Item layout
//
// All items of namespace ns live under the service "docker-credential-mint/ns"
// ("docker-credential-mint" for the empty namespace). Account names are:
//
//	<key>               head of the entry: header + first part of its data
//	<key>#<gen>#<i>     further parts of the entry, i = 1..n-1
//	#index              head of the namespace index (keys + ServerURL,
//	#index#<gen>#<i>    Username, Expiry; no secrets), chunked the same way
//
// Keys have '%', '#' and control characters percent-encoded, so no key's
// account contains '#'. See blob.go for the header and the write order that
// keeps a killed write from ever leaving a readable-but-wrong entry.
//
// # Consistency
//
// The head item is the truth for Get; the index serves List. Put and Delete
// hold the namespace's lock (package lockfile: flock on unix, LockFileEx on
// Windows, a file per namespace in Options.LockDir) while they change an
// entry and the index, so concurrent writers, in this process or in others
// (docker login in two terminals, parallel CI jobs), never lose each other's
// index update: after they finish, List shows exactly the keys they left
// stored. Readers take no lock; a reader retries when a writer commits under
// it. Only a crash leaves the index stale, always in the direction "stored
// but not listed": Put writes the entry before the index, Delete updates the
// index before removing the entry. A corrupt index is replaced on the next
// Put or Delete.
package keyring

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/lockfile"
)

// Service is the keyring service name; a namespace is appended after a slash.
const Service = "docker-credential-mint"

const (
	// indexAccount names the index head; no escaped key contains '#'.
	indexAccount = "#index"
	// maxAccountLen bounds an escaped key, leaving room for the chunk suffix
	// "#<gen>#<i>" below Windows' 513-character user name limit
	// (CRED_MAX_USERNAME_LENGTH; go-keyring stores the account there).
	maxAccountLen = 480
	// maxNamespaceLen keeps service names far from Windows' and macOS' limits.
	maxNamespaceLen = 128
)

// ErrCorrupt means a stored entry or index could not be read back whole: a
// chunk is missing, a checksum does not match, or an item is malformed. It is
// not store.ErrNotFound: the entry exists but cannot be trusted. Putting the
// key again repairs it.
var ErrCorrupt = errors.New("stored entry is corrupt or incomplete")

// Keyring is the part of go-keyring's API the Backend uses. Implementations
// return an error wrapping gokeyring.ErrNotFound for a missing item and
// gokeyring.ErrSetDataTooBig for a value they cannot hold.
type Keyring interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// OS is the Keyring of this operating system, as chosen by go-keyring (or its
// mock after gokeyring.MockInit).
type OS struct{}

// Set implements Keyring.
func (OS) Set(service, user, password string) error { return gokeyring.Set(service, user, password) }

// Get implements Keyring.
func (OS) Get(service, user string) (string, error) { return gokeyring.Get(service, user) }

// Delete implements Keyring.
func (OS) Delete(service, user string) error { return gokeyring.Delete(service, user) }

// Backend is a store.Backend in the OS keychain. Its exported fields may be
// changed after New and before first use. Methods are safe for concurrent
// use.
type Backend struct {
	// Keyring holds the items; New sets OS{}.
	Keyring Keyring
	// ItemSize is the most bytes written to one item's value (at least
	// MinItemSize). New sets DefaultItemSize(runtime.GOOS).
	ItemSize int

	service string
	lockDir string
}

var _ store.Backend = (*Backend)(nil)

// Options configures New.
type Options struct {
	// LockDir holds the lock files that serialise writers of a namespace
	// across processes; every process of the user must use the same one.
	// "" means lockfile.DefaultDir().
	LockDir string
}

// mu serialises the keyring calls of every Backend of the process: go-keyring
// does not promise its providers are safe for concurrent use, and its mock is
// not. Writers of a namespace are serialised by its lock (lockIndex).
var mu sync.Mutex

func (b *Backend) getItem(user string) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	return b.Keyring.Get(b.service, user)
}

func (b *Backend) setItem(user, value string) error {
	mu.Lock()
	defer mu.Unlock()
	return b.Keyring.Set(b.service, user, value)
}

func (b *Backend) deleteItem(user string) error {
	mu.Lock()
	defer mu.Unlock()
	return b.Keyring.Delete(b.service, user)
}

// lockIndex takes the namespace's writer lock, shared by every Backend of
// the namespace in this and other processes that use the same lock
// directory. It waits until ctx is done; the error then wraps ctx's error.
func (b *Backend) lockIndex(ctx context.Context) (unlock func(), err error) {
	unlock, err = lockfile.Lock(ctx, b.lockDir, "keyring:"+b.service)
	switch {
	case err == nil:
		return unlock, nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("wait for the index lock: %w", err)
	default:
		return nil, fmt.Errorf("%w: index lock: %v", store.ErrUnavailable, err)
	}
}

// DefaultItemSize returns the item size New uses on goos:
//
//   - windows: 2560, CRED_MAX_CREDENTIAL_BLOB_SIZE (go-keyring refuses more).
//   - darwin: 2048. go-keyring base64-encodes values again and sends
//     "add-generic-password -U -s <service> -a <account> -w go-keyring-base64:<value>"
//     to `security -i`, whose lines stop at 4096 bytes: 2048 bytes become
//     2732, leaving over 1200 bytes for the quoted service and account.
//   - elsewhere (Secret Service): 128 KiB, so any entry is one item; Secret
//     Service has no small limit but slows down above about 100 KiB.
func DefaultItemSize(goos string) int {
	switch goos {
	case "windows":
		return 2560
	case "darwin":
		return 2048
	default:
		return 128 << 10
	}
}

// New returns a Backend for namespace (a label such as "tokens"; "" for the
// default) in the OS keychain. It does not touch the keychain or the lock
// directory: an absent or locked keychain, or a lock directory that cannot be
// created, shows up as errors wrapping store.ErrUnavailable (or
// store.ErrUnsupportedPlatform) from the first call.
func New(namespace string, opts Options) (*Backend, error) {
	if len(namespace) > maxNamespaceLen {
		return nil, fmt.Errorf("keyring: namespace longer than %d bytes", maxNamespaceLen)
	}
	for _, c := range []byte(namespace) {
		if c < 0x20 || c == 0x7f {
			return nil, fmt.Errorf("keyring: namespace %q has a control character", namespace)
		}
	}
	service := Service
	if namespace != "" {
		service += "/" + namespace
	}
	if opts.LockDir == "" {
		opts.LockDir = lockfile.DefaultDir()
	}
	return &Backend{Keyring: OS{}, ItemSize: DefaultItemSize(runtime.GOOS), service: service, lockDir: opts.LockDir}, nil
}

// account returns the account name of key's head item: key with '%', '#' and
// control characters percent-encoded ('#' separates chunk suffixes, and
// control characters would break `security -i`'s line protocol). It returns
// false for keys that cannot be stored.
func account(key string) (string, bool) {
	var sb strings.Builder
	for _, c := range []byte(key) {
		if c < 0x20 || c == 0x7f || c == '%' || c == '#' {
			fmt.Fprintf(&sb, "%%%02X", c)
		} else {
			sb.WriteByte(c)
		}
	}
	a := sb.String()
	return a, a != "" && len(a) <= maxAccountLen
}

// mapErr turns go-keyring errors into store sentinels, keeping the cause.
// go-keyring's errors never carry the value being written.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gokeyring.ErrNotFound):
		return store.ErrNotFound
	case errors.Is(err, gokeyring.ErrSetDataTooBig):
		return fmt.Errorf("%w: %v", store.ErrTooLarge, err)
	case errors.Is(err, gokeyring.ErrUnsupportedPlatform):
		return fmt.Errorf("%w: %v", store.ErrUnsupportedPlatform, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
}

// Get implements store.Backend. A missing chunk or a checksum mismatch gives
// an error wrapping ErrCorrupt, never a wrong entry.
func (b *Backend) Get(ctx context.Context, key string) (store.Entry, error) {
	acct, ok := account(key)
	if !ok {
		return store.Entry{}, fmt.Errorf("keyring: get %q: %w", key, store.ErrNotFound)
	}
	data, err := b.readBlob(ctx, acct)
	if err != nil {
		return store.Entry{}, fmt.Errorf("keyring: get %q: %w", key, err)
	}
	e, err := decodeEntry(data)
	if err != nil {
		return store.Entry{}, fmt.Errorf("keyring: get %q: %w: %v", key, ErrCorrupt, err)
	}
	return e, nil
}

// Put implements store.Backend. The entry is committed by a single item
// write; the index is updated after it. Both happen under the namespace's
// lock, so a Delete or Put of the same namespace in another process cannot
// interleave (ctx bounds the wait for it).
func (b *Backend) Put(ctx context.Context, key string, e store.Entry) error {
	if err := store.Check(e); err != nil {
		return fmt.Errorf("keyring: put %q: %w", key, err)
	}
	acct, ok := account(key)
	if !ok {
		if key == "" {
			return errors.New("keyring: put: empty key")
		}
		return fmt.Errorf("keyring: put: key of %d bytes: %w", len(key), store.ErrTooLarge)
	}
	unlock, err := b.lockIndex(ctx)
	if err != nil {
		return fmt.Errorf("keyring: put %q: %w", key, err)
	}
	defer unlock()
	if err := b.writeBlob(ctx, acct, encodeEntry(e)); err != nil {
		return fmt.Errorf("keyring: put %q: %w", key, err)
	}
	// The entry is committed: finish the bookkeeping even if ctx ends now.
	// A failure here only leaves the entry unlisted or its metadata stale.
	ctx = context.WithoutCancel(ctx)
	idx, err := b.indexForUpdate(ctx)
	if err != nil {
		return fmt.Errorf("keyring: put %q: stored, but reading the index failed: %w", key, err)
	}
	meta := store.Entry{ServerURL: e.ServerURL, Username: e.Username, Expiry: e.Expiry}
	if old, ok := idx[key]; ok && old.ServerURL == meta.ServerURL && old.Username == meta.Username &&
		old.Expiry.Equal(meta.Expiry) && old.Expiry.IsZero() == meta.Expiry.IsZero() {
		return nil
	}
	idx[key] = meta
	if err := b.writeBlob(ctx, indexAccount, encodeIndex(idx)); err != nil {
		return fmt.Errorf("keyring: put %q: stored, but updating the index failed: %w", key, err)
	}
	return nil
}

// Delete implements store.Backend. The key leaves the index before its items
// are removed, so a crash leaves it at worst stored but unlisted. Like Put,
// it holds the namespace's lock throughout.
func (b *Backend) Delete(ctx context.Context, key string) error {
	acct, ok := account(key)
	if !ok {
		return fmt.Errorf("keyring: delete %q: %w", key, store.ErrNotFound)
	}
	unlock, err := b.lockIndex(ctx)
	if err != nil {
		return fmt.Errorf("keyring: delete %q: %w", key, err)
	}
	defer unlock()
	h, _, err := b.getHead(ctx, acct)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		if errors.Is(err, store.ErrNotFound) {
			// Heal an index that lists a key with no entry.
			if idx, ierr := b.indexForUpdate(ctx); ierr == nil && hasKey(idx, key) {
				delete(idx, key)
				_ = b.writeBlob(ctx, indexAccount, encodeIndex(idx))
			}
		}
		return fmt.Errorf("keyring: delete %q: %w", key, err)
	}
	idx, ierr := b.indexForUpdate(ctx)
	if ierr != nil {
		return fmt.Errorf("keyring: delete %q: %w", key, ierr)
	}
	if hasKey(idx, key) {
		delete(idx, key)
		if err := b.writeBlob(ctx, indexAccount, encodeIndex(idx)); err != nil {
			return fmt.Errorf("keyring: delete %q: update index: %w", key, err)
		}
	}
	// h is the zero head (no chunks) if the head was corrupt.
	if err := b.deleteBlob(ctx, acct, h); err != nil {
		return fmt.Errorf("keyring: delete %q: %w", key, err)
	}
	return nil
}

func hasKey(m map[string]store.Entry, k string) bool {
	_, ok := m[k]
	return ok
}

// List implements store.Backend. It reads only the index, never a secret,
// and takes no lock.
func (b *Backend) List(ctx context.Context) (map[string]store.Entry, error) {
	idx, err := b.readIndex(ctx)
	if err != nil {
		return nil, fmt.Errorf("keyring: list: %w", err)
	}
	return idx, nil
}

// readIndex returns the namespace's index; a missing index is an empty one.
func (b *Backend) readIndex(ctx context.Context) (map[string]store.Entry, error) {
	data, err := b.readBlob(ctx, indexAccount)
	if errors.Is(err, store.ErrNotFound) {
		return map[string]store.Entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	idx, err := decodeIndex(data)
	if err != nil {
		return nil, fmt.Errorf("read index: %w: %v", ErrCorrupt, err)
	}
	return idx, nil
}

// indexForUpdate returns the index to modify. A corrupt index yields an
// empty one, which the caller's write then replaces: entries it listed stay
// gettable, just unlisted until stored again. Other errors are returned, so
// a passing failure never wipes the index.
func (b *Backend) indexForUpdate(ctx context.Context) (map[string]store.Entry, error) {
	idx, err := b.readIndex(ctx)
	if errors.Is(err, ErrCorrupt) {
		return map[string]store.Entry{}, nil
	}
	return idx, err
}
