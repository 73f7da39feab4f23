// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

const canary = "canary-3d9a-never-printed"

func TestLogin_static(t *testing.T) {
	o := newOpEnv(t)
	out := o.must(canary+"\n", "login", "Quay.IO:443", "--username", "robot", "--password-stdin")
	if out != "Login Succeeded: quay.io as robot (provider static, keychain file)\n" {
		t.Errorf("login = %q", out)
	}
	e, ok := o.root("https://quay.io/v2/")
	if !ok || e.Username != "robot" || e.Secret != canary || e.ServerURL != "quay.io" {
		t.Errorf("stored %+v (found %v), want quay.io robot with the secret", e, ok)
	}
	// A second login replaces the first, as store does.
	o.must("second\r\n", "login", "quay.io", "-u", "other", "--password-stdin")
	if e, _ := o.root("quay.io"); e.Username != "other" || e.Secret != "second" {
		t.Errorf("after re-login: %+v", e)
	}
}

func TestLogin_dockerHubKey(t *testing.T) {
	o := newOpEnv(t)
	o.must("pw", "login", "docker.io", "--username", "alice", "--password-stdin")
	m, err := o.wiring().helper.List(context.Background())
	if err != nil || m[dockerHubServerURL] != "alice" {
		t.Errorf("list = %v, %v; want the Docker CLI's Hub key", m, err)
	}
}

func TestLogin_usageErrors(t *testing.T) {
	o := newOpEnv(t)
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", nil, "want one REGISTRY"},
		{"pw", []string{"quay.io"}, "stdin is not a terminal"},
		{"pw", []string{"quay.io", "--password-stdin"}, "--password-stdin needs --username"},
		{"", []string{"quay.io", "-u", "x", "--password-stdin"}, "no password on stdin"},
		{"pw", []string{"ftp://quay.io", "-u", "x", "--password-stdin"}, "invalid server URL"},
		{"pw", []string{"a", "b", "-u", "x", "--password-stdin"}, "want one REGISTRY"},
	} {
		out, errs, code := o.run(tc.stdin, "login", tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("login %v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, code, out, errs, tc.want)
		}
	}
	if _, ok := o.root("quay.io"); ok {
		t.Error("a failed login stored something")
	}
}

func TestLogin_expiredJWT(t *testing.T) {
	o := newOpEnv(t)
	jwt := testJWT(t, 1_000_000_000) // 2001
	out, errs, code := o.run(jwt, "login", "ghcr.io", "-u", "me", "--password-stdin")
	if code != 1 || out != "" || !strings.Contains(errs, "already expired") || strings.Contains(errs, jwt) {
		t.Errorf("login with an expired JWT: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, ok := o.root("ghcr.io"); ok {
		t.Error("an expired credential was stored")
	}
}

// tokenServer is an OAuth2 token endpoint (client-credentials grant) that
// accepts the client secret "good" and counts its requests.
func tokenServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, secret, _ := r.BasicAuth()
		if secret == "" {
			_ = r.ParseForm()
			secret = r.PostForm.Get("client_secret")
		}
		w.Header().Set("Content-Type", "application/json")
		if secret != "good" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"bad client secret"}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":"access-%s-%d","token_type":"bearer","expires_in":3600}`, canary, calls.Load())
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// withOAuth2 writes a config file making registry.example.com an oauth2
// registry served by srv.
func (o *opEnv) withOAuth2(srv *httptest.Server) {
	o.write("config/docker-credential-mint/config.yaml", `registries:
  - match: registry.example.com
    provider: oauth2
    token_url: `+srv.URL+`/token
    username: oauth2accesstoken
`)
}

func TestLogin_provesMintedCredential(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir()) // the refresh lock files
	o := newOpEnv(t)
	srv, calls := tokenServer(t)
	o.withOAuth2(srv)

	out := o.must("good\n", "login", "registry.example.com", "--username", "client-1", "--password-stdin")
	if !strings.HasPrefix(out, "Login Succeeded: registry.example.com as client-1 (provider oauth2 minted a token valid for ") || !strings.Contains(out, "; keychain file)") {
		t.Errorf("login = %q", out)
	}
	if strings.Contains(out, canary) {
		t.Errorf("login printed the token: %q", out)
	}
	// The proof's token went to the cache: get does not mint again.
	c, err := o.wiring().helper.Get(context.Background(), "registry.example.com")
	if err != nil || c.Secret != "access-"+canary+"-1" || calls.Load() != 1 {
		t.Errorf("get after login = %+v, %v after %d token requests; want the proof's token", c, err, calls.Load())
	}

	// A credential the endpoint refuses is not stored; the good one stays,
	// and so does its token.
	out, errs, code := o.run("bad\n", "login", "registry.example.com", "-u", "client-2", "--password-stdin")
	if code != 1 || out != "" || !strings.Contains(errs, "not stored") || !strings.Contains(errs, "invalid_client") || strings.Count(errs, "\n") != 1 {
		t.Errorf("login with a refused secret: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if e, _ := o.root("registry.example.com"); e.Username != "client-1" || e.Secret != "good" {
		t.Errorf("the refused login replaced the root credential: user %q", e.Username)
	}
	c, err = o.wiring().helper.Get(context.Background(), "registry.example.com")
	if err != nil || c.Secret != "access-"+canary+"-1" {
		t.Errorf("get after the refused login = %v, %v", c.Username, err)
	}
}

func TestLogout(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	o := newOpEnv(t)
	if out := o.must("", "logout", "quay.io"); out != "Not logged in to quay.io: nothing was stored (keychain file)\n" {
		t.Errorf("logout of nothing = %q", out)
	}
	srv, _ := tokenServer(t)
	o.withOAuth2(srv)
	o.must("good", "login", "registry.example.com", "-u", "c", "--password-stdin")
	if out := o.must("", "logout", "https://registry.example.com/v2/"); out != "Removed the credential for registry.example.com and its cached tokens (keychain file)\n" {
		t.Errorf("logout = %q", out)
	}
	if _, ok := o.root("registry.example.com"); ok {
		t.Error("root credential still stored after logout")
	}
	tokens, err := o.env(nil).openBackend(context.Background(), "file", nsTokens)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := tokens.List(context.Background()); err != nil || len(m) != 0 {
		t.Errorf("tokens after logout = %v, %v", m, err)
	}
}

// TestBinary_loginStatusLogout runs the commands through the real binary.
func TestBinary_loginStatusLogout(t *testing.T) {
	o := newOpEnv(t)
	s := o.sandbox()
	out, errs, code := s.exec(canary+"\n", "login", "localhost:5000", "--username", "ci", "--password-stdin")
	if code != 0 || errs != "" || out != "Login Succeeded: localhost:5000 as ci (provider static, keychain file)\n" {
		t.Fatalf("login: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := s.must("http://localhost:5000/v2/", "get"); !strings.Contains(got, canary) {
		t.Errorf("get after login = %q", got)
	}
	out = s.must("", "status", "--json")
	var rows []statusRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].Key != "localhost:5000" || rows[0].Username != "ci" {
		t.Errorf("status --json = %s (%v)", out, err)
	}
	if out := s.must("", "logout", "localhost:5000"); !strings.HasPrefix(out, "Removed") {
		t.Errorf("logout = %q", out)
	}
	if out, _, code := s.exec("localhost:5000", "get"); code != 1 || out != "credentials not found in native keychain\n" {
		t.Errorf("get after logout = %q", out)
	}
}
