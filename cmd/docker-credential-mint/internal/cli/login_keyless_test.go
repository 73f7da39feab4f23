// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

// keylessEndpoint is a token endpoint taking any jwt_bearer assertion or
// token_exchange subject token that is the given JWT.
func keylessEndpoint(t *testing.T, jwt string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("assertion") != jwt && r.PostForm.Get("subject_token") != jwt {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		if r.PostForm.Get("audience") != "registry.example.com" {
			t.Errorf("audience = %q", r.PostForm.Get("audience"))
		}
		io.WriteString(w, `{"access_token":"`+canary+`-at","token_type":"Bearer","expires_in":600}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestLogin_keylessProvider: login writes a keyless entry from its flags
// (identity block and all), proves it by an exchange, and stores no
// secret; the entry reads back as written.
func TestLogin_keylessProvider(t *testing.T) {
	o := newOpEnv(t)
	jwt := claimsJWT(t, map[string]any{"iss": "https://idp", "aud": "sts", "exp": time.Now().Add(time.Hour).Unix()})
	o.write("sa-token", jwt)
	srv := keylessEndpoint(t, jwt)
	out := o.must("", "login", "registry.example.com", "--provider", "oauth2", "--grant", "jwt_bearer", "--token-url", srv.URL+"/token",
		"--audience", "registry.example.com", "--token-username", "oauth2accesstoken",
		"--identity-source", "kubernetes", "--identity-path", o.path("sa-token"))
	if !strings.Contains(out, "added the oauth2 entry for registry.example.com\nLogin Succeeded: registry.example.com, no secret stored (provider oauth2 minted a token valid for 10m0s") {
		t.Errorf("login = %q", out)
	}
	want := `registries:
  - match: registry.example.com
    provider: oauth2
    token_url: "` + srv.URL + `/token"
    grant: jwt_bearer
    username: oauth2accesstoken
    audience: registry.example.com
    identity:
      source: kubernetes
      path: ` + o.path("sa-token") + `
`
	if got := o.read("config/docker-credential-mint/config.yaml"); !strings.HasSuffix(got, want) {
		t.Errorf("config =\n%s\nwant it to end\n%s", got, want)
	}
	if _, err := o.wiring().Roots.Get(context.Background(), "registry.example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a keyless login stored a root: %v", err)
	}
	// The same login again changes nothing.
	out = o.must("", "login", "registry.example.com", "--provider", "oauth2", "--grant", "jwt_bearer", "--token-url", srv.URL+"/token",
		"--audience", "registry.example.com", "--token-username", "oauth2accesstoken",
		"--identity-source", "kubernetes", "--identity-path", o.path("sa-token"))
	if !strings.Contains(out, "the oauth2 entry for registry.example.com is unchanged") {
		t.Errorf("second login = %q", out)
	}
}

// TestLogin_keylessExecIdentity: with --identity-source exec, the command
// after -- is the identity block's command.
func TestLogin_keylessExecIdentity(t *testing.T) {
	echo, err := exec.LookPath("echo")
	if err != nil || !strings.HasPrefix(echo, "/") {
		t.Skip("no echo program")
	}
	o := newOpEnv(t)
	jwt := claimsJWT(t, map[string]any{"aud": "sts", "exp": time.Now().Add(time.Hour).Unix()})
	srv := keylessEndpoint(t, jwt)
	o.must("", "login", "registry.example.com", "--provider", "oauth2", "--grant", "token_exchange", "--token-url", srv.URL+"/token",
		"--audience", "registry.example.com", "--token-username", "oauth2accesstoken", "--identity-source", "exec", "--identity-timeout", "5s", "--", echo, jwt)
	got := o.read("config/docker-credential-mint/config.yaml")
	if !strings.Contains(got, "    identity:\n      source: exec\n      command: ["+echo+", "+jwt+"]\n      timeout: 5s\n") {
		t.Errorf("config =\n%s", got)
	}
}

// TestLogin_keylessUsageErrors: bad combinations of the identity flags are
// refused in one line, by the config loader's own checks, and nothing is
// written.
func TestLogin_keylessUsageErrors(t *testing.T) {
	o := newOpEnv(t)
	base := []string{"registry.example.com", "--provider", "oauth2", "--token-url", "https://sts.example/t", "--token-username", "x"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--grant", "token_exchange"}, "--identity-source: required for grant token_exchange"},
		{[]string{"--identity-source", "github-actions"}, "--identity-source: only for grant token_exchange or jwt_bearer"},
		{[]string{"--audience", "r"}, "--audience: only for grant token_exchange or jwt_bearer"},
		{[]string{"--grant", "jwt_bearer", "--identity-source", "nope"}, `--identity-source: "nope" is not one of github-actions, gitlab, kubernetes, file, exec, kubelet`},
		{[]string{"--grant", "jwt_bearer", "--identity-path", "/t"}, "--identity-source: required"},
		{[]string{"--grant", "jwt_bearer", "--identity-source", "kubernetes"}, "--identity-path: required for source kubernetes"},
		{[]string{"--grant", "jwt_bearer", "--identity-source", "file", "--identity-path", "rel/token"}, "--identity-path: must be an absolute path"},
		{[]string{"--grant", "jwt_bearer", "--identity-source", "github-actions", "--identity-path", "/t"}, "--identity-path: not valid for source github-actions"},
		{[]string{"--grant", "jwt_bearer", "--identity-source", "gitlab"}, "--identity-env: required for source gitlab"},
		{[]string{"--grant", "jwt_bearer", "--identity-source", "exec"}, "the command after --: required for source exec"},
		{[]string{"--grant", "jwt_bearer", "--identity-source", "file", "--identity-path", "/t", "--", "/bin/true"}, "the command after --: not valid for provider oauth2"},
		{[]string{"--grant", "jwt_bearer", "--identity-source", "github-actions", "--identity-timeout", "soon"}, `--identity-timeout: "soon" is not a duration`},
		{[]string{"--no-secret"}, "--no-secret needs --provider exec (or an oauth2 keyless grant)"},
	} {
		out, errs, code := o.run("", "login", append(base, tc.args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("login %v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, code, out, errs, tc.want)
		}
	}
}
