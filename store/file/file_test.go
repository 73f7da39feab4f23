// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/storetest"
)

func newStore(t testing.TB, dir, ns string, opts ...Options) *Store {
	t.Helper()
	s, err := New(dir, ns, opts...)
	if err != nil {
		t.Fatalf("New(%q, %q) = %v", dir, ns, err)
	}
	return s
}

func TestStore_Conformance(t *testing.T) {
	dirs := map[*testing.T]string{}
	storetest.Run(t, func(t *testing.T, ns string) store.Backend {
		// Namespaces of one test share a directory (and so a key file).
		dir, ok := dirs[t]
		if !ok {
			dir = t.TempDir()
			dirs[t] = dir
		}
		return newStore(t, dir, ns)
	})
}

func TestNew_layout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := newStore(t, dir, "mint")
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New created %s before any write: %v", dir, err)
	}
	ctx := context.Background()
	if _, err := s.Get(ctx, "x.example"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get on a store never written = %v, want ErrNotFound", err)
	}
	if m, err := s.List(ctx); err != nil || len(m) != 0 {
		t.Fatalf("List on a store never written = %v, %v", m, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reads created %s: %v", dir, err)
	}
	if err := s.Put(ctx, "x.example", store.Entry{ServerURL: "x.example", Username: "u", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		dir:                             0o700 | os.ModeDir,
		filepath.Join(dir, "mint.mint"): 0o600,
		filepath.Join(dir, "key"):       0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want && runtime.GOOS != "windows" { // Windows has ACLs, not modes
			t.Errorf("mode of %s = %v, want %v", path, fi.Mode(), want)
		}
	}
	if s.Path() != filepath.Join(dir, "mint.mint") || s.KeyFile() != filepath.Join(dir, "key") {
		t.Errorf("Path, KeyFile = %s, %s", s.Path(), s.KeyFile())
	}
}

func TestFileName(t *testing.T) {
	for ns, want := range map[string]string{
		"mint":                         "mint.mint",
		"docker-credential-mint_token": "docker-credential-mint_token.mint",
		"Mint":                         "%4Dint.mint",
		"a/b":                          "a%2Fb.mint",
		"a%2Fb":                        "a%252%46b.mint",
		"..":                           "%2E..mint",
		".hidden":                      "%2Ehidden.mint",
		"con":                          "%63on.mint",
		"nul.x":                        "%6Eul.x.mint",
		"console":                      "console.mint",
		"ünï":                          "%C3%BCn%C3%AF.mint",
		"":                             "error",
	} {
		got, err := fileName(ns)
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("fileName(%q) = %q, want %q", ns, got, want)
		}
	}
	long, err := fileName(strings.Repeat("x", 1000))
	if err != nil || len(long) > 200 {
		t.Errorf("fileName(1000 × x) = %q (%d bytes), %v", long, len(long), err)
	}
	other, _ := fileName(strings.Repeat("x", 999))
	if other == long {
		t.Errorf("two long namespaces share the file name %q", long)
	}
}

func TestStore_KeyFileOption(t *testing.T) {
	dir, keyDir := t.TempDir(), t.TempDir()
	keyFile := filepath.Join(keyDir, "ci-secret")
	// A CI secret as `openssl rand -hex 32` makes it.
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := newStore(t, dir, "ns", Options{KeyFile: keyFile})
	want := store.Entry{ServerURL: "r.example", Username: "u", Secret: "pw"}
	if err := s.Put(ctx, "r.example", want); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a default key file was made although Options.KeyFile was set: %v", err)
	}
	// The same key in base64 and raw opens the same store.
	raw := bytes.Repeat([]byte{0xab}, 32)
	for name, content := range map[string][]byte{
		"raw":    raw,
		"base64": []byte("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n"),
	} {
		kf := filepath.Join(keyDir, name)
		if err := os.WriteFile(kf, content, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := newStore(t, dir, "ns", Options{KeyFile: kf}).Get(ctx, "r.example")
		if err != nil || got != want {
			t.Errorf("Get with the key as %s = %+v, %v", name, got, err)
		}
	}
	bad := filepath.Join(keyDir, "bad")
	os.WriteFile(bad, []byte("too short\n"), 0o600)
	_, err := newStore(t, dir, "ns", Options{KeyFile: bad}).Get(ctx, "r.example")
	if err == nil || !strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), "too short") {
		t.Errorf("Get with a malformed key file = %v; want an error naming the file, not quoting it", err)
	}
}

func TestStore_wrongKey(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := newStore(t, dir, "ns")
	if err := s.Put(ctx, "r.example", store.Entry{ServerURL: "r.example", Username: "u", Secret: "pw"}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(s.Path())
	// The key file is replaced by another key.
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("01", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := newStore(t, dir, "ns")
	check := func(op string, err error) {
		t.Helper()
		if err == nil || errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), keyFile) ||
			!strings.HasPrefix(err.Error(), "file: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s with a replaced key file = %v; want one line naming %s, not ErrNotFound", op, err, keyFile)
		}
	}
	_, err := s2.Get(ctx, "r.example")
	check("Get", err)
	_, err = s2.Get(ctx, "other.example")
	check("Get(absent)", err)
	_, err = s2.List(ctx)
	check("List", err)
	check("Put", s2.Put(ctx, "n.example", store.Entry{ServerURL: "n.example", Username: "u", Secret: "x"}))
	check("Delete", s2.Delete(ctx, "r.example"))
	if after, _ := os.ReadFile(s.Path()); !bytes.Equal(before, after) {
		t.Errorf("a write with the wrong key changed the store")
	}
	// The key file removed: an error naming it, and no new key is made.
	os.Remove(keyFile)
	_, err = s2.Get(ctx, "r.example")
	check("Get without key file", err)
	check("Put without key file", s2.Put(ctx, "n.example", store.Entry{ServerURL: "n.example", Username: "u", Secret: "x"}))
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Put made a new key for an existing store: %v", err)
	}
}

