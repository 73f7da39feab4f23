// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/providertest"
	"github.com/docker-credential-mint/mint/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var alice = &store.Entry{ServerURL: "127.0.0.1", Username: "alice", Secret: "alicepw"}

// The answers of distribution's contrib/token-server v2.8.3 (the realm of
// the e2e tests), recorded: a wrong password on GET, and POST
// grant_type=password, which its htpasswd access controller does not
// support.
const (
	tokenServer401             = `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":"basic authentication challenge for realm \"token-realm\": authentication failure"}]}`
	tokenServerNoPasswordGrant = `{"errors":[{"code":"UNSUPPORTED_VALUE","message":"unsupported value","detail":"password grant type not supported"}]}`
)

// fakeRegistry is a registry with token auth on one server: /v2/ challenges,
// /token/ is distribution's token-server (GET offline_token, POST password).
type fakeRegistry struct {
	t         *testing.T
	realm     string // defaults to this server's /token/
	getRT     bool   // GET with offline_token returns a refresh token
	postRT    bool   // POST grant_type=password is supported
	challenge string // overrides WWW-Authenticate
	gets      atomic.Int32
	posts     atomic.Int32
	srv       *httptest.Server
}

func (f *fakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v2/":
		if r.Header.Get("Authorization") != "" {
			f.t.Errorf("credentials sent to /v2/")
		}
		realm := f.realm
		if realm == "" {
			realm = f.srv.URL + "/token/"
		}
		ch := f.challenge
		if ch == "" {
			ch = fmt.Sprintf(`Bearer realm=%q,service="registry.test"`, realm)
		}
		w.Header().Set("WWW-Authenticate", ch)
		w.WriteHeader(http.StatusUnauthorized)
	case "/token/":
		w.Header().Set("Content-Type", "application/json")
		switch r.Method {
		case http.MethodGet:
			f.gets.Add(1)
			want := url.Values{"service": {"registry.test"}, "offline_token": {"true"}, "client_id": {"docker-credential-mint"}}
			if got := r.URL.Query(); !reflect.DeepEqual(got, want) {
				f.t.Errorf("GET query %v, want %v", got, want)
			}
			if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "alicepw" {
				w.Header().Set("WWW-Authenticate", `Basic realm="token-realm"`)
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, tokenServer401)
				return
			}
			if f.getRT {
				io.WriteString(w, `{"access_token":"eyJ.x.y","expires_in":900,"refresh_token":"rt-get"}`)
			} else {
				io.WriteString(w, `{"token":"eyJ.x.y","expires_in":900}`)
			}
		case http.MethodPost:
			f.posts.Add(1)
			if !f.postRT {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, tokenServerNoPasswordGrant)
				return
			}
			if err := r.ParseForm(); err != nil {
				f.t.Fatal(err)
			}
			want := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alicepw"},
				"service": {"registry.test"}, "client_id": {"docker-credential-mint"}, "access_type": {"offline"}}
			if !reflect.DeepEqual(r.PostForm, want) {
				f.t.Errorf("POST form %v, want %v", r.PostForm, want)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
				f.t.Errorf("POST Content-Type %q", ct)
			}
			io.WriteString(w, `{"access_token":"eyJ.x.y","scope":"","expires_in":900,"refresh_token":"rt-post"}`)
		}
	default:
		http.NotFound(w, r)
	}
}

