// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
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
	m, err := o.wiring().Helper.List(context.Background())
	if err != nil || m[credentials.DockerHubServerURL] != "alice" {
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
	c, err := o.wiring().Helper.Get(context.Background(), "registry.example.com")
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
	c, err = o.wiring().Helper.Get(context.Background(), "registry.example.com")
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
	tokens, err := o.env(nil).OpenBackend(context.Background(), "file", wire.NSTokens)
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
	out, errs, code := s.Exec(canary+"\n", "login", "localhost:5000", "--username", "ci", "--password-stdin")
	if code != 0 || errs != "" || out != "Login Succeeded: localhost:5000 as ci (provider static, keychain file)\n" {
		t.Fatalf("login: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := s.Must("http://localhost:5000/v2/", "get"); !strings.Contains(got, canary) {
		t.Errorf("get after login = %q", got)
	}
	out = s.Must("", "status", "--json")
	var rows []statusRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].Key != "localhost:5000" || rows[0].Username != "ci" {
		t.Errorf("status --json = %s (%v)", out, err)
	}
	if out := s.Must("", "logout", "localhost:5000"); !strings.HasPrefix(out, "Removed") {
		t.Errorf("logout = %q", out)
	}
	if out, _, code := s.Exec("localhost:5000", "get"); code != 1 || out != "credentials not found in native keychain\n" {
		t.Errorf("get after logout = %q", out)
	}
}

// configFile is where the opEnv's config file lives.
const configFile = "config/docker-credential-mint/config.yaml"

// TestLogin_providerOAuth2 sets up an oauth2 registry with one command:
// the config file is created with the entry, the client secret is proven
// and stored, and get answers the proof's token.
func TestLogin_providerOAuth2(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	o := newOpEnv(t)
	srv, calls := tokenServer(t)
	out := o.must("good\n", "login", "registry.example.com", "-u", "client-1", "--password-stdin",
		"--provider", "oauth2", "--token-url", srv.URL+"/token", "--scope", "registry.pull", "--scope", "registry.push",
		"--token-username", "oauth2accesstoken", "--refresh-before", "2m", "--timeout", "20s")
	out = strings.ReplaceAll(out, o.home, "$HOME")
	lines := strings.Split(out, "\n")
	if len(lines) != 3 || lines[0] != "$HOME/"+configFile+": added the oauth2 entry for registry.example.com" ||
		!strings.HasPrefix(lines[1], "Login Succeeded: registry.example.com as client-1 (provider oauth2 minted a token valid for ") {
		t.Errorf("login = %q", out)
	}
	want := "# docker-credential-mint config (README: Short-lived tokens: providers).\nregistries:\n" +
		"  - match: registry.example.com\n    provider: oauth2\n    token_url: \"" + srv.URL + "/token\"\n    grant: client_credentials\n" +
		"    scopes: [registry.pull, registry.push]\n    username: oauth2accesstoken\n    refresh_before: 2m0s\n    timeout: 20s\n"
	if got := o.read(configFile); got != want {
		t.Errorf("config file:\n%s\nwant\n%s", got, want)
	}
	if fi, err := os.Stat(o.path(configFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config file mode: %v", err)
	}
	c, err := o.wiring().Helper.Get(context.Background(), "registry.example.com")
	if err != nil || c.Username != "oauth2accesstoken" || c.Secret != "access-"+canary+"-1" || calls.Load() != 1 {
		t.Errorf("get after login = %q, %v after %d token requests; want the proof's token", c.Username, err, calls.Load())
	}
	if e, _ := o.root("registry.example.com"); e.Username != "client-1" || e.Secret != "good" {
		t.Errorf("root credential = %q", e.Username)
	}
	if strings.Contains(out, canary) {
		t.Errorf("login printed the token")
	}

	// The same command again changes nothing in the file.
	out = o.must("good\n", "login", "registry.example.com", "-u", "client-1", "--password-stdin",
		"--provider", "oauth2", "--token-url", srv.URL+"/token", "--scope", "registry.pull", "--scope", "registry.push",
		"--token-username", "oauth2accesstoken", "--refresh-before", "2m", "--timeout", "20s")
	if !strings.Contains(out, ": the oauth2 entry for registry.example.com is unchanged\n") || o.read(configFile) != want {
		t.Errorf("second login = %q", out)
	}
}

// mintConfig is a config file with comments, a keychain and three entries,
// the middle one for registry.example.com.
const mintConfig = `# my registries
keychain: file   # CI
registries:
  - match: quay.io/org-a      # robots
    provider: static
  - match: registry.example.com
    provider: registry
    lifetime: 1h
  # the rest
  - match: "*.example.org"
    provider: registry
`

// TestLogin_providerReplaces: the entry for the registry is replaced in
// place and every other byte of the file stays.
func TestLogin_providerReplaces(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	o := newOpEnv(t)
	srv, _ := tokenServer(t)
	o.write(configFile, mintConfig)
	if err := os.Chmod(o.path(configFile), 0o644); err != nil {
		t.Fatal(err)
	}
	out := o.must("good", "login", "https://registry.example.com/v2/", "-u", "client-1", "--password-stdin",
		"--provider", "oauth2", "--token-url", srv.URL+"/token", "--token-username", "oauth2accesstoken")
	if !strings.Contains(out, ": replaced the entry for registry.example.com (line 6, provider registry) with a oauth2 entry\n") {
		t.Errorf("login = %q", out)
	}
	want := strings.Replace(mintConfig, "    provider: registry\n    lifetime: 1h\n",
		"    provider: oauth2\n    token_url: \""+srv.URL+"/token\"\n    grant: client_credentials\n    username: oauth2accesstoken\n", 1)
	if got := o.read(configFile); got != want {
		t.Errorf("config file:\n%s\nwant\n%s", got, want)
	}
	if fi, err := os.Stat(o.path(configFile)); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("config file mode changed: %v", err)
	}

	// A host the glob matches gets its own entry before the glob.
	o.must("pw", "login", "a.example.org", "-u", "u", "--password-stdin", "--provider", "static")
	if got := o.read(configFile); !strings.Contains(got, "  # the rest\n  - match: a.example.org\n    provider: static\n  - match: \"*.example.org\"\n") {
		t.Errorf("config file after the static login:\n%s", got)
	}
	if e, _ := o.root("a.example.org"); e.Secret != "pw" {
		t.Errorf("a.example.org not stored")
	}
}

