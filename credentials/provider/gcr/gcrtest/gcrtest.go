// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package gcrtest stands in for Google's side of the gcr provider in tests.
// Server is one local endpoint for what golang.org/x/oauth2/google asks:
//   - POST /token: a service account key's JWT bearer grant, whose RS256
//     assertion it verifies against the public half of the keys it made
//     (NewServiceAccountKey), with the claims the SDK sends;
//   - POST /v1/token: STS's token exchange (external_account), which
//     accepts the subject tokens it was told;
//   - POST /v1/projects/-/serviceAccounts/<email>:generateAccessToken: IAM
//     Credentials' impersonation, for a bearer token it issued;
//   - GET /computeMetadata/v1/…: the GCE metadata server (GCE_METADATA_HOST),
//     which requires the Metadata-Flavor header.
//
// It counts the tokens it hands out. The client side (the SDK) in the tests
// is real; this stand-in for Google is ours.
package gcrtest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Grant and token types the stand-in checks.
const (
	GrantJWTBearer     = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeJWT       = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
)

// Server is a local stand-in for Google's token endpoints and the
// metadata server.
type Server struct {
	// URL is the server's address (http://127.0.0.1:port).
	URL string
	// Host is URL without the scheme, for GCE_METADATA_HOST.
	Host string
	// Life is the lifetime of the tokens it hands out (3599 s when zero).
	Life time.Duration
	// Fail, while set, makes every token request answer HTTP 500.
	Fail atomic.Bool
	// Hold, when not nil, makes every token request wait until it is
	// closed (a herd's requests pile up behind the first).
	Hold chan struct{}

	calls atomic.Int32
	mu    sync.Mutex
	keys  map[string]*rsa.PublicKey // by client_email
	subs  map[string]bool           // accepted STS subject tokens
	given map[string]bool           // access tokens handed out
	log   []string
}

