// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package pass_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/pass"
	"github.com/docker-credential-mint/mint/store/pass/passtest"
	"github.com/docker-credential-mint/mint/store/storetest"
)

var (
	sharedOnce sync.Once
	sharedEnv  *passtest.Env
	sharedErr  error
)

func TestMain(m *testing.M) {
	// Hermetic: nothing may reach the user's own gpg home or password store.
	home, err := os.MkdirTemp("", "passtest-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("HOME", home)
	os.Setenv("GNUPGHOME", filepath.Join(home, "no-gnupg"))
	os.Unsetenv("PASSWORD_STORE_DIR")
	os.Unsetenv("PASSWORD_STORE_GPG_OPTS")
	code := m.Run()
	if sharedEnv != nil {
		if err := sharedEnv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.RemoveAll(home)
	os.Exit(code)
}

func shared(t testing.TB) *passtest.Env {
	t.Helper()
	passtest.Require(t, passtest.Programs...)
	sharedOnce.Do(func() { sharedEnv, sharedErr = passtest.New(passtest.Options{}) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedEnv
}

// spyRunner runs pass for real and checks that no secret is ever in its
// arguments or environment.
type spyRunner struct {
	t     testing.TB
	inner pass.ExecRunner
	mu    sync.Mutex
	runs  []string
}

func (r *spyRunner) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	var in []byte
	if stdin != nil {
		var err error
		if in, err = io.ReadAll(stdin); err != nil {
			return nil, err
		}
		stdin = bytes.NewReader(in)
	}
	if len(in) >= 3 {
		for _, s := range append(append([]string{name}, args...), r.inner.Env...) {
			if strings.Contains(s, string(in)) {
				r.t.Errorf("a secret (%d bytes) is in pass's argv or environment", len(in))
			}
		}
	}
	r.mu.Lock()
	r.runs = append(r.runs, strings.Join(args, " "))
	r.mu.Unlock()
	return r.inner.Run(ctx, stdin, name, args...)
}

func (r *spyRunner) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.runs)
}

func newBackend(t testing.TB, env *passtest.Env, ns string, opts ...pass.Options) (*pass.Backend, *spyRunner) {
	var o pass.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Dir, o.Env = env.StoreDir, env.Environ()
	spy := &spyRunner{t: t}
	spy.inner = pass.ExecRunner{Env: pass.New(ns, o).Env()}
	o.Runner = spy
	return pass.New(ns, o), spy
}

func TestBackend_conformance(t *testing.T) {
	t.Parallel()
	env := shared(t)
	storetest.Run(t, func(t *testing.T, ns string) store.Backend {
		b, _ := newBackend(t, env, ns)
		return b
	})
}

func TestBackend_layout(t *testing.T) {
	t.Parallel()
	env := shared(t)
	ctx := context.Background()
	b, _ := newBackend(t, env, "layout")
	secret := "Layout-Secret-\x00-\xff-end"
	exp := time.Unix(1893456000, 0)
	if err := b.Put(ctx, "registry.example:5000", store.Entry{ServerURL: "https://registry.example:5000/v2/", Username: "alice", Secret: secret, Expiry: exp}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(env.StoreDir, "docker-credential-mint", "layout", "cmVnaXN0cnkuZXhhbXBsZTo1MDAw") // base64url("registry.example:5000")
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	if len(names) != 2 || !regexp.MustCompile(`^\.[0-9]{20}\.meta$`).MatchString(names[0]) || !regexp.MustCompile(`^[0-9]{20}\.gpg$`).MatchString(names[1]) {
		t.Fatalf("key folder holds %q, want .<gen>.meta and <gen>.gpg", names)
	}
	meta, err := os.ReadFile(filepath.Join(dir, names[0]))
	if err != nil {
		t.Fatal(err)
	}
	want := "docker-credential-mint pass entry v1\nkey \"registry.example:5000\"\nserver \"https://registry.example:5000/v2/\"\nusername \"alice\"\nexpiry 1893456000\n"
	if string(meta) != want {
		t.Errorf("meta file:\n%s\nwant:\n%s", meta, want)
	}
	// The user can read it with pass itself.
	out, err := pass.ExecRunner{Env: env.Environ()}.Run(ctx, nil, "pass", "show", "docker-credential-mint/layout/cmVnaXN0cnkuZXhhbXBsZTo1MDAw/"+strings.TrimSuffix(names[1], ".gpg"))
	if err != nil || string(out) != secret {
		t.Errorf("pass show = %q, %v", out, err)
	}
	// Odd namespaces and long keys get safe names.
	odd, _ := newBackend(t, env, "../odd ns")
	long := strings.Repeat("k", 300)
	if err := odd.Put(ctx, long, store.Entry{ServerURL: "s", Username: "u", Secret: "x"}); err != nil {
		t.Fatal(err)
	}
	if e, err := odd.Get(ctx, long); err != nil || e.Secret != "x" {
		t.Errorf("Get(long key) = %v", err)
	}
	if m, err := odd.List(ctx); err != nil || len(m) != 1 || m[long].ServerURL != "s" {
		t.Errorf("List = %v, %v", m, err)
	}
	if _, err := os.Stat(filepath.Join(env.StoreDir, "odd ns")); err == nil {
		t.Errorf("namespace escaped the prefix")
	}
}

// TestBackend_noPlainSecret: no file of the store holds a secret in clear.
func TestBackend_noPlainSecret(t *testing.T) {
	t.Parallel()
	env := shared(t)
	ctx := context.Background()
	b, _ := newBackend(t, env, "plain")
	secrets := []string{"Plain-Secret-One-4f9a", "Plain\nSecret\nTwo-77c1", strings.Repeat("Long-Secret-", 5000)}
	for i, s := range secrets {
		k := fmt.Sprintf("plain%d.example", i)
		if err := b.Put(ctx, k, store.Entry{ServerURL: k, Username: "u", Secret: s}); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(env.StoreDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s[:16])) || strings.Contains(path, s[:16]) {
				t.Errorf("%s holds a secret in clear", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBackend_List_decryptsNothing(t *testing.T) {
	t.Parallel()
	env := passtest.Start(t, passtest.Options{Passphrase: "correct horse"})
	ctx := context.Background()
	b, spy := newBackend(t, env, "list")
	for i := range 5 {
		k := fmt.Sprintf("l%d.example", i)
		if err := b.Put(ctx, k, store.Entry{ServerURL: k, Username: "u", Secret: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.ForgetPassphrase(); err != nil {
		t.Fatal(err)
	}
	n := spy.count()
	m, err := b.List(ctx)
	if err != nil || len(m) != 5 {
		t.Errorf("List with a locked key = %d entries, %v; want 5", len(m), err)
	}
	if spy.count() != n {
		t.Errorf("List ran pass %d times, want 0", spy.count()-n)
	}
}

func TestBackend_Get_lockedKey(t *testing.T) {
	env := passtest.Start(t, passtest.Options{Passphrase: "correct horse"})
	ctx := context.Background()
	b, _ := newBackend(t, env, "locked")
	if err := b.Put(ctx, "k.example", store.Entry{ServerURL: "k.example", Username: "u", Secret: "s3"}); err != nil {
		t.Fatal(err)
	}
	if err := env.ForgetPassphrase(); err != nil {
		t.Fatal(err)
	}
	// Even with a display to pop a pinentry on, nothing may wait for one.
	t.Setenv("DISPLAY", ":0")
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := b.Get(tctx, "k.example")
	d := time.Since(start)
	if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "gpg-agent") {
		t.Errorf("Get with a locked key = %v, want ErrUnavailable naming gpg-agent, fast", err)
	}
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
	if d > 3*time.Second {
		t.Errorf("Get with a locked key took %v", d)
	}
	t.Logf("%v (%v)", err, d)
	if err := env.Unlock(); err != nil {
		t.Fatal(err)
	}
	if e, err := b.Get(ctx, "k.example"); err != nil || e.Secret != "s3" {
		t.Errorf("Get after unlocking = %v", err)
	}
}

func TestBackend_uninitialised(t *testing.T) {
	t.Parallel()
	env := passtest.Start(t, passtest.Options{NoInit: true})
	ctx := context.Background()
	b, spy := newBackend(t, env, "x")
	err := b.Put(ctx, "a.example", store.Entry{ServerURL: "a.example", Username: "u", Secret: "s"})
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "pass init") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Put to an uninitialised store = %v, want one line naming pass init", err)
	}
	if err := b.Available(ctx); !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "pass init") {
		t.Errorf("Available() = %v", err)
	}
	if _, err := b.Get(ctx, "a.example"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get = %v, want ErrNotFound", err)
	}
	if m, err := b.List(ctx); err != nil || len(m) != 0 {
		t.Errorf("List = %v, %v", m, err)
	}
	if spy.count() != 0 {
		t.Errorf("ran pass %d times", spy.count())
	}
	// pass itself says so too, should the .gpg-id vanish under us.
	_, err = pass.ExecRunner{Env: b.Env()}.Run(ctx, strings.NewReader("s"), "pass", "insert", "-m", "-f", "docker-credential-mint/x/y/1")
	if err == nil || !strings.Contains(err.Error(), "pass init") {
		t.Errorf("pass insert in an uninitialised store: %v", err)
	}
}

func TestAvailable(t *testing.T) {
	env := shared(t)
	ctx := context.Background()
	t.Setenv("PASSWORD_STORE_DIR", env.StoreDir)
	if err := pass.Available(ctx); err != nil {
		t.Errorf("Available() = %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	if err := pass.Available(ctx); !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "install the pass package") {
		t.Errorf("Available() without pass = %v", err)
	}
	b, _ := newBackend(t, env, "x")
	if err := b.Put(ctx, "a.example", store.Entry{Secret: "s"}); !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "install the pass package") {
		t.Errorf("Put without pass = %v", err)
	}
}

// TestBackend_timeout: a pass that hangs (with a child, as pass runs gpg)
// ends with the context's deadline.
func TestBackend_timeout(t *testing.T) {
	t.Parallel()
	env := shared(t)
	script := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 30 &\nsleep 30\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	b := pass.New("hang", pass.Options{Dir: env.StoreDir, Env: env.Environ(), Program: script})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := b.Put(ctx, "h.example", store.Entry{ServerURL: "h", Username: "u", Secret: "s"})
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Put with a hanging pass = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Put with a hanging pass took %v", d)
	}
}

// TestBackend_crash leaves the files a killed Put can leave and checks that
// the previous entry stays visible and the next Put tidies up.
func TestBackend_crash(t *testing.T) {
	t.Parallel()
	env := shared(t)
	ctx := context.Background()
	b, _ := newBackend(t, env, "crash")
	old := store.Entry{ServerURL: "c.example", Username: "old", Secret: "old-secret"}
	if err := b.Put(ctx, "c.example", old); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(env.StoreDir, "docker-credential-mint", "crash", "Yy5leGFtcGxl") // base64url("c.example")
	// Killed after pass insert, before the .meta: a newer .gpg alone.
	newer := fmt.Sprintf("%020d", time.Now().Add(time.Hour).UnixNano())
	if _, err := (pass.ExecRunner{Env: b.Env()}).Run(ctx, strings.NewReader("half-written"), "pass", "insert", "-m", "-f", "docker-credential-mint/crash/Yy5leGFtcGxl/"+newer); err != nil {
		t.Fatal(err)
	}
	// Killed while writing the .meta: a temp file.
	if err := os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte("docker-credential-mint pass entry v1\nkey \"c.ex"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A .meta without its .gpg (pass rm killed half-way).
	ghost := fmt.Sprintf(".%020d.meta", time.Now().Add(2*time.Hour).UnixNano())
	if err := os.WriteFile(filepath.Join(dir, ghost), []byte("docker-credential-mint pass entry v1\nkey \"c.example\"\nserver \"ghost\"\nusername \"ghost\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if e, err := b.Get(ctx, "c.example"); err != nil || e.Username != "old" || e.Secret != "old-secret" {
		t.Errorf("Get after a killed Put = %q, %v; want the old entry", e.Username, err)
	}
	if m, _ := b.List(ctx); m["c.example"].Username != "old" {
		t.Errorf("List after a killed Put = %v", m)
	}
	if err := b.Put(ctx, "c.example", store.Entry{ServerURL: "c.example", Username: "new", Secret: "new-secret"}); err != nil {
		t.Fatal(err)
	}
	if e, err := b.Get(ctx, "c.example"); err != nil || e.Username != "new" || e.Secret != "new-secret" {
		t.Errorf("Get after the next Put = %q, %v", e.Username, err)
	}
	des, _ := os.ReadDir(dir)
	var gpgs int
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".gpg") {
			gpgs++
		}
	}
	if gpgs != 1 {
		t.Errorf("%d .gpg files after the tidying Put, want 1", gpgs)
	}
	if err := b.Delete(ctx, "c.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("key folder left after Delete: %v", err)
	}
}

func TestBackend_Put_concurrentSameKey(t *testing.T) {
	t.Parallel()
	env := shared(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := newBackend(t, env, "race")
			u := fmt.Sprintf("user%d", i)
			if err := b.Put(ctx, "race.example", store.Entry{ServerURL: "race.example", Username: u, Secret: "pw-" + u}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	b, _ := newBackend(t, env, "race")
	e, err := b.Get(ctx, "race.example")
	if err != nil || e.Secret != "pw-"+e.Username {
		t.Errorf("Get = %q (%d bytes), %v", e.Username, len(e.Secret), err)
	}
	des, _ := os.ReadDir(filepath.Join(env.StoreDir, "docker-credential-mint", "race", "cmFjZS5leGFtcGxl"))
	if len(des) != 2 {
		t.Errorf("%d files after concurrent Puts, want 2 (one generation)", len(des))
	}
}

func BenchmarkBackend(b *testing.B) {
	env := shared(b)
	bk := pass.New("bench", pass.Options{Dir: env.StoreDir, Env: env.Environ()})
	storetest.Bench(b, bk, 100)
}

// TestBackend_git: in a store kept in git, every change is committed.
func TestBackend_git(t *testing.T) {
	t.Parallel()
	passtest.Require(t, "git")
	env := passtest.Start(t, passtest.Options{})
	ctx := context.Background()
	gitEnv := append(env.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@mint.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@mint.invalid")
	run := pass.ExecRunner{Env: gitEnv}
	if _, err := run.Run(ctx, nil, "pass", "git", "init"); err != nil {
		t.Fatal(err)
	}
	b := pass.New("git", pass.Options{Dir: env.StoreDir, Env: gitEnv})
	clean := func(when string) {
		t.Helper()
		out, err := run.Run(ctx, nil, "git", "-C", env.StoreDir, "status", "--porcelain")
		if err != nil || len(out) != 0 {
			t.Errorf("git status after %s = %q, %v; want clean", when, out, err)
		}
	}
	for _, u := range []string{"alice", "bob"} {
		if err := b.Put(ctx, "g.example", store.Entry{ServerURL: "g.example", Username: u, Secret: "pw-" + u}); err != nil {
			t.Fatal(err)
		}
		clean("Put " + u)
	}
	// A clone sees the entry.
	clone := filepath.Join(t.TempDir(), "clone")
	if _, err := run.Run(ctx, nil, "git", "clone", "-q", env.StoreDir, clone); err != nil {
		t.Fatal(err)
	}
	cb := pass.New("git", pass.Options{Dir: clone, Env: gitEnv})
	if e, err := cb.Get(ctx, "g.example"); err != nil || e.Username != "bob" || e.Secret != "pw-bob" {
		t.Errorf("Get from a clone = %q, %v", e.Username, err)
	}
	if err := b.Delete(ctx, "g.example"); err != nil {
		t.Fatal(err)
	}
	clean("Delete")
	if _, err := b.Get(ctx, "g.example"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete = %v", err)
	}
}
