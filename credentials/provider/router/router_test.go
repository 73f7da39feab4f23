// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/builtin"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/dirstore"
	"github.com/docker-credential-mint/mint/store"
)

// tokenServer is a client_credentials endpoint counting its requests.
func tokenServer(t *testing.T, requests *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		if u, p, _ := r.BasicAuth(); u != "helper" || p != "helpersecret" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"bearer","expires_in":3600}`, n)
	}))
	if t != nil {
		t.Cleanup(srv.Close)
	}
	return srv
}

func configFor(t *testing.T, tokenURL string) *credentials.Config {
	t.Helper()
	cfg, err := credentials.LoadConfig(strings.NewReader(fmt.Sprintf(`
registries:
  - match: quay.io/static-org
    provider: static
  - match: quay.io
    provider: oauth2
    token_url: %s
    username: oauth2accesstoken
  - match: "*.exec.example"
    provider: exec
    command: [make-token]
    format: helper-json
  - match: plain.example
    provider: exec
    command: [make-token]
    username: tokenuser
    lifetime: 10m
  - match: reg.example
    provider: registry
  - match: docker.io
    provider: registry
  - match: "*.azurecr.io"
    provider: acr
`, tokenURL)), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type fakeRunner struct{ calls atomic.Int32 }

func (f *fakeRunner) Run(context.Context, io.Reader, string, ...string) ([]byte, error) {
	n := f.calls.Add(1)
	return fmt.Appendf(nil, `{"Username":"exec-user","Secret":"exec-%d","ExpiresAt":"2999-01-01T00:00:00Z"}`, n), nil
}

func newRouter(t *testing.T, tokenURL string) (*Router, store.Backend, *fakeRunner) {
	t.Helper()
	tokens := store.NewMemory()
	runner := &fakeRunner{}
	rt, err := New(configFor(t, tokenURL), Options{Tokens: tokens, Roots: store.NewMemory(), LockDir: t.TempDir(), Providers: builtin.Factory(builtin.Options{Runner: runner})})
	if err != nil {
		t.Fatal(err)
	}
	return rt, tokens, runner
}

func host(t *testing.T, s string) credentials.Host {
	t.Helper()
	h, err := credentials.ParseHost(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRouter_Claims(t *testing.T) {
	rt, _, _ := newRouter(t, "https://auth.example.com/token")
	for h, want := range map[string]bool{
		"quay.io":                true,
		"quay.io/org/app":        true,
		"quay.io/static-org":     false, // static: the helper serves it
		"quay.io/static-org/app": false,
		"a.exec.example":         true,
		"reg.example":            true,
		"myreg.azurecr.io":       true, // claimed by its entry
		"ghcr.io":                false,
		"quay.io:5000":           false,
	} {
		if got := rt.Claims(host(t, h)); got != want {
			t.Errorf("Claims(%q) = %v, want %v", h, got, want)
		}
	}
}

// TestRouter_Mint_expiry: Mint answers a token with its expiry and when it
// is renewed, and Fresh then answers the same from the cache alone.
func TestRouter_Mint_expiry(t *testing.T) {
	rt, _, runner := newRouter(t, "https://auth.example.com/token")
	a, err := rt.Mint(context.Background(), host(t, "a.exec.example"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)
	if !a.Minted || !a.Expiry.Equal(want) || !a.Renew.Equal(want.Add(-provider.DefaultRefreshBefore)) {
		t.Errorf("Mint = minted %v, expiry %v, renew %v; want true, %v, 5m before", a.Minted, a.Expiry, a.Renew, want)
	}
	f, ok, err := rt.Fresh(context.Background(), host(t, "a.exec.example"), nil)
	if err != nil || !ok || f.Secret != a.Secret || !f.Expiry.Equal(a.Expiry) || !f.Renew.Equal(a.Renew) {
		t.Errorf("Fresh = %+v, %v; want what Mint answered", f, ok)
	}
	if n := runner.calls.Load(); n != 1 {
		t.Errorf("%d commands run, want 1", n)
	}
}

func TestRouter_Mint_oauth2Cached(t *testing.T) {
	var requests atomic.Int32
	srv := tokenServer(t, &requests)
	rt, tokens, _ := newRouter(t, srv.URL+"/token")
	root := &store.Entry{ServerURL: "quay.io", Username: "helper", Secret: "helpersecret"}
	for _, h := range []string{"quay.io", "quay.io/org/app", "https://quay.io/v2/", "quay.io/other"} {
		c, err := rt.Mint(context.Background(), host(t, h), root)
		if err != nil {
			t.Fatalf("Mint(%s): %v", h, err)
		}
		if c.Username != "oauth2accesstoken" || c.Secret != "at-1" {
			t.Errorf("Mint(%s) = %+v, want at-1 for oauth2accesstoken", h, c)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d token requests, want 1 (one token for the whole registry)", n)
	}
	if all, _ := tokens.List(context.Background()); len(all) != 1 || all["quay.io"].Username != "oauth2accesstoken" {
		t.Errorf("token cache = %v, want one quay.io entry", all)
	}

	// A root scoped to a repository path gets its own token.
	scoped := &store.Entry{ServerURL: "quay.io/team", Username: "helper", Secret: "helpersecret"}
	c, err := rt.Mint(context.Background(), host(t, "quay.io/team/app"), scoped)
	if err != nil || c.Secret != "at-2" {
		t.Errorf("Mint(scoped root) = %+v, %v; want at-2", c, err)
	}
}

func TestRouter_Mint_notFoundAndErrors(t *testing.T) {
	var requests atomic.Int32
	srv := tokenServer(t, &requests)
	rt, _, _ := newRouter(t, srv.URL+"/token")
	ctx := context.Background()
	if _, err := rt.Mint(ctx, host(t, "quay.io"), nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Mint(no root) = %v, want not found", err)
	}
	if _, err := rt.Mint(ctx, host(t, "ghcr.io"), nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Mint(unclaimed) = %v, want not found", err)
	}
	_, err := rt.Mint(ctx, host(t, "quay.io"), &store.Entry{ServerURL: "quay.io", Username: "helper", Secret: "wrong-secret"})
	if err == nil || !strings.Contains(err.Error(), "run `docker login quay.io`") || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("Mint(bad secret) = %v", err)
	}
}

func TestRouter_Mint_exec(t *testing.T) {
	rt, _, runner := newRouter(t, "https://auth.example.com/token")
	for range 3 {
		c, err := rt.Mint(context.Background(), host(t, "a.exec.example"), nil)
		if err != nil || c.Username != "exec-user" || c.Secret != "exec-1" {
			t.Errorf("Mint = %+v, %v", c, err)
		}
	}
	if runner.calls.Load() != 1 {
		t.Errorf("command ran %d times, want 1", runner.calls.Load())
	}
	// Another host under the same glob has its own token.
	if c, _ := rt.Mint(context.Background(), host(t, "b.exec.example"), nil); c.Secret != "exec-2" {
		t.Errorf("Mint(b) = %+v, want exec-2", c)
	}
}

func TestRouter_ListedUsername(t *testing.T) {
	rt, _, _ := newRouter(t, "https://auth.example.com/token")
	ctx := context.Background()
	root := store.Entry{ServerURL: "x", Username: "stored-user", Secret: "s"}
	for h, want := range map[string]string{
		"quay.io":        "oauth2accesstoken",
		"reg.example":    "<token>",
		"plain.example":  "tokenuser",
		"a.exec.example": "stored-user", // nothing cached yet
		"ghcr.io":        "stored-user",
	} {
		if got := rt.ListedUsername(ctx, host(t, h), root); got != want {
			t.Errorf("ListedUsername(%s) = %q, want %q", h, got, want)
		}
	}
	if _, err := rt.Mint(ctx, host(t, "a.exec.example"), nil); err != nil {
		t.Fatal(err)
	}
	if got := rt.ListedUsername(ctx, host(t, "a.exec.example"), root); got != "exec-user" {
		t.Errorf("ListedUsername after Mint = %q, want the cached exec-user", got)
	}
}

// TestRouter_Unstored: list names every configured registry that get
// serves with no root credential stored: a concrete exec entry (not a glob,
// not one an earlier entry shadows, not oauth2 or registry, which need a
// stored root), under the username get answers.
func TestRouter_Unstored(t *testing.T) {
	cfg, err := credentials.LoadConfig(strings.NewReader(`
