// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package safehttp

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	for address, want := range map[string]string{
		"127.0.0.1:80":          "",
		"127.1.2.3:5000":        "",
		"[::1]:443":             "",
		"[::ffff:127.0.0.1]:80": "",
		"192.0.2.2:80":          "it resolved to 192.0.2.2, not a loopback address",
		"10.0.0.1:80":           "not a loopback address",
		"0.0.0.0:80":            "not a loopback address",
		"[::]:80":               "not a loopback address",
		"[fe80::1%eth0]:80":     "not a loopback address",
		"[::ffff:10.0.0.1]:80":  "not a loopback address",
		"localhost:80":          "is not an IP address",
		"pipe":                  "is not an IP address",
	} {
		err := checkLoopback("idp.localhost", address)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrInsecure)) {
			t.Errorf("checkLoopback(%q) = %v, want %q", address, err, want)
		}
	}
}

// fakeDNS makes net.DefaultResolver answer A queries for names from
// answers (lower case, no trailing dot) until t ends, with no DNS server
// and no hosts file: the way to point a *.localhost name at another
// machine in a test.
func fakeDNS(t *testing.T, answers map[string]netip.Addr) {
	t.Helper()
	old := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		c, s := net.Pipe()
		go serveDNS(s, answers)
		return c, nil
	}}
	t.Cleanup(func() { net.DefaultResolver = old })
}

// serveDNS answers one query on c, in TCP framing (a net.Pipe is not a
// PacketConn, so the Go resolver speaks TCP DNS over it): an A record for a
// known name, no record for other types, NXDOMAIN for other names.
func serveDNS(c net.Conn, answers map[string]netip.Addr) {
	defer c.Close()
	var n [2]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return
	}
	q := make([]byte, binary.BigEndian.Uint16(n[:]))
	if _, err := io.ReadFull(c, q); err != nil || len(q) < 12 {
		return
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	resp := append([]byte{}, q[:4]...)
	resp[2] = 0x81                              // response, recursion desired
	resp[3] = 0x80                              // recursion available, no error
	resp = append(resp, 0, 1, 0, 0, 0, 0, 0, 0) // 1 question, no records yet
	resp = append(resp, q[12:i+5]...)           // the question
	addr, ok := answers[strings.ToLower(strings.Join(labels, "."))]
	switch {
	case !ok:
		resp[3] |= 3 // NXDOMAIN
	case qtype == 1 && addr.Is4():
		resp[7] = 1 // one answer
		resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
		resp = append(resp, addr.AsSlice()...)
	}
	binary.BigEndian.PutUint16(n[:], uint16(len(resp)))
	_, _ = c.Write(append(n[:], resp...))
}

// localNonLoopback returns an IPv4 address of this machine that is not
// loopback (its own eth0, say), or false.
func localNonLoopback() (netip.Addr, bool) {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
				ip = ip.Unmap()
				if ip.Is4() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
					return ip, true
				}
			}
		}
	}
	return netip.Addr{}, false
}

// recorder is a server that counts requests and records whether any came
// with credentials.
type recorder struct {
	requests, withAuth atomic.Int32
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	if req.Header.Get("Authorization") != "" {
		r.withAuth.Add(1)
	}
	io.WriteString(w, "ok")
}

