// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/dirstore"
	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/lockfile"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// countingProvider mints "tok-N" tokens living life from the clock's now;
// err, when set, fails every call instead.
type countingProvider struct {
	clock *fakeClock
	life  time.Duration
	calls atomic.Int32
	mu    sync.Mutex
	err   error
}

func (p *countingProvider) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
}

func (p *countingProvider) Token(_ context.Context, _ credentials.Host, _ *store.Entry) (*Token, error) {
	n := p.calls.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return nil, p.err
	}
	t := &Token{Username: "user", Secret: fmt.Sprintf("tok-%d", n)}
	if p.life != 0 {
		t.Expiry = p.clock.Now().Add(p.life)
	}
	return t, nil
}

var testHost = credentials.Host{Name: "registry.example.com"}

func newTestCache(t *testing.T, life time.Duration, opts CacheOptions) (*Cache, *countingProvider, *fakeClock, *[]string) {
	t.Helper()
	clock := &fakeClock{now: t0}
	p := &countingProvider{clock: clock, life: life}
	var warnings []string
	opts.Now = clock.Now
	opts.Warn = func(s string) { warnings = append(warnings, s) }
	if opts.LockDir == "" {
		opts.LockDir = t.TempDir()
	}
	return Cached(p, store.NewMemory(), opts), p, clock, &warnings
}

func mustToken(t *testing.T, c *Cache) *Token {
	t.Helper()
	tok, err := c.Token(context.Background(), testHost, nil)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

func TestCache_Token_servesFresh(t *testing.T) {
	c, p, _, warnings := newTestCache(t, time.Hour, CacheOptions{})
	a := mustToken(t, c)
	b := mustToken(t, c)
	if a.Secret != "tok-1" || b.Secret != "tok-1" || p.calls.Load() != 1 {
		t.Errorf("tokens %q, %q after %d calls; want tok-1 twice after 1 call", a.Secret, b.Secret, p.calls.Load())
	}
	if a.Username != "user" || !a.Expiry.Equal(t0.Add(time.Hour)) {
		t.Errorf("token = %+v", a)
	}
	if len(*warnings) != 0 {
		t.Errorf("warnings: %q", *warnings)
	}
}

// TestCache_Token_boundary checks the refresh margin at delta and delta-1ns
// before expiry (x/oauth2 TestTokenExpiry style).
func TestCache_Token_boundary(t *testing.T) {
	for _, tc := range []struct {
		name          string
		life          time.Duration
		refreshBefore time.Duration
		margin        time.Duration
	}{
		{"default caps at 5m", time.Hour, 0, 5 * time.Minute},
		{"default is half a short life", 4 * time.Minute, 0, 2 * time.Minute},
		{"exactly 10m life", 10 * time.Minute, 0, 5 * time.Minute},
		{"configured", time.Hour, 2 * time.Minute, 2 * time.Minute},
		{"configured beyond half life", 4 * time.Minute, 3 * time.Minute, 3 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, p, clock, _ := newTestCache(t, tc.life, CacheOptions{RefreshBefore: tc.refreshBefore})
			mustToken(t, c)
			expiry := t0.Add(tc.life)

			clock.Set(expiry.Add(-tc.margin - time.Nanosecond))
			if tok := mustToken(t, c); tok.Secret != "tok-1" || p.calls.Load() != 1 {
				t.Errorf("at expiry-margin-1ns: %q after %d calls; want the cached tok-1", tok.Secret, p.calls.Load())
			}
			clock.Set(expiry.Add(-tc.margin))
			if tok := mustToken(t, c); tok.Secret != "tok-2" || p.calls.Load() != 2 {
				t.Errorf("at expiry-margin: %q after %d calls; want a refreshed tok-2", tok.Secret, p.calls.Load())
			}
		})
	}
}

func TestCache_Token_neverExpires(t *testing.T) {
	c, p, clock, _ := newTestCache(t, 0, CacheOptions{})
	mustToken(t, c)
	clock.Set(t0.Add(100 * 365 * 24 * time.Hour))
	if tok := mustToken(t, c); tok.Secret != "tok-1" || p.calls.Load() != 1 {
		t.Errorf("got %q after %d calls, want the cached tok-1", tok.Secret, p.calls.Load())
	}
}