registries:
  - match: "*.shadow.example"
    provider: oauth2
    token_url: https://auth.example.com/token
    username: oauth2accesstoken
  - match: a.shadow.example
    provider: exec
    command: [make-token]
    format: helper-json
  - match: localhost:5999
    provider: exec
    command: [make-token]
    format: plain
    username: bot
  - match: quay.io/org-a
    provider: exec
    command: [make-token]
    format: helper-json
  - match: "*.exec.example"
    provider: exec
    command: [make-token]
    format: helper-json
  - match: oauth.example
    provider: oauth2
    token_url: https://auth.example.com/token
    username: oauth2accesstoken
  - match: static.example
    provider: static
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(cfg, Options{Tokens: store.NewMemory(), LockDir: t.TempDir(), Providers: builtin.Factory(builtin.Options{Runner: &fakeRunner{}})})
	if err != nil {
		t.Fatal(err)
	}
	got := rt.Unstored(context.Background())
	want := map[string]string{"localhost:5999": "bot", "quay.io/org-a": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Unstored = %v, want %v", got, want)
	}
	if _, err := rt.Mint(context.Background(), host(t, "quay.io/org-a"), nil); err != nil {
		t.Fatal(err)
	}
	if got := rt.Unstored(context.Background())["quay.io/org-a"]; got != "exec-user" {
		t.Errorf("Unstored after Mint: quay.io/org-a as %q, want the cached token's exec-user", got)
	}
}

