// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !lean

package main

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/router"
	"github.com/docker-credential-mint/mint/credentials/provider/static"
	"github.com/docker-credential-mint/mint/store"
)

// The kubelet and export commands hand out the credential that get answers,
// and must also say how long it stays good: the kubelet's cacheDuration,
// export's warning. Helper.Get returns no expiry, so these commands build the
// protocol's helper with both store namespaces observed: the entry that get
// read or wrote for the answer (the root credential, or the provider
// token cache entry with its Expiry and issued_at) is remembered in memory,
// and matched to the answer by its secret. This costs no extra keychain or
// network call, and never runs on the protocol's get path.

// observedHelper is the protocol's Helper, built as newHelper builds it,
// with its store namespaces observed.
type observedHelper struct {
	credentials.Helper
	cfg    *credentials.Config
	router *router.Router   // nil when no provider mints
	roots  *observedBackend // root credentials
	tokens *observedBackend // the token cache; nil when no provider mints
}

// newObservedHelper builds the helper from the config, keychain and
// providers that the protocol uses (see newHelper).
func (e *env) newObservedHelper(ctx context.Context) (*observedHelper, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	_, roots, tokens, err := e.openStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return newObserved(cfg, roots, tokens, router.Options{Warn: e.warn})
}

// newObserved is assemble with both store namespaces observed.
func newObserved(cfg *credentials.Config, roots, tokens store.Backend, opts router.Options) (*observedHelper, error) {
	oh := &observedHelper{cfg: cfg, roots: &observedBackend{Backend: roots}}
	var observedTokens store.Backend
	if tokens != nil {
		oh.tokens = &observedBackend{Backend: tokens}
		observedTokens = oh.tokens
	}
	w, err := assemble(cfg, oh.roots, observedTokens, opts)
	if err != nil {
		return nil, err
	}
	oh.Helper, oh.router = w.helper, w.router
	return oh, nil
}

// credLife is what is known of how long a credential that get answered
// stays good.
type credLife struct {
	// Minted is true when a provider minted the credential.
	Minted bool
	// Expiry is when the credential stops working; zero when it never
	// expires as far as anyone knows (a password, a token without expiry).
	Expiry time.Time
	// Margin is how long before Expiry the helper stops serving the token
	// and mints another (the provider cache's refresh_before, by default
	// min(5m, half the token's life)); zero for static credentials, which
	// the helper cannot renew.
	Margin time.Duration
}

// goodUntil is when the credential should no longer be handed out: Expiry
// less Margin. ok is false when it never expires.
func (l credLife) goodUntil() (t time.Time, ok bool) {
	if l.Expiry.IsZero() {
		return time.Time{}, false
	}
	return l.Expiry.Add(-l.Margin), true
}

// life returns what is known of how long c, which Get(serverURL) just
// answered, stays good. A minted token that the provider cache did not keep
// (a provider that gave no lifetime: "used once") expires at now.
func (oh *observedHelper) life(serverURL string, c credentials.Credentials, now time.Time) credLife {
	h, err := credentials.ParseHost(serverURL)
	if err != nil {
		return credLife{}
	}
	if oh.router == nil || !oh.router.Claims(h) {
		l := credLife{}
		if e, ok := oh.roots.find(func(e store.Entry) bool { return e.Username == c.Username && e.Secret == c.Secret }); ok {
			l.Expiry = e.Expiry
		}
		if l.Expiry.IsZero() {
			l.Expiry, _ = static.JWTExpiry(c.Secret)
		}
		return l
	}
	l := credLife{Minted: true, Expiry: now}
	var env tokenEnvelope
	e, ok := oh.tokens.find(func(e store.Entry) bool {
		env = tokenEnvelope{}
		return e.Username == c.Username && json.Unmarshal([]byte(e.Secret), &env) == nil && env.Secret == c.Secret
	})
	if !ok {
		return l
	}
	l.Expiry = e.Expiry
	if l.Expiry.IsZero() {
		return l
	}
	reg, _ := oh.cfg.Match(h)
	l.Margin = refreshMargin(reg, l.Expiry.Sub(env.IssuedAt))
	return l
}

// refreshMargin is provider.Cache's refresh margin for a token of the given
// life minted for reg: reg's refresh_before, else
// min(provider.DefaultRefreshBefore, half the life).
func refreshMargin(reg *credentials.Registry, life time.Duration) time.Duration {
	if reg != nil && reg.RefreshBefore > 0 {
		return reg.RefreshBefore
	}
	m := provider.DefaultRefreshBefore
	if life > 0 && life/2 < m {
		m = life / 2
	}
	return m
}

// tokenEnvelope is the part of provider.Cache's entry Secret read here
// (documented on provider.Cache): the token and when it was minted.
type tokenEnvelope struct {
	Secret   string    `json:"secret"`
	IssuedAt time.Time `json:"issued_at"`
}

// observedBackend is a store.Backend that remembers, in memory, the entries
// that Get returned and Put stored.
type observedBackend struct {
	store.Backend
	mu   sync.Mutex
	seen []store.Entry // most recent last
}

var _ store.Backend = (*observedBackend)(nil)

// Get implements store.Backend.
func (b *observedBackend) Get(ctx context.Context, key string) (store.Entry, error) {
	e, err := b.Backend.Get(ctx, key)
	if err == nil {
		b.record(e)
	}
	return e, err
}

// Put implements store.Backend.
func (b *observedBackend) Put(ctx context.Context, key string, e store.Entry) error {
	err := b.Backend.Put(ctx, key, e)
	if err == nil {
		b.record(e)
	}
	return err
}

func (b *observedBackend) record(e store.Entry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = append(b.seen, e)
}

// find returns the most recent entry seen that match accepts.
func (b *observedBackend) find(match func(store.Entry) bool) (store.Entry, bool) {
	if b == nil {
		return store.Entry{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.seen) - 1; i >= 0; i-- {
		if match(b.seen[i]) {
			return b.seen[i], true
		}
	}
	return store.Entry{}, false
}
