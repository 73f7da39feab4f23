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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

// Secrets of the fake device server: none may show in an error.
const (
	deviceCode   = "dc-secret-8f2a"
	accessToken  = "at-secret-1c9e"
	refreshToken = "rt-secret-77d0"
)

// deviceServer is a fake RFC 8628 server: /device answers the device
// authorization, /oauth2/token answers each poll from a script.
type deviceServer struct {
	t         *testing.T
	authBody  string   // the device authorization answer (JSON)
	answers   []string // the token endpoint's answers, in order: "status json"
	mu        sync.Mutex
	polls     int
	authForms []string
}

func (d *deviceServer) start() *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			d.t.Fatal(err)
		}
		w.Header().Set("Content-Type", "application/json")
		d.mu.Lock()
		defer d.mu.Unlock()
		switch r.URL.Path {
		case "/device":
			d.authForms = append(d.authForms, r.PostForm.Encode())
			io.WriteString(w, d.authBody)
		case "/oauth2/token":
			checkForm(d.t, r, map[string][]string{
				"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
				"device_code": {deviceCode},
				"client_id":   {"mint-cli"},
			})
			if r.Header.Get("Authorization") != "" {
				d.t.Errorf("a public client sent an Authorization header")
			}
			if d.polls >= len(d.answers) {
				d.t.Errorf("poll %d: no answer scripted", d.polls+1)
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			status, body, _ := strings.Cut(d.answers[d.polls], " ")
			d.polls++
			var code int
			fmt.Sscan(status, &code)
			w.WriteHeader(code)
			io.WriteString(w, body)
		default:
			http.NotFound(w, r)
		}
	}))
	d.t.Cleanup(srv.Close)
	return srv
}

func deviceRegistry(srv *httptest.Server) credentials.Registry {
	return credentials.Registry{
		Provider: credentials.ProviderOAuth2, Grant: credentials.GrantDeviceCode,
		DeviceAuthURL: srv.URL + "/device", TokenURL: srv.URL + "/oauth2/token",
		ClientID: "mint-cli", Scopes: []string{"openid", "offline_access"}, Username: "oauth2accesstoken",
	}
}

// recordSleep is a Sleep that returns at once, recording each wait.
type recordSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *recordSleep) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

const pending = `400 {"error":"authorization_pending"}`

var approved = `200 {"access_token":"` + accessToken + `","refresh_token":"` + refreshToken + `","token_type":"Bearer","expires_in":300}`

// runDevice starts and polls a device authorization against a server
// answering answers, and returns the result and the waits.
func runDevice(t *testing.T, authBody string, answers ...string) (*DeviceAuth, []time.Duration, *deviceServer, error) {
	t.Helper()
	d := &deviceServer{t: t, authBody: authBody, answers: answers}
	srv := d.start()
	rs := &recordSleep{}
	p := newProvider(t, deviceRegistry(srv), Options{Sleep: rs.sleep})
	da, err := p.StartDevice(context.Background(), host)
	if err != nil {
		t.Fatalf("StartDevice: %v", err)
	}
	tok, root, err := p.PollDevice(context.Background(), host, da)
	if err == nil {
		if tok.Secret != accessToken || tok.Username != "oauth2accesstoken" || root.Username != credentials.TokenUsername || root.Secret != refreshToken {
			t.Errorf("PollDevice = %+v, %+v", tok, root)
		}
	} else {
		for _, s := range []string{deviceCode, accessToken, refreshToken} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error shows a secret: %v", err)
			}
		}
	}
	return da, rs.waits, d, err
}

const authBody = `{"device_code":"` + deviceCode + `","user_code":"WDJB-MJHT","verification_uri":"https://idp.example/device","verification_uri_complete":"https://idp.example/device?user_code=WDJB-MJHT","expires_in":600,"interval":2}`