func TestCache_Token_staleFallback(t *testing.T) {
	c, p, clock, warnings := newTestCache(t, time.Hour, CacheOptions{})
	mustToken(t, c)
	p.fail(errors.New("oauth2: registry.example.com: token endpoint returned HTTP 503"))

	// Stale but not expired: served, with one warning.
	clock.Set(t0.Add(time.Hour - time.Nanosecond))
	tok := mustToken(t, c)
	if tok.Secret != "tok-1" {
		t.Errorf("stale fallback served %q, want tok-1", tok.Secret)
	}
	if len(*warnings) != 1 || strings.Contains((*warnings)[0], "\n") ||
		!strings.Contains((*warnings)[0], "registry.example.com") || !strings.Contains((*warnings)[0], "HTTP 503") ||
		!strings.Contains((*warnings)[0], "2026-03-01T13:00:00Z") {
		t.Errorf("warnings = %q, want one line naming the registry, the expiry and the cause", *warnings)
	}
	if strings.Contains(strings.Join(*warnings, ""), "tok-1") {
		t.Error("a warning holds the secret")
	}

	// Expired: the endpoint's error, no warning.
	clock.Set(t0.Add(time.Hour))
	if _, err := c.Token(context.Background(), testHost, nil); err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("expired Token error = %v, want the endpoint's error", err)
	}
	if len(*warnings) != 1 {
		t.Errorf("warnings = %q, want no new one", *warnings)
	}
}

func TestCache_Token_notFoundIsNotServedFromCache(t *testing.T) {
	c, p, clock, _ := newTestCache(t, time.Hour, CacheOptions{})
	mustToken(t, c)
	p.fail(fmt.Errorf("oauth2: no client credential stored: %w", ErrNotFound))
	clock.Set(t0.Add(59 * time.Minute))
	if _, err := c.Token(context.Background(), testHost, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Token error = %v, want ErrNotFound (wrapping store.ErrNotFound)", err)
	}
}

func TestCache_Token_fingerprint(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := &countingProvider{clock: clock, life: time.Hour}
	backend := store.NewMemory()
	dir := t.TempDir()
	a := Cached(p, backend, CacheOptions{Fingerprint: "a", Now: clock.Now, LockDir: dir})
	b := Cached(p, backend, CacheOptions{Fingerprint: "b", Now: clock.Now, LockDir: dir})
	mustToken(t, a)
	if tok := mustToken(t, b); tok.Secret != "tok-2" {
		t.Errorf("another config's cached token was served: %q", tok.Secret)
	}
	if tok := mustToken(t, b); tok.Secret != "tok-2" {
		t.Errorf("got %q, want tok-2 from the cache", tok.Secret)
	}
}

func TestCache_Token_expiredAtMintIsNotCached(t *testing.T) {
	clock := &fakeClock{now: t0}
	var calls atomic.Int32
	p := Func(func(context.Context, credentials.Host, *store.Entry) (*Token, error) {
		n := calls.Add(1)
		return &Token{Username: "u", Secret: fmt.Sprint("once-", n), Expiry: clock.Now()}, nil
	})
	backend := store.NewMemory()
	c := Cached(p, backend, CacheOptions{Now: clock.Now, LockDir: t.TempDir()})
	for i := 1; i <= 2; i++ {
		if tok := mustToken(t, c); tok.Secret != fmt.Sprint("once-", i) {
			t.Errorf("call %d: %q", i, tok.Secret)
		}
	}
	if m, _ := backend.List(context.Background()); len(m) != 0 {
		t.Errorf("cache holds %v, want nothing", m)
	}
}

func TestCache_Token_entryLayout(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := &countingProvider{clock: clock, life: time.Hour}
	backend := store.NewMemory()
	c := Cached(p, backend, CacheOptions{Now: clock.Now, Fingerprint: "fp", LockDir: t.TempDir()})
	mustToken(t, c)
	e, err := backend.Get(context.Background(), "registry.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if e.ServerURL != "registry.example.com" || e.Username != "user" || !e.Expiry.Equal(t0.Add(time.Hour)) {
		t.Errorf("entry = %+v", e)
	}
	want := `{"v":1,"secret":"tok-1","issued_at":"2026-03-01T12:00:00Z","fingerprint":"fp"}`
	if e.Secret != want {
		t.Errorf("entry Secret = %s, want %s", e.Secret, want)
	}
	if got := c.Peek(context.Background(), testHost); got == nil || got.Secret != "tok-1" {
		t.Errorf("Peek = %+v", got)
	}
	clock.Set(t0.Add(time.Hour))
	if got := c.Peek(context.Background(), testHost); got != nil {
		t.Errorf("Peek of an expired token = %+v, want nil", got)
	}
}