func startRegistry(t *testing.T, f *fakeRegistry) credentials.Host {
	t.Helper()
	f.t = t
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	h, err := credentials.ParseHost(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newProvider(reg credentials.Registry, opts Options) *Provider {
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	return New(reg, opts)
}

func TestProvider_Token_getOfflineToken(t *testing.T) {
	f := &fakeRegistry{getRT: true}
	h := startRegistry(t, f)
	tok, err := newProvider(credentials.Registry{}, Options{}).Token(context.Background(), h, alice)
	if err != nil {
		t.Fatal(err)
	}
	want := provider.Token{Username: "<token>", Secret: "rt-get", Expiry: t0.Add(DefaultLifetime)}
	if *tok != want {
		t.Errorf("Token = %+v, want %+v", *tok, want)
	}
	if f.gets.Load() != 1 || f.posts.Load() != 0 {
		t.Errorf("%d GETs, %d POSTs; want 1, 0", f.gets.Load(), f.posts.Load())
	}
}

func TestProvider_Token_postFallback(t *testing.T) {
	f := &fakeRegistry{postRT: true}
	h := startRegistry(t, f)
	tok, err := newProvider(credentials.Registry{Lifetime: time.Hour}, Options{}).Token(context.Background(), h, alice)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Secret != "rt-post" || !tok.Expiry.Equal(t0.Add(time.Hour)) {
		t.Errorf("Token = %+v", tok)
	}
	if f.gets.Load() != 1 || f.posts.Load() != 1 {
		t.Errorf("%d GETs, %d POSTs; want 1, 1", f.gets.Load(), f.posts.Load())
	}
}

func TestProvider_Token_errors(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    *fakeRegistry
		root *store.Entry
		want string
	}{
		{"no refresh token", &fakeRegistry{}, alice,
			"the token service issues no refresh token (neither offline_token nor grant_type=password): use provider static"},
		{"wrong password", &fakeRegistry{getRT: true}, &store.Entry{Username: "alice", Secret: "wrong-password"},
			"the token service refused the stored username and password (HTTP 401); run `docker login 127.0.0.1:"},
		{"basic auth registry", &fakeRegistry{challenge: `Basic realm="registry"`}, alice,
			"no token service (no Bearer challenge; it may use basic auth: use provider static)"},
		{"realm not a URL", &fakeRegistry{challenge: `Bearer service="x"`}, alice, "the Bearer challenge has no usable realm"},
		{"http realm elsewhere", &fakeRegistry{realm: "http://auth.example.com/token"}, alice,
			"token realm http://auth.example.com/token: plain http is allowed only for loopback hosts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startRegistry(t, tc.f)
			_, err := newProvider(credentials.Registry{}, Options{}).Token(context.Background(), h, tc.root)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "registry: 127.0.0.1:") {
				t.Errorf("Token error = %v, want %q", err, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), "alicepw") || strings.Contains(err.Error(), "wrong-password")) {
				t.Errorf("error holds the password: %v", err)
			}
		})
	}
}

func TestProvider_Token_noRoot(t *testing.T) {
	_, err := newProvider(credentials.Registry{}, Options{}).Token(context.Background(), credentials.Host{Name: "r.example"}, nil)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Token(nil root) = %v, want ErrNotFound", err)
	}
}

func TestProvider_Token_identityTokenRoot(t *testing.T) {
	root := &store.Entry{Username: "<token>", Secret: "stored-rt"}
	tok, err := newProvider(credentials.Registry{}, Options{}).Token(context.Background(), credentials.Host{Name: "r.example"}, root)
	if err != nil || tok.Username != "<token>" || tok.Secret != "stored-rt" {
		t.Errorf("Token = %+v, %v", tok, err)
	}
}

func TestProvider_Token_tls(t *testing.T) {
	f := &fakeRegistry{getRT: true, t: t}
	f.srv = httptest.NewTLSServer(f)
	defer f.srv.Close()
	h, _ := credentials.ParseHost(f.srv.URL)
	tok, err := newProvider(credentials.Registry{}, Options{Transport: f.srv.Client().Transport}).Token(context.Background(), h, alice)
	if err != nil || tok.Secret != "rt-get" {
		t.Errorf("Token = %+v, %v", tok, err)
	}
}

func TestProvider_Token_realmRedirectRefused(t *testing.T) {
	other := providertest.NewCrossHost(t, `{"refresh_token":"stolen"}`)
	f := &fakeRegistry{getRT: true}
	h := startRegistry(t, f)
	// The realm is a path on the registry that redirects to another host.
	f.realm = f.srv.URL + "/redirect"
	mux := http.NewServeMux()
	mux.Handle("/", f)
	mux.Handle("/redirect", other.Redirect("/token/"))
	f.srv.Config.Handler = mux
	_, err := newProvider(credentials.Registry{}, Options{}).Token(context.Background(), h, alice)
	other.Check(t, err, alice.Secret)
}

func TestProvider_Token_plainHTTPNonLoopback(t *testing.T) {
	f := &fakeRegistry{getRT: true}
	startRegistry(t, f)
	_, port, _ := net.SplitHostPort(f.srv.Listener.Addr().String())
	f.realm = "http://registry.example.com:" + port + "/token/"
	h := credentials.Host{Name: "registry.example.com", Port: port}
	tr := providertest.DialTo(f.srv.Listener.Addr().String())

	if _, err := newProvider(credentials.Registry{}, Options{Transport: tr}).Token(context.Background(), h, alice); err == nil {
		t.Error("plain http to a non-loopback registry was used without insecure")
	}
	if f.gets.Load() != 0 {
		t.Errorf("credentials sent over http: %d token requests", f.gets.Load())
	}
	tok, err := newProvider(credentials.Registry{Insecure: true}, Options{Transport: tr}).Token(context.Background(), h, alice)
	if err != nil || tok.Secret != "rt-get" {
		t.Errorf("insecure: Token = %+v, %v", tok, err)
	}
}

