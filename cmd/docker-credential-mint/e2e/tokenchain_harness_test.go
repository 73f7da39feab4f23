// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The short-lived token chain: a real OAuth2 server (node oidc-provider,
// tokens living oidcTTL) → the helper (oauth2 provider, client_credentials)
// → the client → the registry's realm, tokenchain (a test-only token service
// that accepts an access token as the Basic password only while the OAuth2
// server's introspection says it is active) → Debian's docker-registry.
const (
	oidcTTL       = 10 * time.Second // access token life at the OAuth2 server
	registryTTL   = 20 * time.Second // registry JWT life (cut to the access token's)
	chainUsername = "oauth2"         // what the config makes get answer
	tokenchainPkg = "github.com/docker-credential-mint/mint/cmd/docker-credential-mint/e2e/tokenchain"
	serverStartup = 45 * time.Second // node on two loaded cores can be slow
	chainIssuer   = "mint-e2e-tokenchain"
	chainService  = "mint-e2e-registry"
)

// tokenChain is one test's OAuth2 server, token service and registry.
type tokenChain struct {
	oidcURL      string // http://127.0.0.1:PORT (the issuer; POST /token)
	tokenURL     string // oidcURL + "/token"
	serviceURL   string // the token service: http://127.0.0.1:PORT
	clientID     string // the client_credentials client the helper keeps
	clientSecret string
	reg          *registry
}

// oidcStats is the OAuth2 server's GET /stats.
type oidcStats struct {
	TokenRequests  int `json:"token_requests"`
	TokenErrors    int `json:"token_errors"`
	Introspections int `json:"introspections"`
}

// serviceStats is the token service's GET /stats.
type serviceStats struct {
	Requests int `json:"token_requests"`
	Issued   int `json:"issued"`
	Denied   int `json:"denied"`
	Failed   int `json:"failed"`
}

// oidcModulesDir is where .ci/install-tokenchain.sh puts oidc-provider.
func oidcModulesDir() string {
	return filepath.Join(filepath.Dir(pkgState.toolsDir), "oidc")
}

// needOIDC skips or fails t unless node and oidc-provider are installed.
func needOIDC(t testing.TB) {
	t.Helper()
	needTools(t, "node")
	_, err := os.Stat(filepath.Join(oidcModulesDir(), "node_modules", "oidc-provider", "package.json"))
	require(t, "oidc-provider (.ci/install-tokenchain.sh)", err)
}

var tokenchainOnce struct {
	sync.Once
	err error
}

// needTokenchain builds the token service into the helper's bin directory
// (on the children's PATH as mint-tokenchain) once per run.
func needTokenchain(t testing.TB) {
	t.Helper()
	tokenchainOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, pkgState.goBin, "build", "-o", filepath.Join(pkgState.binDir, "mint-tokenchain"), tokenchainPkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			tokenchainOnce.err = fmt.Errorf("go build %s: %v\n%s", tokenchainPkg, err, out)
		}
	})
	require(t, "token service", tokenchainOnce.err)
}

