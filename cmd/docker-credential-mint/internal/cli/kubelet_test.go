// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	credentialproviderv1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/builtin"
	"github.com/docker-credential-mint/mint/credentials/provider/router"
	"github.com/docker-credential-mint/mint/store"
)

// kubeletDecoder decodes as the kubelet decodes a plugin's stdout: by the
// apiVersion and kind in the document, into k8s.io/kubelet's types, here
// strictly (an unknown or misspelt field is an error).
func kubeletDecoder(t testing.TB) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := credentialproviderv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// decodeKubeletResponse decodes our stdout with k8s.io/kubelet's types and
// checks what the kubelet checks: apiVersion, kind and cacheKeyType.
func decodeKubeletResponse(t testing.TB, data []byte) *credentialproviderv1.CredentialProviderResponse {
	t.Helper()
	obj, gvk, err := kubeletDecoder(t).Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("the kubelet's types do not decode %s: %v", data, err)
	}
	if gvk.GroupVersion().String() != kubeletAPIVersion || gvk.Kind != "CredentialProviderResponse" {
		t.Fatalf("response is a %v", gvk)
	}
	resp, ok := obj.(*credentialproviderv1.CredentialProviderResponse)
	if !ok {
		t.Fatalf("decoded a %T", obj)
	}
	switch resp.CacheKeyType {
	case credentialproviderv1.ImagePluginCacheKeyType, credentialproviderv1.RegistryPluginCacheKeyType, credentialproviderv1.GlobalPluginCacheKeyType:
	default:
		t.Fatalf("cacheKeyType %q: the kubelet ignores the response", resp.CacheKeyType)
	}
	return resp
}

