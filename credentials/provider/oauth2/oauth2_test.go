// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package oauth2

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/providertest"
	"github.com/docker-credential-mint/mint/store"
)

var host = credentials.Host{Name: "registry.example.com"}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(user)+":"+url.QueryEscape(pass)))
}

// checkForm asserts the token request's method, path, content type and
// form values (x/oauth2 oauth2_test.go style).
func checkForm(t *testing.T, r *http.Request, want url.Values) {
	t.Helper()
	if r.Method != http.MethodPost || r.URL.Path != "/oauth2/token" {
		t.Errorf("request %s %s, want POST /oauth2/token", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if got := r.PostForm.Get(k); got != want.Get(k) {
			t.Errorf("form %s = %q, want %q", k, got, want.Get(k))
		}
	}
	for k := range r.PostForm {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected form value %s", k)
		}
	}
}

func newProvider(t *testing.T, reg credentials.Registry, opts Options) *Provider {
	t.Helper()
	if reg.Username == "" {
		reg.Username = "oauth2accesstoken"
	}
	p, err := New(reg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProvider_Token_clientCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkForm(t, r, url.Values{"grant_type": {"client_credentials"}, "scope": {"registry.pull registry.push"}})
		if got, want := r.Header.Get("Authorization"), basic("helper id", "s3cret&x"); got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at-1","token_type":"bearer","expires_in":3600}`)
	}))
	defer srv.Close()
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Scopes: []string{"registry.pull", "registry.push"}}, Options{})
	before := time.Now()
	tok, err := p.Token(context.Background(), host, &store.Entry{ServerURL: "registry.example.com", Username: "helper id", Secret: "s3cret&x"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "oauth2accesstoken" || tok.Secret != "at-1" {
		t.Errorf("Token = %+v", tok)
	}
	if tok.Expiry.Before(before.Add(time.Hour)) || tok.Expiry.After(time.Now().Add(time.Hour)) {
		t.Errorf("Expiry = %v, want about an hour from now", tok.Expiry)
	}
}

func TestProvider_Token_noExpiresIn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at-1","token_type":"bearer"}`)
	}))
	defer srv.Close()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0 }
	for life, want := range map[time.Duration]time.Time{0: t0.Add(DefaultLifetime), 10 * time.Minute: t0.Add(10 * time.Minute)} {
		p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Lifetime: life}, Options{Now: now})
		tok, err := p.Token(context.Background(), host, &store.Entry{Username: "id", Secret: "secret"})
		if err != nil || !tok.Expiry.Equal(want) {
			t.Errorf("lifetime %v: Token = %+v, %v; want expiry %v", life, tok, err, want)
		}
	}
}

func TestProvider_Token_noRoot(t *testing.T) {
	p := newProvider(t, credentials.Registry{TokenURL: "https://auth.example.com/oauth2/token"}, Options{})
	if _, err := p.Token(context.Background(), host, nil); !errors.Is(err, provider.ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Token(no root) = %v, want ErrNotFound", err)
	}
}

// rotatingServer is a token endpoint that rotates refresh tokens with reuse
// detection, as Ory Hydra does: presenting a spent refresh token revokes
// the whole chain.
type rotatingServer struct {
	t        *testing.T
	clientID string
	secret   string // client secret, "" for a public client
	mu       sync.Mutex
	valid    string // the one live refresh token
	n        int
	reused   bool
	requests atomic.Int32
}

