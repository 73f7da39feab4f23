// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Secrets of the fake device server.
const (
	fakeDeviceCode = "devcode-" + canary
	fakeAccess     = "access-" + canary
	fakeRefresh    = "refresh-" + canary
)

// fakeDevice is an RFC 8628 server answering each poll from answers.
func fakeDevice(t *testing.T, answers ...string) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/device":
			io.WriteString(w, `{"device_code":"`+fakeDeviceCode+`","user_code":"WDJB-MJHT","verification_uri":"https://idp.example/device","verification_uri_complete":"https://idp.example/device?user_code=WDJB-MJHT","expires_in":600,"interval":1}`)
		case "/token":
			if r.FormValue("device_code") != fakeDeviceCode || r.FormValue("client_id") != "mint-cli" {
				t.Errorf("poll form %v", r.PostForm)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(answers) == 0 {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			a := answers[0]
			answers = answers[1:]
			if strings.Contains(a, `"error"`) {
				w.WriteHeader(http.StatusBadRequest)
			}
			io.WriteString(w, a)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fastPolls makes login --device poll without waiting.
func fastPolls(t *testing.T) {
	deviceSleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	t.Cleanup(func() { deviceSleep = nil })
}

func deviceFlags(srv *httptest.Server) []string {
	return []string{"--device", "--provider", "oauth2", "--grant", "device_code",
		"--device-authorization-url", srv.URL + "/device", "--token-url", srv.URL + "/token",
		"--client-id", "mint-cli", "--scope", "offline_access", "--token-username", "oauth2accesstoken"}
}

// TestLogin_device: login --device shows the user code and both URIs on
// stderr, stores the refresh token as the root (<token>), writes the
// entry, and caches the access token for get; no secret is printed.
func TestLogin_device(t *testing.T) {
	fastPolls(t)
	srv := fakeDevice(t, `{"error":"authorization_pending"}`, `{"error":"slow_down"}`,
		`{"access_token":"`+fakeAccess+`","refresh_token":"`+fakeRefresh+`","token_type":"Bearer","expires_in":3600}`)
	o := newOpEnv(t)
	out, errs, code := o.run("", "login", append([]string{"registry.example.com"}, deviceFlags(srv)...)...)
	if code != 0 {
		t.Fatalf("login --device: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	wantErr := "To log in to registry.example.com, open https://idp.example/device in a browser and enter the code WDJB-MJHT\n" +
		"  (or open https://idp.example/device?user_code=WDJB-MJHT, which carries the code)\n" +
		"Waiting for the approval (the code expires in "
	if !strings.HasPrefix(errs, wantErr) || strings.Count(errs, "\n") != 3 {
		t.Errorf("stderr = %q, want %q…", errs, wantErr)
	}
	if !strings.Contains(out, "Login Succeeded: registry.example.com as <token> (provider oauth2 minted a token valid for 1h0m") {
		t.Errorf("stdout = %q", out)
	}
	if strings.Contains(out+errs, canary) {
		t.Errorf("login printed a secret: %q %q", out, errs)
	}
	if e, ok := o.root("registry.example.com"); !ok || e.Username != "<token>" || e.Secret != fakeRefresh {
		t.Errorf("stored root = %+v (%v)", e, ok)
	}
	cfg := o.read("config/docker-credential-mint/config.yaml")
	if !strings.Contains(cfg, "grant: device_code\n    device_authorization_url: \""+srv.URL+"/device\"\n") || strings.Contains(cfg, canary) {
		t.Errorf("config =\n%s", cfg)
	}
	// get answers the cached access token: the fake server has no answer
	// left for another request.
	c, err := o.wiring().Helper.Get(context.Background(), "registry.example.com")
	if err != nil || c.Secret != fakeAccess || c.Username != "oauth2accesstoken" {
		t.Errorf("get = %+v, %v", c, err)
	}
}

// TestLogin_deviceDenied: a denied request stores nothing and leaves the
// config file as it was (here: absent).
func TestLogin_deviceDenied(t *testing.T) {
	fastPolls(t)
	srv := fakeDevice(t, `{"error":"authorization_pending"}`, `{"error":"access_denied","error_description":"user said no to `+fakeDeviceCode+`"}`)
	o := newOpEnv(t)
	out, errs, code := o.run("", "login", append([]string{"registry.example.com"}, deviceFlags(srv)...)...)
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	last := lines[len(lines)-1]
	want := "docker-credential-mint login: oauth2: registry.example.com: the request was denied (user code WDJB-MJHT); nothing was stored, and " + o.path("config/docker-credential-mint/config.yaml") + " is unchanged"
	if code != 1 || out != "" || last != want || len(lines) != 4 {
		t.Errorf("exit %d, stdout %q, stderr %q; want the last line %q", code, out, errs, want)
	}
	if strings.Contains(errs, canary) {
		t.Error("stderr shows a secret")
	}
	if _, ok := o.root("registry.example.com"); ok {
		t.Error("a denied login stored a credential")
	}
	if _, err := os.Stat(o.path("config/docker-credential-mint/config.yaml")); err == nil {
		t.Error("a denied login wrote the config file")
	}
}

func TestLogin_deviceUsage(t *testing.T) {
	o := newOpEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"quay.io", "--device", "-u", "x"}, "--device takes no --username, --password-stdin or --no-secret"},
		{[]string{"quay.io", "--device"}, "--device: quay.io: no config entry matches it; it needs an oauth2 entry with grant device_code"},
		{[]string{"quay.io", "--device", "--provider", "oauth2", "--grant", "device_code", "--token-url", "https://a.example/t", "--token-username", "x", "--client-id", "c"},
			"--device-authorization-url: required for grant device_code"},
		{[]string{"quay.io", "--provider", "oauth2", "--grant", "device_code", "--token-url", "https://a.example/t", "--token-username", "x", "--device-authorization-url", "https://a.example/d"},
			"--client-id: required for grant device_code"},
	} {
		out, errs, code := o.run("", "login", tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("login %v: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errs, tc.want)
		}
	}
	o.write("config/docker-credential-mint/config.yaml", "registries:\n  - match: quay.io\n    provider: registry\n")
	_, errs, code := o.run("", "login", "quay.io", "--device")
	if code != 2 || !strings.Contains(errs, "its config entry ("+o.path("config/docker-credential-mint/config.yaml")+":2) is provider registry; it needs") {
		t.Errorf("login --device of a registry entry: exit %d, %q", code, errs)
	}
}

// TestStatus_deviceNoRoot: status tells a device_code registry without a
// stored refresh token to run login --device.
func TestStatus_deviceNoRoot(t *testing.T) {
	o := newOpEnv(t)
	o.write("config/docker-credential-mint/config.yaml", "registries:\n  - match: registry.example.com\n    provider: oauth2\n    grant: device_code\n    device_authorization_url: https://idp.example/device\n    token_url: https://idp.example/token\n    client_id: mint-cli\n    username: oauth2accesstoken\n")
	out, _, _ := o.run("", "status")
	if !strings.Contains(out, "no root credential: run docker-credential-mint login --device registry.example.com") {
		t.Errorf("status =\n%s", out)
	}
}
