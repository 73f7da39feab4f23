// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

// flakyProvider counts its calls; it fails with err while err is set and
// otherwise mints tokens living an hour from now().
type flakyProvider struct {
	calls atomic.Int32
	mu    sync.Mutex
	err   error
	now   func() time.Time
}

func (p *flakyProvider) set(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
}

func (p *flakyProvider) Token(context.Context, credentials.Host, *store.Entry) (*Token, error) {
	n := p.calls.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return nil, p.err
	}
	return &Token{Username: "u", Secret: fmt.Sprintf("tok-%d", n), Expiry: p.now().Add(time.Hour)}, nil
}

var errEndpoint = errors.New("oauth2: registry.example.com: the token endpoint failed (HTTP 500)")

// TestShareFailures_herd: fifty gets on an empty cache, each with its own
// Cache and ShareFailures over one lock directory as separate processes
// have, against a failing provider: one call, and every get answers the
// endpoint's error.
func TestShareFailures_herd(t *testing.T) {
	dir := t.TempDir()
	p := &flakyProvider{err: errEndpoint, now: time.Now}
	tokens := store.NewMemory()
	var wg sync.WaitGroup
	var shared atomic.Int32
	for range 50 {
		wg.Go(func() {
			c := Cached(ShareFailures(p, ShareOptions{Dir: dir, For: time.Hour}), tokens, CacheOptions{LockDir: dir})
			_, err := c.Token(context.Background(), testHost, nil)
			if err == nil || !strings.Contains(err.Error(), errEndpoint.Error()) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Token = %v, want the endpoint's error on one line", err)
			}
			if errors.Is(err, ErrSharedFailure) {
				shared.Add(1)
			}
		})
	}
	wg.Wait()
	if n := p.calls.Load(); n != 1 || shared.Load() != 49 {
		t.Errorf("%d calls, %d shared failures; want 1 and 49", n, shared.Load())
	}
}

// TestShareFailures_staleTokenServed: with a stale but valid cached token,
// the herd is served that token (with the cache's warning), and the
// failing provider is asked once.
func TestShareFailures_staleTokenServed(t *testing.T) {
	dir := t.TempDir()
	p := &flakyProvider{now: time.Now}
	tokens := store.NewMemory()
	newCache := func() *Cache {
		// A margin longer than the token's life: the token is always stale.
		return Cached(ShareFailures(p, ShareOptions{Dir: dir}), tokens, CacheOptions{LockDir: dir, RefreshBefore: 2 * time.Hour})
	}
	if tok, err := newCache().Token(context.Background(), testHost, nil); err != nil || tok.Secret != "tok-1" {
		t.Fatalf("first Token = %+v, %v", tok, err)
	}
	p.set(errEndpoint)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if tok, err := newCache().Token(context.Background(), testHost, nil); err != nil || tok.Secret != "tok-1" {
				t.Errorf("Token = %+v, %v; want the cached tok-1", tok, err)
			}
		})
	}
	wg.Wait()
	if n := p.calls.Load(); n != 2 {
		t.Errorf("%d calls, want 2 (the first mint, one failed refresh)", n)
	}
}

func TestShareFailures_lifecycle(t *testing.T) {
	for _, dir := range []string{"", "dir"} {
		t.Run("dir="+dir, func(t *testing.T) {
			if dir != "" {
				dir = t.TempDir()
			}
			now := t0
			clock := func() time.Time { return now }
			p := &flakyProvider{err: errEndpoint, now: clock}
			host := credentials.Host{Name: "lifecycle.example", Path: "team"}
			s := ShareFailures(p, ShareOptions{Dir: dir, Fingerprint: "fp1", Now: clock})
			call := func() error {
				_, err := s.Token(context.Background(), host, nil)
				return err
			}
			if err := call(); !errors.Is(err, errEndpoint) || p.calls.Load() != 1 {
				t.Fatalf("first call = %v after %d calls", err, p.calls.Load())
			}
			now = t0.Add(DefaultShareFailure - time.Nanosecond)
			err := call()
			if !errors.Is(err, ErrSharedFailure) || p.calls.Load() != 1 {
				t.Fatalf("within DefaultShareFailure: %v after %d calls, want the shared failure", err, p.calls.Load())
			}
			if want := errEndpoint.Error() + "; shared from a refresh 5s ago, retried 5s after it"; err.Error() != want {
				t.Errorf("shared error\n got %q\nwant %q", err, want)
			}
			// Another configuration is not answered with this one's failure.
			other := ShareFailures(p, ShareOptions{Dir: dir, Fingerprint: "fp2", Now: clock})
			if _, err := other.Token(context.Background(), host, nil); errors.Is(err, ErrSharedFailure) || p.calls.Load() != 2 {
				t.Errorf("other fingerprint: %v after %d calls", err, p.calls.Load())
			}
			// The failure recorded last (fp2's) has moved on; back to fp1.
			_ = call()
			// Past DefaultShareFailure the provider is asked again; its
			// success clears the failure.
			now = now.Add(DefaultShareFailure)
			p.set(nil)
			calls := p.calls.Load()
			if err := call(); err != nil || p.calls.Load() != calls+1 {
				t.Fatalf("after DefaultShareFailure: %v after %d calls", err, p.calls.Load())
			}
			if err := call(); err != nil || p.calls.Load() != calls+2 {
				t.Errorf("after a success: %v after %d calls, want a call", err, p.calls.Load())
			}
			if dir != "" {
				if files, _ := filepath.Glob(filepath.Join(dir, "*.fail")); len(files) != 0 {
					t.Errorf("failure files left after a success: %v", files)
				}
			}
		})
	}
}

