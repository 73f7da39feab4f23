// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// sleepUntil sleeps until deadline (a token's certain expiry).
func sleepUntil(t *testing.T, deadline time.Time) {
	t.Helper()
	if d := time.Until(deadline); d > 0 {
		t.Logf("waiting %v for the access token to expire", d.Round(100*time.Millisecond))
		time.Sleep(d)
	}
}

// TestTokenChain_StaticTokenThenInactive proves the servers without the
// helper's providers: an access token minted by the test and stored through
// the helper as a static credential lets crane push and pull, the registry
// JWT lives no longer than the access token, and once the access token has
// expired the same stored credential gets "UNAUTHORIZED: token inactive".
func TestTokenChain_StaticTokenThenInactive(t *testing.T) {
	t.Parallel()
	needTools(t, "crane")
	c := startTokenChain(t)
	e := newEnv(t)
	e.writeDockerConfig(configName, nil)

	wrong := "wrong-secret-" + randHex(8)
	addSecret(t, wrong)
	if st, tok, oerr := c.mint(t, wrong); st != http.StatusUnauthorized || tok != "" || oerr != "invalid_client" {
		t.Errorf("client_credentials with a wrong secret: %d %q, want 401 invalid_client", st, oerr)
	}
	st, at, oerr := c.mint(t, c.clientSecret)
	minted := time.Now()
	if st != http.StatusOK || at == "" {
		t.Fatalf("client_credentials: %d %q, want 200 and a token", st, oerr)
	}
	if at == c.clientSecret {
		t.Fatal("the access token is the client secret")
	}

	// The token service itself: a registry JWT no longer-lived than the
	// access token, for what the scope asks.
	jwtLife, access := c.registryToken(t, at, "repository:chain/static:pull,push")
	if jwtLife <= 0 || jwtLife > oidcTTL {
		t.Errorf("registry JWT lives %v, want (0, %v]: capped by the access token", jwtLife, oidcTTL)
	}
	if want := `[{"type":"repository","name":"chain/static","actions":["pull","push"]}]`; access != want {
		t.Errorf("registry JWT access = %s, want %s", access, want)
	}

	e.store(c.reg.host, chainUsername, at)
	ref := c.reg.host + "/chain/static:1"
	cranePush(t, e, ref)
	cranePull(t, e, ref, "pulled.tar")
	if s := c.serviceStats(t); s.Issued < 3 || s.Denied != 0 || s.Failed != 0 {
		t.Errorf("token service stats = %+v, want ≥ 3 issued, none denied or failed", s)
	}

	sleepUntil(t, minted.Add(oidcTTL+time.Second))
	out := e.fail("", "crane", "ls", c.reg.host+"/chain/static")
	if !strings.Contains(out, "token inactive") {
		t.Errorf("crane ls with an expired access token: want \"token inactive\", got:\n%s", redact(out))
	}
	if s := c.serviceStats(t); s.Denied < 1 {
		t.Errorf("token service stats = %+v, want a denial", s)
	}
	if o := c.oidcStats(t); o.TokenRequests != 2 || o.TokenErrors != 1 || o.Introspections < 4 {
		t.Errorf("OAuth2 server stats = %+v, want 2 token requests (1 refused) and ≥ 4 introspections", o)
	}
}

