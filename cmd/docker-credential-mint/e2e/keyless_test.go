// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The keyless chain: the OAuth2 server (oidc-server.mjs in its keyless
// mode) also stands in for GitHub Actions' identity endpoint; the helper,
// with nothing stored, fetches an identity JWT from it and exchanges it
// (RFC 8693) for an access token living oidcTTL; the registry's token
// service accepts that access token only while the server's introspection
// says it is active.

const keylessAudience = "sts.mint.e2e" // the aud the server wants in identity tokens

// keylessChain is a token chain whose server performs the keyless grants.
type keylessChain struct {
	*tokenChain
	keylessClient string // the public client allowed the keyless grants
	requestToken  string // GitHub's ACTIONS_ID_TOKEN_REQUEST_TOKEN
}

// keylessStats is the keyless part of the OAuth2 server's GET /stats.
type keylessStats struct {
	TokenRequests  int `json:"token_requests"`
	CITokens       int `json:"ci_tokens"`
	Exchanges      int `json:"exchanges"`
	ExchangeErrors int `json:"exchange_errors"`
}

func (k *keylessChain) stats(t testing.TB) (s keylessStats) {
	t.Helper()
	getJSON(t, k.oidcURL+"/stats", &s)
	return s
}

// keylessSetup starts a keyless chain and an environment whose helper
// config makes the chain's registry a keyless oauth2 entry (GitHub Actions
// identity, token exchange), with the job's variables set as GitHub sets
// them. Nothing is stored.
func keylessSetup(t *testing.T) (*keylessChain, *env) {
	t.Helper()
	k := &keylessChain{keylessClient: "mint-keyless-" + randHex(4), requestToken: "mint-ci-request-" + randHex(12)}
	addSecret(t, k.requestToken)
	k.tokenChain = startTokenChainEnv(t, oidcTTL,
		"MINT_OIDC_KEYLESS_AUDIENCE="+keylessAudience,
		"MINT_OIDC_KEYLESS_CLIENT_ID="+k.keylessClient,
		"MINT_OIDC_CI_REQUEST_TOKEN="+k.requestToken)
	e := newEnv(t)
	e.writeMintConfig(fmt.Sprintf(`registries:
  - match: %s
    provider: oauth2
    grant: token_exchange
    token_url: %s
    client_id: %s
    audience: %s
    username: %s
    identity:
      source: github-actions
      audience: %s
`, k.reg.host, k.tokenURL, k.keylessClient, chainService, chainUsername, keylessAudience))
	e.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", k.oidcURL+"/ci/token?api-version=2.0")
	e.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", k.requestToken)
	return k, e
}

// TestKeyless_CraneAcrossLifetimes: with no credential stored, crane
// pushes and pulls through the exchanged token, and keeps pulling across
// three access-token lifetimes: each time the helper exchanged a fresh
// identity token, the token service never refused one, and the server
// verified every identity token it was given.
func TestKeyless_CraneAcrossLifetimes(t *testing.T) {
	t.Parallel()
	needTools(t, "crane")
	k, e := keylessSetup(t)
	e.writeDockerConfig(configName, nil)
	ref := k.reg.host + "/keyless/crane:1"

	cranePush(t, e, ref)
	seen := map[string]bool{}
	const lifetimes = 3
	for i := range lifetimes {
		// The token get answers now is what crane just used (cached).
		first := k.wantMinted(e)
		expired := time.Now().Add(oidcTTL + time.Second)
		seen[first.Secret] = true
		cranePull(t, e, ref, fmt.Sprintf("pulled%d.tar", i))
		e.run("", "crane", "ls", k.reg.host+"/keyless/crane")
		sleepUntil(t, expired)
	}
	cranePull(t, e, ref, "pulled-last.tar")
	if got := k.wantMinted(e); seen[got.Secret] {
		t.Error("after the last lifetime get answers an old token")
	} else {
		seen[got.Secret] = true
	}
	if len(seen) < lifetimes+1 {
		t.Errorf("%d distinct tokens over %d lifetimes, want %d", len(seen), lifetimes, lifetimes+1)
	}
	if s := k.serviceStats(t); s.Denied != 0 || s.Failed != 0 || s.Issued == 0 {
		t.Errorf("token service stats = %+v: a client was refused", s)
	}
	st := k.stats(t)
	if st.ExchangeErrors != 0 || st.Exchanges < lifetimes+1 || st.CITokens != st.Exchanges {
		t.Errorf("server stats = %+v; want ≥ %d exchanges, one identity token each, none refused", st, lifetimes+1)
	}
	t.Logf("crane across %d access-token lifetimes of %v: %d exchanges, %d registry tokens issued", lifetimes, oidcTTL, st.Exchanges, k.serviceStats(t).Issued)
}

