// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package oauth2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/store"
)

// identityFile writes tok to a file and returns the file identity block.
func identityFile(t *testing.T, tok string) *credentials.Identity {
	t.Helper()
	path := filepath.Join(t.TempDir(), "identity.jwt")
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &credentials.Identity{Source: credentials.IdentityFile, Path: path}
}

// exchangeServer answers every token request with body after check.
func exchangeServer(t *testing.T, check func(r *http.Request), body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		check(r)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestProvider_Token_tokenExchange(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	subject := jwt(t0.Add(time.Hour))
	srv, _ := exchangeServer(t, func(r *http.Request) {
		checkForm(t, r, url.Values{
			"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token":        {subject},
			"subject_token_type":   {"urn:ietf:params:oauth:token-type:jwt"},
			"requested_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
			"audience":             {"registry.example.com"},
			"scope":                {"repository:app:pull repository:lib:pull"},
		})
		if a := r.Header.Get("Authorization"); a != "" {
			t.Errorf("Authorization = %q, want none (no client)", a)
		}
	}, `{"access_token":"exchanged-1","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"N_A","expires_in":300}`)
	p := newProvider(t, credentials.Registry{
		TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantTokenExchange, Audience: "registry.example.com",
		Scopes: []string{"repository:app:pull", "repository:lib:pull"}, Identity: identityFile(t, subject),
	}, Options{Now: func() time.Time { return t0 }})
	tok, err := p.Token(context.Background(), host, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "oauth2accesstoken" || tok.Secret != "exchanged-1" || !tok.Expiry.Equal(t0.Add(300*time.Second)) {
		t.Errorf("Token = %+v, want exchanged-1 expiring in 300 s", tok)
	}
}

func TestProvider_Token_jwtBearer(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	subject := jwt(t0.Add(time.Hour))
	access := jwt(t0.Add(7 * time.Minute)) // no expires_in: the JWT's exp counts
	srv, _ := exchangeServer(t, func(r *http.Request) {
		checkForm(t, r, url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion":  {subject},
			"client_id":  {"registry-puller"},
		})
		if a := r.Header.Get("Authorization"); a != "" {
			t.Errorf("Authorization = %q, want none (public client)", a)
		}
	}, fmt.Sprintf(`{"access_token":%q,"token_type":"Bearer"}`, access))
	env := map[string]string{"REGISTRY_ID_TOKEN": subject}
	p := newProvider(t, credentials.Registry{
		TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantJWTBearer, ClientID: "registry-puller",
		Identity: &credentials.Identity{Source: credentials.IdentityGitLab, Env: "REGISTRY_ID_TOKEN"},
	}, Options{Now: func() time.Time { return t0 }, Getenv: func(k string) string { return env[k] }})
	tok, err := p.Token(context.Background(), host, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Secret != access || !tok.Expiry.Equal(t0.Add(7*time.Minute)) {
		t.Errorf("Token = %+v, want the access JWT expiring at its exp", tok)
	}
}

// TestProvider_Token_keylessClientSecret: a stored root is the client's
// secret, sent as the other grants send it (Basic header first).
func TestProvider_Token_keylessClientSecret(t *testing.T) {
	subject := jwt(time.Now().Add(time.Hour))
	srv, _ := exchangeServer(t, func(r *http.Request) {
		checkForm(t, r, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {subject}})
		if got, want := r.Header.Get("Authorization"), basic("cid", "client-secret-1"); got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
	}, `{"access_token":"at","expires_in":60}`)
	for _, tc := range []struct{ clientID, user string }{{"cid", "someone"}, {"", "cid"}} {
		p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantJWTBearer, ClientID: tc.clientID, Identity: identityFile(t, subject)}, Options{})
		if _, err := p.Token(context.Background(), host, &store.Entry{ServerURL: "registry.example.com", Username: tc.user, Secret: "client-secret-1"}); err != nil {
			t.Errorf("client_id %q, stored username %q: %v", tc.clientID, tc.user, err)
		}
	}
}

func TestProvider_Token_keylessDefaultLifetime(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	srv, _ := exchangeServer(t, func(*http.Request) {}, `{"access_token":"opaque","token_type":"Bearer"}`)
	for life, want := range map[time.Duration]time.Time{0: t0.Add(DefaultLifetime), 10 * time.Minute: t0.Add(10 * time.Minute)} {
		p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantTokenExchange, Lifetime: life, Identity: identityFile(t, jwt(t0.Add(time.Hour)))}, Options{Now: func() time.Time { return t0 }})
		tok, err := p.Token(context.Background(), host, nil)
		if err != nil || !tok.Expiry.Equal(want) {
			t.Errorf("lifetime %v: Token = %+v, %v; want expiry %v", life, tok, err, want)
		}
	}
}