// launcherPath is the committed oidc-provider launcher.
func launcherPath(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("tokenchain", "oidc-server.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startTokenChain starts the three servers on free ports, each stopped by
// its PID when t ends. The client secret is registered with addSecret, so
// the secrets scan and every output check look for it.
func startTokenChain(t *testing.T) *tokenChain {
	t.Helper()
	return startTokenChainTTL(t, oidcTTL)
}

// startTokenChainTTL is startTokenChain with access tokens living ttl, for
// tests whose point is not expiry.
func startTokenChainTTL(t *testing.T, ttl time.Duration) *tokenChain {
	t.Helper()
	return startTokenChainEnv(t, ttl)
}

// startTokenChainEnv is startTokenChainTTL with more variables for the
// OAuth2 server's launcher (its keyless mode).
func startTokenChainEnv(t *testing.T, ttl time.Duration, oidcEnv ...string) *tokenChain {
	t.Helper()
	needHelper(t)
	needTools(t, "docker-registry")
	needOIDC(t)
	needTokenchain(t)
	dir := t.TempDir()
	c := &tokenChain{
		clientID:     "mint-client-" + randHex(4),
		clientSecret: "mint-client-secret-" + randHex(12),
	}
	introID, introSecret := "mint-introspect-"+randHex(4), "mint-introspect-secret-"+randHex(12)
	addSecret(t, c.clientSecret)
	addSecret(t, introSecret)

	// Secrets go to the servers in their environment, never argv.
	oidc := startServer(t, dir, "oidc", append([]string{
		"PATH=" + pkgState.path, "HOME=" + dir, "LANG=C.UTF-8",
		"MINT_OIDC_MODULES=" + oidcModulesDir(),
		"MINT_OIDC_CLIENT_ID=" + c.clientID, "MINT_OIDC_CLIENT_SECRET=" + c.clientSecret,
		"MINT_OIDC_INTROSPECT_ID=" + introID, "MINT_OIDC_INTROSPECT_SECRET=" + introSecret,
		fmt.Sprintf("MINT_OIDC_TTL=%d", int(ttl/time.Second)),
		"MINT_OIDC_PORT=0",
	}, oidcEnv...), "node", launcherPath(t))
	c.oidcURL = oidc
	c.tokenURL = oidc + "/token"

	cert := filepath.Join(dir, "tokenchain-cert.pem")
	c.serviceURL = startServer(t, dir, "tokenchain", []string{
		"PATH=" + pkgState.path, "HOME=" + dir, "TOKENCHAIN_CLIENT_SECRET=" + introSecret,
	}, "mint-tokenchain", "-listen", "127.0.0.1:0", "-issuer", chainIssuer, "-service", chainService,
		"-ttl", registryTTL.String(), "-introspect-url", oidc+"/token/introspection",
		"-client-id", introID, "-cert", cert)

	// crane (go-containerregistry ≥ v0.22) refuses a realm on a loopback IP
	// literal other than the registry's own host:port: name it localhost.
	realm := "http://localhost:" + strings.TrimPrefix(c.serviceURL, "http://127.0.0.1:") + "/token"
	c.reg = runRegistry(t, dir, nil, 401, fmt.Sprintf(`
  token:
    realm: %s
    service: %s
    issuer: %s
    rootcertbundle: %s
`, realm, chainService, chainIssuer, cert))
	return c
}

// startServer starts a server that prints "listening on URL" once it is up
// (on port 0: no race for a free port), waits for that line and returns the
// URL. The server is stopped by its PID when t ends.
func startServer(t *testing.T, dir, name string, env []string, prog string, args ...string) string {
	t.Helper()
	logFile := filepath.Join(dir, name+".log")
	p, err := startProc(env, dir, logFile, prog, args...)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		p.stop(5 * time.Second)
		if t.Failed() {
			t.Logf("%s log:\n%s", name, p.logTail(15))
		}
	})
	deadline := time.Now().Add(serverStartup)
	for {
		if u := listeningURL(logFile); u != "" {
			return u
		}
		if p.exited() {
			t.Fatalf("%s exited: %v\n%s", name, p.err, p.logTail(20))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no \"listening on\" line after %v\n%s", name, serverStartup, p.logTail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listeningURL returns the URL of the first "listening on URL" line of the
// log, or "".
func listeningURL(logFile string) string {
	f, err := os.Open(logFile)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok && strings.HasPrefix(u, "http://127.0.0.1:") {
			return strings.TrimSpace(u)
		}
	}
	return ""
}

// doJSON sends req (no proxy, short timeout), failing t when there is no
// answer, and decodes the answer's JSON body into v. It returns the answer,
// its body read and closed, and the decoding error.
func doJSON(t testing.TB, req *http.Request, v any) (*http.Response, error) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp, json.NewDecoder(resp.Body).Decode(v)
}

// getJSON GETs url into v; anything but 200 with JSON fails t.
func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := doJSON(t, req, v)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func (c *tokenChain) oidcStats(t testing.TB) (s oidcStats) {
	t.Helper()
	getJSON(t, c.oidcURL+"/stats", &s)
	return s
}

func (c *tokenChain) serviceStats(t testing.TB) (s serviceStats) {
	t.Helper()
	getJSON(t, c.serviceURL+"/stats", &s)
	return s
}

// mint asks the OAuth2 server for an access token itself (client_credentials)
// with secret, and returns the HTTP status, the token (registered with
// addSecret) and the answer's "error".
func (c *tokenChain) mint(t testing.TB, secret string) (status int, token, oauthErr string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.tokenURL, strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.clientID), url.QueryEscape(secret))
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	resp, err := doJSON(t, req, &body)
	if err != nil {
		t.Fatalf("POST %s: %v", c.tokenURL, err)
	}
	if body.AccessToken != "" {
		addSecret(t, body.AccessToken)
	}
	return resp.StatusCode, body.AccessToken, body.Error
}

// writeMintConfig writes the helper's config file (DESIGN §5): the chain's
// registry is an oauth2 client_credentials registry whose get answers
// chainUsername; DOCKER_CREDENTIAL_MINT_CONFIG points at it.
func (c *tokenChain) writeMintConfig(e *env) {
	e.t.Helper()
	e.writeMintConfig(fmt.Sprintf(`registries:
  - match: %s
    provider: oauth2
    token_url: %s
    grant: client_credentials
    username: %s
`, c.reg.host, c.tokenURL, chainUsername))
}

// requireMinting fails t unless get of the chain's registry answers with the
// config's username: a binary that served the stored client id would treat
// the configured registry as static. Its get mints (and caches) one token.
func requireMinting(t *testing.T, e *env, c *tokenChain) {
	t.Helper()
	r := e.helper("get", c.reg.host)
	if r.code != 0 {
		t.Fatalf("get %s with the oauth2 config failed:\n%s", c.reg.host, r)
	}
	var got cred
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("get %s: %v", c.reg.host, err)
	}
	if got.Username != chainUsername {
		t.Fatalf("get %s answers username %q, want %q from the oauth2 provider", c.reg.host, got.Username, chainUsername)
	}
}

// storeClient stores the chain's client id and secret through the helper,
// as `docker login -u <client id> --password-stdin` would.
func (c *tokenChain) storeClient(e *env, secret string) {
	e.t.Helper()
	e.store(c.reg.host, c.clientID, secret)
}