func TestStore_noPlaintext(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const (
		host   = "canary-host-7f3a.example"
		url    = "https://canary-url-7f3a.example/v2/"
		user   = "canary-user-7f3a"
		secret = "canary-secret-7f3a"
	)
	s := newStore(t, dir, "ns")
	exp := time.Date(2031, 5, 6, 7, 8, 9, 10, time.UTC)
	for i := range 3 {
		k := fmt.Sprintf("%d.%s", i, host)
		if err := s.Put(ctx, k, store.Entry{ServerURL: url, Username: user, Secret: secret, Expiry: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, "1."+host); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "0."+host)
	if err != nil || got.Secret != secret || !got.Expiry.Equal(exp) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() == "key" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, canary := range []string{host, "canary-host", "canary-url", user, secret, "7f3a"} {
			if bytes.Contains(b, []byte(canary)) {
				t.Errorf("%s holds %q in plain text", e.Name(), canary)
			}
		}
	}
}

func TestStore_errorsHoldNoSecret(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := newStore(t, dir, "ns")
	const secret = "hunter2-canary"
	big := strings.Repeat(secret, store.MaxSecretSize/len(secret)+1)
	err := s.Put(ctx, "r.example", store.Entry{ServerURL: "r.example", Username: "u", Secret: big})
	if !errors.Is(err, store.ErrTooLarge) || strings.Contains(err.Error(), secret) {
		t.Errorf("Put(too large) = %v", err)
	}
	if err := s.Put(ctx, "r.example", store.Entry{ServerURL: "r.example", Username: "u", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(s.Path())
	b[len(b)-1] ^= 1
	os.WriteFile(s.Path(), b, 0o600)
	_, err = s.Get(ctx, "r.example")
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "damaged store") {
		t.Errorf("Get of a damaged secret = %v", err)
	}
}

func TestStore_context(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, "ns")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Get(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get(cancelled) = %v", err)
	}
	if _, err := s.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List(cancelled) = %v", err)
	}
	if err := s.Put(ctx, "a", store.Entry{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put(cancelled) = %v", err)
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cancelled Put wrote the store")
	}
}

func TestStore_lockTimeout(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := newStore(t, dir, "ns", Options{LockTimeout: 100 * time.Millisecond})
	if err := s.Put(ctx, "a", store.Entry{ServerURL: "a", Username: "u", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	// Another "process" (another open file description) holds the lock.
	f, err := os.OpenFile(s.Path()+".lock", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ok, err := tryLock(f); !ok || err != nil {
		t.Fatalf("tryLock = %v, %v", ok, err)
	}
	start := time.Now()
	err = s.Put(ctx, "b", store.Entry{ServerURL: "b", Username: "u", Secret: "s"})
	if !errors.Is(err, store.ErrUnavailable) || time.Since(start) > 2*time.Second {
		t.Errorf("Put while locked = %v after %v; want ErrUnavailable after 100ms", err, time.Since(start))
	}
	ctx2, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	s2 := newStore(t, dir, "ns")
	if err := s2.Delete(ctx2, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Delete while locked = %v; want DeadlineExceeded", err)
	}
	// Readers take no lock.
	if e, err := s.Get(ctx, "a"); err != nil || e.Secret != "s" {
		t.Errorf("Get while locked = %v, %v", e, err)
	}
	unlock(f)
	if err := s.Put(ctx, "b", store.Entry{ServerURL: "b", Username: "u", Secret: "s"}); err != nil {
		t.Errorf("Put after unlock = %v", err)
	}
}

func TestStore_staleTemps(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := newStore(t, dir, "ns")
	stale := filepath.Join(dir, ".ns.mint.tmp-12345")
	// The temporary file of namespace "ns.mint.tmp-x".
	foreign := filepath.Join(dir, ".ns.mint.tmp-x.mint.tmp-999")
	os.WriteFile(stale, []byte("half"), 0o600)
	os.WriteFile(foreign, []byte("other namespace"), 0o600)
	if err := s.Put(ctx, "a", store.Entry{ServerURL: "a", Username: "u", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file left: %v", err)
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Errorf("another namespace's temporary file removed: %v", err)
	}
}

func TestStore_keyRace(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const n = 12
	errs := make(chan error, n)
	for i := range n {
		go func() {
			// Each namespace has its own writer lock: the key file is
			// created by racing writers.
			s, _ := New(dir, fmt.Sprintf("ns%d", i))
			errs <- s.Put(ctx, "r.example", store.Entry{ServerURL: "r.example", Username: "u", Secret: fmt.Sprint(i)})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		s := newStore(t, dir, fmt.Sprintf("ns%d", i))
		if e, err := s.Get(ctx, "r.example"); err != nil || e.Secret != fmt.Sprint(i) {
			t.Errorf("Get in ns%d = %v; all namespaces must share the one key", i, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
}