// TestLogin_providerProofFails: a credential the new provider refuses
// leaves the config file and the stored credential as they were.
func TestLogin_providerProofFails(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	o := newOpEnv(t)
	srv, _ := tokenServer(t)
	o.write(configFile, mintConfig)
	o.store("registry.example.com", "old-user", canary)
	for _, secret := range []string{"bad", canary} {
		out, errs, code := o.run(secret, "login", "registry.example.com", "-u", "client-2", "--password-stdin",
			"--provider", "oauth2", "--token-url", srv.URL+"/token", "--token-username", "oauth2accesstoken")
		errs = strings.ReplaceAll(errs, o.home, "$HOME")
		if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "not stored") ||
			!strings.Contains(errs, "$HOME/"+configFile+" is unchanged") || !strings.Contains(errs, "invalid_client") || strings.Contains(errs, canary) {
			t.Errorf("login refused: exit %d, stdout %q, stderr %q", code, out, errs)
		}
	}
	if got := o.read(configFile); got != mintConfig {
		t.Errorf("config file changed by a failed login:\n%s", got)
	}
	if e, _ := o.root("registry.example.com"); e.Username != "old-user" || e.Secret != canary {
		t.Errorf("stored credential changed by a failed login: %q", e.Username)
	}

	// No config file before: none after.
	o2 := newOpEnv(t)
	if _, _, code := o2.run("bad", "login", "registry.example.com", "-u", "c", "--password-stdin",
		"--provider", "oauth2", "--token-url", srv.URL+"/token", "--token-username", "x"); code != 1 {
		t.Errorf("login refused: exit %d", code)
	}
	if _, err := os.Stat(o2.path(configFile)); err == nil {
		t.Error("a failed login created the config file")
	}
}