func TestCache_Token_corruptEntry(t *testing.T) {
	c, p, _, _ := newTestCache(t, time.Hour, CacheOptions{})
	for _, secret := range []string{"", "not json", `{"v":2,"secret":"x"}`, `{"v":1,"secret":""}`} {
		_ = c.backend.Put(context.Background(), "registry.example.com", store.Entry{Username: "u", Secret: secret})
		before := p.calls.Load()
		if tok := mustToken(t, c); tok.Secret == "x" || p.calls.Load() != before+1 {
			t.Errorf("entry %q: got %q without a refresh", secret, tok.Secret)
		}
	}
}

// failingPut is a backend whose Put fails.
type failingPut struct{ *store.Memory }

func (failingPut) Put(context.Context, string, store.Entry) error {
	return fmt.Errorf("keychain: %w", store.ErrUnavailable)
}

func TestCache_Token_saveFailureWarns(t *testing.T) {
	clock := &fakeClock{now: t0}
	p := &countingProvider{clock: clock, life: time.Hour}
	var warnings []string
	c := Cached(p, failingPut{store.NewMemory()}, CacheOptions{Now: clock.Now, LockDir: t.TempDir(), Warn: func(s string) { warnings = append(warnings, s) }})
	if tok := mustToken(t, c); tok.Secret != "tok-1" {
		t.Errorf("got %q", tok.Secret)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "keychain unavailable") {
		t.Errorf("warnings = %q", warnings)
	}
}

func TestCache_Token_goroutinesRefreshOnce(t *testing.T) {
	c, p, _, _ := newTestCache(t, time.Hour, CacheOptions{})
	var wg sync.WaitGroup
	secrets := make([]string, 50)
	for i := range secrets {
		wg.Go(func() {
			tok, err := c.Token(context.Background(), testHost, nil)
			if err != nil {
				t.Error(err)
				return
			}
			secrets[i] = tok.Secret
		})
	}
	wg.Wait()
	if n := p.calls.Load(); n != 1 {
		t.Errorf("%d calls to the provider, want 1", n)
	}
	for _, s := range secrets {
		if s != "tok-1" {
			t.Errorf("got %q, want tok-1", s)
		}
	}
}

// TestCache_Token_lockWait holds the host's lock, as a process stuck in a
// refresh would, and checks that a waiter gives up at its deadline: with a
// stale but unexpired token it serves that token and warns; with none it
// fails naming the wait.
func TestCache_Token_lockWait(t *testing.T) {
	dir := t.TempDir()
	c, p, clock, warnings := newTestCache(t, time.Hour, CacheOptions{LockDir: dir})
	mustToken(t, c)
	unlock, err := lockfile.Lock(context.Background(), dir, testHost.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	clock.Set(t0.Add(58 * time.Minute))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	tok, err := c.Token(ctx, testHost, nil)
	if err != nil || tok.Secret != "tok-1" || len(*warnings) != 1 || p.calls.Load() != 1 {
		t.Errorf("Token = %v, %v, warnings %q; want the cached tok-1 with one warning", tok, err, *warnings)
	}

	clock.Set(t0.Add(time.Hour))
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := c.Token(ctx2, testHost, nil); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "refresh lock") {
		t.Errorf("Token error = %v, want a lock-wait deadline error", err)
	}
}

// The cross-process child: when MINT_CACHE_CHILD is set, TestMain runs
// childMain instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("MINT_CACHE_CHILD") != "" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

