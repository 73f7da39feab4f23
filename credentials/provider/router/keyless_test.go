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
// not serve the tokens minted under the old one; a kubelet source fails
// only its own entry.
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
			t.Errorf("Unstored = %v, want keyless.example alone (kubelet.example cannot mint)", got)
		}
		a, err := rt.Mint(context.Background(), host(t, "keyless.example"), nil)
		want := []string{"kl-1", "kl-1", "kl-2"}[i] // the same identity shares the cached token
		if err != nil || a.Secret != want || a.Username != "oauth2accesstoken" {
			t.Errorf("run %d (audience %s): Mint = %+v, %v; want %s", i, aud, a, err, want)
		}
		_, err = rt.Mint(context.Background(), host(t, "kubelet.example"), nil)
		if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "k.yaml:9") {
			t.Errorf("Mint(kubelet source) = %v, want ErrUnsupported naming the entry", err)
		}
	}
	if runner.calls.Load() != 2 || requests.Load() != 2 {
		t.Errorf("%d identity runs, %d exchanges; want 2 and 2", runner.calls.Load(), requests.Load())
	}
}
