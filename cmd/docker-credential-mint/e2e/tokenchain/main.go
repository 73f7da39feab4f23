// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Command tokenchain is a test-only registry token service (the realm of a
// registry with `auth: token`) whose users are OAuth2 access tokens: it takes
// the Basic password of `GET /token?service=..&scope=..`, asks the OAuth2
// server's RFC 7662 introspection endpoint whether that token is active, and
// if so issues a short-lived registry JWT granting what the scope asks for.
// So a client whose credential helper hands it a stale access token gets
// `UNAUTHORIZED: token inactive`, and one whose helper refreshed gets in.
//
// The JWT is ES256, signed with a P-256 key made at start-up and never
// written; its header carries x5c = [the DER of a self-signed certificate for
// that key], and that certificate is written as PEM to -cert for the
// registry's rootcertbundle. The introspection client's secret comes from the
// environment variable named by -client-secret-env, never argv.
//
// It prints "listening on http://ADDR" on stdout once it accepts connections
// (-listen 127.0.0.1:0 picks a free port), logs one line per request on
// stderr (never a credential), and answers GET /stats with its counters as
// JSON. Not for production: no TLS, no rate limits, every active token gets
// whatever it asks for.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/e2e/internal/regtoken"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("tokenchain: ")
	var (
		listen     = flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: a free one)")
		issuer     = flag.String("issuer", "mint-tokenchain", "the JWT's iss (the registry's auth.token.issuer)")
		service    = flag.String("service", "mint-registry", "the JWT's aud (the registry's auth.token.service)")
		ttl        = flag.Duration("ttl", 20*time.Second, "registry JWT life (shortened to the access token's)")
		introspect = flag.String("introspect-url", "", "the OAuth2 server's RFC 7662 introspection endpoint")
		clientID   = flag.String("client-id", "", "client id for the introspection calls")
		secretEnv  = flag.String("client-secret-env", "TOKENCHAIN_CLIENT_SECRET", "environment variable holding the introspection client's secret")
		certFile   = flag.String("cert", "", "where to write the signing certificate (PEM) for the registry's rootcertbundle")
	)
	flag.Parse()
	if *introspect == "" || *clientID == "" || *certFile == "" {
		log.Fatal("-introspect-url, -client-id and -cert are required")
	}
	secret := os.Getenv(*secretEnv)
	if secret == "" {
		log.Fatalf("$%s (the introspection client's secret) is not set", *secretEnv)
	}
	os.Unsetenv(*secretEnv)
	if *ttl <= 0 {
		log.Fatal("-ttl must be positive")
	}

	s, err := newServer(*issuer, *service, *ttl, *introspect, *clientID, secret)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*certFile, s.certPEM(), 0o644); err != nil {
		log.Fatal(err)
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}()
	fmt.Printf("listening on http://%s\n", l.Addr())
	if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// server is the token service.
type server struct {
	issuer, service string
	ttl             time.Duration
	introspectURL   string
	clientID        string
	clientSecret    string
	key             *ecdsa.PrivateKey
	certDER         []byte
	client          *http.Client
	now             func() time.Time

	requests, issued, denied, failed atomic.Int64
}

func newServer(issuer, service string, ttl time.Duration, introspectURL, clientID, clientSecret string) (*server, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: issuer},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &server{
		issuer: issuer, service: service, ttl: ttl,
		introspectURL: introspectURL, clientID: clientID, clientSecret: clientSecret,
		key: key, certDER: der,
		client: &http.Client{
			Timeout:   5 * time.Second,
			Transport: &http.Transport{Proxy: nil},
			// Credentials never follow a redirect.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: time.Now,
	}, nil
}

func (s *server) certPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.certDER})
}

// Stats is what GET /stats answers.
type Stats struct {
	Requests int64 `json:"token_requests"` // GET /token requests
	Issued   int64 `json:"issued"`         // JWTs issued
	Denied   int64 `json:"denied"`         // 401s: no, inactive or expired token
	Failed   int64 `json:"failed"`         // the introspection call failed
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/stats" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, Stats{s.requests.Load(), s.issued.Load(), s.denied.Load(), s.failed.Load()})
	case r.URL.Path == "/token" || r.URL.Path == "/token/":
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "only GET /token is supported")
			return
		}
		s.requests.Add(1)
		status, who := s.token(w, r)
		log.Printf("GET /token service=%q scope=%q sub=%q -> %d", r.URL.Query().Get("service"), r.URL.Query()["scope"], who, status)
	default:
		http.NotFound(w, r)
	}
}

