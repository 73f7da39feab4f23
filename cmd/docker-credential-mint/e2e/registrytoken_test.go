// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The registry provider against the real thing: distribution's
// contrib/token-server (htpasswd users, refresh tokens for offline_token=true,
// POST grant_type=refresh_token; its registry JWTs live a hard-coded 15
// minutes and its refresh tokens never expire) in front of Debian's
// docker-registry. The helper keeps alice's password and answers get with an
// identity token it mints at the realm; the clients trade that for registry
// JWTs themselves.
//
// The token server's refresh tokens carry no lifetime, so the helper caches
// one for the config's lifetime; a short one here lets a test cross it.
const (
	regTokenLife    = 30 * time.Second // the config's lifetime
	regTokenRefresh = 5 * time.Second  // the config's refresh_before
	// regClientID is the client_id the registry provider sends; it marks its
	// requests in the token server's log.
	regClientID = "client_id=docker-credential-mint"
)

// registryProviderSetup starts the token server and registry (user alice),
// writes the helper's config file at its default place under the test's
// XDG_CONFIG_HOME (provider registry for the registry), and logs alice in
// with docker-credential-mint login. The login proves the password by
// minting an identity token and caches it: stale by the returned time minus
// regTokenRefresh, surely expired by the returned time.
func registryProviderSetup(t *testing.T) (e *env, r *registry, expired time.Time) {
	t.Helper()
	needHelper(t)
	r = startTokenRegistry(t, map[string]string{"alice": alicePW})
	e = newEnv(t)
	e.writeDefaultMintConfig("registries:\n  - match: " + r.host + "\n    provider: registry\n" +
		"    lifetime: " + regTokenLife.String() + "\n    refresh_before: " + regTokenRefresh.String() + "\n")
	out := e.run(alicePW+"\n", helperName, "login", r.host, "-u", "alice", "--password-stdin")
	expired = time.Now().Add(regTokenLife + time.Second)
	if want := "Login Succeeded: " + r.host + " as alice (provider registry minted a token valid for "; !strings.HasPrefix(out, want) {
		t.Fatalf("login output = %q, want it to start with %q", redact(out), want)
	}
	return e, r, expired
}

// wantIdentityToken checks that get answers an identity token (Username
// "<token>"), never the password, registers it as a secret and returns it.
func wantIdentityToken(e *env, r *registry) string {
	e.t.Helper()
	res := e.helper("get", r.host)
	if res.code != 0 {
		e.t.Fatalf("get %s failed:\n%s", r.host, res)
	}
	if strings.Contains(res.out, alicePW) {
		e.t.Fatalf("get %s prints the password", r.host)
	}
	var c cred
	if err := json.Unmarshal([]byte(res.out), &c); err != nil {
		e.t.Fatalf("get: %v\n%s", err, res)
	}
	if c.Username != "<token>" || c.Secret == "" || c.ServerURL != r.host {
		e.t.Fatalf("get %s = %q/%d-byte secret (ServerURL %q), want <token> and an identity token", r.host, c.Username, len(c.Secret), c.ServerURL)
	}
	addSecret(e.t, c.Secret)
	return c.Secret
}

// tokenRequest is one request the token server logged.
type tokenRequest struct {
	method, uri, agent string
	status             int // 0 when the log has no response line
}

// fromHelper reports whether the registry provider sent q: the GET with
// offline_token and its client_id.
func (q tokenRequest) fromHelper() bool {
	return q.method == "GET" && strings.Contains(q.uri, regClientID) && strings.Contains(q.uri, "offline_token=true")
}

// logfmtField matches one key=value of a logrus text line.
var logfmtField = regexp.MustCompile(`([A-Za-z0-9_.]+)=("(?:[^"\\]|\\.)*"|[^ ]*)`)