// registryToken asks the token service for scope with the access token as
// the Basic password and returns the JWT's remaining life (from expires_in)
// and its access claim as JSON.
func (c *tokenChain) registryToken(t *testing.T, accessToken, scope string) (time.Duration, string) {
	t.Helper()
	q := url.Values{"service": {chainService}, "scope": {scope}}
	req, err := http.NewRequest(http.MethodGet, c.serviceURL+"/token?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(chainUsername, accessToken)
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		IssuedAt    string `json:"issued_at"`
	}
	if resp, err := doJSON(t, req, &body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /token: %s, %v", resp.Status, err)
	}
	if body.Token == "" || body.Token != body.AccessToken || body.IssuedAt == "" {
		t.Fatalf("GET /token: want token = access_token and issued_at, got %+v", body)
	}
	parts := strings.Split(body.Token, ".")
	if len(parts) != 3 {
		t.Fatalf("registry token has %d parts, want a compact JWS", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Aud    string          `json:"aud"`
		Iss    string          `json:"iss"`
		Exp    int64           `json:"exp"`
		Access json.RawMessage `json:"access"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Aud != chainService || claims.Iss != chainIssuer {
		t.Errorf("registry JWT aud/iss = %q/%q, want %q/%q", claims.Aud, claims.Iss, chainService, chainIssuer)
	}
	return time.Duration(body.ExpiresIn) * time.Second, string(claims.Access)
}

// providerSetup starts a chain, configures the helper's oauth2 provider for
// its registry, stores the client id and secret through the helper, and
// passes the provider gate. It returns when the gate's get minted the first
// token: that token has surely expired by the returned time.
func providerSetup(t *testing.T) (c *tokenChain, e *env, first cred, expired time.Time) {
	t.Helper()
	c = startTokenChain(t)
	e = newEnv(t)
	c.writeMintConfig(e)
	c.storeClient(e, c.clientSecret)
	requireMinting(t, e, c)
	expired = time.Now().Add(oidcTTL + time.Second)
	first = c.wantMinted(e)
	return c, e, first, expired
}

// wantMinted checks that get answers the config's username and a minted
// access token (never the client secret), and returns it.
func (c *tokenChain) wantMinted(e *env) cred {
	e.t.Helper()
	r := e.helper("get", c.reg.host)
	if r.code != 0 {
		e.t.Fatalf("get %s failed:\n%s", c.reg.host, r)
	}
	if strings.Contains(r.out, c.clientSecret) {
		e.t.Fatalf("get %s prints the client secret", c.reg.host)
	}
	var got cred
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		e.t.Fatalf("get: %v:\n%s", err, r)
	}
	if got.Username != chainUsername || got.Secret == "" || got.ServerURL == "" {
		e.t.Fatalf("get %s = %q/%d-byte secret (ServerURL %q), want %q and a token", c.reg.host, got.Username, len(got.Secret), got.ServerURL, chainUsername)
	}
	// A minted token is a secret too: the scan must not find it on disk.
	if len(got.Secret) >= 8 {
		addSecret(e.t, got.Secret)
	}
	return got
}

// TestTokenChain_GetMintsToken: get answers the config's username and an
// access token from the OAuth2 server, never the client secret; the token is
// cached (no second token request while it is fresh); list shows the
// registry under the config's username; no verb prints the client secret.
func TestTokenChain_GetMintsToken(t *testing.T) {
	t.Parallel()
	c, e, first, _ := providerSetup(t)
	before := c.oidcStats(t)
	if again := c.wantMinted(e); again.Secret != first.Secret {
		t.Errorf("a second get within the token's life minted a new token")
	}
	if after := c.oidcStats(t); after.TokenRequests != before.TokenRequests {
		t.Errorf("token requests %d → %d for a get of a fresh cached token", before.TokenRequests, after.TokenRequests)
	}
	// The token is a registry password the token service accepts.
	if life, _ := c.registryToken(t, first.Secret, "repository:chain/get:pull"); life <= 0 {
		t.Errorf("registry JWT for the minted token lives %v", life)
	}
	if got := e.list(); got[c.reg.host] != chainUsername {
		t.Errorf("list = %v, want %s: %s", got, c.reg.host, chainUsername)
	}
	// e.helper checks every verb's stdout and stderr (get: stderr) for the
	// secrets; the files are scanned when the test ends.
	e.helper("version", "")
	e.helper("erase", c.reg.host)
	e.wantNoCred(c.reg.host)
}

// TestTokenChain_CraneRefreshes: crane pushes and pulls with the minted
// token, and after the access token's life it works again with no 401
// anywhere: the helper refreshed.
func TestTokenChain_CraneRefreshes(t *testing.T) {
	t.Parallel()
	needTools(t, "crane")
	c, e, first, expired := providerSetup(t)
	e.writeDockerConfig(configName, nil)

	ref := c.reg.host + "/chain/crane:1"
	cranePush(t, e, ref)
	cranePull(t, e, ref, "pulled1.tar")
	sleepUntil(t, expired)
	cranePull(t, e, ref, "pulled2.tar")
	e.run("", "crane", "ls", c.reg.host+"/chain/crane")
	c.wantRefreshed(e, first)
}

// wantRefreshed checks that get now answers another token than first, that
// the token service never refused a token and that the OAuth2 server minted
// more than one.
func (c *tokenChain) wantRefreshed(e *env, first cred) {
	e.t.Helper()
	if now := c.wantMinted(e); now.Secret == first.Secret {
		e.t.Errorf("get answers the first token after its expiry: not refreshed")
	}
	if s := c.serviceStats(e.t); s.Denied != 0 || s.Failed != 0 {
		e.t.Errorf("token service stats = %+v: a client was refused (401)", s)
	}
	if o := c.oidcStats(e.t); o.TokenRequests < 2 || o.TokenErrors != 0 {
		e.t.Errorf("OAuth2 server stats = %+v, want ≥ 2 token requests, no error", o)
	}
}

// TestTokenChain_SkopeoRefreshes: the same with skopeo (containers/image,
// credHelpers in the auth file).
func TestTokenChain_SkopeoRefreshes(t *testing.T) {
	t.Parallel()
	needTools(t, "skopeo", "crane")
	c, e, first, expired := providerSetup(t)
	containersSetup(t, e, c.reg.host)

	ref := c.reg.host + "/chain/skopeo:1"
	cranePush(t, e, ref)
	skopeoInspect(t, e, ref)
	sleepUntil(t, expired)
	skopeoInspect(t, e, ref)
	c.wantRefreshed(e, first)
}

// TestTokenChain_DockerRefreshes: the same with the Docker CLI and dockerd.
func TestTokenChain_DockerRefreshes(t *testing.T) {
	t.Parallel()
	needTools(t, "crane")
	c, e, first, expired := providerSetup(t)
	needDockerd(t, e)
	e.writeDockerConfig(configName, nil)

	ref := c.reg.host + "/chain/docker:1"
	cranePush(t, e, ref)
	t.Cleanup(func() { e.exec("", "", "docker", "rmi", "-f", ref) })
	e.run("", "docker", "pull", ref)
	e.run("", "docker", "rmi", ref)
	sleepUntil(t, expired)
	e.run("", "docker", "pull", ref)
	c.wantRefreshed(e, first)
}

// TestTokenChain_ParallelGetsRefreshOnce: fifty get processes at once on an
// expired cached token make exactly one token request, and all answer the
// same new token.
func TestTokenChain_ParallelGetsRefreshOnce(t *testing.T) {
	t.Parallel()
	c, e, first, expired := providerSetup(t)
	sleepUntil(t, expired)
	before := c.oidcStats(t)

	const n = 50
	tokens := map[string]int{}
	for i, r := range e.helpers(n, "get", c.reg.host) {
		if strings.Contains(r.out, c.clientSecret) {
			t.Errorf("get %d prints the client secret", i)
		}
		var got cred
		if r.code != 0 || json.Unmarshal([]byte(r.out), &got) != nil || got.Username != chainUsername {
			t.Errorf("get %d:\n%s", i, r)
			continue
		}
		tokens[got.Secret]++
	}
	after := c.oidcStats(t)
	if d := after.TokenRequests - before.TokenRequests; d != 1 {
		t.Errorf("%d parallel gets on an expired token made %d token requests, want 1", n, d)
	}
	if len(tokens) != 1 {
		t.Errorf("%d parallel gets answered %d different tokens, want 1", n, len(tokens))
	}
	for tok := range tokens {
		addSecret(t, tok)
		if tok == first.Secret {
			t.Errorf("the parallel gets answered the expired token")
		}
	}
}

// TestTokenChain_WrongClientSecret: with a wrong client secret get fails
// with one line naming the registry and the OAuth2 error, not "not found".
func TestTokenChain_WrongClientSecret(t *testing.T) {
	t.Parallel()
	c, e, _, _ := providerSetup(t)
	wrong := "wrong-client-secret-" + randHex(8)
	addSecret(t, wrong)
	// store replaces the root credential and drops the cached token.
	c.storeClient(e, wrong)

	r := e.helper("get", c.reg.host)
	if r.code != 1 {
		t.Fatalf("get with a wrong client secret: exit %d, want 1:\n%s", r.code, r)
	}
	msg := strings.TrimSpace(r.out)
	switch {
	case strings.Contains(msg, "\n"):
		t.Errorf("get error is %d lines, want one:\n%s", strings.Count(msg, "\n")+1, redact(msg))
	case strings.Contains(msg, "credentials not found"):
		t.Errorf("get error = %q: a failing provider registry is not \"not found\"", redact(msg))
	case !strings.Contains(msg, c.reg.host) || !strings.Contains(msg, "invalid_client"):
		t.Errorf("get error = %q, want it to name %s and invalid_client", redact(msg), c.reg.host)
	}
	if p, ok := containsSecret(r.out + r.stderr); ok {
		t.Errorf("get error shows the secret %s", p)
	}
}