// kubeletRequestJSON encodes a request with k8s.io/kubelet's types, as the kubelet does.
func kubeletRequestJSON(t testing.TB, image string) string {
	t.Helper()
	b, err := json.Marshal(credentialproviderv1.CredentialProviderRequest{
		TypeMeta: metav1.TypeMeta{APIVersion: kubeletAPIVersion, Kind: "CredentialProviderRequest"},
		Image:    image,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testObserved wires the helper over memory stores from a config file's
// text.
func testObserved(t *testing.T, config string, opts router.Options) (*wire.Wiring, *store.Memory) {
	t.Helper()
	cfg, err := credentials.LoadConfig(strings.NewReader(config), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	roots := store.NewMemory()
	if opts.LockDir == "" {
		opts.LockDir = t.TempDir()
	}
	oh, err := wire.New(os.Getenv, io.Discard).Assemble(cfg, roots, store.NewMemory(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return oh, roots
}

func storeRoot(t *testing.T, h credentials.Helper, url, user, secret string) {
	t.Helper()
	if err := h.Store(context.Background(), credentials.Credentials{ServerURL: url, Username: user, Secret: secret}); err != nil {
		t.Fatal(err)
	}
}

// askKubelet runs kubeletRespond for image and returns the response as the
// kubelet decodes it.
func askKubelet(t *testing.T, oh *wire.Wiring, image string, now time.Time) *credentialproviderv1.CredentialProviderResponse {
	t.Helper()
	_, ref, err := readKubeletRequest(strings.NewReader(kubeletRequestJSON(t, image)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := kubeletRespond(context.Background(), oh, ref, func() time.Time { return now })
	if err != nil {
		t.Fatalf("%s: %v", image, err)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	return decodeKubeletResponse(t, b)
}

func wantAuth(t *testing.T, resp *credentialproviderv1.CredentialProviderResponse, key, user, pass string) {
	t.Helper()
	if len(resp.Auth) != 1 {
		t.Fatalf("auth has %d entries, want 1 (%q): %v", len(resp.Auth), key, keysOf(resp.Auth))
	}
	a, ok := resp.Auth[key]
	if !ok || a.Username != user || a.Password != pass {
		t.Fatalf("auth = %v, want %q → %s/%s", keysOf(resp.Auth), key, user, pass)
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func durationOf(resp *credentialproviderv1.CredentialProviderResponse) string {
	if resp.CacheDuration == nil {
		return "<default>"
	}
	return resp.CacheDuration.Duration.String()
}

// kubeletJWT returns an unsigned JWT with the given exp.
func kubeletJWT(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(fmt.Sprintf(`{"sub":"ci","exp":%d}`, exp.Unix()))) + ".sig"
}

func TestKubeletCacheDuration(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		life credentials.Answer
		want string
	}{
		{"no expiry: the kubelet's default", credentials.Answer{}, ""},
		{"static, 6h left", credentials.Answer{Expiry: now.Add(6 * time.Hour)}, "6h0m0s"},
		{"minted, 12h less 5m", credentials.Answer{Minted: true, Expiry: now.Add(12 * time.Hour), Renew: now.Add(12*time.Hour - 5*time.Minute)}, "11h55m0s"},
		{"whole seconds", credentials.Answer{Expiry: now.Add(90*time.Second + 900*time.Millisecond)}, "1m30s"},
		{"just over a second", credentials.Answer{Expiry: now.Add(1500 * time.Millisecond)}, "1s"},
		{"under a second: do not cache", credentials.Answer{Expiry: now.Add(999 * time.Millisecond)}, "0s"},
		{"inside the margin (a refresh failed): do not cache", credentials.Answer{Minted: true, Expiry: now.Add(3 * time.Minute), Renew: now.Add(3*time.Minute - 5*time.Minute)}, "0s"},
		{"expired: do not cache", credentials.Answer{Expiry: now.Add(-time.Hour)}, "0s"},
		{"used once: do not cache", credentials.Answer{Minted: true, Expiry: now}, "0s"},
	} {
		if got := kubeletCacheDuration(c.life, now); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestKubeletRespond_static(t *testing.T) {
	oh, _ := testObserved(t, "", router.Options{})
	storeRoot(t, oh.Helper, "https://registry.example.com", "alice", "alicepw")
	storeRoot(t, oh.Helper, "https://index.docker.io/v1/", "hubuser", "hubpw")
	storeRoot(t, oh.Helper, "localhost:5000", "local", "localpw")
	now := time.Now()

	resp := askKubelet(t, oh, "registry.example.com/team/app:1.0", now)
	wantAuth(t, resp, "registry.example.com", "alice", "alicepw")
	if resp.CacheKeyType != credentialproviderv1.RegistryPluginCacheKeyType || resp.CacheDuration != nil {
		t.Errorf("cacheKeyType %q, cacheDuration %s; want Registry and the default", resp.CacheKeyType, durationOf(resp))
	}
	wantAuth(t, askKubelet(t, oh, "docker.io/library/nginx", now), "docker.io", "hubuser", "hubpw")
	wantAuth(t, askKubelet(t, oh, "nginx:latest", now), "docker.io", "hubuser", "hubpw")
	wantAuth(t, askKubelet(t, oh, "localhost:5000/group/app@sha256:"+strings.Repeat("ab", 32), now), "localhost:5000", "local", "localpw")
}

func TestKubeletRespond_staticJWT(t *testing.T) {
	oh, _ := testObserved(t, "", router.Options{})
	now := time.Now().Truncate(time.Second)
	token := kubeletJWT(now.Add(2 * time.Hour))
	storeRoot(t, oh.Helper, "ci.example.com", "ci", token)
	resp := askKubelet(t, oh, "ci.example.com/app", now)
	wantAuth(t, resp, "ci.example.com", "ci", token)
	if got := durationOf(resp); got != "2h0m0s" {
		t.Errorf("cacheDuration %s, want the JWT's remaining life 2h0m0s", got)
	}
}

// TestKubeletRespond_repositoryScoped: a registry with path-scoped
// credentials (robot accounts) is cached per image, so the kubelet never
// reuses org-a's robot for org-b.
func TestKubeletRespond_repositoryScoped(t *testing.T) {
	oh, _ := testObserved(t, "", router.Options{})
	storeRoot(t, oh.Helper, "quay.io/org-a", "org-a+robot", "robotpw")
	storeRoot(t, oh.Helper, "quay.io", "person", "personpw")
	now := time.Now()

	resp := askKubelet(t, oh, "quay.io/org-a/app:1", now)
	wantAuth(t, resp, "quay.io/org-a/app", "org-a+robot", "robotpw")
	if resp.CacheKeyType != credentialproviderv1.ImagePluginCacheKeyType {
		t.Errorf("cacheKeyType %q, want Image", resp.CacheKeyType)
	}
	resp = askKubelet(t, oh, "quay.io/org-b/app", now)
	wantAuth(t, resp, "quay.io/org-b/app", "person", "personpw")
	if resp.CacheKeyType != credentialproviderv1.ImagePluginCacheKeyType {
		t.Errorf("cacheKeyType %q, want Image", resp.CacheKeyType)
	}
	// Another registry is unaffected.
	storeRoot(t, oh.Helper, "ghcr.io", "gh", "ghpw")
	if resp := askKubelet(t, oh, "ghcr.io/o/r", now); resp.CacheKeyType != credentialproviderv1.RegistryPluginCacheKeyType {
		t.Errorf("ghcr.io: cacheKeyType %q, want Registry", resp.CacheKeyType)
	}
}

// TestKubeletRespond_notFound: an empty auth that the kubelet does not
// cache, so that a later login takes effect on the next pull.
func TestKubeletRespond_notFound(t *testing.T) {
	oh, _ := testObserved(t, "", router.Options{})
	storeRoot(t, oh.Helper, "other.example.com", "u", "p")
	resp := askKubelet(t, oh, "registry.example.com/app", time.Now())
	if len(resp.Auth) != 0 || durationOf(resp) != "0s" {
		t.Errorf("auth %v, cacheDuration %s; want none, 0s", keysOf(resp.Auth), durationOf(resp))
	}
	out, err := json.Marshal(mustRespond(t, oh, "registry.example.com/app"))
	if err != nil || !strings.Contains(string(out), `"auth":{}`) {
		t.Errorf("response %s, want an explicit empty auth", out)
	}
}

func mustRespond(t *testing.T, oh *wire.Wiring, image string) kubeletResponse {
	t.Helper()
	ref, err := credentials.ParseReference(image)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := kubeletRespond(context.Background(), oh, ref, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestKubeletRespond_identityToken(t *testing.T) {
	oh, _ := testObserved(t, "", router.Options{})
	storeRoot(t, oh.Helper, "registry.example.com", credentials.TokenUsername, "refresh-token-secret")
	ref, _ := credentials.ParseReference("registry.example.com/app")
	_, err := kubeletRespond(context.Background(), oh, ref, time.Now)
	if err == nil || !strings.Contains(err.Error(), "identity token") {
		t.Fatalf("error %v, want one about the identity token", err)
	}
	if strings.Contains(err.Error(), "refresh-token-secret") {
		t.Fatalf("error leaks the token: %v", err)
	}
}

// TestKubeletRespond_expiredStatic: the static check's clear error is the
// answer (the kubelet logs it), never the expired token.
func TestKubeletRespond_expiredStatic(t *testing.T) {
	oh, _ := testObserved(t, "", router.Options{})
	storeRoot(t, oh.Helper, "ci.example.com", "ci", kubeletJWT(time.Now().Add(-time.Hour)))
	ref, _ := credentials.ParseReference("ci.example.com/app")
	if _, err := kubeletRespond(context.Background(), oh, ref, time.Now); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("error %v, want the expiry", err)
	}
}

// tokenRunner is an exec provider's command: it prints token-N, or fails.
type tokenRunner struct {
	calls atomic.Int32
	fail  atomic.Bool
}

func (r *tokenRunner) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	n := r.calls.Add(1)
	if r.fail.Load() {
		return nil, errors.New("token service down")
	}
	return []byte(fmt.Sprintf("token-%d\n", n)), nil
}

// TestKubeletRespond_minted follows one exec-minted token through its life
// with an injected clock: cacheDuration is the remaining life less the
// refresh margin, and "0s" when the helper serves a token inside the
// margin because the refresh failed.
func TestKubeletRespond_minted(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	runner := &tokenRunner{}
	oh, _ := testObserved(t, `
registries:
  - match: "*.mint.example"
    provider: exec
    command: [make-token]
    username: token
    lifetime: 1h
  - match: short.example
    provider: exec
    command: [make-token]
    username: token
    lifetime: 1h
    refresh_before: 20m
`, router.Options{Now: now, Providers: builtin.Factory(builtin.Options{Runner: runner})})

	resp := askKubelet(t, oh, "a.mint.example/team/app:1", now())
	wantAuth(t, resp, "a.mint.example", "token", "token-1")
	if got := durationOf(resp); got != "55m0s" {
		t.Errorf("fresh token: cacheDuration %s, want 1h less the 5m default margin", got)
	}
	advance(50 * time.Minute)
	resp = askKubelet(t, oh, "a.mint.example/team/app:1", now())
	wantAuth(t, resp, "a.mint.example", "token", "token-1")
	if got := durationOf(resp); got != "5m0s" {
		t.Errorf("cached token 50m later: cacheDuration %s, want 5m0s", got)
	}
	// Inside the margin, the refresh fails: the helper serves the old token
	// while it lives, and the kubelet must not cache it.
	advance(7 * time.Minute)
	runner.fail.Store(true)
	resp = askKubelet(t, oh, "a.mint.example/team/app:1", now())
	wantAuth(t, resp, "a.mint.example", "token", "token-1")
	if got := durationOf(resp); got != "0s" {
		t.Errorf("stale token served after a failed refresh: cacheDuration %s, want 0s", got)
	}
	// The refresh succeeds, once the failure is no longer shared with
	// other gets: a new token, a new duration.
	runner.fail.Store(false)
	advance(provider.DefaultShareFailure)
	resp = askKubelet(t, oh, "a.mint.example/team/app:1", now())
	if a := resp.Auth["a.mint.example"]; a.Password == "token-1" || durationOf(resp) != "55m0s" {
		t.Errorf("after refresh: %s, cacheDuration %s; want a new token for 55m0s", a.Password, durationOf(resp))
	}
	// A configured refresh_before is the margin.
	if got := durationOf(askKubelet(t, oh, "short.example/app", now())); got != "40m0s" {
		t.Errorf("refresh_before 20m: cacheDuration %s, want 40m0s", got)
	}
}

// TestKubeletRespond_mintedOnce: a provider that gives no lifetime is used
// once; the kubelet must not cache its token either.
func TestKubeletRespond_mintedOnce(t *testing.T) {
	oh, _ := testObserved(t, `
registries:
  - match: once.example
    provider: exec
    command: [make-token]
    username: token
`, router.Options{Providers: builtin.Factory(builtin.Options{Runner: &tokenRunner{}})})
	resp := askKubelet(t, oh, "once.example/app", time.Now())
	wantAuth(t, resp, "once.example", "token", "token-1")
	if got := durationOf(resp); got != "0s" {
		t.Errorf("cacheDuration %s, want 0s", got)
	}
}

// TestKubeletRespond_docExamples answers images under the matchImages
// examples of the kubelet documentation (kubelet-credential-provider task
// page and the CredentialProvider reference) and checks that each auth key
// selects the image under matchImages semantics, as the kubelet's keyring
// will match it.
func TestKubeletRespond_docExamples(t *testing.T) {
	oh, _ := testObserved(t, "", router.Options{})
	for i, c := range []struct{ server, image string }{
		{"123456789.dkr.ecr.us-east-1.amazonaws.com", "123456789.dkr.ecr.us-east-1.amazonaws.com/my-image:latest"},
		{"myregistry.azurecr.io", "myregistry.azurecr.io/team/app:v1"},
		{"gcr.io", "gcr.io/authenticated-image-pulling/alpine:3.7"},
		{"foo.bar.registry.io", "foo.bar.registry.io/app"},
		{"registry.io:8080", "registry.io:8080/path/app"},
		{"k8s.io", "k8s.io/foo/bar"},
		{"foo.k8s.io", "foo.k8s.io/app"},
	} {
		storeRoot(t, oh.Helper, c.server, fmt.Sprintf("user%d", i), fmt.Sprintf("pw%d", i))
		resp := askKubelet(t, oh, c.image, time.Now())
		ref, _ := credentials.ParseReference(c.image)
		for key, a := range resp.Auth {
			p, err := credentials.ParsePattern(key)
			if err != nil || !p.Matches(ref.Host) {
				t.Errorf("%s: auth key %q does not match the image (%v)", c.image, key, err)
			}
			if a.Username != fmt.Sprintf("user%d", i) {
				t.Errorf("%s: username %q", c.image, a.Username)
			}
		}
		if len(resp.Auth) != 1 {
			t.Errorf("%s: %d auth entries", c.image, len(resp.Auth))
		}
	}
}

func TestReadKubeletRequest(t *testing.T) {
	// The kubelet's own encoding, with the service account fields (ignored).
	b, _ := json.Marshal(credentialproviderv1.CredentialProviderRequest{
		TypeMeta:                  metav1.TypeMeta{APIVersion: kubeletAPIVersion, Kind: "CredentialProviderRequest"},
		Image:                     "registry.example.com/team/app:1.0",
		ServiceAccountToken:       "eyJhbGciOi.sa-token.sig",
		ServiceAccountAnnotations: map[string]string{"example.com/audience": "registry"},
	})
	req, ref, err := readKubeletRequest(bytes.NewReader(b))
	if err != nil || req.Image != "registry.example.com/team/app:1.0" || ref.Host.Key() != "registry.example.com/team/app" {
		t.Fatalf("readKubeletRequest(%s) = %+v, %+v, %v", b, req, ref, err)
	}
	// Older versions have the same shape and are answered in their own.
	for _, v := range []string{"credentialprovider.kubelet.k8s.io/v1beta1", "credentialprovider.kubelet.k8s.io/v1alpha1"} {
		in := `{"apiVersion":"` + v + `","kind":"CredentialProviderRequest","image":"gcr.io/authenticated-image-pulling/alpine:3.7"}`
		if req, _, err := readKubeletRequest(strings.NewReader(in)); err != nil || req.APIVersion != v {
			t.Errorf("%s: %+v, %v", v, req, err)
		}
	}

	for _, c := range []struct{ in, want string }{
		{"", "empty request"},
		{"  \n", "empty request"},
		{"{", "malformed"},
		{"[]", "malformed"},
		{`"image"`, "malformed"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"a"} {}`, "data after"},
		{`{"kind":"CredentialProviderRequest","image":"a"}`, "apiVersion"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v2","kind":"CredentialProviderRequest","image":"a"}`, "apiVersion"},
		{`{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderRequest","image":"a"}`, "apiVersion"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","image":"a"}`, "kind"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a"}`, "kind"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest"}`, "no image"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":""}`, "no image"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"Bad/Image"}`, "invalid image reference"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"https://registry.example.com/app"}`, "invalid image reference"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":7}`, "malformed"},
		{strings.Repeat(" ", kubeletMaxRequest+1), "larger than"},
	} {
		_, _, err := readKubeletRequest(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("readKubeletRequest(%.60q) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

// kubelet runs the real binary as the kubelet runs a plugin and decodes
// its response with the kubelet's types.
func (s *sandbox) kubelet(image string) *credentialproviderv1.CredentialProviderResponse {
	s.T.Helper()
	out, errs, code := s.Exec(kubeletRequestJSON(s.T, image), "kubelet")
	if code != 0 || errs != "" {
		s.T.Fatalf("kubelet %s: exit %d, stderr %q", image, code, errs)
	}
	return decodeKubeletResponse(s.T, []byte(out))
}

func TestBinary_kubeletStatic(t *testing.T) {
	s := newSandbox(t)
	s.Store("https://registry.example.com", "alice", "alicepw")
	resp := s.kubelet("registry.example.com/team/app:1.0")
	wantAuth(t, resp, "registry.example.com", "alice", "alicepw")
	if resp.CacheDuration != nil || resp.CacheKeyType != credentialproviderv1.RegistryPluginCacheKeyType {
		t.Errorf("cacheKeyType %q, cacheDuration %s; want Registry, the kubelet's default", resp.CacheKeyType, durationOf(resp))
	}
	resp = s.kubelet("elsewhere.example.com/app")
	if len(resp.Auth) != 0 || durationOf(resp) != "0s" {
		t.Errorf("not found: auth %v, cacheDuration %s", keysOf(resp.Auth), durationOf(resp))
	}
}

// TestBinary_kubeletOAuth2: a provider registry through the real binary and
// an httptest token endpoint: the password is the minted access token and
// cacheDuration its life less the margin; the second request is served
// from the token cache.
func TestBinary_kubeletOAuth2(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		if id, secret, ok := r.BasicAuth(); !(ok && id == "client-id" && secret == "client-secret") && !(r.PostForm.Get("client_id") == "client-id" && r.PostForm.Get("client_secret") == "client-secret") {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"access-%d","token_type":"Bearer","expires_in":3600}`, n)
	}))
	defer srv.Close()
	s := newSandbox(t)
	s.WriteConfig(fmt.Sprintf(`
registries:
  - match: registry.example.com
    provider: oauth2
    token_url: %s/token
    username: oauth2accesstoken
`, srv.URL))
	s.Store("registry.example.com", "client-id", "client-secret")

	for i := range 2 {
		start := time.Now()
		resp := s.kubelet("registry.example.com/team/app:1.0")
		wantAuth(t, resp, "registry.example.com", "oauth2accesstoken", "access-1")
		if resp.CacheDuration == nil {
			t.Fatal("no cacheDuration for a token that expires")
		}
		d := resp.CacheDuration.Duration
		// 3600 s less the 5 m margin, less the time since the token was minted.
		if max, min := 55*time.Minute, 55*time.Minute-time.Since(start)-30*time.Second; d > max || d < min || d%time.Second != 0 {
			t.Errorf("request %d: cacheDuration %v, want about 55m in whole seconds", i, d)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d token requests, want 1 (the second answer comes from the cache)", n)
	}
}

func TestBinary_kubeletErrors(t *testing.T) {
	s := newSandbox(t)
	s.Store("registry.example.com", credentials.TokenUsername, "identity-token-secret")
	for _, c := range []struct{ in, want string }{
		{"", "empty request"},
		{"not json", "malformed"},
		{`{"apiVersion":"v1","kind":"Pod"}`, "apiVersion"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":""}`, "no image"},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"registry.example.com/app"}`, "identity token"},
	} {
		out, errs, code := s.Exec(c.in, "kubelet")
		if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("kubelet < %q: exit %d, stdout %q, stderr %q; want exit 1, one line on stderr about %q", c.in, code, out, errs, c.want)
		}
		if strings.Contains(errs, "identity-token-secret") {
			t.Errorf("stderr leaks the secret: %q", errs)
		}
	}
	out, _, code := s.Exec("", "kubelet", "--help")
	if code != 0 || !strings.Contains(out, "CredentialProviderConfig") || !strings.Contains(out, "Example") {
		t.Errorf("kubelet --help: exit %d, %q", code, out)
	}
}