func TestProvider_StartDevice(t *testing.T) {
	da, waits, d, err := runDevice(t, authBody, pending, pending, approved)
	if err != nil {
		t.Fatal(err)
	}
	if da.UserCode != "WDJB-MJHT" || da.VerificationURI != "https://idp.example/device" || da.VerificationURIComplete != "https://idp.example/device?user_code=WDJB-MJHT" || da.Interval != 2*time.Second {
		t.Errorf("DeviceAuth = %+v", da)
	}
	if until := time.Until(da.Expiry); until <= 9*time.Minute || until > 10*time.Minute {
		t.Errorf("Expiry in %v, want 10m", until)
	}
	if s := fmt.Sprintf("%v %+v %#v %s", da, *da, *da, da); strings.Contains(s, deviceCode) || !strings.Contains(s, "WDJB-MJHT") {
		t.Errorf("printing a DeviceAuth shows %q", s)
	}
	if len(d.authForms) != 1 || d.authForms[0] != "client_id=mint-cli&scope=openid+offline_access" {
		t.Errorf("device authorization forms = %q", d.authForms)
	}
	if want := []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", waits, want)
	}
}

func TestProvider_PollDevice_defaultInterval(t *testing.T) {
	_, waits, _, err := runDevice(t, `{"device_code":"`+deviceCode+`","user_code":"A","verification_uri":"https://x/d","expires_in":600}`, pending, approved)
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{5 * time.Second, 5 * time.Second}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v (RFC 8628's default of 5 s)", waits, want)
	}
}

func TestProvider_PollDevice_slowDown(t *testing.T) {
	_, waits, _, err := runDevice(t, authBody, pending, `400 {"error":"slow_down"}`, pending, `400 {"error":"slow_down"}`, approved)
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{2 * time.Second, 2 * time.Second, 7 * time.Second, 7 * time.Second, 12 * time.Second}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v (each slow_down adds 5 s for good)", waits, want)
	}
}

func TestProvider_PollDevice_expiredToken(t *testing.T) {
	_, _, _, err := runDevice(t, authBody, pending, `400 {"error":"expired_token","error_description":"device code `+deviceCode+` is expired"}`)
	if !errors.Is(err, ErrDeviceExpired) || !strings.Contains(err.Error(), "user code WDJB-MJHT") || !strings.Contains(err.Error(), "login --device registry.example.com") {
		t.Errorf("err = %v, want ErrDeviceExpired naming the user code and the fix", err)
	}
}

func TestProvider_PollDevice_accessDenied(t *testing.T) {
	_, _, _, err := runDevice(t, authBody, `400 {"error":"access_denied"}`)
	if !errors.Is(err, ErrDeviceDenied) {
		t.Errorf("err = %v, want ErrDeviceDenied", err)
	}
}

func TestProvider_PollDevice_otherError(t *testing.T) {
	_, _, _, err := runDevice(t, authBody, `400 {"error":"invalid_grant","error_description":"grant `+deviceCode+` not found"}`)
	if err == nil || !strings.Contains(err.Error(), "oauth2: registry.example.com: the token endpoint refused the device code (invalid_grant: grant [redacted] not found); run `docker-credential-mint login --device registry.example.com` again") {
		t.Errorf("err = %v, want the endpoint's error, redacted", err)
	}
}

func TestProvider_PollDevice_transient(t *testing.T) {
	_, waits, _, err := runDevice(t, authBody, pending, `503 {}`, approved)
	if err != nil {
		t.Fatalf("one 503 ended the wait: %v", err)
	}
	if want := []time.Duration{2 * time.Second, 2 * time.Second, 4 * time.Second}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v (a failed poll doubles the interval)", waits, want)
	}
	_, _, _, err = runDevice(t, authBody, `503 {}`, `502 {}`, `500 {}`)
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("three failures in a row: err = %v, want the last one", err)
	}
}

func TestProvider_PollDevice_noRefreshToken(t *testing.T) {
	_, _, _, err := runDevice(t, authBody, `200 {"access_token":"`+accessToken+`","token_type":"Bearer","expires_in":300}`)
	if err == nil || !strings.Contains(err.Error(), "no refresh token") || !strings.Contains(err.Error(), "offline_access") {
		t.Errorf("err = %v, want no refresh token", err)
	}
}

