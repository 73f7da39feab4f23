// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package secretservice

import (
	"bufio"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

func TestUnixSocket(t *testing.T) {
	for addr, want := range map[string]string{
		"unix:path=/run/user/1000/bus":                   "/run/user/1000/bus",
		"unix:path=/tmp/a%20b,guid=0123456789abcdef":     "/tmp/a b",
		"unix:abstract=/tmp/dbus-Xy1z":                   "@/tmp/dbus-Xy1z",
		"unix:guid=01,abstract=/tmp/dbus-Xy1z":           "@/tmp/dbus-Xy1z",
		"unix:tmpdir=/tmp":                               "",
		"unix:path=/a;unix:path=/b":                      "",
		"unix:path=/a,abstract=/b":                       "",
		"unix:path=":                                     "",
		"unix:path=/a%zz":                                "",
		"tcp:host=localhost,port=4000":                   "",
		"unix:runtime=yes":                               "",
		"":                                               "",
		"unix:path=/run/user/1000/bus,unknownkey=1":      "",
		"launchd:env=DBUS_LAUNCHD_SESSION_BUS_SOCKET":    "",
		"autolaunch:":                                    "",
		"unix:path=/run/user/1000/bus;":                  "",
		"UNIX:path=/run/user/1000/bus":                   "",
		"unix:path=/run/user/1000/bus,guid=abc,guid=def": "/run/user/1000/bus",
	} {
		got, ok := unixSocket(addr)
		if got != want || ok != (want != "") {
			t.Errorf("unixSocket(%q) = %q, %v; want %q", addr, got, ok, want)
		}
	}
}

// fakeBus listens on a unix socket and answers the first line a client
// sends with answer, then reads until the client goes.
func fakeBus(t *testing.T, answer string) (addr string, greeting <-chan string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		first, _ := r.ReadString('\n')
		second, _ := r.ReadString('\n')
		ch <- first + second
		_, _ = c.Write([]byte(answer))
		_, _ = r.WriteTo(discard{})
	}()
	return "unix:path=" + sock, ch
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestDial_rejected: a bus that refuses our AUTH EXTERNAL fails the
// operation with one line, at once (not at the deadline).
func TestDial_rejected(t *testing.T) {
	addr, greeting := fakeBus(t, "REJECTED DBUS_COOKIE_SHA1\r\n")
	b := New("x", Options{Address: addr})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := b.List(ctx)
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "refused authentication") ||
		strings.Contains(err.Error(), "\n") || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("List on a bus refusing us = %v", err)
	}
	if g := <-greeting; !strings.HasPrefix(g, "\x00AUTH EXTERNAL ") || !strings.HasSuffix(g, "\r\nBEGIN\r\n") {
		t.Errorf("greeting %q", g)
	}
}
