// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keylesstest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/oauth2"
)

const (
	audience      = "sts.mint.test" // the audience the server wants in subject tokens
	serverStartup = 45 * time.Second
)

func TestMain(m *testing.M) {
	code := m.Run()
	clitest.Cleanup()
	os.Exit(code)
}

// server is a running oidc-server.mjs in keyless mode.
type server struct {
	url          string // the issuer: POST /token, GET /ci/token, GET /stats
	clientID     string // the public client allowed the keyless grants
	requestToken string // the bearer token of GET /ci/token (GitHub's ACTIONS_ID_TOKEN_REQUEST_TOKEN)
	ccID         string // the confidential client, which may introspect
	ccSecret     string
}

type stats struct {
	TokenRequests  int            `json:"token_requests"`
	CITokens       int            `json:"ci_tokens"`
	Exchanges      int            `json:"exchanges"`
	ExchangeErrors int            `json:"exchange_errors"`
	BySubject      map[string]int `json:"exchanges_by_subject"`
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// need skips t (fails it in CI) when what is missing.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: %v", what, err)
	}
	t.Skipf("%s: %v (run .ci/install-tokenchain.sh)", what, err)
}

// startServer starts the launcher on a free port (access tokens living
// ttl; extra adds to its environment) and stops it by its PID when t ends.
func startServer(t *testing.T, ttl time.Duration, extra ...string) *server {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the launcher runs on Unix")
	}
	node, err := exec.LookPath("node")
	need(t, "node", err)
	tools := os.Getenv("MINT_TOOLS")
	if tools == "" {
		home, _ := os.UserHomeDir()
		tools = filepath.Join(home, ".cache", "mint-tools")
	}
	modules := filepath.Join(tools, "oidc")
	_, err = os.Stat(filepath.Join(modules, "node_modules", "oidc-provider", "package.json"))
	need(t, "oidc-provider", err)
	launcher, err := filepath.Abs(filepath.Join("..", "..", "e2e", "tokenchain", "oidc-server.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	s := &server{clientID: "keyless-" + randHex(4), requestToken: "ci-request-" + randHex(16), ccID: "cc-" + randHex(4), ccSecret: randHex(16)}
	dir := t.TempDir()
	cmd := exec.Command(node, launcher)
	cmd.Dir = dir
	// Secrets go in the environment, never argv.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8",
		"MINT_OIDC_MODULES=" + modules,
		"MINT_OIDC_CLIENT_ID=" + s.ccID, "MINT_OIDC_CLIENT_SECRET=" + s.ccSecret,
		fmt.Sprintf("MINT_OIDC_TTL=%d", int(ttl/time.Second)),
		"MINT_OIDC_PORT=0",
		"MINT_OIDC_KEYLESS_AUDIENCE=" + audience,
		"MINT_OIDC_KEYLESS_CLIENT_ID=" + s.clientID,
		"MINT_OIDC_CI_REQUEST_TOKEN=" + s.requestToken,
	}
	cmd.Env = append(cmd.Env, extra...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "stderr.log"))
			t.Logf("oidc-server stderr:\n%s", b)
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				found <- strings.TrimSpace(u)
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("oidc-server exited before listening")
		}
		s.url = u
	case <-time.After(serverStartup):
		t.Fatalf("oidc-server: no \"listening on\" line after %v", serverStartup)
	}
	return s
}

var hc = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}

