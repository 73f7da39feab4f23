// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keyring

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/lockfile"
)

// Concurrent writers: each writer stores keys <prefix>-0 … <prefix>-<n-1>
// (every one larger than an item, so each Put writes several), overwrites
// every third and erases every third; the others must survive, and List
// must show exactly the survivors of all writers together.
const (
	writerKeys = 12
	writerNS   = "concurrent"
	// writerItemSize is Windows' item limit, the smallest in use.
	writerItemSize = 2560
)

func writerKey(prefix string, j int) string { return fmt.Sprintf("%s-%d.example", prefix, j) }

func writerEntry(key string, round int) store.Entry {
	return store.Entry{
		ServerURL: "https://" + key,
		Username:  fmt.Sprintf("user-%d", round),
		Secret:    strings.Repeat(key+"/"+strconv.Itoa(round)+";", 3000/len(key)),
	}
}

// write runs one writer over b.
func write(ctx context.Context, b *Backend, prefix string) error {
	for j := range writerKeys {
		key := writerKey(prefix, j)
		if err := b.Put(ctx, key, writerEntry(key, 1)); err != nil {
			return err
		}
		switch j % 3 {
		case 0:
			if err := b.Delete(ctx, key); err != nil {
				return err
			}
		case 1:
			if err := b.Put(ctx, key, writerEntry(key, 2)); err != nil {
				return err
			}
		}
	}
	return nil
}

// survivors returns what the writers of prefixes leave stored.
func survivors(prefixes []string) map[string]store.Entry {
	want := map[string]store.Entry{}
	for _, p := range prefixes {
		for j := range writerKeys {
			key := writerKey(p, j)
			switch j % 3 {
			case 1:
				want[key] = writerEntry(key, 2)
			case 2:
				want[key] = writerEntry(key, 1)
			}
		}
	}
	return want
}

// writerPrefixes names the writers of backend (or process) i.
func writerPrefixes(i, goroutines int) []string {
	var out []string
	for g := range goroutines {
		out = append(out, fmt.Sprintf("w%d-%d", i, g))
	}
	return out
}

