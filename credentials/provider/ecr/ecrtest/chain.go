// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecrtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The credential sources of aws-sdk-go-v2's default chain that answer over
// HTTP: the EC2 instance metadata service (IMDSv2), the ECS/EKS container
// credentials endpoint and the IAM Identity Center (SSO) portal. Each hands
// out the key id AKIDTEST with secret "testsecret" (what NewServer
// accepts) and a session token, valid for an hour.

const (
	// KeyID is the access key id the credential stand-ins hand out.
	KeyID = "AKIDTEST"
	// Secret is its secret access key.
	Secret = "testsecret"
	// SessionToken is the session token that goes with them.
	SessionToken = "test-session-token"
)

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// IMDS is an IMDSv2-only instance metadata service: a session token from
// PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds) is
// required on every GET, which otherwise gets 401, as on an instance with
// HttpTokens=required. It serves an instance role's credentials and the
// instance identity document.
type IMDS struct {
	// URL is its address, for AWS_EC2_METADATA_SERVICE_ENDPOINT.
	URL string
	// Role is the instance profile's role name.
	Role string
	// Region is the region of the identity document.
	Region string
	// Delay holds every answer back this long (a slow instance).
	Delay time.Duration

	puts, authorized, refused atomic.Int32
	mu                        sync.Mutex
	tokens                    map[string]time.Time
}

// NewIMDS starts an IMDS with role "ecr-node" in us-east-1; t's cleanup
// stops it.
func NewIMDS(t testing.TB) *IMDS {
	m := &IMDS{Role: "ecr-node", Region: "us-east-1", tokens: map[string]time.Time{}}
	srv := httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(srv.Close)
	m.URL = srv.URL
	return m
}

// Counts returns how many session tokens were handed out, how many GETs
// carried a valid one and how many were refused (401) for lack of one.
func (m *IMDS) Counts() (tokens, authorized, refused int) {
	return int(m.puts.Load()), int(m.authorized.Load()), int(m.refused.Load())
}

func (m *IMDS) serve(w http.ResponseWriter, r *http.Request) {
	time.Sleep(m.Delay)
	if r.URL.Path == "/latest/api/token" {
		if r.Method != http.MethodPut {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		ttl, err := strconv.Atoi(r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds"))
		if err != nil || ttl < 1 || ttl > 21600 {
			http.Error(w, "bad X-aws-ec2-metadata-token-ttl-seconds", http.StatusBadRequest)
			return
		}
		tok := newToken()
		m.mu.Lock()
		m.tokens[tok] = time.Now().Add(time.Duration(ttl) * time.Second)
		m.mu.Unlock()
		m.puts.Add(1)
		w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", strconv.Itoa(ttl))
		_, _ = w.Write([]byte(tok))
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	m.mu.Lock()
	until, ok := m.tokens[r.Header.Get("X-Aws-Ec2-Metadata-Token")]
	m.mu.Unlock()
	if !ok || time.Now().After(until) {
		m.refused.Add(1)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	m.authorized.Add(1)
	const creds = "/latest/meta-data/iam/security-credentials/"
	switch r.URL.Path {
	case creds:
		_, _ = w.Write([]byte(m.Role))
	case creds + m.Role:
		now := time.Now().UTC()
		writeJSON(w, map[string]string{
			"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": now.Format(time.RFC3339),
			"AccessKeyId": KeyID, "SecretAccessKey": Secret, "Token": SessionToken,
			"Expiration": now.Add(time.Hour).Format(time.RFC3339),
		})
	case "/latest/dynamic/instance-identity/document":
		writeJSON(w, map[string]string{"region": m.Region, "accountId": "123456789012", "instanceId": "i-0123456789abcdef0"})
	default:
		http.NotFound(w, r)
	}
}

// Container is the ECS/EKS container credentials endpoint
// (AWS_CONTAINER_CREDENTIALS_FULL_URI): it answers only a GET whose
// Authorization header is AuthToken, as EKS Pod Identity's agent does with
// the token of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
type Container struct {
	// URL is the credentials URI.
	URL string
	// AuthToken is the Authorization header it requires.
	AuthToken string

	served, refused atomic.Int32
}

// NewContainer starts a Container at <server>/v1/credentials requiring
// authToken; t's cleanup stops it.
func NewContainer(t testing.TB, authToken string) *Container {
	c := &Container{AuthToken: authToken}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	c.URL = srv.URL + "/v1/credentials"
	return c
}

// Counts returns how many requests got credentials and how many were
// refused for a wrong or missing Authorization header.
func (c *Container) Counts() (served, refused int) {
	return int(c.served.Load()), int(c.refused.Load())
}

func (c *Container) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/v1/credentials" {
		http.NotFound(w, r)
		return
	}
	if c.AuthToken == "" || r.Header.Get("Authorization") != c.AuthToken {
		c.refused.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]string{"code": "AccessDeniedException", "message": "the Authorization header is not the pod's token"})
		return
	}
	c.served.Add(1)
	writeJSON(w, map[string]string{
		"AccessKeyId": KeyID, "SecretAccessKey": Secret, "Token": SessionToken,
		"AccountId": "123456789012", "Expiration": time.Now().UTC().Add(time.Hour).Format(time.RFC3339),
	})
}

// SSOPortal is IAM Identity Center's portal API (the SDK's "SSO" service,
// AWS_ENDPOINT_URL_SSO): GetRoleCredentials for the account and role it
// knows, with the access token it knows (what `aws sso login` cached).
type SSOPortal struct {
	// URL is its address.
	URL string
	// AccessToken is the bearer token it accepts.
	AccessToken string
	// Account and Role are what it grants.
	Account, Role string

	mu    sync.Mutex
	calls []string
}

// NewSSOPortal starts an SSOPortal granting role Role of account
// 123456789012 to accessToken; t's cleanup stops it.
func NewSSOPortal(t testing.TB, accessToken, role string) *SSOPortal {
	s := &SSOPortal{AccessToken: accessToken, Account: "123456789012", Role: role}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Calls are the requests so far, as "METHOD path?account_id&role_name
// status".
func (s *SSOPortal) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *SSOPortal) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := http.StatusOK
	switch {
	case r.Method != http.MethodGet || r.URL.Path != "/federation/credentials":
		status = http.StatusNotFound
	case r.Header.Get("X-Amz-Sso_bearer_token") != s.AccessToken:
		status = http.StatusUnauthorized
	case q.Get("account_id") != s.Account || q.Get("role_name") != s.Role:
		status = http.StatusForbidden
	}
	s.mu.Lock()
	s.calls = append(s.calls, strings.Join([]string{r.Method, r.URL.Path + "?" + q.Get("account_id") + "&" + q.Get("role_name"), strconv.Itoa(status)}, " "))
	s.mu.Unlock()
	if status != http.StatusOK {
		w.Header().Set("X-Amzn-Errortype", map[int]string{404: "ResourceNotFoundException", 401: "UnauthorizedException", 403: "ForbiddenException"}[status])
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		writeJSON(w, map[string]string{"message": http.StatusText(status)})
		return
	}
	writeJSON(w, map[string]any{"roleCredentials": map[string]any{
		"accessKeyId": KeyID, "secretAccessKey": Secret, "sessionToken": SessionToken,
		"expiration": time.Now().Add(time.Hour).UnixMilli(),
	}})
}
