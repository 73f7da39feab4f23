// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package secretservice

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// dial connects to the bus at addr. The connection is ready for calls when
// dial returns, but it may not have heard from the bus yet: every call made
// on it carries its own deadline, and a bus that never answers fails the
// calls, not dial; refused, the first calls fail and refused says why.
//
// A bus on one unix socket (the session bus, nearly always) costs no round
// trip here: the authentication and Hello are sent in one go and the first
// calls follow them before the bus replies, as sd-bus does. godbus would
// wait for four replies (AUTH, AUTH EXTERNAL, NEGOTIATE_UNIX_FD, Hello)
// before the first call. Other addresses go through godbus's own handshake.
func dial(ctx context.Context, addr string) (conn *dbus.Conn, refused func() error, err error) {
	sock, ok := unixSocket(addr)
	if !ok {
		conn, err := dialGodbus(ctx, addr)
		return conn, func() error { return nil }, err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, nil, err
	}
	uid := strconv.Itoa(os.Geteuid())
	// EXTERNAL: the bus reads our uid from the socket. No NEGOTIATE_UNIX_FD:
	// the Secret Service API passes no file descriptors.
	if _, err := nc.Write([]byte("\x00AUTH EXTERNAL " + hex.EncodeToString([]byte(uid)) + "\r\nBEGIN\r\n")); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	t := &pipelinedAuth{Conn: nc, r: bufio.NewReader(nc)}
	if conn, err = dbus.NewConn(t); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	// godbus starts reading messages only at the end of Auth, so Auth runs
	// against t's script (see pipelinedAuth) without touching the socket.
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(uid)}); err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	// The bus handles Hello before any later message of ours; nothing needs
	// its answer (our unique name).
	conn.BusObject().Go("org.freedesktop.DBus.Hello", 0, nil)
	greetService(conn)
	return conn, t.refused, nil
}

// greetService sends the Secret Service a Ping that wants no reply and
// starts nothing, ahead of the first real call, so that gnome-keyring
// starts setting up its state for us early (see beginSession).
func greetService(conn *dbus.Conn) {
	conn.Object(busName, "/").Go("org.freedesktop.DBus.Peer.Ping", dbus.FlagNoReplyExpected|dbus.FlagNoAutoStart, nil)
}

// pipelinedAuth is the socket under a godbus connection whose
// authentication dial has already sent. Until godbus writes BEGIN it plays
// the bus's side of godbus's SASL conversation (REJECTED EXTERNAL, then OK)
// and writes nothing; after that it passes bytes through, but first reads
// the bus's real answer to our AUTH EXTERNAL and fails the connection,
// with every call on it, if that is not OK.
type pipelinedAuth struct {
	net.Conn
	r *bufio.Reader

	mu       sync.Mutex
	script   bytes.Buffer // what godbus reads during its conversation
	line     []byte       // what godbus is writing, up to the next CRLF
	begun    bool         // godbus wrote BEGIN
	answered bool         // the bus's OK was read
	err      error        // the bus did not answer OK
}

// refused returns why the bus refused the connection, or nil.
func (t *pipelinedAuth) refused() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// fakeGUID answers godbus's AUTH; godbus keeps it and never checks it.
const fakeGUID = "00000000000000000000000000000000"

func (t *pipelinedAuth) Write(p []byte) (int, error) {
	t.mu.Lock()
	if t.begun {
		t.mu.Unlock()
		return t.Conn.Write(p)
	}
	defer t.mu.Unlock()
	for i, c := range p {
		if t.begun {
			n, err := t.Conn.Write(p[i:])
			return i + n, err
		}
		t.line = append(t.line, c)
		if !bytes.HasSuffix(t.line, []byte("\r\n")) {
			continue
		}
		cmd := strings.TrimPrefix(string(t.line[:len(t.line)-2]), "\x00")
		t.line = t.line[:0]
		switch {
		case cmd == "AUTH":
			t.script.WriteString("REJECTED EXTERNAL\r\n")
		case strings.HasPrefix(cmd, "AUTH EXTERNAL"):
			t.script.WriteString("OK " + fakeGUID + "\r\n")
		case cmd == "BEGIN":
			t.begun = true
		default:
			t.script.WriteString("ERROR\r\n")
		}
	}
	return len(p), nil
}

func (t *pipelinedAuth) Read(p []byte) (int, error) {
	t.mu.Lock()
	if !t.begun {
		defer t.mu.Unlock()
		if t.script.Len() == 0 {
			return 0, errors.New("dbus authentication: unexpected read")
		}
		return t.script.Read(p)
	}
	answered := t.answered
	t.mu.Unlock()
	if !answered {
		// Only godbus's reading goroutine gets here.
		line, err := t.r.ReadString('\n')
		if err == nil && !strings.HasPrefix(line, "OK ") {
			err = fmt.Errorf("the D-Bus session bus refused authentication: %s", firstLine(line))
		}
		t.mu.Lock()
		t.answered, t.err = err == nil, err
		t.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
	return t.r.Read(p)
}

// unixSocket returns the socket of a D-Bus address that names exactly one
// unix socket by path or abstract name ("unix:path=/run/user/1000/bus"),
// in the form net.Dial takes; ok is false for any other address.
func unixSocket(addr string) (sock string, ok bool) {
	rest, ok := strings.CutPrefix(addr, "unix:")
	if !ok || strings.Contains(rest, ";") {
		return "", false
	}
	for kv := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(kv, "=")
		v, err := url.PathUnescape(v) // D-Bus escapes bytes as %XX, like a URL path
		if err != nil || v == "" {
			return "", false
		}
		switch {
		case k == "path" && sock == "":
			sock = v
		case k == "abstract" && sock == "":
			sock = "@" + v
		case k == "guid":
		default:
			return "", false
		}
	}
	return sock, sock != ""
}

// localBus reports whether every address in addr is a unix socket: a bus
// only this machine's processes can reach.
func localBus(addr string) bool {
	for a := range strings.SplitSeq(addr, ";") {
		if a != "" && !strings.HasPrefix(a, "unix:") {
			return false
		}
	}
	return addr != ""
}

// dialGodbus connects with godbus's own handshake. godbus has no deadline
// for it, so it runs aside and the connection is closed under it when ctx
// ends (a stopped bus daemon accepts but never answers).
func dialGodbus(ctx context.Context, addr string) (*dbus.Conn, error) {
	type result struct {
		conn *dbus.Conn
		err  error
	}
	var (
		mu        sync.Mutex
		pending   *dbus.Conn
		abandoned bool
	)
	done := make(chan result, 1)
	go func() {
		conn, err := dbus.Dial(addr)
		if err != nil {
			done <- result{nil, err}
			return
		}
		mu.Lock()
		if abandoned {
			mu.Unlock()
			_ = conn.Close()
			return
		}
		pending = conn
		mu.Unlock()
		if err = conn.Auth(nil); err == nil {
			err = conn.Hello()
		}
		if err != nil {
			_ = conn.Close()
			done <- result{nil, err}
			return
		}
		greetService(conn)
		done <- result{conn, nil}
	}()
	select {
	case r := <-done:
		return r.conn, r.err
	case <-ctx.Done():
		mu.Lock()
		abandoned = true
		if pending != nil {
			_ = pending.Close()
		}
		mu.Unlock()
		go func() {
			if r := <-done; r.conn != nil {
				_ = r.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
}