// writeAll runs the writers of prefixes on b at once.
func writeAll(ctx context.Context, b *Backend, prefixes []string) error {
	var wg sync.WaitGroup
	errs := make([]error, len(prefixes))
	for i, p := range prefixes {
		wg.Go(func() { errs[i] = write(ctx, b, p) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkSurvivors asserts that List shows exactly want, that each entry
// reads back, and that users (the namespace's items) holds nothing but
// their items and the index's: no lost index update, no orphaned chunk.
func checkSurvivors(t *testing.T, b *Backend, want map[string]store.Entry, users []string) {
	t.Helper()
	ctx := context.Background()
	list, err := b.List(ctx)
	if err != nil {
		t.Fatalf("List = %v", err)
	}
	var missing, extra []string
	for k := range want {
		if _, ok := list[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range list {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("List has %d keys, want %d: missing %q, extra %q", len(list), len(want), missing, extra)
	}
	for k, e := range want {
		if meta := list[k]; meta.Username != e.Username && meta != (store.Entry{}) {
			t.Errorf("List[%q].Username = %q, want %q", k, meta.Username, e.Username)
		}
		if got, err := b.Get(ctx, k); err != nil || !same(got, e) {
			t.Errorf("Get(%q) = %s, %v; want %s", k, show(got), err, show(e))
		}
	}
	heads := 0
	for _, u := range users {
		acct, _, _ := strings.Cut(u, "#")
		if u == indexAccount || strings.HasPrefix(u, indexAccount+"#") {
			continue
		}
		if _, ok := want[acct]; !ok {
			t.Errorf("item %q belongs to no stored entry", u)
		} else if acct == u {
			heads++
		}
	}
	if heads != len(want) {
		t.Errorf("%d entries stored, want %d", heads, len(want))
	}
}

// TestBackend_concurrentWriters: three Backends over one keyring, as three
// processes would have, with eight writers each, all at once. Without the
// namespace lock, index updates read the same index and the last write
// wins, dropping the other writers' keys from List.
func TestBackend_concurrentWriters(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	kr := newLimitedKeyring(writerItemSize)
	var all []string
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		b := newOn(t, writerNS, kr, writerItemSize)
		prefixes := writerPrefixes(i, 8)
		all = append(all, prefixes...)
		wg.Go(func() { errs[i] = writeAll(ctx, b, prefixes) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	b := newOn(t, writerNS, kr, writerItemSize)
	checkSurvivors(t, b, survivors(all), kr.users(b.service))
}

// writerChild is the cross-process writer: when MINT_KEYRING_CHILD is set,
// TestMain runs it instead of the tests. It runs the writers of process
// $MINT_KEYRING_CHILD over a fileKeyring in $MINT_KEYRING_ITEMS, with the
// locks in $MINT_KEYRING_LOCKS.
func writerChild(i string) int {
	n, err := strconv.Atoi(i)
	if err != nil {
		return 2
	}
	b, err := New(writerNS, Options{LockDir: os.Getenv("MINT_KEYRING_LOCKS")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	b.Keyring, b.ItemSize = fileKeyring{dir: os.Getenv("MINT_KEYRING_ITEMS"), limit: writerItemSize}, writerItemSize
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := writeAll(ctx, b, writerPrefixes(n, 4)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestBackend_crossProcess: four processes (this test binary re-executed)
// with four writers each share a file-backed keyring and a lock directory,
// as docker logins in four terminals share the login keychain.
func TestBackend_crossProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 4 processes")
	}
	items, locks := t.TempDir(), t.TempDir()
	var all []string
	cmds := make([]*exec.Cmd, 4)
	stderr := make([]strings.Builder, len(cmds))
	for i := range cmds {
		all = append(all, writerPrefixes(i, 4)...)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "MINT_KEYRING_CHILD="+strconv.Itoa(i), "MINT_KEYRING_ITEMS="+items, "MINT_KEYRING_LOCKS="+locks)
		cmd.Stderr = &stderr[i]
		cmds[i] = cmd
	}
	for _, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v: %s", i, err, stderr[i].String())
		}
	}
	kr := fileKeyring{dir: items, limit: writerItemSize}
	b, err := New(writerNS, Options{LockDir: locks})
	if err != nil {
		t.Fatal(err)
	}
	b.Keyring, b.ItemSize = kr, writerItemSize
	users, err := kr.users(b.service)
	if err != nil {
		t.Fatal(err)
	}
	checkSurvivors(t, b, survivors(all), users)
}

// TestBackend_lockHeld: while another writer holds the namespace's lock,
// Put and Delete wait and give up at their deadline without touching the
// keyring, and Get and List (which take no lock) still answer.
func TestBackend_lockHeld(t *testing.T) {
	ctx := context.Background()
	kr := newLimitedKeyring(100)
	b := newOn(t, "held", kr, 100)
	b.lockDir = t.TempDir()
	e := store.Entry{ServerURL: "a.example", Username: "a", Secret: "sa"}
	if err := b.Put(ctx, "a.example", e); err != nil {
		t.Fatal(err)
	}
	unlock, err := lockfile.Lock(ctx, b.lockDir, "keyring:"+b.service)
	if err != nil {
		t.Fatal(err)
	}
	before := kr.clone().items
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	if err := b.Put(short(), "b.example", e); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Put while locked = %v, want DeadlineExceeded", err)
	}
	if err := b.Delete(short(), "a.example"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Delete while locked = %v, want DeadlineExceeded", err)
	}
	if got, err := b.Get(ctx, "a.example"); err != nil || !same(got, e) {
		t.Errorf("Get while locked = %s, %v", show(got), err)
	}
	if m, err := b.List(ctx); err != nil || len(m) != 1 {
		t.Errorf("List while locked = %v, %v", m, err)
	}
	if after := kr.clone().items; !maps.Equal(after, before) {
		t.Errorf("calls that timed out on the lock changed the keyring")
	}
	unlock()
	if err := b.Put(ctx, "b.example", e); err != nil {
		t.Errorf("Put after unlock = %v", err)
	}
}

// TestBackend_lockDirBroken: a lock directory that cannot be created makes
// Put and Delete fail with ErrUnavailable, writing nothing.
func TestBackend_lockDirBroken(t *testing.T) {
	ctx := context.Background()
	kr := newLimitedKeyring(100)
	b := newOn(t, "broken", kr, 100)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	b.lockDir = filepath.Join(file, "locks")
	const secret = "s3cr3t-in-no-error"
	if err := b.Put(ctx, "a.example", store.Entry{Username: "a", Secret: secret}); !errors.Is(err, store.ErrUnavailable) || strings.Contains(err.Error(), secret) {
		t.Errorf("Put = %v, want ErrUnavailable", err)
	}
	if err := b.Delete(ctx, "a.example"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Delete = %v, want ErrUnavailable", err)
	}
	if n := len(kr.clone().items); n != 0 {
		t.Errorf("%d items written", n)
	}
}