// TestShareFailures_notShared: "not found" and a failure that came with
// the caller's own context ending are not shared.
func TestShareFailures_notShared(t *testing.T) {
	dir := t.TempDir()
	p := &flakyProvider{err: fmt.Errorf("oauth2: no root: %w", ErrNotFound), now: time.Now}
	s := ShareFailures(p, ShareOptions{Dir: dir})
	for range 2 {
		if _, err := s.Token(context.Background(), testHost, nil); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Token = %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.set(context.Canceled)
	_, _ = s.Token(ctx, testHost, nil)
	p.set(errEndpoint)
	if _, err := s.Token(context.Background(), testHost, nil); !errors.Is(err, errEndpoint) {
		t.Errorf("Token = %v", err)
	}
	if n := p.calls.Load(); n != 4 {
		t.Errorf("%d calls, want 4: nothing shared", n)
	}
}

// missingProvider is a flakyProvider that is a MissKeyer: its not-found
// is shared while key stays the same.
type missingProvider struct {
	flakyProvider
	key atomic.Value
}

func (p *missingProvider) MissKey() string { return p.key.Load().(string) }

// TestShareFailures_notFoundMiss: a MissKeyer's "no credentials here" is
// shared, across processes, for NotFoundFor and still answers not found;
// a new MissKey (a login) or the end of NotFoundFor looks again; a
// provider that is not a MissKeyer still has its not-found unshared.
func TestShareFailures_notFoundMiss(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	p := &missingProvider{flakyProvider: flakyProvider{err: fmt.Errorf("acr: r.azurecr.io: no Azure credentials found: %w", ErrNotFound), now: clock}}
	p.key.Store("k1")
	get := func() error { // a process of its own: its own sharing
		_, err := ShareFailures(p, ShareOptions{Dir: dir, Now: clock}).Token(context.Background(), testHost, nil)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no Azure credentials found") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Token = %v, want the not-found on one line", err)
		}
		return err
	}
	if err := get(); errors.Is(err, ErrSharedFailure) {
		t.Errorf("first get shared: %v", err)
	}
	for range 3 {
		now = now.Add(DefaultShareNotFound / 4)
		if err := get(); !errors.Is(err, ErrSharedFailure) {
			t.Errorf("get within %s not shared: %v", DefaultShareNotFound, err)
		}
	}
	if n := p.calls.Load(); n != 1 {
		t.Errorf("%d looks within %s, want 1", n, DefaultShareNotFound)
	}
	// A record of version 2: a binary that knows only failures (v 1)
	// skips it rather than answer it as a failure.
	if b, err := os.ReadFile(failureFile(dir, testHost.Key())); err != nil || !strings.Contains(string(b), `"v":2,`) || !strings.Contains(string(b), `"not_found":true`) {
		t.Errorf("record %s, %v", b, err)
	}
	p.key.Store("k2")
	if err := get(); errors.Is(err, ErrSharedFailure) || p.calls.Load() != 2 {
		t.Errorf("after a new miss key: %v after %d looks, want a new look", err, p.calls.Load())
	}
	now = now.Add(DefaultShareNotFound)
	if err := get(); errors.Is(err, ErrSharedFailure) || p.calls.Load() != 3 {
		t.Errorf("after %s: %v after %d looks, want a new look", DefaultShareNotFound, err, p.calls.Load())
	}
	p.set(nil) // a login: credentials, and a new miss key
	p.key.Store("k3")
	if _, err := ShareFailures(p, ShareOptions{Dir: dir, Now: clock}).Token(context.Background(), testHost, nil); err != nil {
		t.Errorf("after a login: %v", err)
	}
}

// TestForgetFailures: store and erase of a root credential drop the
// failures of its registry, every path scope included, and only those.
func TestForgetFailures(t *testing.T) {
	for _, dir := range []string{"", "dir"} {
		t.Run("dir="+dir, func(t *testing.T) {
			if dir != "" {
				dir = t.TempDir()
			}
			p := &flakyProvider{err: errEndpoint, now: time.Now}
			s := ShareFailures(p, ShareOptions{Dir: dir, For: time.Hour})
			hosts := []credentials.Host{{Name: "forget.example"}, {Name: "forget.example", Path: "org/a"}, {Name: "forget.example", Port: "5000"}, {Name: "keep.example"}}
			for _, h := range hosts {
				_, _ = s.Token(context.Background(), h, nil)
			}
			if err := ForgetFailures(dir, "forget.example"); err != nil {
				t.Fatal(err)
			}
			for i, h := range hosts {
				_, err := s.Token(context.Background(), h, nil)
				if want := i >= 2; errors.Is(err, ErrSharedFailure) != want {
					t.Errorf("%s after ForgetFailures(forget.example): %v; shared want %v", h.Key(), err, want)
				}
			}
		})
	}
}
