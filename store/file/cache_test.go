// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package file

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/docker-credential-mint/mint/store"
)

// countDirSyncs counts update's directory syncs until the test ends.
func countDirSyncs(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	old := dirSync
	dirSync = func(dir string) error { n.Add(1); return old(dir) }
	t.Cleanup(func() { dirSync = old })
	return &n
}

// A cache store (the token cache) skips the directory sync after its
// rename; what it wrote is there, whole, for the next process.
func TestStore_cacheSkipsDirSync(t *testing.T) {
	ctx := context.Background()
	syncs := countDirSyncs(t)
	dir := t.TempDir()

	cache := newStore(t, dir, "tokens", Options{Cache: true})
	want := store.Entry{ServerURL: "reg.example", Username: "u", Secret: "token-1"}
	if err := cache.Put(ctx, want.ServerURL, want); err != nil {
		t.Fatal(err)
	}
	if n := syncs.Load(); n != 0 {
		t.Errorf("a cache store's Put synced the directory %d times, want 0", n)
	}
	got, err := newStore(t, dir, "tokens").Get(ctx, want.ServerURL)
	if err != nil || got.Secret != want.Secret {
		t.Fatalf("another store's Get = %+v, %v; want the secret written", got, err)
	}

	creds := newStore(t, dir, "credentials")
	if err := creds.Put(ctx, want.ServerURL, want); err != nil {
		t.Fatal(err)
	}
	if n := syncs.Load(); n != 1 {
		t.Errorf("a credential store's Put synced the directory %d times, want 1", n)
	}
}

// Stores on one key file share its derived keys: a get that mints reads
// the credential store and writes the token cache, and derives once.
func TestStore_sharesDerivedKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := store.Entry{ServerURL: "reg.example", Username: "u", Secret: "s"}
	creds, tokens := newStore(t, dir, "credentials"), newStore(t, dir, "tokens", Options{Cache: true})
	if err := creds.Put(ctx, e.ServerURL, e); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Put(ctx, e.ServerURL, e); err != nil {
		t.Fatal(err)
	}
	if a, b := creds.cur.Load(), tokens.cur.Load(); a == nil || a != b {
		t.Errorf("two stores on one key file derived their keys twice")
	}

	// Another key file gets its own keys, and both stores still read.
	other := newStore(t, t.TempDir(), "credentials")
	if err := other.Put(ctx, e.ServerURL, e); err != nil {
		t.Fatal(err)
	}
	if other.cur.Load() == creds.cur.Load() {
		t.Fatal("a store with another key file got the first one's keys")
	}
	for _, s := range []*Store{creds, tokens, other} {
		if got, err := s.Get(ctx, e.ServerURL); err != nil || got.Secret != e.Secret {
			t.Errorf("%s: Get = %+v, %v", s.Path(), got, err)
		}
	}
}
