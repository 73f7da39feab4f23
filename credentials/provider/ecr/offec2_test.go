// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecr

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
)

// onlyLoopback reports whether every network interface of this process is
// a loopback one: a network namespace of its own (unshare -n), where
// nothing can leave the machine.
func onlyLoopback() bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			return false
		}
	}
	return true
}

// BenchmarkOffEC2 is one mint with no AWS credentials anywhere and the
// instance metadata service at its real address, which is not there: what
// every get of an ECR host costs on a laptop without AWS set up. It runs
// only where nothing can leave the machine, and alone (the proxy
// variables are read once per process):
//
//	unshare -n sh -c 'ip link set lo up; ip route add 169.254.0.0/16 dev lo; \
//	  go test -run "^$" -bench OffEC2 -benchtime 3x ./credentials/provider/ecr/'
//
// The route makes 169.254.169.254 drop the connection silently, as off
// EC2 on most networks; without it the address is unreachable at once.
func BenchmarkOffEC2(b *testing.B) {
	if !onlyLoopback() {
		b.Skip("needs a network namespace with only loopback (unshare -n)")
	}
	for _, k := range []string{"HTTPS_PROXY", "HTTP_PROXY", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL_ECR"} {
		os.Unsetenv(k)
	}
	b.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	p := New(credentials.Registry{}, Options{})
	h, err := credentials.ParseHost("123456789012.dkr.ecr.eu-central-1.amazonaws.com")
	if err != nil {
		b.Fatal(err)
	}
	var last error
	for b.Loop() {
		if _, last = p.Token(context.Background(), h, nil); last == nil {
			b.Fatal("a mint without credentials succeeded")
		}
	}
	b.Log(last)
}

// silentIMDS is an instance metadata address that accepts connections and
// never answers (or, with hangUp, closes them at once); it counts them.
func silentIMDS(t *testing.T, hangUp bool) (url string, conns *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int32)
	done := make(chan struct{})
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(done)
				return
			}
			conns.Add(1)
			if hangUp {
				c.Close()
			} else {
				held = append(held, c)
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return "http://" + l.Addr().String(), conns
}

// TestOffEC2_noCredentials: with no credentials and an instance metadata
// service that does not answer (silent, or hanging up), the mint fails
// after one connection for the IMDSv2 session token and one for the
// SDK's IMDSv1 fallback, none retried, with ErrNoCredentials and one line
// naming what to set up; with AWS_EC2_METADATA_DISABLED=true it fails
// without a connection and says the metadata is off.
func TestOffEC2_noCredentials(t *testing.T) {
	ecrStandIn(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	for _, hangUp := range []bool{false, true} {
		u, conns := silentIMDS(t, hangUp)
		t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", u)
		err := mintAt(t, credentials.Registry{})
		if !errors.Is(err, ErrNoCredentials) || strings.Contains(err.Error(), "\n") ||
			!strings.Contains(err.Error(), "set AWS_PROFILE") || !strings.Contains(err.Error(), "AWS_EC2_METADATA_DISABLED=true skips") {
			t.Errorf("hang up %v: mint = %v, want one line saying what to set up", hangUp, err)
		}
		if n := conns.Load(); n != 2 {
			t.Errorf("hang up %v: %d connections to IMDS, want 2 (token, IMDSv1 fallback; no retries)", hangUp, n)
		}
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	u, conns := silentIMDS(t, false)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", u)
	err := mintAt(t, credentials.Registry{})
	if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "the instance metadata is off (AWS_EC2_METADATA_DISABLED)") || conns.Load() != 0 {
		t.Errorf("mint with the metadata off = %v, after %d connections", err, conns.Load())
	}
}

// TestOffEC2_missShared: the router's ShareFailures (5 s, across
// processes through the lock directory) already remembers the miss: the
// next get of the same registry, in another process, is answered the
// same one line without asking IMDS again.
func TestOffEC2_missShared(t *testing.T) {
	ecrStandIn(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	u, conns := silentIMDS(t, true)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", u)
	dir := t.TempDir()
	h := host(t, "123456789012.dkr.ecr.eu-central-1.amazonaws.com")
	for i := range 2 { // two processes: each its own provider and sharing
		p := provider.ShareFailures(New(credentials.Registry{}, Options{}), provider.ShareOptions{Dir: dir})
		_, err := p.Token(context.Background(), h, nil)
		if !strings.Contains(err.Error(), "set AWS_PROFILE") || (i == 1) != errors.Is(err, provider.ErrSharedFailure) {
			t.Errorf("get %d = %v", i+1, err)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections to IMDS, want the first get's 2", n)
	}
}
