// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package providertest is the httptest scaffolding that every provider with
// a token endpoint tests the same way: a hung endpoint must fail within the
// provider's deadline, a redirect to another host must not carry the
// credential there, and a non-loopback name must be reachable without DNS.
package providertest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials/provider/internal/safehttp"
)

// DeadlineTimeout is the timeout a provider under Deadline is given.
const DeadlineTimeout = 200 * time.Millisecond

// deadlineBound is how long Deadline lets the call take before it fails
// the test: far beyond DeadlineTimeout, so that only a hang fails it on a
// loaded CI machine, never a slow one.
const deadlineBound = 10 * time.Second

// Deadline starts a server that answers no request (it holds each one
// until the client gives up or the test ends) and calls call with its URL
// and DeadlineTimeout, for a provider configured with that timeout. It
// fails t unless call returns an error, and returns the error for the
// caller's own checks (that it names the registry, wraps
// context.DeadlineExceeded, …).
func Deadline(t testing.TB, call func(url string, timeout time.Duration) error) error {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	// Cleanups run last-in first-out: release the held requests, then close.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	start := time.Now()
	err := call(srv.URL, DeadlineTimeout)
	if d := time.Since(start); d > deadlineBound {
		t.Errorf("a hung endpoint held the provider for %v (its timeout is %v)", d, DeadlineTimeout)
	}
	if err == nil {
		t.Fatal("a hung endpoint gave no error")
	}
	return err
}

// leakQuery is put in every redirect to the other host: it stands for a
// secret in a URL and must not show in any error.
const leakQuery = "leak=redirect-query-secret"

// CrossHost is the other host of a cross-host redirect test: a server that
// counts the requests it gets and answers each with a body that would be
// a credential.
type CrossHost struct {
	// URL is the server's URL under the name localhost: another host than
	// the 127.0.0.1 of httptest servers, as far as credentials go.
	URL      string
	requests atomic.Int32
}

// NewCrossHost starts the other host, answering every request with body
// (JSON, say a token response); it is closed when t ends.
func NewCrossHost(t testing.TB, body string) *CrossHost {
	t.Helper()
	c := &CrossHost{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c.URL = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	return c
}

// Redirect is a handler that redirects every request (307, which keeps
// the method and body) to path on the other host, with a query that must
// not leak.
func (c *CrossHost) Redirect(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, c.URL+path+"?"+leakQuery, http.StatusTemporaryRedirect)
	}
}

// Check fails t unless err is the refused redirect, without the redirect's
// query or any of secrets, and the other host got no request.
func (c *CrossHost) Check(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), safehttp.ErrRedirect.Error()) {
		t.Errorf("error = %v, want %q", err, safehttp.ErrRedirect)
	}
	if err != nil {
		for _, s := range append(secrets, leakQuery) {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q holds %q", err, s)
			}
		}
	}
	if n := c.requests.Load(); n != 0 {
		t.Errorf("the other host got %d requests", n)
	}
}

// DialTo returns a transport that connects every request to addr, so that
// a test can use a non-loopback host name (plain http rules differ for
// those) with an httptest server.
func DialTo(addr string) http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return tr
}