func (s *rotatingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.secret == "" {
		// A public client: its id in the body (RFC 6749 §3.2.1).
		checkForm(s.t, r, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.FormValue("refresh_token")}, "client_id": {s.clientID}})
		if got := r.Header.Get("Authorization"); got != "" {
			s.t.Errorf("Authorization = %q for a public client", got)
		}
	} else {
		checkForm(s.t, r, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.FormValue("refresh_token")}})
		if got, want := r.Header.Get("Authorization"), basic(s.clientID, s.secret); got != want {
			s.t.Errorf("Authorization = %q, want %q", got, want)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if rt := r.FormValue("refresh_token"); rt != s.valid || s.reused {
		if !s.reused {
			s.t.Errorf("refresh token %q presented, want %q: an old refresh token was reused", rt, s.valid)
		}
		s.reused = true
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"refresh token %s was already used"}`, rt)
		return
	}
	s.n++
	s.valid = fmt.Sprintf("rt-%d", s.n+1)
	fmt.Fprintf(w, `{"access_token":"at-%d","token_type":"bearer","expires_in":600,"refresh_token":%q}`, s.n, s.valid)
}

func TestProvider_Token_refreshRotation(t *testing.T) {
	rs := &rotatingServer{t: t, clientID: "helper", valid: "rt-1"}
	srv := httptest.NewServer(rs)
	defer srv.Close()
	roots := store.NewMemory()
	root := store.Entry{ServerURL: "https://registry.example.com/v2/", Username: "helper", Secret: "rt-1"}
	if err := roots.Put(context.Background(), "registry.example.com", root); err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantRefreshToken}, Options{Roots: roots})

	for i := 1; i <= 3; i++ {
		// The caller's root is the one it read before the first refresh:
		// stale from the second call on. The provider must use the stored one.
		tok, err := p.Token(context.Background(), host, &root)
		if err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		if want := fmt.Sprintf("at-%d", i); tok.Secret != want {
			t.Errorf("refresh %d: access token %q, want %q", i, tok.Secret, want)
		}
		e, _ := roots.Get(context.Background(), "registry.example.com")
		if want := fmt.Sprintf("rt-%d", i+1); e.Secret != want || e.Username != "helper" || e.ServerURL != root.ServerURL {
			t.Errorf("refresh %d: stored root %+v, want the rotated %s", i, e, want)
		}
	}
}

// failingRoots is a root store whose Put fails.
type failingRoots struct{ *store.Memory }

func (failingRoots) Put(context.Context, string, store.Entry) error {
	return fmt.Errorf("keychain: %w", store.ErrUnavailable)
}

// TestProvider_Token_rotationSavedBeforeReturn: when the rotated refresh
// token cannot be saved, no access token is returned.
func TestProvider_Token_rotationSavedBeforeReturn(t *testing.T) {
	rs := &rotatingServer{t: t, clientID: "helper", valid: "rt-1"}
	srv := httptest.NewServer(rs)
	defer srv.Close()
	roots := failingRoots{store.NewMemory()}
	root := store.Entry{ServerURL: "registry.example.com", Username: "helper", Secret: "rt-1"}
	_ = roots.Memory.Put(context.Background(), "registry.example.com", root)
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantRefreshToken}, Options{Roots: roots})
	tok, err := p.Token(context.Background(), host, &root)
	if err == nil || tok != nil || !strings.Contains(err.Error(), "save the rotated refresh token") {
		t.Errorf("Token = %+v, %v; want no token and a save error", tok, err)
	}
}

func TestProvider_Token_refreshConfidentialClient(t *testing.T) {
	rs := &rotatingServer{t: t, clientID: "cfg-client", secret: "client-s3cret", valid: "rt-1"}
	srv := httptest.NewServer(rs)
	defer srv.Close()
	roots := store.NewMemory()
	root := store.Entry{ServerURL: "registry.example.com", Username: credentials.TokenUsername, Secret: `{"refresh_token":"rt-1","client_secret":"client-s3cret"}`}
	_ = roots.Put(context.Background(), "registry.example.com", root)
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantRefreshToken, ClientID: "cfg-client"}, Options{Roots: roots})
	if _, err := p.Token(context.Background(), host, &root); err != nil {
		t.Fatal(err)
	}
	e, _ := roots.Get(context.Background(), "registry.example.com")
	if want := `{"refresh_token":"rt-2","client_secret":"client-s3cret"}`; e.Secret != want {
		t.Errorf("stored root %s, want %s", e.Secret, want)
	}
}

// TestProvider_Token_refreshUnderCache: twenty goroutines through one Cache,
// with tokens that are never fresh (a refresh margin longer than their
// life), refresh twenty times in turn and never present a spent refresh
// token.
func TestProvider_Token_refreshUnderCache(t *testing.T) {
	rs := &rotatingServer{t: t, clientID: "helper", valid: "rt-1"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answer without expires_in: the token lives DefaultLifetime.
		rec := httptest.NewRecorder()
		rs.ServeHTTP(rec, r)
		body := strings.Replace(rec.Body.String(), `"expires_in":600,`, "", 1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	roots := store.NewMemory()
	root := store.Entry{ServerURL: "registry.example.com", Username: "helper", Secret: "rt-1"}
	_ = roots.Put(context.Background(), "registry.example.com", root)
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: credentials.GrantRefreshToken}, Options{Roots: roots})
	c := provider.Cached(p, store.NewMemory(), provider.CacheOptions{LockDir: t.TempDir(), RefreshBefore: time.Hour})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.Token(context.Background(), host, &root); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := rs.requests.Load(); n != 20 || rs.reused {
		t.Errorf("%d requests, reused=%v; want 20 without reuse", n, rs.reused)
	}
}

func TestProvider_Token_errors(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{401, `{"error":"invalid_client","error_description":"client authentication failed"}`,
			"oauth2: registry.example.com: the token endpoint refused the stored credential (invalid_client: client authentication failed); run `docker login registry.example.com` or `docker-credential-mint login registry.example.com`"},
		{400, `{"error":"invalid_grant","error_description":"bad secret hunter2-secret\nsecond line"}`,
			"oauth2: registry.example.com: the token endpoint refused the stored credential (invalid_grant: bad secret [redacted] second line); run `docker login registry.example.com` or `docker-credential-mint login registry.example.com`"},
		{400, `{"error":"invalid_scope"}`, "oauth2: registry.example.com: the token endpoint failed (invalid_scope)"},
		{500, `<html>hunter2-secret</html>`, "oauth2: registry.example.com: the token endpoint failed (HTTP 500)"},
		{401, `nope`, "oauth2: registry.example.com: the token endpoint refused the stored credential (HTTP 401); run `docker login registry.example.com` or `docker-credential-mint login registry.example.com`"},
		{200, `{"token_type":"bearer"}`, "oauth2: registry.example.com: token request: oauth2: server response missing access_token"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(tc.body, "{") {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		}))
		p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token"}, Options{})
		_, err := p.Token(context.Background(), host, &store.Entry{Username: "helper", Secret: "hunter2-secret"})
		srv.Close()
		if err == nil || err.Error() != tc.want {
			t.Errorf("HTTP %d %s:\n got %v\nwant %s", tc.status, tc.body, err, tc.want)
		}
	}
}

func TestProvider_Token_redirectToAnotherHostRefused(t *testing.T) {
	other := providertest.NewCrossHost(t, `{"access_token":"stolen","token_type":"bearer"}`)
	srv := httptest.NewServer(other.Redirect("/oauth2/token"))
	defer srv.Close()
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token"}, Options{})
	_, err := p.Token(context.Background(), host, &store.Entry{Username: "helper", Secret: "hunter2-secret"})
	other.Check(t, err, "hunter2")
}

func TestProvider_Token_plainHTTP(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at","token_type":"bearer","expires_in":60}`)
	}))
	defer srv.Close()
	tr := providertest.DialTo(srv.Listener.Addr().String())
	reg := credentials.Registry{Username: "u", TokenURL: "http://auth.example.com/oauth2/token"}

	if _, err := New(reg, Options{Transport: tr}); err == nil || !strings.Contains(err.Error(), "plain http is allowed only") {
		t.Errorf("New(http, non-loopback) = %v, want refused", err)
	}
	reg.Insecure = true
	p, err := New(reg, Options{Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := p.Token(context.Background(), host, &store.Entry{Username: "id", Secret: "s"}); err != nil || tok.Secret != "at" {
		t.Errorf("insecure Token = %+v, %v", tok, err)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests, want 1", requests.Load())
	}
}

func TestProvider_Token_deadline(t *testing.T) {
	err := providertest.Deadline(t, func(url string, timeout time.Duration) error {
		p := newProvider(t, credentials.Registry{TokenURL: url + "/oauth2/token", Timeout: timeout}, Options{})
		_, err := p.Token(context.Background(), host, &store.Entry{Username: "helper", Secret: "hunter2-secret"})
		return err
	})
	if !strings.Contains(err.Error(), "registry.example.com") {
		t.Errorf("Token = %v, want a deadline error naming the registry", err)
	}
}

// jwt returns an unsigned JWT whose exp is exp.
func jwt(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc(fmt.Appendf(nil, `{"sub":"x","exp":%d}`, exp.Unix())) + ".sig"
}

// TestProvider_Token_lifetime: every token gets a finite expiry, capped at
// MaxLifetime; expires_in of zero or less, or a JWT exp that has passed,
// is an error, not a token to use once.
func TestProvider_Token_lifetime(t *testing.T) {
	t0 := time.Now().Truncate(time.Second)
	now := func() time.Time { return t0 }
	for _, c := range []struct {
		name, ctype, body string
		lifetime          time.Duration // the config's
		want              time.Duration // from t0; 0 for an error
	}{
		{"expires_in", "application/json", `{"access_token":"at","expires_in":3600}`, 0, time.Hour},
		{"expires_in as a string", "application/json", `{"access_token":"at","expires_in":"600"}`, 0, 10 * time.Minute},
		{"expires_in null", "application/json", `{"access_token":"at","expires_in":null}`, 0, DefaultLifetime},
		{"no expires_in", "application/json", `{"access_token":"at"}`, 0, DefaultLifetime},
		{"no expires_in, configured lifetime", "application/json", `{"access_token":"at"}`, 10 * time.Minute, 10 * time.Minute},
		{"huge expires_in", "application/json", `{"access_token":"at","expires_in":1000000000000000}`, 0, MaxLifetime},
		{"expires_in over int32", "application/json", `{"access_token":"at","expires_in":4294967296}`, 0, MaxLifetime},
		{"form, huge expires_in", "application/x-www-form-urlencoded", `access_token=at&expires_in=100000000000`, 0, MaxLifetime},
		{"form", "application/x-www-form-urlencoded", `access_token=at&expires_in=120`, 0, 2 * time.Minute},
		{"form, no expires_in", "application/x-www-form-urlencoded", `access_token=at`, 0, DefaultLifetime},
		{"JWT exp", "application/json", `{"access_token":"` + jwt(t0.Add(20*time.Minute)) + `"}`, time.Hour, 20 * time.Minute},
		{"JWT exp before expires_in", "application/json", `{"access_token":"` + jwt(t0.Add(20*time.Minute)) + `","expires_in":3600}`, 0, 20 * time.Minute},
		{"expires_in before JWT exp", "application/json", `{"access_token":"` + jwt(t0.Add(2*time.Hour)) + `","expires_in":60}`, 0, time.Minute},
		{"JWT exp far away", "application/json", `{"access_token":"` + jwt(t0.Add(100*365*24*time.Hour)) + `"}`, 0, MaxLifetime},
		{"expires_in 0", "application/json", `{"access_token":"at","expires_in":0}`, time.Hour, 0},
		{"expires_in negative", "application/json", `{"access_token":"at","expires_in":-30}`, 0, 0},
		{"form, expires_in 0", "application/x-www-form-urlencoded", `access_token=at&expires_in=0`, 0, 0},
		{"form, expires_in not a number", "application/x-www-form-urlencoded", `access_token=at&expires_in=soon`, 0, 0},
		{"JWT expired", "application/json", `{"access_token":"` + jwt(t0.Add(-time.Minute)) + `"}`, 0, 0},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", c.ctype)
			io.WriteString(w, c.body)
		}))
		p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Lifetime: c.lifetime}, Options{Now: now})
		tok, err := p.Token(context.Background(), host, &store.Entry{Username: "id", Secret: "secret"})
		srv.Close()
		if c.want == 0 {
			if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "oauth2: registry.example.com: ") {
				t.Errorf("%s: Token = %+v, %v; want a one-line error", c.name, tok, err)
			}
			if strings.Contains(c.name, "0") || strings.Contains(c.name, "negative") || strings.Contains(c.name, "JWT expired") {
				if !errors.Is(err, ErrExpiredToken) {
					t.Errorf("%s: error %v, want %v", c.name, err, ErrExpiredToken)
				}
			}
			continue
		}
		if err != nil || !tok.Expiry.Equal(t0.Add(c.want)) {
			t.Errorf("%s: Token = %+v, %v; want expiry t0+%v", c.name, tok, err, c.want)
		}
	}
}