// TestLogin_providerStoreFails: when the keychain refuses the credential
// after the config file was written, the file is put back.
func TestLogin_providerStoreFails(t *testing.T) {
	o := newOpEnv(t)
	o.write(configFile, mintConfig)
	o.write("blocker", "a file where the file store wants a directory")
	o.vars[wire.EnvDataDir] = o.path("blocker/store")
	out, errs, code := o.run("pw", "login", "quay.io/org-b", "-u", "u", "--password-stdin", "--provider", "static")
	errs = strings.ReplaceAll(errs, o.home, "$HOME")
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.HasSuffix(errs, "; $HOME/"+configFile+" is back as it was\n") {
		t.Errorf("login with a broken keychain: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := o.read(configFile); got != mintConfig {
		t.Errorf("config file not restored:\n%s", got)
	}
}

// TestLogin_providerExec: an exec registry whose command gets the stored
// secret on stdin; its argv follows "--", flags and all.
func TestLogin_providerExec(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	o := newOpEnv(t)
	cmd := o.path("bin/make-token")
	if err := os.WriteFile(cmd, []byte("#!/bin/sh\n[ \"$1 $2\" = '--audience registry' ] || exit 3\nread -r s\necho \"tok-$s\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := o.must(canary, "login", "localhost:5000", "-u", "ci", "--password-stdin", "--provider", "exec",
		"--token-username", "token", "--lifetime", "10m", "--", cmd, "--audience", "registry")
	if !strings.Contains(out, "Login Succeeded: localhost:5000 as ci (provider exec minted a token valid for 10m0s") {
		t.Errorf("login = %q", out)
	}
	if got := o.read(configFile); !strings.Contains(got, "    command: ["+cmd+", \"--audience\", registry]\n    format: plain\n    username: token\n    lifetime: 10m0s\n") {
		t.Errorf("config file:\n%s", got)
	}
	c, err := o.wiring().Helper.Get(context.Background(), "localhost:5000")
	if err != nil || c.Username != "token" || c.Secret != "tok-"+canary {
		t.Errorf("get = %q, %v", c.Username, err)
	}
}

// TestLogin_providerExecNoSecret: an exec registry whose command needs no
// secret is set up without one; a secret stored before is removed, so the
// command's stdin stays empty.
func TestLogin_providerExecNoSecret(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	o := newOpEnv(t)
	o.store("localhost:5000", "old", canary)
	cmd := o.path("bin/make-token")
	if err := os.WriteFile(cmd, []byte("#!/bin/sh\nin=$(cat)\necho \"tok-[$in]\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := o.must("", "login", "localhost:5000", "--no-secret", "--provider", "exec", "--token-username", "token", "--lifetime", "10m", "--", cmd)
	if !strings.Contains(out, "Login Succeeded: localhost:5000, no secret stored (provider exec minted a token valid for 10m0s") || strings.Contains(out, canary) {
		t.Errorf("login = %q", out)
	}
	c, err := o.wiring().Helper.Get(context.Background(), "localhost:5000")
	if err != nil || c.Username != "token" || c.Secret != "tok-[]" {
		t.Errorf("get = %q %q, %v; want the token minted with an empty stdin", c.Username, c.Secret, err)
	}
	if _, err := o.wiring().Roots.Get(context.Background(), "localhost:5000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stored root after --no-secret: %v, want none", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-secret"}, "--no-secret needs --provider exec"},
		{[]string{"--no-secret", "--provider", "exec", "--token-username", "t", "-u", "x", "--", cmd}, "--no-secret takes no --username"},
	} {
		_, errs, code := o.run("", "login", append([]string{"localhost:5000"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("login %v: exit %d, stderr %q; want %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestLogin_providerUsageErrors(t *testing.T) {
	o := newOpEnv(t)
	o.write(configFile, mintConfig)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--token-url", "https://a.example/t"}, "--token-url needs --provider"},
		{[]string{"--scope", "x"}, "--scope needs --provider"},
		{[]string{"--", "/bin/true"}, "a command after -- needs --provider"},
		{[]string{"--provider", "oauth2"}, "--token-url: required for provider oauth2"},
		{[]string{"--provider", "oauth2", "--token-url", "https://a.example/t"}, "--token-username: required for provider oauth2"},
		{[]string{"--provider", "oauth2", "--token-url", "http://a.example/t", "--token-username", "x"}, "--token-url: plain http is allowed only for loopback hosts or with insecure: true"},
		{[]string{"--provider", "oauth2", "--token-url", "https://u:p@a.example/t", "--token-username", "x"}, "--token-url: must not contain user information"},
		{[]string{"--provider", "oauth2", "--token-url", "https://a.example/t", "--token-username", "x", "--grant", "password"}, `--grant: "password" is not one of client_credentials, refresh_token`},
		{[]string{"--provider", "oauth2", "--token-url", "https://a.example/t", "--token-username", "x", "--client-id", "c"}, "--client-id: only for grant refresh_token"},
		{[]string{"--provider", "registry", "--token-url", "https://a.example/t"}, "--token-url: not valid for provider registry"},
		{[]string{"--provider", "registry", "--refresh-before", "soon"}, `--refresh-before: "soon" is not a duration`},
		{[]string{"--provider", "registry", "--lifetime", "-1m"}, "--lifetime: must be positive"},
		{[]string{"--provider", "static", "--insecure"}, "--insecure: not valid for provider static"},
		{[]string{"--provider", "exec", "--token-username", "t"}, "the command after --: required for provider exec"},
		{[]string{"--provider", "exec", "--", "/bin/true"}, "--token-username: required for format plain"},
		{[]string{"--provider", "ecr"}, "--provider ecr: login sets up static, exec, oauth2 and registry"},
		{[]string{"--provider", "bogus"}, `--provider: "bogus" is not one of`},
		{[]string{"--password", "pw"}, "flag provided but not defined: -password"},
	} {
		args := append([]string{"registry.example.com", "-u", "u", "--password-stdin"}, tc.args...)
		out, errs, code := o.run(canary, "login", args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 || strings.Contains(errs, canary) {
			t.Errorf("login %v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, code, out, errs, tc.want)
		}
	}
	if got := o.read(configFile); got != mintConfig {
		t.Errorf("a refused login changed the config file:\n%s", got)
	}
	if _, ok := o.root("registry.example.com"); ok {
		t.Error("a refused login stored something")
	}
}

// TestLogin_providerBrokenConfig: a config file that does not load is left
// alone, with the loader's reason.
func TestLogin_providerBrokenConfig(t *testing.T) {
	o := newOpEnv(t)
	o.write(configFile, "registries:\n  - match: quay.io\n    provider: static\n    colour: blue\n")
	_, errs, code := o.run("pw", "login", "quay.io", "-u", "u", "--password-stdin", "--provider", "static")
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "colour: invalid config: unknown key; fix it first") {
		t.Errorf("login with a broken config: exit %d, %q", code, errs)
	}
	roots, err := o.env(nil).OpenBackend(context.Background(), "file", wire.NSCredentials)
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := roots.List(context.Background()); err != nil || len(keys) != 0 {
		t.Errorf("stored %v despite the broken config (%v)", keys, err)
	}
}

func TestLogin_help(t *testing.T) {
	o := newOpEnv(t)
	golden(t, "help-login", o.home, o.must("", "login", "--help"))
}

// TestBinary_loginProvider: the binary sets up an oauth2 registry and get
// answers a minted token.
func TestBinary_loginProvider(t *testing.T) {
	o := newOpEnv(t)
	srv, _ := tokenServer(t)
	s := o.sandbox()
	out, errs, code := s.Exec("good\n", "login", "registry.example.com", "-u", "client-1", "--password-stdin",
		"--provider", "oauth2", "--token-url", srv.URL+"/token", "--token-username", "oauth2accesstoken")
	if code != 0 || errs != "" || !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("login: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := s.Must("registry.example.com", "get"); !strings.Contains(got, `"Username":"oauth2accesstoken","Secret":"access-`+canary) {
		t.Errorf("get = %q", got)
	}
}
