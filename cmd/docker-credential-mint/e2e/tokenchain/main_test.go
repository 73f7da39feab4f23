// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseScopes(t *testing.T) {
	tests := []struct {
		in   []string
		want []resourceActions
		bad  bool
	}{
		{in: nil, want: []resourceActions{}},
		{in: []string{"repository:a/b:pull"}, want: []resourceActions{{"repository", "a/b", []string{"pull"}}}},
		{in: []string{"repository:a/b:pull,push", "registry:catalog:*"}, want: []resourceActions{
			{"repository", "a/b", []string{"pull", "push"}}, {"registry", "catalog", []string{"*"}}}},
		{in: []string{"repository:a:pull repository:b:push"}, want: []resourceActions{
			{"repository", "a", []string{"pull"}}, {"repository", "b", []string{"push"}}}},
		{in: []string{"repository:host:5000/a:pull"}, want: []resourceActions{{"repository", "host:5000/a", []string{"pull"}}}},
		{in: []string{"repository:a"}, bad: true},
		{in: []string{"repository::pull"}, bad: true},
		{in: []string{":a:pull"}, bad: true},
		{in: []string{"repository:a:"}, bad: true},
	}
	for _, tt := range tests {
		got, err := parseScopes(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("parseScopes(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseScopes(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestToken: an active access token gets an ES256 JWT that verifies with the
// certificate written for the registry, capped at the access token's expiry;
// an inactive one gets distribution's 401; the introspection call carries the
// client's Basic credentials and the presented token.
func TestToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	active := map[string]int64{"good": now.Unix() + 7, "long": now.Unix() + 3600}
	introspect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, secret, ok := r.BasicAuth(); !ok || id != "ts" || secret != "s%3Acret" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		exp, ok := active[r.PostFormValue("token")]
		_ = json.NewEncoder(w).Encode(map[string]any{"active": ok, "exp": exp, "client_id": "helper"})
	}))
	defer introspect.Close()

	s, err := newServer("iss", "svc", 20*time.Second, introspect.URL, "ts", "s:cret")
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return now }
	block, _ := pem.Decode(s.certPEM())
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}

	get := func(password, query string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/token?"+query, nil)
		if password != "" {
			r.SetBasicAuth("oauth2", password)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}

	for _, tt := range []struct {
		password string
		wantExp  int64
	}{{"good", now.Unix() + 7}, {"long", now.Unix() + 20}} {
		w := get(tt.password, "service=svc&scope=repository:a/b:pull,push")
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", tt.password, w.Code, w.Body)
		}
		var body struct {
			Token       string `json:"token"`
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if body.Token != body.AccessToken {
			t.Errorf("token and access_token differ")
		}
		c := verify(t, cert, body.AccessToken)
		if c.Issuer != "iss" || c.Audience != "svc" || c.Subject != "helper" || c.Expiration != tt.wantExp ||
			c.NotBefore != now.Unix() || c.JWTID == "" || body.ExpiresIn != tt.wantExp-now.Unix() {
			t.Errorf("%s: claims %+v, expires_in %d; want exp %d", tt.password, c, body.ExpiresIn, tt.wantExp)
		}
		if want := []resourceActions{{"repository", "a/b", []string{"pull", "push"}}}; !reflect.DeepEqual(c.Access, want) {
			t.Errorf("access = %v, want %v", c.Access, want)
		}
	}

	if w := get("stale", "service=svc"); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"token inactive"`) {
		t.Errorf("inactive token: %d %s", w.Code, w.Body)
	}
	if w := get("", "service=svc"); w.Code != http.StatusUnauthorized {
		t.Errorf("no credentials: %d", w.Code)
	}
	if w := get("good", "service=other"); w.Code != http.StatusBadRequest {
		t.Errorf("another service: %d", w.Code)
	}
	s.clientSecret = "wrong"
	if w := get("good", "service=svc"); w.Code != http.StatusBadGateway {
		t.Errorf("introspection refused: %d", w.Code)
	}
	want := Stats{Requests: 6, Issued: 2, Denied: 2, Failed: 1}
	if got := (Stats{s.requests.Load(), s.issued.Load(), s.denied.Load(), s.failed.Load()}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}

// verify checks the JWS as distribution's token auth does (x5c = the
// certificate, ES256 over header.payload) and returns its claims.
func verify(t *testing.T, cert *x509.Certificate, jws string) claims {
	t.Helper()
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Fatalf("JWS has %d parts", len(parts))
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var hdr struct {
		Alg string   `json:"alg"`
		X5c []string `json:"x5c"`
	}
	if err := json.Unmarshal(dec(parts[0]), &hdr); err != nil {
		t.Fatal(err)
	}
	if hdr.Alg != "ES256" || len(hdr.X5c) != 1 {
		t.Fatalf("header %+v", hdr)
	}
	if der, _ := base64.StdEncoding.DecodeString(hdr.X5c[0]); string(der) != string(cert.Raw) {
		t.Fatal("x5c is not the written certificate")
	}
	sig := dec(parts[2])
	if len(sig) != 64 {
		t.Fatalf("ES256 signature of %d bytes, want 64", len(sig))
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(cert.PublicKey.(*ecdsa.PublicKey), sum[:], r, s) {
		t.Fatal("signature does not verify with the certificate's key")
	}
	var c claims
	if err := json.Unmarshal(dec(parts[1]), &c); err != nil {
		t.Fatal(err)
	}
	return c
}