// TestProvider_Token_failingEndpointOneRequest: an endpoint that fails
// (HTTP 5xx, or a refusal other than of the client's authentication) gets
// one request per Token, not one per auth style.
func TestProvider_Token_failingEndpointOneRequest(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
	}{
		{500, `{"error":"server_error"}`},
		{503, `busy`},
		{400, `{"error":"invalid_grant"}`},
		{400, `{"error":"invalid_scope"}`},
	} {
		var requests atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(c.status)
			io.WriteString(w, c.body)
		}))
		for _, grant := range []string{credentials.GrantClientCredentials, credentials.GrantRefreshToken} {
			requests.Store(0)
			p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", Grant: grant}, Options{})
			root := &store.Entry{Username: "id", Secret: `{"refresh_token":"rt-1","client_secret":"cs"}`}
			if _, err := p.Token(context.Background(), host, root); err == nil {
				t.Errorf("HTTP %d: no error", c.status)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("HTTP %d %s, %s: %d requests, want 1", c.status, c.body, grant, n)
			}
		}
		srv.Close()
	}
}

// authServer accepts the client's credentials only in the style it wants,
// and counts requests per style.
type authServer struct {
	t              *testing.T
	want           string // "header" or "params"
	header, params atomic.Int32
}

func (s *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	id, secret, inHeader := r.BasicAuth()
	if inHeader {
		s.header.Add(1)
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		s.params.Add(1)
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if (inHeader != (s.want == "header")) || id != "helper" || secret != "s3cret" {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_client"}`)
		return
	}
	io.WriteString(w, `{"access_token":"at","expires_in":60}`)
}

func TestProvider_Token_authStyle(t *testing.T) {
	root := &store.Entry{Username: "helper", Secret: "s3cret"}
	for _, c := range []struct {
		server, configured       string
		ok                       bool
		wantHeader, wantParams   int32 // requests of the first Token
		againHeader, againParams int32 // of the second
	}{
		{"header", "", true, 1, 0, 1, 0},
		{"params", "", true, 1, 1, 0, 1}, // detected, then remembered
		{"header", AuthStyleHeader, true, 1, 0, 1, 0},
		{"params", AuthStyleParams, true, 0, 1, 0, 1},
		{"params", AuthStyleHeader, false, 1, 0, 1, 0}, // configured: never probed
		{"header", AuthStyleParams, false, 0, 1, 0, 1},
	} {
		as := &authServer{t: t, want: c.server}
		srv := httptest.NewServer(as)
		p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token", AuthStyle: c.configured}, Options{})
		for i, want := range [][2]int32{{c.wantHeader, c.wantParams}, {c.againHeader, c.againParams}} {
			as.header.Store(0)
			as.params.Store(0)
			_, err := p.Token(context.Background(), host, root)
			if (err == nil) != c.ok {
				t.Errorf("server wants %s, auth_style %q, Token %d: %v", c.server, c.configured, i+1, err)
			}
			if got := [2]int32{as.header.Load(), as.params.Load()}; got != want {
				t.Errorf("server wants %s, auth_style %q, Token %d: requests (header, params) = %v, want %v", c.server, c.configured, i+1, got, want)
			}
		}
		srv.Close()
	}
	if _, err := New(credentials.Registry{TokenURL: "https://auth.example.com/token", AuthStyle: "basic"}, Options{}); err == nil {
		t.Error("New accepted auth_style basic")
	}
}

// TestProvider_Token_errorsRedactEncodings: an endpoint that echoes the
// secret URL-encoded, JSON-escaped or in base64 (as in the Basic header it
// received) does not put it in the error, in error or error_description.
func TestProvider_Token_errorsRedactEncodings(t *testing.T) {
	const secret = `hunter2/s3cret+"key"`
	for _, echo := range []string{
		url.QueryEscape(secret),
		fmt.Sprintf("%q", secret)[1 : len(secret)+3], // JSON-escaped, without the quotes
		base64.StdEncoding.EncodeToString([]byte(secret)),
		strings.TrimPrefix(basic("helper", secret), "Basic "),
		secret,
	} {
		desc, _ := json.Marshal(map[string]string{"error": "invalid_scope", "error_description": "got " + echo})
		code, _ := json.Marshal(map[string]string{"error": "bad_" + echo})
		for _, body := range []string{string(desc), string(code)} {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, body)
			}))
			p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token"}, Options{})
			_, err := p.Token(context.Background(), host, &store.Entry{Username: "helper", Secret: secret})
			srv.Close()
			if err == nil || strings.Contains(err.Error(), echo) || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("body %s: error %v", body, err)
			}
		}
	}
}

// TestProvider_Token_errorsNeverQuoteBody: only error and error_description
// are shown, never the rest of the body.
func TestProvider_Token_errorsNeverQuoteBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_scope","error_description":"no such scope","debug":"body-only-text","error_uri":"https://x.example/body-uri"}`)
	}))
	defer srv.Close()
	p := newProvider(t, credentials.Registry{TokenURL: srv.URL + "/oauth2/token"}, Options{})
	_, err := p.Token(context.Background(), host, &store.Entry{Username: "helper", Secret: "s3cret"})
	if err == nil || strings.Contains(err.Error(), "body-") || !strings.Contains(err.Error(), "invalid_scope: no such scope") {
		t.Errorf("error %v", err)
	}
}
