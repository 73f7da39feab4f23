// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package router

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/builtin"
	"github.com/docker-credential-mint/mint/store"
)

// jwtRunner is an exec identity source printing a JWT-shaped token.
type jwtRunner struct{ calls atomic.Int32 }

func (j *jwtRunner) Run(context.Context, io.Reader, string, ...string) ([]byte, error) {
	j.calls.Add(1)
	enc := base64.RawURLEncoding.EncodeToString
	return []byte(enc([]byte(`{"alg":"RS256"}`)) + "." + enc(fmt.Appendf(nil, `{"exp":%d}`, time.Now().Add(time.Hour).Unix())) + ".sig"), nil
}

func keylessConfig(t *testing.T, tokenURL, aud string) *credentials.Config {
	t.Helper()
	cfg, err := credentials.LoadConfig(strings.NewReader(fmt.Sprintf(`
registries:
  - match: keyless.example
    provider: oauth2
    grant: jwt_bearer
    token_url: %s
    username: oauth2accesstoken
    identity: {source: exec, command: [print-jwt, --aud, %s]}
  - match: kubelet.example
    provider: oauth2
    grant: token_exchange
    token_url: %s
    username: u
    identity: {source: kubelet}
`, tokenURL, aud, tokenURL)), "k.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRouter_Mint_keyless: a keyless entry mints with no root credential,
// is listed before anything is stored, and a changed identity block does
// not serve the tokens minted under the old one; a kubelet source without
// the kubelet's token fails only its own entry, and is not listed.
func TestRouter_Mint_keyless(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || r.PostForm.Get("assertion") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"kl-%d","expires_in":3600}`, n)
	}))
	defer srv.Close()
	tokens := store.NewMemory()
	runner := &jwtRunner{}
	for i, aud := range []string{"a", "a", "b"} {
		rt, err := New(keylessConfig(t, srv.URL, aud), Options{Tokens: tokens, Roots: store.NewMemory(), LockDir: t.TempDir(), Providers: builtin.Factory(builtin.Options{Runner: runner})})
		if err != nil {
			t.Fatal(err)
		}
		if got := rt.Unstored(context.Background()); got["keyless.example"] != "oauth2accesstoken" || len(got) != 1 {
			t.Errorf("Unstored = %v, want keyless.example alone (kubelet.example mints only for the kubelet)", got)
		}
		a, err := rt.Mint(context.Background(), host(t, "keyless.example"), nil)
		want := []string{"kl-1", "kl-1", "kl-2"}[i] // the same identity shares the cached token
		if err != nil || a.Secret != want || a.Username != "oauth2accesstoken" {
			t.Errorf("run %d (audience %s): Mint = %+v, %v; want %s", i, aud, a, err, want)
		}
		_, err = rt.Mint(context.Background(), host(t, "kubelet.example"), nil)
		if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "k.yaml:9: identity source kubelet: no service account token") {
			t.Errorf("Mint(kubelet source, no token) = %v, want an error naming the entry", err)
		}
	}
	if runner.calls.Load() != 2 || requests.Load() != 2 {
		t.Errorf("%d identity runs, %d exchanges; want 2 and 2", runner.calls.Load(), requests.Load())
	}
}

// saJWT is a service-account-shaped JWT (unsigned).
func saJWT(sub, uid, pod string, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc(fmt.Appendf(nil,
		`{"iss":"https://k8s.example","sub":%q,"exp":%d,"kubernetes.io":{"serviceaccount":{"name":"x","uid":%q},"pod":{"name":%q}}}`,
		sub, exp.Unix(), uid, pod)) + ".sig"
}

// TestRouter_Mint_kubeletIdentity: the token cache of an identity source
// kubelet entry is per service account: each identity is exchanged once
// (two pods of one service account share it), two identities never share
// a token, and keys hold a hash of the identity, never the token.
func TestRouter_Mint_kubeletIdentity(t *testing.T) {
	var mu sync.Mutex
	subjects := map[string]int{}
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		_ = r.ParseForm()
		mu.Lock()
		subjects[r.PostForm.Get("subject_token")]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"kt-%d","expires_in":3600}`, n)
	}))
	defer srv.Close()
	tokens := store.NewMemory()
	rt, err := New(keylessConfig(t, srv.URL, "a"), Options{Tokens: tokens, Roots: store.NewMemory(), LockDir: t.TempDir(), Providers: builtin.Factory(builtin.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	a1, a2 := saJWT("system:serviceaccount:a:x", "uid-a", "p1", exp), saJWT("system:serviceaccount:a:x", "uid-a", "p2", exp)
	b := saJWT("system:serviceaccount:b:x", "uid-b", "p3", exp)
	h := host(t, "kubelet.example/team/app")
	mint := func(tok string) string {
		t.Helper()
		a, err := rt.Mint(credentials.WithServiceAccountToken(context.Background(), tok), h, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a.Secret
	}
	// Concurrent first requests of two identities: one exchange each.
	got := make([]string, 20)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = mint([]string{a1, a2, b, b}[i%4]) })
	}
	wg.Wait()
	for i, s := range got {
		if want := got[i%4/2*2]; s != want || (i%4 < 2) == (s == got[2]) {
			t.Errorf("get %d = %s; want one token per service account", i, s)
		}
	}
	if requests.Load() != 2 || subjects[b] != 1 || subjects[a1]+subjects[a2] != 1 {
		t.Errorf("%d exchanges, want one per service account", requests.Load())
	}
	entries, _ := tokens.List(context.Background())
	for key, e := range entries {
		if !strings.HasPrefix(key, "kubelet.example/@sa-") || strings.Contains(key+e.Secret, a1) || strings.Contains(key+e.Secret, b) {
			t.Errorf("token cache key %q (want kubelet.example/@sa-HASH, no token)", key)
		}
	}
	if len(entries) != 2 {
		t.Errorf("%d cached tokens, want 2", len(entries))
	}
	// An expired token is refused even when its identity has a cached token.
	if _, err := rt.Mint(credentials.WithServiceAccountToken(context.Background(), saJWT("system:serviceaccount:a:x", "uid-a", "p4", time.Now().Add(-time.Second))), h, nil); err == nil || !strings.Contains(err.Error(), "expired at") {
		t.Errorf("Mint(expired service account token) = %v", err)
	}
	// store/erase of the registry drops every identity's token.
	if err := rt.Forget(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if entries, _ := tokens.List(context.Background()); len(entries) != 0 {
		t.Errorf("Forget left %d tokens", len(entries))
	}
}