// TestProvider_Token_insecureRealmElsewhere: insecure: true covers the
// registry's own host; a plain-http realm on another host, which would
// receive the password, is refused, as is a *.localhost realm name that
// does not dial a loopback address.
func TestProvider_Token_insecureRealmElsewhere(t *testing.T) {
	f := &fakeRegistry{getRT: true}
	startRegistry(t, f)
	_, port, _ := net.SplitHostPort(f.srv.Listener.Addr().String())
	h := credentials.Host{Name: "registry.example.com", Port: port}
	reg := credentials.Registry{Insecure: true}

	// Every name dials the fake: the realm host differs only by name.
	tr := providertest.DialTo(f.srv.Listener.Addr().String())
	f.realm = "http://auth.example.com:" + port + "/token/"
	_, err := newProvider(reg, Options{Transport: tr}).Token(context.Background(), h, alice)
	if err == nil || !strings.Contains(err.Error(), "token realm http://auth.example.com:"+port+"/token/ is plain http on another host") {
		t.Errorf("Token with a plain-http realm on another host = %v, want refused", err)
	}
	if n := f.gets.Load() + f.posts.Load(); n != 0 {
		t.Errorf("the realm on another host got %d token requests over plain http", n)
	}

	// A loopback-looking realm name is dialled with the loopback check even
	// for an insecure registry: here the dial lands on an address that is
	// not loopback.
	f.realm = "http://idp.localhost:" + port + "/token/"
	_, err = newProvider(reg, Options{Transport: elsewhere(tr.(*http.Transport))}).Token(context.Background(), h, alice)
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("Token with an http://idp.localhost realm dialling elsewhere = %v, want refused", err)
	}
	if n := f.gets.Load() + f.posts.Load(); n != 0 {
		t.Errorf("the realm got %d token requests over plain http", n)
	}

	// https on another host, and plain http to loopback, stay fine.
	f.realm = "http://localhost:" + port + "/token/"
	if tok, err := newProvider(reg, Options{Transport: tr}).Token(context.Background(), h, alice); err != nil || tok.Secret != "rt-get" {
		t.Errorf("Token with a loopback realm = %+v, %v", tok, err)
	}
}

// elsewhere wraps tr's dialer so that its connections report a remote
// address that is not loopback (192.0.2.1), as if DNS had sent them there.
func elsewhere(tr *http.Transport) *http.Transport {
	tr = tr.Clone()
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return elsewhereConn{c}, nil
	}
	return tr
}

type elsewhereConn struct{ net.Conn }

func (elsewhereConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 80} }

func TestProvider_Token_deadline(t *testing.T) {
	err := providertest.Deadline(t, func(url string, timeout time.Duration) error {
		h, _ := credentials.ParseHost(url)
		_, err := newProvider(credentials.Registry{Timeout: timeout}, Options{}).Token(context.Background(), h, alice)
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "registry: 127.0.0.1:") {
		t.Errorf("Token error = %v, want a deadline naming the registry", err)
	}
}

func TestParseChallenge(t *testing.T) {
	for in, want := range map[string]map[string]string{
		`Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`: {"realm": "https://auth.docker.io/token", "service": "registry.docker.io"},
		`Bearer realm="a\"b", Service=x,scope="repository:a/b:pull,push"`:          {"realm": `a"b`, "service": "x", "scope": "repository:a/b:pull,push"},
		`Bearer`:                     {},
		`Bearer realm="unterminated`: {"realm": "unterminated"},
		`Bearer junk`:                {},
	} {
		scheme, got := parseChallenge(in)
		if scheme != "Bearer" || !reflect.DeepEqual(got, want) {
			t.Errorf("parseChallenge(%q) = %q, %v; want %v", in, scheme, got, want)
		}
	}
}

// TestProvider_Token_errorRedactsEncodings: an error that quotes a URL
// holding the password path-escaped does not show it. (The realm comes
// from the registry, so a hostile one can put anything in it.)
func TestProvider_Token_errorRedactsEncodings(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	const secret = "pass word/+x"
	f := &fakeRegistry{realm: "http://" + closed + "/token/" + url.PathEscape(secret)}
	h := startRegistry(t, f)
	_, err = newProvider(credentials.Registry{}, Options{}).Token(context.Background(), h, &store.Entry{Username: "alice", Secret: secret})
	if err == nil || strings.Contains(err.Error(), "word") || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("Token error = %v, want the password redacted", err)
	}
}