// tokenRequests reads the token server's log: every request it has
// answered, once each (it logs several lines per request, all with the
// request's id), in order; startTokenRegistry's start-up probe (GET /token/
// without a query) is left out.
func (r *registry) tokenRequests(t *testing.T) []tokenRequest {
	t.Helper()
	f, err := os.Open(r.tokenLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []string
	byID := map[string]*tokenRequest{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := map[string]string{}
		for _, m := range logfmtField.FindAllStringSubmatch(sc.Text(), -1) {
			v := m[2]
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			fields[m[1]] = v
		}
		id := fields["http.request.id"]
		if id == "" {
			continue
		}
		q := byID[id]
		if q == nil {
			q = &tokenRequest{method: fields["http.request.method"], uri: fields["http.request.uri"], agent: fields["http.request.useragent"]}
			byID[id] = q
			ids = append(ids, id)
		}
		if s, err := strconv.Atoi(fields["http.response.status"]); err == nil {
			q.status = s
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var qs []tokenRequest
	for _, id := range ids {
		if q := byID[id]; q.method != "GET" || q.uri != "/token/" {
			qs = append(qs, *q)
		}
	}
	return qs
}

// TestRegistryProvider_Clients: after docker-credential-mint login with
// alice's password, get answers an identity token, never the password;
// crane, skopeo and the Docker CLI (with dockerd) push and pull with it; the
// token server's ACL still applies; and in the token server's log every
// request that carried the password is the helper's, the clients only ever
// presented the refresh token (POST grant_type=refresh_token).
func TestRegistryProvider_Clients(t *testing.T) {
	t.Parallel()
	needTools(t, "crane", "skopeo")
	e, r, _ := registryProviderSetup(t)
	needDockerd(t, e)
	policy := containersSetup(t, e, r.host) // credHelpers for skopeo, credsStore for crane and docker

	rt := wantIdentityToken(e, r)
	if again := wantIdentityToken(e, r); again != rt {
		t.Errorf("a second get minted another identity token while the first is fresh")
	}
	if got := e.list(); got[r.host] != "<token>" {
		t.Errorf("list = %v, want %s: <token>", got, r.host)
	}
	e.wantNoAuthInDockerConfig()

	ref := r.host + "/alice/regprov:1"
	cranePush(t, e, ref)
	wantCraneTags(t, e, r.host+"/alice/regprov", "1")
	cranePull(t, e, ref, "pulled.tar")
	skopeoInspect(t, e, ref)
	e.run("", "skopeo", "copy", "--policy", policy, "--src-tls-verify=false", "--dest-tls-verify=false",
		"docker://"+ref, "docker://"+r.host+"/alice/regprov:skopeo")

	t.Cleanup(func() { e.exec("", "", "docker", "rmi", "-f", ref, r.host+"/alice/regprov:docker") })
	e.run("", "docker", "pull", ref)
	e.run("", "docker", "tag", ref, r.host+"/alice/regprov:docker")
	e.run("", "docker", "push", r.host+"/alice/regprov:docker")
	if out := e.run("", "crane", "ls", r.host+"/alice/regprov"); len(strings.Fields(out)) != 3 {
		t.Errorf("crane ls = %q, want 1, docker and skopeo", out)
	}
	// The token server gives alice alice/* only.
	out := e.fail("", "crane", "append", "-f", layerTar(t, "x.txt", "x\n"), "-t", r.host+"/bob/regprov:1")
	if !strings.Contains(out, "UNAUTHORIZED") && !strings.Contains(out, "DENIED") && !strings.Contains(out, "401") {
		t.Errorf("crane push to bob/ as alice: want a refusal, got:\n%s", redact(out))
	}

	var helperGets, refreshes int
	agents := map[string]bool{}
	for _, q := range r.tokenRequests(t) {
		switch {
		case q.fromHelper():
			helperGets++
			if q.status != 200 {
				t.Errorf("the helper's token request got HTTP %d", q.status)
			}
		case q.method == "POST":
			refreshes++
			agents[q.agent] = true
			if q.status != 200 {
				t.Errorf("the token server refused a client's refresh token (%s): HTTP %d", q.agent, q.status)
			}
		default:
			t.Errorf("token request %s %s (%s): a client authenticated with something else than the identity token", q.method, q.uri, q.agent)
		}
	}
	// The login's mint is the only one: every get since was answered from
	// the cache (the test takes far less than the 25 s until it is stale;
	// were it slower, a second mint would show here, not a failure).
	if helperGets < 1 || refreshes < 4 {
		t.Errorf("token server saw %d helper GETs and %d refresh-token POSTs, want ≥ 1 and ≥ 4 (crane, skopeo, dockerd)", helperGets, refreshes)
	}
	t.Logf("token server: %d helper GET offline_token, %d client POST grant_type=refresh_token from %q", helperGets, refreshes, slices.Sorted(maps.Keys(agents)))

	// docker login instead: dockerd trades the password for a refresh token
	// itself and the CLI stores that (Username "<token>"); the provider
	// answers a stored identity token as it is.
	dockerLogin(t, e, r.host, "alice", alicePW)
	if viaDocker := wantIdentityToken(e, r); viaDocker == rt {
		t.Errorf("get after docker login answers the helper's earlier identity token, want docker's")
	}
	e.run("", "docker", "pull", r.host+"/alice/regprov:skopeo")
	t.Cleanup(func() { e.exec("", "", "docker", "rmi", "-f", r.host+"/alice/regprov:skopeo") })
	e.wantNoAuthInDockerConfig()
}

// TestRegistryProvider_WrongPassword: login with a wrong password fails in
// one line naming the registry and stores nothing; a wrong password stored
// the ordinary way (store, as docker login would with any helper) makes get
// fail in one line naming the registry and the fix, not "not found", and
// crane's pull fails with it.
func TestRegistryProvider_WrongPassword(t *testing.T) {
	t.Parallel()
	needTools(t, "crane")
	e, r, _ := registryProviderSetup(t)
	e.writeDockerConfig(configName, nil)
	wrong := "wrong-pw-" + randHex(8)
	addSecret(t, wrong)

	res := e.exec("", wrong+"\n", helperName, "login", r.host, "-u", "alice", "--password-stdin")
	msg := strings.TrimSpace(res.out)
	if res.code != 1 || strings.Contains(msg, "\n") || !strings.Contains(msg, r.host) || !strings.Contains(msg, "refused") {
		t.Errorf("login with a wrong password: want exit 1 and one line naming %s and the refusal:\n%s", r.host, res)
	}
	wantIdentityToken(e, r) // the earlier login's credential is in place

	e.store(r.host, "alice", wrong) // drops the cached token too
	res = e.helper("get", r.host)
	msg = strings.TrimSpace(res.out)
	switch {
	case res.code != 1:
		t.Errorf("get with a wrong stored password: exit %d, want 1:\n%s", res.code, res)
	case strings.Contains(msg, "\n"):
		t.Errorf("get error is %d lines, want one:\n%s", strings.Count(msg, "\n")+1, redact(msg))
	case strings.Contains(msg, "credentials not found"):
		t.Errorf("get error = %q: a failing provider registry is not \"not found\"", redact(msg))
	case !strings.Contains(msg, r.host) || !strings.Contains(msg, "docker login "+r.host):
		t.Errorf("get error = %q, want it to name %s and the fix", redact(msg), r.host)
	}
	if out := e.fail("", "crane", "ls", r.host+"/alice/x"); !strings.Contains(out, r.host) {
		t.Errorf("crane ls with a wrong stored password does not name the registry:\n%s", redact(out))
	}
	for _, q := range r.tokenRequests(t) {
		if q.fromHelper() && q.status != 200 && q.status != 401 {
			t.Errorf("the token server answered the helper with HTTP %d, want 200 or 401", q.status)
		}
	}
}

// cranePushed is registryProviderSetup for crane (credsStore), with the
// identity token get answers first and an image crane pushed with it to
// alice/repo:1.
func cranePushed(t *testing.T, repo string) (e *env, r *registry, expired time.Time, first, ref string) {
	t.Helper()
	needTools(t, "crane")
	e, r, expired = registryProviderSetup(t)
	e.writeDockerConfig(configName, nil)
	first = wantIdentityToken(e, r)
	ref = r.host + "/alice/" + repo + ":1"
	cranePush(t, e, ref)
	return e, r, expired, first, ref
}

// TestRegistryProvider_CacheRefreshes: once the cached identity token has
// expired, get mints a new one with the stored password (one GET
// offline_token=true), and crane works with it.
func TestRegistryProvider_CacheRefreshes(t *testing.T) {
	t.Parallel()
	e, r, expired, first, ref := cranePushed(t, "refresh")

	sleepUntil(t, expired)
	before := len(r.tokenRequests(t))
	second := wantIdentityToken(e, r)
	if second == first {
		t.Errorf("get answers the first identity token after the cache's lifetime: not refreshed")
	}
	qs := r.tokenRequests(t)[before:]
	if len(qs) != 1 || !qs[0].fromHelper() || qs[0].status != 200 {
		t.Errorf("the refreshing get made token requests %+v, want one GET with offline_token answered 200", qs)
	}
	cranePull(t, e, ref, "pulled.tar")
	if again := wantIdentityToken(e, r); again != second {
		t.Errorf("the get after the refresh minted yet another identity token")
	}
}

// TestRegistryProvider_ParallelGetsRefreshOnce: twenty get processes at once
// on an expired cached identity token make one request to the token server,
// and all answer the same new token.
func TestRegistryProvider_ParallelGetsRefreshOnce(t *testing.T) {
	t.Parallel()
	e, r, expired := registryProviderSetup(t)
	first := wantIdentityToken(e, r)
	sleepUntil(t, expired)

	before := len(r.tokenRequests(t))
	const n = 20
	tokens := map[string]int{}
	for i, res := range e.helpers(n, "get", r.host) {
		var c cred
		if res.code != 0 || json.Unmarshal([]byte(res.out), &c) != nil || c.Username != "<token>" || c.Secret == "" {
			t.Errorf("get %d:\n%s", i, res)
			continue
		}
		if c.Secret == alicePW {
			t.Errorf("get %d answers the password", i)
		}
		tokens[c.Secret]++
	}
	for tok := range tokens {
		addSecret(t, tok)
		if tok == first {
			t.Errorf("the parallel gets answered the expired identity token")
		}
	}
	if len(tokens) != 1 {
		t.Errorf("%d parallel gets answered %d different identity tokens, want 1", n, len(tokens))
	}
	qs := r.tokenRequests(t)[before:]
	if len(qs) != 1 || !qs[0].fromHelper() {
		t.Errorf("%d parallel gets on an expired cache made %d token requests %+v, want 1 GET with offline_token", n, len(qs), qs)
	}
	t.Logf("%d parallel gets on an expired cache: %d token request(s)", n, len(qs))
}

// TestRegistryProvider_ForgottenRefreshTokenHeals: the token server keeps
// refresh tokens in memory, so a restart forgets the one the helper has
// cached. Clients then get "invalid refresh token" (the helper cannot tell:
// it serves its cached token until the lifetime ends), and once the cache's
// lifetime has passed get mints a new one from the stored password and the
// clients work again, with no new login. The lifetime is what bounds the
// outage (DefaultLifetime, a day, unless the config says less).
func TestRegistryProvider_ForgottenRefreshTokenHeals(t *testing.T) {
	t.Parallel()
	e, r, expired, first, _ := cranePushed(t, "heal")

	r.restartTokenServer(t)
	if out := e.fail("", "crane", "ls", r.host+"/alice/heal"); !strings.Contains(out, "invalid refresh token") {
		t.Errorf("crane ls with a forgotten refresh token: want \"invalid refresh token\", got:\n%s", redact(out))
	}

	sleepUntil(t, expired)
	if now := wantIdentityToken(e, r); now == first {
		t.Errorf("get answers the forgotten identity token after the cache's lifetime")
	}
	wantCraneTags(t, e, r.host+"/alice/heal", "1") // after the re-mint
}
