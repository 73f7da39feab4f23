// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package acr

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
)

// droppedIMDS makes the instance metadata address drop connections, as
// off Azure on most networks: its dial waits for its context to end. It
// counts the dials, and reports whether each came with a deadline no
// later than IMDSDialTimeout from its start. The SDK's HTTP client is made
// anew without the proxy variables (which the process reads once).
func droppedIMDS(t *testing.T) (dials func() (n int, bounded bool)) {
	var (
		mu      sync.Mutex
		n       int
		bounded = true
	)
	oldDialer, oldHTTP := imdsDialer, sdkHTTP
	imdsDialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dl, ok := ctx.Deadline()
		mu.Lock()
		n++
		bounded = bounded && ok && !dl.After(time.Now().Add(IMDSDialTimeout))
		mu.Unlock()
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}
	tr := sdkTransport()
	tr.Proxy = nil
	sdkHTTP = &http.Client{Transport: tr}
	t.Cleanup(func() { imdsDialer, sdkHTTP = oldDialer, oldHTTP })
	return func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		return n, bounded
	}
}

// TestOffAzure_probeBounded: with no Azure credentials, the default
// chain's managed identity probe dials the metadata address once, under
// IMDSDialTimeout (not the SDK's one second), and the detected entry's
// mint answers not found in one line.
func TestOffAzure_probeBounded(t *testing.T) {
	hermetic(t)
	dials := droppedIMDS(t)
	h := host(t, "public.azurecr.io")
	_, err := New(credentials.DetectedRegistry(credentials.ProviderACR), Options{}).Token(context.Background(), h, nil)
	if !errors.Is(err, provider.ErrNotFound) || strings.Contains(err.Error(), "\n") {
		t.Errorf("mint = %v, want not found", err)
	}
	if n, bounded := dials(); n != 1 || !bounded {
		t.Errorf("%d dials of the metadata address (bounded by %s: %v), want 1 bounded", n, IMDSDialTimeout, bounded)
	}
}

// TestOffAzure_missShared: the router's ShareFailures remembers the miss
// across processes: the next get in another process answers not found
// without probing again; after an Azure CLI login (its profile written),
// the next get looks again.
func TestOffAzure_missShared(t *testing.T) {
	hermetic(t)
	dials := droppedIMDS(t)
	dir := t.TempDir()
	h := host(t, "public.azurecr.io")
	get := func() error { // a process of its own
		p := provider.ShareFailures(New(credentials.DetectedRegistry(credentials.ProviderACR), Options{}), provider.ShareOptions{Dir: dir})
		_, err := p.Token(context.Background(), h, nil)
		if !errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "no Azure credentials found") {
			t.Errorf("get = %v, want not found", err)
		}
		return err
	}
	for i := range 3 {
		if err := get(); (i > 0) != errors.Is(err, provider.ErrSharedFailure) {
			t.Errorf("get %d: %v", i+1, err)
		}
	}
	if n, _ := dials(); n != 1 {
		t.Errorf("%d probes for 3 gets, want 1", n)
	}
	az := filepath.Join(os.Getenv("HOME"), ".azure")
	if err := os.MkdirAll(az, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(az, "azureProfile.json"), []byte(`{"subscriptions":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := get(); errors.Is(err, provider.ErrSharedFailure) {
		t.Errorf("get after az login: %v, want a new look", err)
	}
	if n, _ := dials(); n != 2 {
		t.Errorf("%d probes, want 2 (one after the login)", n)
	}
}

// TestMissKey: the miss key changes with a variable of the chain set, and
// never holds its value.
func TestMissKey(t *testing.T) {
	hermetic(t)
	env := map[string]string{}
	p := New(credentials.Registry{}, Options{Getenv: func(k string) string { return env[k] }})
	k0 := p.MissKey()
	env["AZURE_CLIENT_SECRET"] = "s3cret-value"
	k1 := p.MissKey()
	if k0 == k1 || strings.Contains(k1, "s3cret") || k1 != p.MissKey() {
		t.Errorf("miss keys %q, %q", k0, k1)
	}
}
