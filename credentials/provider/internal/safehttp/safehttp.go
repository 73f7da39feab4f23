// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package safehttp builds the HTTP clients that carry credentials to token
// endpoints and registries: HTTPS only (plain http for loopback hosts, or
// where the config says insecure), a deadline on every request, and no
// redirect to another origin, so a credential never follows one.
package safehttp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
)

// DefaultTimeout bounds one request when the config gives no timeout: long
// enough for a slow identity provider across the world, short enough that a
// hung endpoint fails a docker pull instead of hanging it.
const DefaultTimeout = 30 * time.Second

// maxRedirects bounds same-origin redirects (net/http's default is 10).
const maxRedirects = 3

// Errors that callers can match.
var (
	// ErrInsecure means a request would have sent credentials over plain http.
	ErrInsecure = errors.New("plain http is allowed only for loopback hosts or with insecure: true in the config")
	// ErrRedirect means a server redirected to another origin and the
	// request was not followed.
	ErrRedirect = errors.New("redirect to another host refused (credentials never follow a redirect)")
)

// CheckURL accepts an https URL, or an http URL whose host is loopback or
// when insecure is set.
func CheckURL(u *url.URL, insecure bool) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if insecure || credentials.IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s: %w", Redact(u), ErrInsecure)
	}
	return fmt.Errorf("%s: unsupported scheme", Redact(u))
}

// Redact returns u without user information, query or fragment, which may
// hold secrets.
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}

// RedactString is Redact for a URL in a string; a string that does not parse
// is reduced to "<redacted URL>".
func RedactString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<redacted URL>"
	}
	return Redact(u)
}

// Clean rewrites the URL inside a *url.Error to its redacted form, so that
// the error can be shown. Other errors are returned as they are.
func Clean(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		c := *ue
		c.URL = RedactString(ue.URL)
		return &c
	}
	return err
}

// Client returns a client for credential-bearing requests: each request,
// and each redirect, must pass CheckURL; a redirect must stay on the
// original scheme, host and port; timeout (DefaultTimeout when zero) bounds
// each request from dial to the last byte of the body. base is the
// transport (http.DefaultTransport when nil; tests pass httptest's).
func Client(base http.RoundTripper, timeout time.Duration, insecure bool) *http.Client {
	if base == nil {
		base = http.DefaultTransport
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Transport: &checking{base: base, insecure: insecure},
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			first := via[0].URL
			if !strings.EqualFold(req.URL.Scheme, first.Scheme) || !strings.EqualFold(req.URL.Host, first.Host) {
				return fmt.Errorf("%s redirected to %s: %w", first.Host, req.URL.Host, ErrRedirect)
			}
			if len(via) > maxRedirects {
				return fmt.Errorf("%s: more than %d redirects", first.Host, maxRedirects)
			}
			return nil
		},
	}
}

type checking struct {
	base     http.RoundTripper
	insecure bool
}

func (c *checking) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := CheckURL(req.URL, c.insecure); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return c.base.RoundTrip(req)
}