// TestProvider_PollDevice_deadline: the wait ends when the codes expire
// (expires_in), with ErrDeviceExpired, even if the server keeps saying
// authorization_pending.
func TestProvider_PollDevice_deadline(t *testing.T) {
	d := &deviceServer{t: t, authBody: authBody, answers: []string{pending, pending, pending}}
	srv := d.start()
	p := newProvider(t, deviceRegistry(srv), Options{Sleep: func(ctx context.Context, _ time.Duration) error {
		<-ctx.Done() // the codes' deadline passes during this wait
		return ctx.Err()
	}})
	da, err := p.StartDevice(context.Background(), host)
	if err != nil {
		t.Fatal(err)
	}
	da.Expiry = time.Now().Add(50 * time.Millisecond)
	_, _, err = p.PollDevice(context.Background(), host, da)
	if !errors.Is(err, ErrDeviceExpired) {
		t.Errorf("err = %v, want ErrDeviceExpired", err)
	}
}

// TestProvider_PollDevice_cancel: Ctrl-C (ctx cancelled) stops the wait
// with ctx's error, not as an expiry.
func TestProvider_PollDevice_cancel(t *testing.T) {
	d := &deviceServer{t: t, authBody: authBody, answers: []string{pending}}
	srv := d.start()
	ctx, cancel := context.WithCancel(context.Background())
	p := newProvider(t, deviceRegistry(srv), Options{Sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}})
	da, err := p.StartDevice(context.Background(), host)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = p.PollDevice(ctx, host, da)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrDeviceExpired) || !strings.Contains(err.Error(), "stopped waiting") {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestProvider_StartDevice_refused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"unauthorized_client","error_description":"device flow not allowed"}`)
	}))
	defer srv.Close()
	p := newProvider(t, deviceRegistry(srv), Options{})
	_, err := p.StartDevice(context.Background(), host)
	if err == nil || err.Error() != "oauth2: registry.example.com: the device authorization endpoint refused the request (unauthorized_client: device flow not allowed); check client_id, scopes and that the client may use the device grant" {
		t.Errorf("err = %v", err)
	}
}

// TestProvider_Token_deviceCode: get refreshes the stored refresh token of
// a device_code entry with the config's client id, and saves a rotated one
// at once.
func TestProvider_Token_deviceCode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkForm(t, r, map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {"mint-cli"}})
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at-2","refresh_token":"rt-2","token_type":"Bearer","expires_in":300}`)
	}))
	defer srv.Close()
	reg := deviceRegistry(srv)
	reg.DeviceAuthURL = srv.URL + "/device"
	roots := store.NewMemory()
	root := store.Entry{ServerURL: "registry.example.com", Username: credentials.TokenUsername, Secret: refreshToken}
	if err := roots.Put(context.Background(), "registry.example.com", root); err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, reg, Options{Roots: roots})
	tok, err := p.Token(context.Background(), host, &root)
	if err != nil || tok.Secret != "at-2" {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	if e, _ := roots.Get(context.Background(), "registry.example.com"); e.Secret != "rt-2" || e.Username != credentials.TokenUsername {
		t.Errorf("stored root after rotation = %+v", e)
	}
}

// TestProvider_Token_deviceCodeRefused: a dead refresh token says to run
// login --device again.
func TestProvider_Token_deviceCodeRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_grant","error_description":"grant request is invalid"}`)
	}))
	defer srv.Close()
	root := store.Entry{ServerURL: "registry.example.com", Username: credentials.TokenUsername, Secret: refreshToken}
	p := newProvider(t, deviceRegistry(srv), Options{})
	_, err := p.Token(context.Background(), host, &root)
	if err == nil || !strings.Contains(err.Error(), "run `docker-credential-mint login --device registry.example.com`") || strings.Contains(err.Error(), refreshToken) {
		t.Errorf("err = %v", err)
	}
}