// childMain gets a token through a Cache sharing its store and lock
// directory with its siblings; the provider fetches it from the parent's
// counting server. It prints the secret.
func childMain() int {
	url, dir, locks := os.Getenv("MINT_CACHE_URL"), os.Getenv("MINT_CACHE_DIR"), os.Getenv("MINT_CACHE_LOCKS")
	p := Func(func(ctx context.Context, _ credentials.Host, _ *store.Entry) (*Token, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		return &Token{Username: "user", Secret: string(body), Expiry: time.Now().Add(time.Hour)}, nil
	})
	c := Cached(p, dirstore.Store{Dir: dir}, CacheOptions{LockDir: locks, Warn: func(s string) { fmt.Fprintln(os.Stderr, s) }})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tok, err := c.Token(ctx, testHost, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(tok.Secret)
	return 0
}

// TestCache_Token_crossProcess starts 50 processes on a stale cache at once
// and checks that they make exactly one request to the token endpoint and
// all print the token it returned.
func TestCache_Token_crossProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		fmt.Fprintf(w, "minted-%d", n)
	}))
	defer srv.Close()

	dir, locks := t.TempDir(), t.TempDir()
	// A stale cache: a token minted 59 minutes ago, one minute left.
	env, _ := json.Marshal(envelope{V: cacheVersion, Secret: "stale", IssuedAt: time.Now().Add(-59 * time.Minute)})
	if err := (dirstore.Store{Dir: dir}).Put(context.Background(), testHost.Key(), store.Entry{Username: "user", Secret: string(env), Expiry: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}

	const n = 50
	outs := make([]strings.Builder, n)
	errs := make([]strings.Builder, n)
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "MINT_CACHE_CHILD=1", "MINT_CACHE_URL="+srv.URL, "MINT_CACHE_DIR="+dir, "MINT_CACHE_LOCKS="+locks)
		cmd.Stdout, cmd.Stderr = &outs[i], &errs[i]
		cmds[i] = cmd
	}
	for _, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v: %s", i, err, errs[i].String())
		}
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("%d processes made %d requests to the token endpoint, want 1", n, got)
	}
	for i := range outs {
		if got := strings.TrimSpace(outs[i].String()); got != "minted-1" {
			t.Errorf("child %d printed %q, want minted-1", i, got)
		}
		if errs[i].Len() != 0 {
			t.Errorf("child %d wrote to stderr: %q", i, errs[i].String())
		}
	}
	t.Logf("%d processes, %d token request(s)", n, requests.Load())
}

// TestCache_Fresh: a read-only Cache (no provider, as in a build that
// cannot mint) over the backend and fingerprint of a minting Cache serves
// what that one cached while fresh, reports anything else as not fresh at
// once and without the refresh lock (held here by another process's
// refresh), and its Token refuses to mint.
func TestCache_Fresh(t *testing.T) {
	dir := t.TempDir()
	full, p, clock, _ := newTestCache(t, time.Hour, CacheOptions{LockDir: dir, Fingerprint: "f"})
	lean := Cached(nil, full.backend, CacheOptions{LockDir: dir, Fingerprint: "f", Now: clock.Now})
	if tok, ok := lean.Fresh(context.Background(), testHost); ok || tok != nil {
		t.Fatalf("empty cache: Fresh = %v, %v", tok, ok)
	}
	mustToken(t, full)
	if tok, ok := lean.Fresh(context.Background(), testHost); !ok || tok.Secret != "tok-1" {
		t.Fatalf("fresh cache: Fresh = %v, %v", tok, ok)
	}
	unlock, err := lockfile.Lock(context.Background(), dir, testHost.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	clock.Set(t0.Add(58 * time.Minute))
	if tok, ok := lean.Fresh(context.Background(), testHost); ok || tok == nil || tok.Secret != "tok-1" {
		t.Errorf("stale cache: Fresh = %v, %v; want the stale token, not fresh", tok, ok)
	}
	clock.Set(t0.Add(61 * time.Minute))
	if _, err := lean.Token(context.Background(), testHost, nil); err == nil || !strings.Contains(err.Error(), "cannot mint") {
		t.Errorf("expired cache, no provider: Token err = %v", err)
	}
	if p.calls.Load() != 1 {
		t.Errorf("provider called %d times", p.calls.Load())
	}
}

// TestToken_RefreshAt: the one refresh rule, at its boundaries.
func TestToken_RefreshAt(t *testing.T) {
	for _, tc := range []struct {
		name          string
		life          time.Duration
		issued        bool
		refreshBefore time.Duration
		want          time.Duration // before Expiry
	}{
		{"long life: 5m", time.Hour, true, 0, 5 * time.Minute},
		{"short life: half", 2 * time.Minute, true, 0, time.Minute},
		{"exactly 10m: 5m", 10 * time.Minute, true, 0, 5 * time.Minute},
		{"issue time unknown: 5m", 2 * time.Minute, false, 0, 5 * time.Minute},
		{"configured", time.Hour, true, 20 * time.Minute, 20 * time.Minute},
	} {
		tok := Token{Secret: "s", Expiry: t0.Add(tc.life)}
		if tc.issued {
			tok.Issued = t0
		}
		if got := tok.Expiry.Sub(tok.RefreshAt(tc.refreshBefore)); got != tc.want {
			t.Errorf("%s: RefreshAt is %v before Expiry, want %v", tc.name, got, tc.want)
		}
	}
	if got := (&Token{Secret: "s"}).RefreshAt(0); !got.IsZero() {
		t.Errorf("no expiry: RefreshAt = %v, want zero", got)
	}
}
