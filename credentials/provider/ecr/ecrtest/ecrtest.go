// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package ecrtest stands in for the AWS side of the ecr provider in tests:
// Server speaks ECR's and ECR Public's GetAuthorizationToken (JSON 1.1,
// what aws-sdk-go-v2 sends through AWS_ENDPOINT_URL_ECR and
// AWS_ENDPOINT_URL_ECR_PUBLIC), checks the SigV4 signature of the
// credentials it knows and counts its calls; Moto starts moto's server
// (the ECR and STS of the integration tests) and Recorder records what
// goes through a reverse proxy in front of it. The client side (the SDK)
// in those tests is real; these stand-ins for the cloud are ours.
package ecrtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Targets of the JSON 1.1 calls Server answers.
const (
	TargetECR       = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
	TargetECRPublic = "SpencerFrontendService.GetAuthorizationToken"
)

// Server is a local ECR and ECR Public GetAuthorizationToken endpoint.
type Server struct {
	// URL is the server's address, for AWS_ENDPOINT_URL_ECR(_PUBLIC).
	URL string
	// Keys are the access key ids it accepts, with their secret keys.
	Keys map[string]string
	// Password is the registry password it hands out ("AWS:" + Password,
	// base64), followed by "-<n>" for the n-th call.
	Password string
	// Life is the tokens' lifetime (12 h when zero).
	Life time.Duration
	// Fail, while set, makes every call answer HTTP 500.
	Fail atomic.Bool

	calls   atomic.Int32
	mu      sync.Mutex
	regions []string
}

// NewServer starts a Server accepting the key id AKIDTEST with secret
// "testsecret"; t's cleanup stops it.
func NewServer(t testing.TB) *Server {
	s := &Server{Keys: map[string]string{"AKIDTEST": "testsecret"}, Password: "ecr-password"}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Calls is how many token requests were answered with a token.
func (s *Server) Calls() int { return int(s.calls.Load()) }

// Regions are the signing regions of the answered calls, in order.
func (s *Server) Regions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.regions...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || (target != TargetECR && target != TargetECRPublic) {
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation "+target)
		return
	}
	service := "ecr"
	if target == TargetECRPublic {
		service = "ecr-public"
	}
	region, err := s.verify(r, body, service)
	if err != nil {
		jsonError(w, http.StatusForbidden, "InvalidSignatureException", err.Error())
		return
	}
	if s.Fail.Load() {
		jsonError(w, http.StatusInternalServerError, "ServerException", "the stand-in is failing")
		return
	}
	n := s.calls.Add(1)
	s.mu.Lock()
	s.regions = append(s.regions, region)
	s.mu.Unlock()
	life := s.Life
	if life == 0 {
		life = 12 * time.Hour
	}
	data := map[string]any{
		"authorizationToken": base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "AWS:%s-%d", s.Password, n)),
		"expiresAt":          float64(time.Now().Add(life).Unix()),
	}
	var out any = map[string]any{"authorizationData": data}
	if target == TargetECR {
		data["proxyEndpoint"] = "https://123456789012.dkr.ecr." + region + ".amazonaws.com"
		out = map[string]any{"authorizationData": []any{data}}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// verify checks r's SigV4 signature by signing a copy with the secret of
// its key id, and returns the signing region.
func (s *Server) verify(r *http.Request, body []byte, service string) (string, error) {
	auth := r.Header.Get("Authorization")
	cred, _, _ := strings.Cut(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 Credential="), ",")
	parts := strings.Split(cred, "/") // AKID/date/region/service/aws4_request
	if len(parts) != 5 || parts[3] != service {
		return "", fmt.Errorf("not signed for %s", service)
	}
	secret, ok := s.Keys[parts[0]]
	if !ok {
		return "", fmt.Errorf("unknown access key id %s", parts[0])
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "", fmt.Errorf("bad X-Amz-Date")
	}
	c := r.Clone(context.Background())
	signed := map[string]bool{}
	if _, list, ok := strings.Cut(auth, "SignedHeaders="); ok {
		list, _, _ = strings.Cut(list, ",")
		for _, h := range strings.Split(list, ";") {
			signed[http.CanonicalHeaderKey(h)] = true
		}
	}
	for k := range c.Header { // what the client's transport added after signing
		if !signed[k] {
			c.Header.Del(k)
		}
	}
	c.Body = io.NopCloser(bytes.NewReader(body))
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	c.URL = &u
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: parts[0], SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, c, hex.EncodeToString(sum[:]), service, parts[2], when); err != nil {
		return "", err
	}
	if got := c.Header.Get("Authorization"); got != auth {
		if os.Getenv("ECRTEST_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "ecrtest: got  %s\necrtest: want %s\n", auth, got)
		}
		return "", fmt.Errorf("signature does not match")
	}
	return parts[2], nil
}

func jsonError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

// Call is one request that went through a Recorder.
type Call struct {
	// Op is the operation: the X-Amz-Target, else the form's Action.
	Op string
	// KeyID is the access key id that signed it ("" if unsigned).
	KeyID string
	// Form is the form body (query-protocol calls such as STS's).
	Form url.Values
}

// Recorder is a reverse proxy that records the calls it passes on.
type Recorder struct {
	// URL is the proxy's address.
	URL   string
	mu    sync.Mutex
	calls []Call
}

// NewRecorder starts a Recorder in front of backend; t's cleanup stops it.
func NewRecorder(t testing.TB, backend string) *Recorder {
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	rec := &Recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = &http.Transport{} // no proxy from the environment: the backend is local
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		c := Call{Op: r.Header.Get("X-Amz-Target")}
		if form, err := url.ParseQuery(string(body)); err == nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			c.Form = form
			if c.Op == "" {
				c.Op = form.Get("Action")
			}
		}
		if cred, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="); ok {
			c.KeyID, _, _ = strings.Cut(cred, "/")
		}
		rec.mu.Lock()
		rec.calls = append(rec.calls, c)
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// Calls returns the calls so far and forgets them.
func (rec *Recorder) Calls() []Call {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	c := rec.calls
	rec.calls = nil
	return c
}

// Moto is a moto server (python3 -m moto.server) on a free loopback port.
type Moto struct {
	// URL is the server's address.
	URL string
	cmd *exec.Cmd
}

// StartMoto starts moto's server and waits until it answers. When python3
// or moto is missing it returns an error saying so; the caller skips, or
// fails when CI is set.
func StartMoto() (*Moto, error) {
	if err := exec.Command("python3", "-c", "import moto.server").Run(); err != nil {
		return nil, fmt.Errorf("moto is not installed (pip install 'moto[server]'): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), "HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy=")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	client := &http.Client{Transport: &http.Transport{}, Timeout: time.Second}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited:
			return nil, fmt.Errorf("moto exited: %s", strings.TrimSpace(logs.String()))
		default:
		}
		if resp, err := client.Get(m.URL + "/moto-api/"); err == nil {
			resp.Body.Close()
			return m, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.Stop()
	return nil, fmt.Errorf("moto did not start on port %d", port)
}

// Stop kills the server by its PID.
func (m *Moto) Stop() {
	if m != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
	}
}
