// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package acrtest is a local stand-in for the server side of Azure
// Container Registry's sign-in, over TLS with a test certificate: a
// Microsoft Entra ID authority (the OpenID configuration and the v2.0
// token endpoint, client secret and federated client assertion) and, on
// the same server, the registry's /oauth2/exchange, /oauth2/token and
// /v2/. It checks what the real services check that a test can: the
// client and its secret or assertion, the scope, that the access token
// handed to the exchange is one it issued and unexpired, the service
// name; and it counts the calls. The client side under test is the real
// azidentity.
package acrtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Known test identities.
const (
	Tenant       = "72f988bf-0000-4000-8000-000000000001"
	ClientID     = "3c8f7a2e-0000-4000-8000-000000000002"
	ClientSecret = "acrtest-client-secret-value"
	Scope        = "https://containerregistry.azure.net/.default"
	Username     = "00000000-0000-0000-0000-000000000000"
	// IdentityHeader is the App Service managed identity endpoint's secret
	// header (IDENTITY_HEADER).
	IdentityHeader = "acrtest-identity-header"
)

// Server is the stand-in. Its URL is https://127.0.0.1:PORT; Host is the
// registry name the exchange expects as service (127.0.0.1:PORT).
type Server struct {
	*httptest.Server
	// Host is 127.0.0.1:PORT.
	Host string
	// CAFile is the PEM of the server's certificate, for SSL_CERT_FILE.
	CAFile string
	// Fail makes the exchange answer 503.
	Fail atomic.Bool
	// ExpireAccess makes the exchange treat every access token as expired.
	ExpireAccess atomic.Bool
	// RefreshLifetime is the refresh token's life (exp); zero: 3 h.
	RefreshLifetime atomic.Int64

	key        []byte
	tokenCalls atomic.Int64
	exchanges  atomic.Int64

	mu        sync.Mutex
	assertion string              // the accepted federated assertion
	cert      *x509.Certificate   // the client certificate accepted
	access    map[string]bool     // access tokens issued
	refresh   map[string]bool     // refresh tokens issued
	forms     []map[string]string // token requests, as received
	msi       []string            // managed identity requests' client_id
}

// NewServer starts the stand-in; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{key: make([]byte, 32), access: map[string]bool{}, refresh: map[string]bool{}}
	rand.Read(s.key)
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	s.Host = strings.TrimPrefix(s.URL, "https://")
	s.CAFile = filepath.Join(t.TempDir(), "acrtest-ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(s.CAFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// NewServerFor starts the stand-in on addr (such as 127.0.0.1:443, in a
// network namespace of the test's own) as the registry named registry
// (myreg.azurecr.io, which the namespace's /etc/hosts maps to 127.0.0.1),
// with a certificate for that name and 127.0.0.1 from a test CA of its
// own, whose PEM is CAFile.
func NewServerFor(t testing.TB, addr, registry string) *Server {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "acrtest CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: registry},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{registry}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{key: make([]byte, 32), access: map[string]bool{}, refresh: map[string]bool{}, Host: registry}
	rand.Read(s.key)
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Listener.Close()
	s.Listener = l
	s.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}}
	s.StartTLS()
	t.Cleanup(s.Close)
	s.CAFile = filepath.Join(t.TempDir(), "acrtest-ca.pem")
	if err := os.WriteFile(s.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// AuthorityHost is the authority to configure: https://127.0.0.1:PORT/.
func (s *Server) AuthorityHost() string { return s.URL + "/" }

// AcceptAssertion sets the one federated assertion the authority accepts.
func (s *Server) AcceptAssertion(jwt string) {
	s.mu.Lock()
	s.assertion = jwt
	s.mu.Unlock()
}

// AcceptCertificate sets the client certificate whose signed assertions
// (PS256 or RS256, iss and sub the client id, aud the token endpoint,
// unexpired) the authority accepts.
func (s *Server) AcceptCertificate(c *x509.Certificate) {
	s.mu.Lock()
	s.cert = c
	s.mu.Unlock()
}

// TokenCalls is how many token requests the authority answered (any result).
func (s *Server) TokenCalls() int { return int(s.tokenCalls.Load()) }

// Exchanges is how many exchanges were asked (any result).
func (s *Server) Exchanges() int { return int(s.exchanges.Load()) }

// TokenForms are the forms of the token requests received, in order.
func (s *Server) TokenForms() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]string(nil), s.forms...)
}