// TestProvider_Token_keylessRefused: the endpoint's refusal names the
// identity source and never shows the subject token, even when the
// endpoint quotes it.
func TestProvider_Token_keylessRefused(t *testing.T) {
	subject := jwt(time.Now().Add(time.Hour))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"audience mismatch in %s"}`, r.PostForm.Get("subject_token"))
	}))
	defer srv.Close()
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantTokenExchange, Identity: identityFile(t, subject)}, Options{})
	_, err := p.Token(context.Background(), host, nil)
	if err == nil {
		t.Fatal("Token succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, subject) || strings.Contains(msg, strings.Split(subject, ".")[1]) || strings.Contains(msg, "\n") {
		t.Errorf("error shows the subject token or is not one line: %q", msg)
	}
	for _, want := range []string{"registry.example.com", "refused the identity token from identity source file", "invalid_grant: audience mismatch in [redacted]"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
}

// TestProvider_Token_keylessSourceFails: no request when the identity
// source fails, and its error is the one shown.
func TestProvider_Token_keylessSourceFails(t *testing.T) {
	srv, n := exchangeServer(t, func(*http.Request) {}, `{"access_token":"x"}`)
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantJWTBearer,
		Identity: &credentials.Identity{Source: credentials.IdentityGitLab, Env: "NOPE"}}, Options{Getenv: func(string) string { return "" }})
	_, err := p.Token(context.Background(), host, nil)
	if err == nil || !strings.Contains(err.Error(), "oauth2: registry.example.com: identity: gitlab: $NOPE is not set") || n.Load() != 0 {
		t.Errorf("Token = %v after %d requests", err, n.Load())
	}
}

// TestProvider_Token_githubActions: the identity comes from a stand-in of
// GitHub Actions' OIDC endpoint, asked for the configured audience, and is
// what the exchange presents.
func TestProvider_Token_githubActions(t *testing.T) {
	const requestToken = "gha-request-token-0123456789"
	exp := time.Now().Add(5 * time.Minute)
	issued := map[string]string{} // audience → JWT
	var mu sync.Mutex
	gha := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer "+requestToken || r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		aud := r.URL.Query().Get("audience")
		tok := jwt(exp) + strings.ReplaceAll(aud, ".", "-")
		mu.Lock()
		issued[aud] = tok
		mu.Unlock()
		fmt.Fprintf(w, `{"count":1,"value":%q}`, tok)
	}))
	defer gha.Close()
	srv, _ := exchangeServer(t, func(r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		defer mu.Unlock()
		if got, want := r.PostForm.Get("subject_token"), issued["sts.example.com"]; got == "" || got != want {
			t.Errorf("subject_token = %q, want the token issued for audience sts.example.com (%q)", got, want)
		}
	}, `{"access_token":"at-gha","expires_in":120}`)
	env := map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   gha.URL + "/idtoken?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken,
	}
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantTokenExchange,
		Identity: &credentials.Identity{Source: credentials.IdentityGitHubActions, Audience: "sts.example.com"}}, Options{Getenv: func(k string) string { return env[k] }})
	tok, err := p.Token(context.Background(), host, nil)
	if err != nil || tok.Secret != "at-gha" {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
}

// TestProvider_Token_keylessUnderCache: twenty concurrent gets with no root
// credential make one exchange and read the identity once.
func TestProvider_Token_keylessUnderCache(t *testing.T) {
	var reads atomic.Int32
	subject := jwt(time.Now().Add(time.Hour))
	srv, n := exchangeServer(t, func(*http.Request) {}, `{"access_token":"shared","expires_in":600}`)
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantJWTBearer,
		Identity: &credentials.Identity{Source: credentials.IdentityGitLab, Env: "T"}},
		Options{Getenv: func(string) string { reads.Add(1); return subject }})
	c := provider.Cached(p, store.NewMemory(), provider.CacheOptions{LockDir: t.TempDir()})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if tok, err := c.Token(context.Background(), host, nil); err != nil || tok.Secret != "shared" {
				t.Errorf("Token = %+v, %v", tok, err)
			}
		})
	}
	wg.Wait()
	if n.Load() != 1 || reads.Load() != 1 {
		t.Errorf("%d exchanges, %d identity reads; want 1 and 1", n.Load(), reads.Load())
	}
}

// TestProvider_Token_kubeletIdentity: with identity source kubelet, the
// service-account token of the kubelet's request (in the context) is the
// subject token; without one, nothing is sent and the error says how the
// kubelet is made to send it.
func TestProvider_Token_kubeletIdentity(t *testing.T) {
	subject := jwt(time.Now().Add(time.Hour))
	srv, n := exchangeServer(t, func(r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("subject_token") != subject {
			t.Error("the subject token is not the kubelet's service account token")
		}
	}, `{"access_token":"pod-token","expires_in":300}`)
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/token", Grant: credentials.GrantTokenExchange,
		Identity: &credentials.Identity{Source: credentials.IdentityKubelet}}, Options{})
	tok, err := p.Token(credentials.WithServiceAccountToken(context.Background(), subject), host, nil)
	if err != nil || tok.Secret != "pod-token" {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	_, err = p.Token(context.Background(), host, nil)
	if err == nil || !strings.Contains(err.Error(), "tokenAttributes") || errors.Is(err, provider.ErrNotFound) || n.Load() != 1 {
		t.Errorf("Token(no service account token) = %v after %d requests; want a real error naming tokenAttributes, one request", err, n.Load())
	}
}