func (s *server) stats(t *testing.T) (st stats) {
	t.Helper()
	resp, err := hc.Get(s.url + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// ciToken asks the CI stand-in for a JWT for aud living ttl seconds.
func (s *server) ciToken(t *testing.T, aud string, ttl int) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/ci/token?audience=%s&ttl=%d", s.url, url.QueryEscape(aud), ttl), nil)
	req.Header.Set("Authorization", "bearer "+s.requestToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Value string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.Value == "" {
		t.Fatalf("GET /ci/token: %s, %v", resp.Status, err)
	}
	return v.Value
}

// actionsEnv is the environment GitHub Actions gives a job with
// id-token: write, pointing at the stand-in.
func (s *server) actionsEnv() map[string]string {
	return map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   s.url + "/ci/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": s.requestToken,
	}
}

func (s *server) registry(grant string, id credentials.Identity) credentials.Registry {
	return credentials.Registry{
		Provider: credentials.ProviderOAuth2, TokenURL: s.url + "/token", Grant: grant,
		ClientID: s.clientID, Username: "oauth2", Audience: "registry.mint.test", Identity: &id,
	}
}

var host = credentials.Host{Name: "registry.mint.test"}

// TestOAuth2_keylessRealServer: both grants against the real server, the
// identity from the GitHub Actions stand-in; the server refuses a subject
// token with another audience or a broken signature, and the error says so
// without showing the token.
func TestOAuth2_keylessRealServer(t *testing.T) {
	s := startServer(t, 600*time.Second)
	env := s.actionsEnv()
	getenv := func(k string) string { return env[k] }
	for _, grant := range []string{credentials.GrantTokenExchange, credentials.GrantJWTBearer} {
		t.Run(grant, func(t *testing.T) {
			before := s.stats(t)
			p, err := oauth2.New(s.registry(grant, credentials.Identity{Source: credentials.IdentityGitHubActions, Audience: audience}), oauth2.Options{Getenv: getenv})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			tok, err := p.Token(context.Background(), host, nil)
			if err != nil {
				t.Fatal(err)
			}
			// expires_in is the server's access token life (600 s).
			if tok.Username != "oauth2" || tok.Secret == "" || tok.Expiry.Before(start.Add(599*time.Second)) || tok.Expiry.After(time.Now().Add(600*time.Second)) {
				t.Errorf("Token = %+v, want an access token living 600 s", tok)
			}
			after := s.stats(t)
			if after.Exchanges-before.Exchanges != 1 || after.CITokens-before.CITokens != 1 {
				t.Errorf("stats %+v → %+v, want one CI token and one exchange", before, after)
			}
		})
	}

	t.Run("wrong audience", func(t *testing.T) {
		p, err := oauth2.New(s.registry(credentials.GrantTokenExchange, credentials.Identity{Source: credentials.IdentityGitHubActions, Audience: "someone-else"}), oauth2.Options{Getenv: getenv})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Token(context.Background(), host, nil)
		wantRefused(t, err, `unexpected "aud" claim value`)
	})

	t.Run("bad signature", func(t *testing.T) {
		jwt := s.ciToken(t, audience, 300)
		parts := strings.Split(jwt, ".")
		sig := []byte(parts[2])
		if sig[5] == 'A' { // still base64url, no longer the signature
			sig[5] = 'B'
		} else {
			sig[5] = 'A'
		}
		forged := parts[0] + "." + parts[1] + "." + string(sig)
		path := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(path, []byte(forged), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := oauth2.New(s.registry(credentials.GrantJWTBearer, credentials.Identity{Source: credentials.IdentityFile, Path: path}), oauth2.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Token(context.Background(), host, nil)
		wantRefused(t, err, "signature verification failed")
		if err != nil && strings.Contains(err.Error(), parts[1]) {
			t.Errorf("error shows the token: %v", err)
		}
	})

	t.Run("expired", func(t *testing.T) {
		// The helper refuses an expired identity token itself…
		jwt := s.ciToken(t, audience, -60)
		path := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(path, []byte(jwt), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := oauth2.New(s.registry(credentials.GrantTokenExchange, credentials.Identity{Source: credentials.IdentityFile, Path: path}), oauth2.Options{})
		if err != nil {
			t.Fatal(err)
		}
		before := s.stats(t)
		if _, err := p.Token(context.Background(), host, nil); err == nil || !strings.Contains(err.Error(), "identity token expired at") {
			t.Errorf("Token(expired identity) = %v", err)
		}
		if after := s.stats(t); after.TokenRequests != before.TokenRequests {
			t.Errorf("an expired identity token was sent")
		}
		// …and the server refuses one too (the same token, sent directly).
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt}, "client_id": {s.clientID}}
		resp, err := hc.PostForm(s.url+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.ErrorDescription, `"exp" claim timestamp check failed`) {
			t.Errorf("server answered %s %+v to an expired subject token", resp.Status, e)
		}
	})
}

func wantRefused(t *testing.T, err error, detail string) {
	t.Helper()
	if err == nil {
		t.Fatal("Token succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"oauth2: registry.mint.test: the token endpoint refused the identity token", "invalid_grant", detail} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
}

// TestBinary_keylessParallelGets: twenty parallel gets through the full
// build, with no stored credential at all, make one CI token request and
// one exchange, and all answer the same token; list names the registry.
func TestBinary_keylessParallelGets(t *testing.T) {
	s := startServer(t, 600*time.Second)
	var extra []string
	for k, v := range s.actionsEnv() {
		extra = append(extra, k+"="+v)
	}
	sb := clitest.New(t, clitest.Binary(t, ""), extra...)
	sb.WriteConfig(fmt.Sprintf(`registries:
  - match: registry.mint.test
    provider: oauth2
    grant: token_exchange
    token_url: %s/token
    client_id: %s
    audience: registry.mint.test
    scopes: [pull]
    username: oauth2
    identity:
      source: github-actions
      audience: %s
`, s.url, s.clientID, audience))
	before := s.stats(t)
	const n = 20
	outs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out, errs, code := sb.Exec("registry.mint.test", "get")
			if code != 0 || errs != "" {
				t.Errorf("get %d: exit %d, stdout %q, stderr %q", i, code, out, errs)
			}
			outs[i] = out
		})
	}
	wg.Wait()
	var c struct{ ServerURL, Username, Secret string }
	if err := json.Unmarshal([]byte(outs[0]), &c); err != nil || c.Username != "oauth2" || c.Secret == "" {
		t.Fatalf("get = %q, %v", outs[0], err)
	}
	for i, out := range outs {
		if out != outs[0] {
			t.Errorf("get %d = %q, want %q", i, out, outs[0])
		}
	}
	after := s.stats(t)
	if after.Exchanges-before.Exchanges != 1 || after.CITokens-before.CITokens != 1 || after.TokenRequests-before.TokenRequests != 1 {
		t.Errorf("stats %+v → %+v; want one CI token request and one exchange for %d gets", before, after, n)
	}
	if list := sb.Must("unused", "list"); !strings.Contains(list, `"registry.mint.test":"oauth2"`) {
		t.Errorf("list = %q, want registry.mint.test under oauth2", list)
	}
	// The CI request token must not reach anything the helper writes.
	if out, errs, _ := sb.Exec("registry.mint.test", "get"); strings.Contains(out+errs, s.requestToken) {
		t.Error("get shows the CI request token")
	}
}
