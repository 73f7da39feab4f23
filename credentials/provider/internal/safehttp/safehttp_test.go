// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package safehttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://auth.example.com/token":  "",
		"http://127.0.0.1:8080/token":     "",
		"http://localhost/token":          "",
		"http://[::1]:5000/token":         "",
		"http://auth.example.com/token":   "plain http",
		"http://127.0.0.1.nip.io/token":   "plain http",
		"ftp://auth.example.com/token":    "unsupported scheme",
		"http://u:pw@auth.example.com/?q": "http://auth.example.com/: plain http",
	} {
		u, _ := url.Parse(in)
		err := CheckURL(u, false)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckURL(%s) = %v, want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("CheckURL(%s) error holds the password: %v", in, err)
		}
		if u.Scheme == "http" && CheckURL(u, true) != nil {
			t.Errorf("CheckURL(%s, insecure) failed", in)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := RedactString("https://id:secret@auth.example.com/token?code=abc#frag"); got != "https://auth.example.com/token" {
		t.Errorf("RedactString = %q", got)
	}
	if got := RedactString("%zz"); got != "<redacted URL>" {
		t.Errorf("RedactString(bad) = %q", got)
	}
	err := Clean(&url.Error{Op: "Get", URL: "https://auth.example.com/t?token=s3cret", Err: errors.New("boom")})
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Clean = %v", err)
	}
}

func TestClient_redirects(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request reached the other host: %s", r.URL)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/final":
			io.WriteString(w, "ok")
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/away":
			http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/x", http.StatusFound)
		}
	}))
	defer srv.Close()
	c := Client(nil, 0, false)
	get := func(path string) (string, error) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+path, nil)
		req.SetBasicAuth("u", "p")
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), nil
	}
	if body, err := get("/same"); err != nil || body != "ok" {
		t.Errorf("same-origin redirect: %q, %v", body, err)
	}
	if _, err := get("/away"); !errors.Is(err, ErrRedirect) {
		t.Errorf("cross-origin redirect: %v, want ErrRedirect", err)
	}
	if _, err := get("/loop"); err == nil || !strings.Contains(err.Error(), "more than 3 redirects") {
		t.Errorf("redirect loop: %v", err)
	}
}
