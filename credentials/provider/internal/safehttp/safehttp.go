// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package safehttp builds the HTTP clients that carry credentials to token
// endpoints and registries: HTTPS only (plain http to loopback addresses,
// or where the config says insecure), a deadline on every request, and no
// redirect to another origin, so a credential never follows one.
//
// Plain http without insecure is checked twice: the URL's host must look
// local (CheckURL: localhost, *.localhost, 127.0.0.0/8, ::1), and the
// address actually dialled must be loopback. A name is only a name: Go
// resolves *.localhost (and, without an /etc/hosts entry, localhost)
// through the system resolver, so DNS or a hosts file could point it at
// another machine, which would then read the credential in the clear.
package safehttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
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
// when insecure is set. It looks at the URL only; a Client also checks
// the address it dials for plain http.
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
// each request from dial to the last byte of the body. Unless insecure is
// set, a plain http request goes out only over a connection to a loopback
// address, checked when it is dialled, and never through a proxy. base is
// the transport (http.DefaultTransport when nil; tests pass httptest's).
func Client(base http.RoundTripper, timeout time.Duration, insecure bool) *http.Client {
	if base == nil {
		base = http.DefaultTransport
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &checking{base: base, insecure: insecure}
	if !insecure {
		c.plain = loopbackOnly(base)
	}
	return &http.Client{
		Transport: c,
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

// checking is Client's transport: https (and plain http when insecure)
// through base, plain http otherwise through plain, a transport that
// dials loopback addresses only.
type checking struct {
	base     http.RoundTripper
	plain    http.RoundTripper
	insecure bool
}

func (c *checking) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := CheckURL(req.URL, c.insecure); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if req.URL.Scheme == "http" && !c.insecure {
		return c.plain.RoundTrip(req)
	}
	return c.base.RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of both transports.
func (c *checking) CloseIdleConnections() {
	type closer interface{ CloseIdleConnections() }
	for _, t := range []http.RoundTripper{c.base, c.plain} {
		if cl, ok := t.(closer); ok {
			cl.CloseIdleConnections()
		}
	}
}

// checkLoopback accepts a dialled address ("ip:port", as net.Dialer's
// Control and net.Conn's RemoteAddr give it) only when its IP is loopback:
// 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6. host is the name the
// URL gave, for the message.
func checkLoopback(host, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("plain http to %s: dialled address %q is not an IP address: %w", host, address, ErrInsecure)
	}
	if ip := ap.Addr().Unmap(); !ip.IsLoopback() {
		return fmt.Errorf("plain http to %s: it resolved to %s, not a loopback address: %w", host, ip, ErrInsecure)
	}
	return nil
}

// loopbackOnly returns base made to connect to loopback addresses only,
// for plain http without insecure. An *http.Transport is cloned without a
// proxy (a proxy would carry the request on in the clear); its own dialer
// gets a Control hook that refuses every other address before connecting,
// and a dialer that it was given (tests use them) has the address it
// connected to checked before a byte is written. Any other RoundTripper
// gets plain http only for loopback IP literals, which need no resolving.
func loopbackOnly(base http.RoundTripper) http.RoundTripper {
	t, ok := base.(*http.Transport)
	if !ok {
		return literalOnly{base}
	}
	t = t.Clone()
	t.Proxy = nil
	t.OnProxyConnectResponse = nil
	// A caller's Transport may still set the deprecated Dial: it is
	// honoured, and replaced by a DialContext.
	if (t.DialContext == nil && t.Dial == nil) || base == http.DefaultTransport { //nolint:staticcheck // SA1019: see above
		// The dialer of http.DefaultTransport.
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		t.Dial = nil //nolint:staticcheck // SA1019: see above
		t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			dd := *d
			dd.Control = func(_, address string, _ syscall.RawConn) error { return checkLoopback(host, address) }
			return dd.DialContext(ctx, network, addr)
		}
		return t
	}
	dial := t.DialContext
	if dial == nil {
		old := t.Dial //nolint:staticcheck // SA1019: see above
		dial = func(_ context.Context, network, addr string) (net.Conn, error) { return old(network, addr) }
	}
	t.Dial = nil //nolint:staticcheck // SA1019: see above
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(addr)
		if err := checkLoopback(host, conn.RemoteAddr().String()); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
	return t
}

// literalOnly is loopbackOnly for a transport it cannot look into.
type literalOnly struct{ base http.RoundTripper }

func (l literalOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	ip, err := netip.ParseAddr(strings.Trim(req.URL.Hostname(), "[]"))
	if err != nil || !ip.Unmap().IsLoopback() {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("plain http to %s: not a loopback IP address, and this transport's dialling cannot be checked: %w", req.URL.Hostname(), ErrInsecure)
	}
	return l.base.RoundTrip(req)
}