func getWithPassword(c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth("alice", "alicepw")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// TestClient_plainHTTPLocalhostNameElsewhere: a *.localhost name passes
// the URL check, but when it resolves to another machine's address (here
// this machine's own non-loopback address, which another machine would
// have), the password must not be sent there over plain http: the dial is
// refused before connecting. insecure: true still reaches it.
func TestClient_plainHTTPLocalhostNameElsewhere(t *testing.T) {
	far := &recorder{}
	farIP, haveFar := localNonLoopback()
	farPort := "9" // discard; nothing is dialled when the check works
	if haveFar {
		ln, err := net.Listen("tcp", netip.AddrPortFrom(farIP, 0).String())
		if err != nil {
			t.Fatal(err)
		}
		srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: far}}
		srv.Start()
		defer srv.Close()
		_, farPort, _ = net.SplitHostPort(ln.Addr().String())
	} else {
		farIP = netip.MustParseAddr("192.0.2.1") // TEST-NET-1, RFC 5737
	}
	near := &recorder{}
	nearSrv := httptest.NewServer(near)
	defer nearSrv.Close()
	_, nearPort, _ := net.SplitHostPort(nearSrv.Listener.Addr().String())
	fakeDNS(t, map[string]netip.Addr{
		"idp.localhost":  farIP,
		"near.localhost": netip.MustParseAddr("127.0.0.1"),
	})

	c := Client(nil, 0, false)
	defer c.CloseIdleConnections()
	farURL := "http://idp.localhost:" + farPort + "/token"
	err := getWithPassword(c, farURL)
	if !errors.Is(err, ErrInsecure) || !strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("GET %s (resolving to %s) = %v, want refused: not a loopback address", farURL, farIP, err)
	}
	if err != nil && strings.Contains(err.Error(), "alicepw") {
		t.Errorf("error holds the password: %v", err)
	}
	if n := far.requests.Load(); n != 0 {
		t.Errorf("the non-loopback server got %d requests (%d with the password) over plain http", n, far.withAuth.Load())
	}
	if err := getWithPassword(c, "http://near.localhost:"+nearPort+"/"); err != nil || near.withAuth.Load() != 1 {
		t.Errorf("GET of a *.localhost name resolving to 127.0.0.1 = %v (%d requests), want it sent", err, near.requests.Load())
	}
	if haveFar {
		ci := Client(nil, 0, true)
		defer ci.CloseIdleConnections()
		if err := getWithPassword(ci, farURL); err != nil || far.requests.Load() != 1 {
			t.Errorf("insecure: GET %s = %v (%d requests), want it sent", farURL, err, far.requests.Load())
		}
	}
}

// elsewhereConn is a connection that reports another machine's address
// as its remote end, as one would that a dialer took elsewhere.
type elsewhereConn struct{ net.Conn }

func (elsewhereConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 80}
}

// TestClient_plainHTTPGivenDialer: with a transport that brings its own
// dialer, the address it connected to is checked before a byte is sent.
func TestClient_plainHTTPGivenDialer(t *testing.T) {
	far := &recorder{}
	srv := httptest.NewServer(far)
	defer srv.Close()
	dialer := func(elsewhere bool) *http.Transport {
		return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
			if err == nil && elsewhere {
				conn = elsewhereConn{conn}
			}
			return conn, err
		}}
	}
	c := Client(dialer(true), 0, false)
	defer c.CloseIdleConnections()
	err := getWithPassword(c, "http://localhost/token")
	if !errors.Is(err, ErrInsecure) || !strings.Contains(err.Error(), "it resolved to 192.0.2.1") {
		t.Errorf("GET through a dialer reaching 192.0.2.1 = %v, want ErrInsecure", err)
	}
	if n := far.requests.Load(); n != 0 {
		t.Errorf("the server behind the dialer got %d requests over plain http", n)
	}
	c = Client(dialer(false), 0, false)
	defer c.CloseIdleConnections()
	if err := getWithPassword(c, "http://localhost/token"); err != nil || far.requests.Load() != 1 {
		t.Errorf("GET through a dialer reaching loopback = %v, %d requests; want sent", err, far.requests.Load())
	}
}

// TestClient_plainHTTPNoProxy: plain http to loopback never goes through
// a proxy, which would carry it on in the clear to wherever it likes.
func TestClient_plainHTTPNoProxy(t *testing.T) {
	proxy := &recorder{}
	proxySrv := httptest.NewServer(proxy)
	defer proxySrv.Close()
	near := &recorder{}
	nearSrv := httptest.NewServer(near)
	defer nearSrv.Close()
	proxyURL, _ := url.Parse(proxySrv.URL)
	c := Client(&http.Transport{Proxy: http.ProxyURL(proxyURL)}, 0, false)
	defer c.CloseIdleConnections()
	if err := getWithPassword(c, nearSrv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	if proxy.requests.Load() != 0 || near.withAuth.Load() != 1 {
		t.Errorf("proxy got %d requests, server %d; want 0, 1", proxy.requests.Load(), near.withAuth.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestClient_plainHTTPOpaqueTransport: a transport whose dialling cannot
// be checked gets plain http only for loopback IP literals.
func TestClient_plainHTTPOpaqueTransport(t *testing.T) {
	var sent atomic.Int32
	c := Client(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	}), 0, false)
	for u, ok := range map[string]bool{
		"http://127.0.0.1:5000/": true,
		"http://[::1]/":          true,
		"http://localhost/":      false,
		"http://x.localhost/":    false,
	} {
		before := sent.Load()
		err := getWithPassword(c, u)
		if ok != (err == nil) || ok != (sent.Load() == before+1) {
			t.Errorf("GET %s = %v, sent %v; want sent %v", u, err, sent.Load() > before, ok)
		}
	}
}