type failingRunner struct{ calls atomic.Int32 }

func (f *failingRunner) Run(context.Context, io.Reader, string, ...string) ([]byte, error) {
	f.calls.Add(1)
	return nil, errors.New("token service down")
}

// TestRouter_sharesFailures: a failed mint is answered to the next gets
// without running the command again, until Forget (a new root credential).
func TestRouter_sharesFailures(t *testing.T) {
	runner := &failingRunner{}
	rt, err := New(configFor(t, "https://auth.example.com/token"), Options{Tokens: store.NewMemory(), LockDir: t.TempDir(), Providers: builtin.Factory(builtin.Options{Runner: runner})})
	if err != nil {
		t.Fatal(err)
	}
	h := host(t, "a.exec.example")
	for range 3 {
		if _, err := rt.Mint(context.Background(), h, nil); err == nil {
			t.Fatal("Mint with a failing command succeeded")
		}
	}
	if n := runner.calls.Load(); n != 1 {
		t.Errorf("%d commands run for 3 gets, want 1 (the failure is shared)", n)
	}
	if err := rt.Forget(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	rt.Mint(context.Background(), h, nil)
	if n := runner.calls.Load(); n != 2 {
		t.Errorf("after Forget: %d commands run, want 2", n)
	}
}

func TestRouter_Forget(t *testing.T) {
	rt, tokens, _ := newRouter(t, "https://auth.example.com/token")
	ctx := context.Background()
	for _, k := range []string{"quay.io", "quay.io/team", "quay.io:5000", "quay.iox", "ghcr.io"} {
		_ = tokens.Put(ctx, k, store.Entry{ServerURL: k, Username: "u", Secret: "s"})
	}
	if err := rt.Forget(ctx, host(t, "quay.io/team/app")); err != nil {
		t.Fatal(err)
	}
	all, _ := tokens.List(ctx)
	var left []string
	for k := range all {
		left = append(left, k)
	}
	if len(all) != 3 || all["quay.io"].ServerURL != "" || all["quay.io/team"].ServerURL != "" {
		t.Errorf("after Forget(quay.io/...): %v, want quay.io:5000, quay.iox, ghcr.io", left)
	}
}

func TestRouter_configChangeIgnoresOldTokens(t *testing.T) {
	var requests atomic.Int32
	srv := tokenServer(t, &requests)
	tokens := store.NewMemory()
	root := &store.Entry{ServerURL: "quay.io", Username: "helper", Secret: "helpersecret"}
	for i, user := range []string{"first", "second"} {
		cfg, err := credentials.LoadConfig(strings.NewReader(fmt.Sprintf("registries: [{match: quay.io, provider: oauth2, token_url: %q, username: %s}]", srv.URL, user)), "c.yaml")
		if err != nil {
			t.Fatal(err)
		}
		rt, err := New(cfg, Options{Tokens: tokens, LockDir: t.TempDir(), Providers: builtin.Factory(builtin.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		c, err := rt.Mint(context.Background(), host(t, "quay.io"), root)
		if err != nil || c.Username != user || c.Secret != fmt.Sprint("at-", i+1) {
			t.Errorf("config %d: Mint = %+v, %v", i, c, err)
		}
	}
}

func TestNew_errors(t *testing.T) {
	if _, err := New(&credentials.Config{}, Options{}); err == nil {
		t.Error("New without a token store succeeded")
	}
	cfg := &credentials.Config{File: "f", Registries: []credentials.Registry{{Provider: credentials.ProviderOAuth2, TokenURL: "http://auth.example.com/token", Line: 3}}}
	// Without a provider factory the router only reads the token cache.
	ro, err := New(configFor(t, "https://auth.example.com/token"), Options{Tokens: store.NewMemory(), LockDir: t.TempDir()})
	if err != nil {
		t.Fatalf("New without a provider factory: %v", err)
	}
	root := &store.Entry{ServerURL: "quay.io", Username: "u", Secret: "s"}
	if _, ok, err := ro.Fresh(context.Background(), credentials.Host{Name: "quay.io"}, root); ok || err != nil {
		t.Errorf("read-only router: Fresh of an empty cache = %v, %v", ok, err)
	}
	if _, _, err := ro.Fresh(context.Background(), credentials.Host{Name: "quay.io"}, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("read-only router: Fresh with no root = %v, want not found", err)
	}
	if _, err := ro.Mint(context.Background(), credentials.Host{Name: "quay.io"}, root); err == nil || !strings.Contains(err.Error(), "cannot mint") {
		t.Errorf("read-only router: Mint = %v, want cannot mint", err)
	}
	if _, err := New(cfg, Options{Tokens: store.NewMemory(), Providers: builtin.Factory(builtin.Options{})}); err == nil || !strings.Contains(err.Error(), "config f:3") {
		t.Errorf("New(http token URL) = %v", err)
	}
}

// The cross-process child: a whole get through the Router, with the token
// cache and the root store shared as files.
func TestMain(m *testing.M) {
	if os.Getenv("MINT_ROUTER_CHILD") != "" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

func childMain() int {
	cfg, err := credentials.LoadConfig(strings.NewReader(fmt.Sprintf(
		"registries: [{match: quay.io, provider: oauth2, token_url: %q, username: oauth2accesstoken}]", os.Getenv("MINT_ROUTER_URL"))), "child.yaml")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	roots := dirstore.Store{Dir: os.Getenv("MINT_ROUTER_ROOTS")}
	rt, err := New(cfg, Options{Tokens: dirstore.Store{Dir: os.Getenv("MINT_ROUTER_TOKENS")}, Roots: roots,
		Providers: builtin.Factory(builtin.Options{}), LockDir: os.Getenv("MINT_ROUTER_LOCKS"), Warn: func(s string) { fmt.Fprintln(os.Stderr, s) }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	root, err := roots.Get(ctx, "quay.io")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c, err := rt.Mint(ctx, credentials.Host{Name: "quay.io"}, &root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(c.Username, c.Secret)
	return 0
}

// TestRouter_Mint_crossProcess: 50 processes get quay.io at once with an
// empty token cache; the token endpoint sees one request and every process
// prints its token.
func TestRouter_Mint_crossProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	var requests atomic.Int32
	srv := tokenServer(t, &requests)
	roots, tokens, locks := t.TempDir(), t.TempDir(), t.TempDir()
	if err := (dirstore.Store{Dir: roots}).Put(context.Background(), "quay.io", store.Entry{ServerURL: "quay.io", Username: "helper", Secret: "helpersecret"}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	outs := make([]strings.Builder, n)
	errs := make([]strings.Builder, n)
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^$")
		cmds[i].Env = append(os.Environ(), "MINT_ROUTER_CHILD=1", "MINT_ROUTER_URL="+srv.URL+"/token",
			"MINT_ROUTER_ROOTS="+roots, "MINT_ROUTER_TOKENS="+tokens, "MINT_ROUTER_LOCKS="+locks)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &errs[i]
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("child %d: %v: %s", i, err, errs[i].String())
		}
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("%d processes made %d token requests, want 1", n, got)
	}
	for i := range outs {
		if got := strings.TrimSpace(outs[i].String()); got != "oauth2accesstoken at-1" {
			t.Errorf("child %d printed %q", i, got)
		}
	}
	t.Logf("%d processes, %d token request(s)", n, requests.Load())
}