// NewServer starts a Server; t's cleanup stops it.
func NewServer(t testing.TB) *Server {
	s := &Server{keys: map[string]*rsa.PublicKey{}, subs: map[string]bool{}, given: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	s.Host = strings.TrimPrefix(srv.URL, "http://")
	return s
}

// Calls is how many access tokens it handed out.
func (s *Server) Calls() int { return int(s.calls.Load()) }

// Log is what it answered, one line per request: "<kind> <who>", e.g.
// "sa puller@p.iam.gserviceaccount.com", "sts <audience>",
// "impersonate <email>", "metadata default".
func (s *Server) Log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// AcceptSubject makes STS accept tok as a subject token.
func (s *Server) AcceptSubject(tok string) {
	s.mu.Lock()
	s.subs[tok] = true
	s.mu.Unlock()
}

// NewServiceAccountKey writes a service account key file for email into
// dir (a fresh 2048-bit RSA key, token_uri at the stand-in) and returns its
// path; the stand-in accepts assertions signed with it.
func (s *Server) NewServiceAccountKey(t testing.TB, dir, email string) string {
	t.Helper()
	path, _, err := s.WriteServiceAccountKey(dir, email)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func (s *Server) life() time.Duration {
	if s.Life > 0 {
		return s.Life
	}
	return 3599 * time.Second
}

// issue hands out a new access token, recorded as "<kind> <who>".
func (s *Server) issue(kind, who string) string {
	n := s.calls.Add(1)
	tok := fmt.Sprintf("ya29.%s-%d", kind, n)
	s.mu.Lock()
	s.given[tok] = true
	s.log = append(s.log, kind+" "+who)
	s.mu.Unlock()
	return tok
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/computeMetadata/v1/") {
		s.metadata(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	if s.Hold != nil {
		<-s.Hold
	}
	if s.Fail.Load() {
		jsonReply(w, http.StatusInternalServerError, map[string]string{"error": "internal_failure", "error_description": "the stand-in is told to fail"})
		return
	}
	switch {
	case r.URL.Path == "/token":
		s.jwtBearer(w, r)
	case r.URL.Path == "/v1/token":
		s.sts(w, r)
	case strings.HasPrefix(r.URL.Path, "/v1/projects/-/serviceAccounts/") && strings.HasSuffix(r.URL.Path, ":generateAccessToken"):
		s.impersonate(w, r)
	default:
		http.NotFound(w, r)
	}
}

// jwtBearer checks a service account's RS256 assertion (RFC 7523) as
// Google's token endpoint does: signature by the key it made for iss, aud
// its own token URL, a scope, a live exp.
func (s *Server) jwtBearer(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != GrantJWTBearer {
		oauthError(w, "unsupported_grant_type", "want the jwt-bearer grant")
		return
	}
	claims, err := s.verify(r.PostForm.Get("assertion"))
	if err != nil {
		oauthError(w, "invalid_grant", err.Error())
		return
	}
	if claims.Aud != s.URL+"/token" || claims.Scope == "" || time.Unix(claims.Exp, 0).Before(time.Now()) {
		oauthError(w, "invalid_grant", "bad claims")
		return
	}
	jsonReply(w, http.StatusOK, map[string]any{"access_token": s.issue("sa", claims.Iss), "expires_in": int(s.life().Seconds()), "token_type": "Bearer"})
}

type assertionClaims struct {
	Iss   string `json:"iss"`
	Aud   string `json:"aud"`
	Scope string `json:"scope"`
	Exp   int64  `json:"exp"`
}

func (s *Server) verify(assertion string) (*assertionClaims, error) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return nil, errors.New("the assertion is no JWT")
	}
	var head struct{ Alg, Kid string }
	var claims assertionClaims
	if err := decodeSegment(parts[0], &head); err != nil || head.Alg != "RS256" {
		return nil, errors.New("the assertion is not RS256")
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, errors.New("the assertion's claims do not decode")
	}
	s.mu.Lock()
	pub := s.keys[claims.Iss]
	s.mu.Unlock()
	if pub == nil {
		return nil, errors.New("unknown service account")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("the signature does not decode")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return nil, errors.New("invalid JWT signature")
	}
	return &claims, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// sts is Google's STS token exchange for a subject token it accepts.
func (s *Server) sts(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != GrantTokenExchange {
		oauthError(w, "unsupported_grant_type", "want the token-exchange grant")
		return
	}
	f := r.PostForm
	s.mu.Lock()
	ok := s.subs[f.Get("subject_token")]
	s.mu.Unlock()
	switch {
	case !ok:
		oauthError(w, "invalid_grant", "the subject token is not accepted")
	case f.Get("subject_token_type") != TokenTypeJWT || f.Get("requested_token_type") != TokenTypeAccess:
		oauthError(w, "invalid_request", "bad token types")
	case !strings.HasPrefix(f.Get("audience"), "//iam.googleapis.com/") || f.Get("scope") == "":
		oauthError(w, "invalid_request", "bad audience or scope")
	default:
		jsonReply(w, http.StatusOK, map[string]any{"access_token": s.issue("sts", f.Get("audience")), "issued_token_type": TokenTypeAccess,
			"token_type": "Bearer", "expires_in": int(s.life().Seconds())})
	}
}

// impersonate is IAM Credentials' generateAccessToken for a bearer token it
// handed out.
func (s *Server) impersonate(w http.ResponseWriter, r *http.Request) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	ok = ok && s.given[bearer]
	s.mu.Unlock()
	var body struct {
		Scope []string `json:"scope"`
	}
	if !ok {
		jsonReply(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "message": "bad bearer token"}})
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Scope) == 0 {
		jsonReply(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": 400, "message": "no scope"}})
		return
	}
	email := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/projects/-/serviceAccounts/"), ":generateAccessToken")
	jsonReply(w, http.StatusOK, map[string]string{"accessToken": s.issue("impersonate", email),
		"expireTime": time.Now().Add(s.life()).UTC().Format(time.RFC3339)})
}

// metadata is the GCE metadata server's project id and default service
// account token.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Metadata-Flavor") != "Google" {
		http.Error(w, "missing Metadata-Flavor", http.StatusForbidden)
		return
	}
	w.Header().Set("Metadata-Flavor", "Google")
	switch r.URL.Path {
	case "/computeMetadata/v1/project/project-id":
		fmt.Fprint(w, "test-project")
	case "/computeMetadata/v1/instance/service-accounts/default/token":
		if s.Hold != nil {
			<-s.Hold
		}
		if s.Fail.Load() || r.URL.Query().Get("scopes") == "" {
			http.Error(w, "failing", http.StatusInternalServerError)
			return
		}
		jsonReply(w, http.StatusOK, map[string]any{"access_token": s.issue("metadata", "default"), "expires_in": int(s.life().Seconds()), "token_type": "Bearer"})
	default:
		http.NotFound(w, r)
	}
}

func jsonReply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, code, desc string) {
	jsonReply(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

// Silent is a listener on 127.0.0.1 that accepts connections and never
// answers: a metadata server that hangs. It returns host:port; t's cleanup
// closes it and its connections.
func Silent(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}