// token answers one token request and returns the status and subject, for
// the log.
func (s *server) token(w http.ResponseWriter, r *http.Request) (int, string) {
	q := r.URL.Query()
	if svc := q.Get("service"); svc != "" && svc != s.service {
		writeError(w, http.StatusBadRequest, "UNSUPPORTED", fmt.Sprintf("unknown service %q", svc))
		return http.StatusBadRequest, ""
	}
	user, password, ok := r.BasicAuth()
	if !ok || password == "" {
		s.denied.Add(1)
		w.Header().Set("WWW-Authenticate", `Basic realm="mint-tokenchain"`)
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
		return http.StatusUnauthorized, user
	}
	access, err := parseScopes(q["scope"])
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_SCOPE", err.Error())
		return http.StatusBadRequest, user
	}
	in, err := s.introspect(r.Context(), password)
	if err != nil {
		s.failed.Add(1)
		log.Printf("introspection: %v", err)
		writeError(w, http.StatusBadGateway, "UNAVAILABLE", "token introspection failed")
		return http.StatusBadGateway, user
	}
	now := s.now()
	if !in.Active || (in.Exp != 0 && in.Exp <= now.Unix()) {
		s.denied.Add(1)
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "token inactive")
		return http.StatusUnauthorized, user
	}
	sub := in.Sub
	if sub == "" {
		sub = in.ClientID
	}
	if sub == "" {
		sub = user
	}
	exp := now.Add(s.ttl).Unix()
	if in.Exp != 0 && in.Exp < exp {
		exp = in.Exp
	}
	tok, err := s.sign(claims{
		Issuer: s.issuer, Subject: sub, Audience: s.service,
		Expiration: exp, NotBefore: now.Unix(), IssuedAt: now.Unix(),
		JWTID: randHex(16), Access: access,
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return http.StatusInternalServerError, sub
	}
	s.issued.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{
		"token":        tok,
		"access_token": tok,
		"expires_in":   exp - now.Unix(),
		"issued_at":    now.UTC().Format(time.RFC3339),
	})
	return http.StatusOK, sub
}

// introspection is the part of an RFC 7662 answer that matters here.
type introspection struct {
	Active   bool   `json:"active"`
	Exp      int64  `json:"exp"`
	Sub      string `json:"sub"`
	ClientID string `json:"client_id"`
}

func (s *server) introspect(ctx context.Context, token string) (*introspection, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.introspectURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 §2.3.1: client id and secret are form-encoded before Basic.
	req.SetBasicAuth(url.QueryEscape(s.clientID), url.QueryEscape(s.clientSecret))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var in introspection
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("introspection answer: %v", err)
	}
	return &in, nil
}

// resourceActions is one entry of the JWT's access claim (distribution's
// token auth).
type resourceActions struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// parseScopes parses each "type:name:action[,action]" scope (a name may hold
// colons, e.g. a port: the type is up to the first colon, the actions after
// the last). Several scopes may also share one parameter, space-separated.
func parseScopes(scopes []string) ([]resourceActions, error) {
	access := []resourceActions{}
	for _, param := range scopes {
		for _, sc := range strings.Fields(param) {
			i, j := strings.Index(sc, ":"), strings.LastIndex(sc, ":")
			if i <= 0 || j <= i+1 || j == len(sc)-1 {
				return nil, fmt.Errorf("malformed scope %q", sc)
			}
			var actions []string
			for _, a := range strings.Split(sc[j+1:], ",") {
				if a != "" {
					actions = append(actions, a)
				}
			}
			access = append(access, resourceActions{Type: sc[:i], Name: sc[i+1 : j], Actions: actions})
		}
	}
	return access, nil
}

// claims is the registry JWT's claim set.
type claims struct {
	Issuer     string            `json:"iss"`
	Subject    string            `json:"sub"`
	Audience   string            `json:"aud"`
	Expiration int64             `json:"exp"`
	NotBefore  int64             `json:"nbf"`
	IssuedAt   int64             `json:"iat"`
	JWTID      string            `json:"jti"`
	Access     []resourceActions `json:"access"`
}

// sign returns the compact JWS of c: ES256, the certificate in x5c.
func (s *server) sign(c claims) (string, error) {
	return regtoken.Sign(s.key, s.certDER, c)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers distribution's error shape.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