// IsRefreshToken reports whether tok is a refresh token the exchange issued.
func (s *Server) IsRefreshToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh[tok]
}

// JWT signs claims with the server's key (HS256): what it issues.
func (s *Server) JWT(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	b, _ := json.Marshal(claims)
	body := h + "." + base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// UnsignedJWT is a JWT with the given claims that no server verifies: a
// federated assertion for AcceptAssertion.
func UnsignedJWT(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"test"}`))
	b, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(b) + ".c2lnbmF0dXJl"
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && p == "/"+Tenant+"/v2.0/.well-known/openid-configuration":
		base := s.URL + "/" + Tenant
		writeJSON(w, 200, map[string]any{
			"token_endpoint":         base + "/oauth2/v2.0/token",
			"authorization_endpoint": base + "/oauth2/v2.0/authorize",
			"issuer":                 base + "/v2.0",
		})
	case r.Method == http.MethodPost && p == "/"+Tenant+"/oauth2/v2.0/token":
		s.token(w, r)
	case r.Method == http.MethodGet && p == "/msi/token":
		s.managedIdentity(w, r)
	case r.Method == http.MethodPost && p == "/oauth2/exchange":
		s.exchange(w, r)
	case r.Method == http.MethodGet && p == "/oauth2/token":
		s.registryToken(w, r)
	case p == "/v2/" || strings.HasPrefix(p, "/v2/"):
		s.registry(w, r)
	default:
		writeJSON(w, 404, map[string]any{"error": "not_found", "error_description": r.Method + " " + p})
	}
}

// token is Entra ID's client-credentials grant, with a client secret or a
// federated client assertion.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.tokenCalls.Add(1)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, aadError("invalid_request", "bad form"))
		return
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	s.mu.Lock()
	s.forms = append(s.forms, form)
	assertion, cert := s.assertion, s.cert
	s.mu.Unlock()
	switch {
	case form["grant_type"] != "client_credentials":
		writeJSON(w, 400, aadError("unsupported_grant_type", "AADSTS70003: grant_type "+form["grant_type"]))
		return
	case form["client_id"] != ClientID:
		writeJSON(w, 400, aadError("unauthorized_client", "AADSTS700016: application not found in the directory"))
		return
	case !strings.Contains(form["scope"], Scope):
		writeJSON(w, 400, aadError("invalid_scope", "AADSTS70011: the scope is not valid"))
		return
	}
	if a := form["client_assertion"]; a != "" {
		federated := assertion != "" && a == assertion
		signed := cert != nil && verifyAssertion(a, cert, s.URL+"/"+Tenant+"/oauth2/v2.0/token")
		if form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || !federated && !signed {
			writeJSON(w, 401, aadError("invalid_client", "AADSTS700211: no matching federated identity record found for presented assertion"))
			return
		}
		if exp, ok := expOf(a); !ok || time.Unix(exp, 0).Before(time.Now()) {
			writeJSON(w, 400, aadError("invalid_client", "AADSTS700024: client assertion is not within its valid time range"))
			return
		}
	} else if form["client_secret"] != ClientSecret {
		writeJSON(w, 401, aadError("invalid_client", "AADSTS7000215: invalid client secret provided"))
		return
	}
	exp := time.Now().Add(time.Hour)
	at := s.JWT(map[string]any{"aud": "https://containerregistry.azure.net", "tid": Tenant, "appid": ClientID, "exp": exp.Unix(), "jti": nonce()})
	s.mu.Lock()
	s.access[at] = true
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": at})
}

// MSIURL is the App Service managed identity endpoint (IDENTITY_ENDPOINT).
func (s *Server) MSIURL() string { return s.URL + "/msi/token" }

// MSIClientIDs are the client_id parameters of the managed identity
// requests received ("" for the system-assigned identity).
func (s *Server) MSIClientIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msi...)
}

// managedIdentity is App Service's managed identity endpoint.
func (s *Server) managedIdentity(w http.ResponseWriter, r *http.Request) {
	s.tokenCalls.Add(1)
	q := r.URL.Query()
	s.mu.Lock()
	s.msi = append(s.msi, q.Get("client_id"))
	s.mu.Unlock()
	if r.Header.Get("X-IDENTITY-HEADER") != IdentityHeader || q.Get("api-version") != "2019-08-01" {
		writeJSON(w, 401, map[string]any{"error": "unauthorized"})
		return
	}
	if q.Get("resource") != strings.TrimSuffix(Scope, "/.default") {
		writeJSON(w, 400, map[string]any{"error": "invalid_resource"})
		return
	}
	exp := time.Now().Add(time.Hour)
	at := s.JWT(map[string]any{"aud": "https://containerregistry.azure.net", "tid": Tenant, "exp": exp.Unix(), "jti": nonce()})
	s.mu.Lock()
	s.access[at] = true
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"access_token": at, "expires_on": fmt.Sprint(exp.Unix()), "resource": q.Get("resource"), "token_type": "Bearer"})
}

// exchange is ACR's POST /oauth2/exchange (grant access_token).
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	s.exchanges.Add(1)
	if s.Fail.Load() {
		writeJSON(w, 503, acrError("UNAVAILABLE", "service unavailable"))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, acrError("UNSUPPORTED", "bad form"))
		return
	}
	f := r.PostForm
	s.mu.Lock()
	issued := s.access[f.Get("access_token")]
	s.mu.Unlock()
	switch {
	case f.Get("grant_type") != "access_token":
		writeJSON(w, 400, acrError("UNSUPPORTED", "grant_type must be access_token"))
	case f.Get("service") != s.Host:
		writeJSON(w, 400, acrError("UNSUPPORTED", "service "+f.Get("service")+" is not this registry"))
	case f.Get("tenant") != Tenant:
		writeJSON(w, 401, acrError("UNAUTHORIZED", "tenant mismatch"))
	case !issued:
		writeJSON(w, 401, acrError("UNAUTHORIZED", "the access token is not valid"))
	case s.ExpireAccess.Load():
		writeJSON(w, 401, acrError("UNAUTHORIZED", "the access token has expired"))
	default:
		life := time.Duration(s.RefreshLifetime.Load())
		if life == 0 {
			life = 3 * time.Hour
		}
		rt := s.JWT(map[string]any{"grant_type": "refresh_token", "aud": s.Host, "tenant": Tenant, "exp": time.Now().Add(life).Unix(), "jti": nonce()})
		s.mu.Lock()
		s.refresh[rt] = true
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"refresh_token": rt})
	}
}

// registryToken is the registry's token endpoint as docker calls it with
// the username and password get answered (HTTP Basic).
func (s *Server) registryToken(w http.ResponseWriter, r *http.Request) {
	u, pw, ok := r.BasicAuth()
	if !ok || u != Username || !s.IsRefreshToken(pw) {
		writeJSON(w, 401, acrError("UNAUTHORIZED", "authentication required"))
		return
	}
	at := s.JWT(map[string]any{"aud": s.Host, "scope": r.URL.Query().Get("scope"), "exp": time.Now().Add(75 * time.Minute).Unix()})
	s.mu.Lock()
	s.access["registry:"+at] = true
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"access_token": at})
}

// registry is /v2/: a bearer token from registryToken, else the challenge.
func (s *Server) registry(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	ok = ok && s.access["registry:"+tok]
	s.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/oauth2/token",service="%s"`, s.URL, s.Host))
		writeJSON(w, 401, acrError("UNAUTHORIZED", "authentication required"))
		return
	}
	writeJSON(w, 200, map[string]any{})
}

// verifyAssertion checks a certificate credential's assertion: signed by
// cert's key, from the client, for the token endpoint aud.
func verifyAssertion(jwt string, cert *x509.Certificate, aud string) bool {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return false
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if err1 != nil || err2 != nil || err3 != nil || !ok {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	var c struct {
		Iss, Sub, Aud string
	}
	if json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch h.Alg {
	case "PS256":
		err1 = rsa.VerifyPSS(pub, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	case "RS256":
		err1 = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	default:
		return false
	}
	return err1 == nil && c.Iss == ClientID && c.Sub == ClientID && c.Aud == aud
}

func expOf(jwt string) (int64, bool) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, false
	}
	var c struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(b, &c) != nil || c.Exp == 0 {
		return 0, false
	}
	return c.Exp, true
}

func nonce() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func aadError(code, desc string) map[string]any {
	return map[string]any{"error": code, "error_description": desc, "error_codes": []int{0}, "timestamp": time.Now().UTC().Format(time.RFC3339)}
}

func acrError(code, msg string) map[string]any {
	return map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