// TestKeyless_DockerAcrossLifetimes: the same with the Docker CLI and
// dockerd, across two lifetimes.
func TestKeyless_DockerAcrossLifetimes(t *testing.T) {
	t.Parallel()
	needTools(t, "crane")
	k, e := keylessSetup(t)
	needDockerd(t, e)
	e.writeDockerConfig(configName, nil)
	ref := k.reg.host + "/keyless/docker:1"
	cranePush(t, e, ref)
	t.Cleanup(func() { e.exec("", "", "docker", "rmi", "-f", ref) })

	first := k.wantMinted(e)
	for range 2 {
		expired := time.Now().Add(oidcTTL + time.Second)
		e.run("", "docker", "pull", ref)
		e.run("", "docker", "rmi", ref)
		sleepUntil(t, expired)
	}
	e.run("", "docker", "pull", ref)
	if got := k.wantMinted(e); got.Secret == first.Secret {
		t.Error("get answers the first token after two lifetimes")
	}
	if s := k.serviceStats(t); s.Denied != 0 || s.Failed != 0 {
		t.Errorf("token service stats = %+v: a client was refused", s)
	}
	if st := k.stats(t); st.ExchangeErrors != 0 || st.Exchanges < 3 {
		t.Errorf("server stats = %+v; want ≥ 3 exchanges, none refused", st)
	}
}

// TestKeyless_ParallelGetsExchangeOnce: fifty get processes at once on an
// expired cached token make exactly one identity request and one exchange
// (counted at the server), and all answer the same new token, which the
// registry's token service accepts.
func TestKeyless_ParallelGetsExchangeOnce(t *testing.T) {
	t.Parallel()
	k, e := keylessSetup(t)
	first := k.wantMinted(e)
	sleepUntil(t, time.Now().Add(oidcTTL+time.Second))
	before := k.stats(t)

	const n = 50
	tokens := map[string]int{}
	for i, r := range e.helpers(n, "get", k.reg.host) {
		var got cred
		if r.code != 0 || json.Unmarshal([]byte(r.out), &got) != nil || got.Username != chainUsername {
			t.Errorf("get %d:\n%s", i, r)
			continue
		}
		if strings.Contains(r.out+r.stderr, k.requestToken) {
			t.Errorf("get %d shows the CI request token", i)
		}
		tokens[got.Secret]++
	}
	after := k.stats(t)
	exchanges, ci := after.Exchanges-before.Exchanges, after.CITokens-before.CITokens
	if exchanges != 1 || ci != 1 || after.TokenRequests-before.TokenRequests != 1 {
		t.Errorf("%d parallel gets on an expired token: %d identity requests, %d exchanges, %d token requests; want 1, 1, 1", n, ci, exchanges, after.TokenRequests-before.TokenRequests)
	}
	t.Logf("%d parallel gets on a stale cache: %d exchange(s), %d identity token request(s)", n, exchanges, ci)
	if len(tokens) != 1 {
		t.Errorf("%d parallel gets answered %d different tokens, want 1", n, len(tokens))
	}
	for tok := range tokens {
		addSecret(t, tok)
		if tok == first.Secret {
			t.Error("the parallel gets answered the expired token")
		}
		if life, _ := k.registryToken(t, tok, "repository:keyless/parallel:pull"); life <= 0 {
			t.Errorf("the token service gave a %v registry token for the exchanged token", life)
		}
	}
}

// saToken asks the server for a JWT shaped like a bound service-account
// token of NAMESPACE:NAME (sa) with uid, for pod.
func (k *keylessChain) saToken(t *testing.T, sa, uid, pod string) string {
	t.Helper()
	q := url.Values{"audience": {keylessAudience}, "ttl": {"600"}, "sa": {sa}, "sa_uid": {uid}, "pod": {pod}}
	req, err := http.NewRequest(http.MethodGet, k.oidcURL+"/ci/token?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "bearer "+k.requestToken)
	var v struct{ Value string }
	if resp, err := doJSON(t, req, &v); err != nil || resp.StatusCode != http.StatusOK || v.Value == "" {
		t.Fatalf("GET /ci/token (service account): %v", err)
	}
	// Never on disk, never in an output: the scan looks for it.
	addSecret(t, v.Value)
	return v.Value
}

// pullManifest does what the container runtime does with the kubelet's
// credential: the registry's token dance (GET the realm with the Basic
// credential) and GET of the manifest with the registry JWT. It returns the
// registry's HTTP status.
func (k *keylessChain) pullManifest(t *testing.T, user, password, repo, tag string) int {
	t.Helper()
	q := url.Values{"service": {chainService}, "scope": {"repository:" + repo + ":pull"}}
	req, err := http.NewRequest(http.MethodGet, k.serviceURL+"/token?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	var body struct {
		Token string `json:"token"`
	}
	if resp, err := doJSON(t, req, &body); err != nil || resp.StatusCode != http.StatusOK || body.Token == "" {
		return resp.StatusCode
	}
	addSecret(t, body.Token)
	req, err = http.NewRequest(http.MethodGet, "http://"+k.reg.host+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+body.Token)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	var manifest struct {
		SchemaVersion int `json:"schemaVersion"`
	}
	resp, err := doJSON(t, req, &manifest)
	if resp.StatusCode == http.StatusOK && (err != nil || manifest.SchemaVersion != 2) {
		t.Errorf("GET manifest: %v, schemaVersion %d", err, manifest.SchemaVersion)
	}
	return resp.StatusCode
}

// TestKeyless_KubeletPodsPull: a node's kubelet mode with identity source
// kubelet: each pod's service-account token (as the kubelet 1.33+ passes
// it) is exchanged at the real server, the registry accepts the credential
// the kubelet gets for each, two service accounts get different ones
// (counted by subject at the server), and a second pod of the same service
// account is answered from the cache.
func TestKeyless_KubeletPodsPull(t *testing.T) {
	t.Parallel()
	needTools(t, "crane")
	k, ci := keylessSetup(t)
	ci.writeDockerConfig(configName, nil)
	cranePush(t, ci, k.reg.host+"/keyless/kubelet:1")

	node := newEnv(t)
	node.writeMintConfig(fmt.Sprintf(`registries:
  - match: %s
    provider: oauth2
    grant: token_exchange
    token_url: %s
    client_id: %s
    audience: %s
    username: %s
    identity:
      source: kubelet
`, k.reg.host, k.tokenURL, k.keylessClient, chainService, chainUsername))
	before := k.stats(t)
	passwords := map[string]string{}
	for _, pod := range []struct{ sa, uid, name string }{
		{"team-a:puller", "uid-a", "a-1"}, {"team-b:puller", "uid-b", "b-1"}, {"team-a:puller", "uid-a", "a-2"},
	} {
		req, _ := json.Marshal(map[string]any{
			"apiVersion": "credentialprovider.kubelet.k8s.io/v1", "kind": "CredentialProviderRequest",
			"image": k.reg.host + "/keyless/kubelet:1", "serviceAccountToken": k.saToken(t, pod.sa, pod.uid, pod.name),
		})
		r := node.helper("kubelet", string(req))
		var resp struct {
			CacheKeyType string `json:"cacheKeyType"`
			Auth         map[string]struct{ Username, Password string }
		}
		if r.code != 0 || json.Unmarshal([]byte(r.out), &resp) != nil {
			t.Fatalf("kubelet for pod %s:\n%s", pod.name, r)
		}
		a, ok := resp.Auth[k.reg.host]
		if !ok || a.Username != chainUsername || a.Password == "" {
			t.Fatalf("pod %s: auth for %v", pod.name, keys(resp.Auth))
		}
		addSecret(t, a.Password)
		if p, ok := passwords[pod.sa]; ok && p != a.Password {
			t.Errorf("pod %s: not its service account's cached token", pod.name)
		}
		passwords[pod.sa] = a.Password
		if st := k.pullManifest(t, a.Username, a.Password, "keyless/kubelet", "1"); st != http.StatusOK {
			t.Errorf("pod %s: the registry answered %d to the kubelet's credential", pod.name, st)
		}
	}
	if passwords["team-a:puller"] == passwords["team-b:puller"] {
		t.Error("two service accounts share an exchanged token")
	}
	if after := k.stats(t); after.Exchanges-before.Exchanges != 2 || after.ExchangeErrors != before.ExchangeErrors {
		t.Errorf("stats %+v → %+v; want one exchange per service account", before, after)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
