// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/lockfile"
)

// DefaultRefreshBefore caps the default refresh margin. A token is refreshed
// once it has less than min(DefaultRefreshBefore, half its life) left: five
// minutes covers a long docker push (the client checks the token once, at
// the start) and clock skew between this machine and the registry, while
// half the life keeps a short-lived token (say 2 minutes) usable at all,
// as amazon-ecr-credential-helper does.
const DefaultRefreshBefore = 5 * time.Minute

// DefaultLockWait bounds the wait for another process's refresh when the
// caller's context has no deadline: every docker pull waits at most this
// long behind a hung refresh.
const DefaultLockWait = time.Minute

// DefaultLockDir returns the directory for refresh lock files,
// lockfile.DefaultDir(): the same directory, and so the same lock files, in
// every process of the user.
func DefaultLockDir() string { return lockfile.DefaultDir() }

// cacheVersion is the version of the envelope kept in a cache entry's Secret.
const cacheVersion = 1

// CacheOptions configures Cached.
type CacheOptions struct {
	// LockDir is the directory of the refresh lock files, shared by every
	// process of the user (DefaultLockDir). Empty: refreshes are serialised
	// only within this process.
	LockDir string
	// RefreshBefore is how much life a cached token must have left to be
	// served; zero means min(DefaultRefreshBefore, half the token's life).
	RefreshBefore time.Duration
	// Fingerprint identifies the provider's configuration; a cached token
	// minted under another fingerprint (the config changed) is ignored.
	Fingerprint string
	// LockWait bounds the wait for the lock when ctx has no deadline;
	// zero means DefaultLockWait.
	LockWait time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Warn receives one-line warnings for the user (the command prints them
	// on stderr); nil discards them.
	Warn func(string)
}

// Cache is a Provider that keeps the tokens of another Provider in a
// store.Backend, as x/oauth2's ReuseTokenSource keeps them in memory, but
// across processes (every docker pull is a new process).
//
// Cache entry layout, under the key host.Key() in the token namespace:
//
//	ServerURL  host.Key()
//	Username   the token's Username (readable by List without decrypting)
//	Expiry     the token's Expiry (zero: never expires)
//	Secret     JSON {"v":1,"secret":…,"issued_at":RFC 3339,"fingerprint":…}
//
// issued_at (when the refresh started) gives the token's life, for the
// half-life margin; fingerprint ties the token to the config that minted it.
type Cache struct {
	p       Provider
	backend store.Backend
	opts    CacheOptions
}

// Cached returns a Cache keeping p's tokens in backend, a namespace of its
// own (tokens are not root credentials).
//
// Token serves a cached token while it has more than the refresh margin
// left. Otherwise it takes the host's lock (shared across processes through
// a lock file), looks at the cache again (another process may just have
// refreshed), and only then asks p, so that concurrent callers on a stale
// cache make one request. When p fails and the cached token has not yet
// expired, Token serves it and warns once; once it has expired, Token
// returns p's error.
func Cached(p Provider, backend store.Backend, opts CacheOptions) *Cache {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	if opts.LockWait <= 0 {
		opts.LockWait = DefaultLockWait
	}
	return &Cache{p: p, backend: backend, opts: opts}
}

var _ Provider = (*Cache)(nil)

type envelope struct {
	V           int       `json:"v"`
	Secret      string    `json:"secret"`
	IssuedAt    time.Time `json:"issued_at"`
	Fingerprint string    `json:"fingerprint,omitempty"`
}

// fresh reports whether tok, read from the cache, has more than the
// refresh margin left at now (see Token.RefreshAt).
func fresh(tok *Token, now time.Time, refreshBefore time.Duration) bool {
	return tok != nil && (tok.Expiry.IsZero() || now.Before(tok.RefreshAt(refreshBefore)))
}

// load reads host's cached token; nil when there is none usable (absent,
// unreadable, from another config, or expired).
func (c *Cache) load(ctx context.Context, key string) *Token {
	e, err := c.backend.Get(ctx, key)
	if err != nil {
		return nil
	}
	var env envelope
	if json.Unmarshal([]byte(e.Secret), &env) != nil || env.V != cacheVersion || env.Secret == "" || env.Fingerprint != c.opts.Fingerprint {
		return nil
	}
	t := &Token{Username: e.Username, Secret: env.Secret, Expiry: e.Expiry, Issued: env.IssuedAt}
	if !t.Valid(c.opts.Now()) {
		return nil
	}
	return t
}

// Peek returns host's cached token without refreshing it, or nil when none
// is cached or it has expired. It does no I/O beyond the cache backend.
func (c *Cache) Peek(ctx context.Context, host credentials.Host) *Token {
	return c.load(ctx, host.Key())
}

// Fresh returns host's cached token when it would be served as it is (it
// has more than the refresh margin left), without taking the refresh lock
// and without asking the provider. It does no I/O beyond the cache
// backend: a program that cannot mint serves what Fresh returns and hands
// the rest to one that can.
func (c *Cache) Fresh(ctx context.Context, host credentials.Host) (*Token, bool) {
	t := c.load(ctx, host.Key())
	return t, fresh(t, c.opts.Now(), c.opts.RefreshBefore)
}

// Token implements Provider; see Cached. Safe for concurrent use by
// goroutines and processes. An error wrapping ErrNotFound from p is
// returned as is, never answered from the cache.
func (c *Cache) Token(ctx context.Context, host credentials.Host, root *store.Entry) (*Token, error) {
	key := host.Key()
	first := c.load(ctx, key)
	if fresh(first, c.opts.Now(), c.opts.RefreshBefore) {
		return first, nil
	}
	if c.p == nil {
		return c.fallback(key, first, fmt.Errorf("provider: %s: this build cannot mint tokens", key))
	}

	lctx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		lctx, cancel = context.WithTimeout(ctx, c.opts.LockWait)
		defer cancel()
	}
	unlock, err := lockfile.Lock(lctx, c.opts.LockDir, key)
	if err != nil {
		err = fmt.Errorf("provider: %s: wait for the refresh lock: %w", key, err)
		return c.fallback(key, first, err)
	}
	defer unlock()

	// Another process may have refreshed while we waited.
	old := c.load(ctx, key)
	if fresh(old, c.opts.Now(), c.opts.RefreshBefore) {
		return old, nil
	}
	issued := c.opts.Now()
	tok, err := c.p.Token(ctx, host, root)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return c.fallback(key, old, err)
	}
	if tok == nil || tok.Secret == "" {
		return c.fallback(key, old, fmt.Errorf("provider: %s: the provider returned an empty token", key))
	}
	minted := *tok
	minted.Issued = issued
	tok = &minted
	// A token that is already expired when minted (a provider that gives no
	// lifetime) is answered once and not kept.
	if tok.Expiry.IsZero() || tok.Expiry.After(c.opts.Now()) {
		if err := c.save(ctx, key, tok, issued); err != nil {
			c.opts.Warn(fmt.Sprintf("warning: %s: could not cache the new token (the next get mints another): %s", key, credentials.OneLine(err.Error())))
		}
	}
	return tok, nil
}

func (c *Cache) save(ctx context.Context, key string, tok *Token, issued time.Time) error {
	data, err := json.Marshal(envelope{V: cacheVersion, Secret: tok.Secret, IssuedAt: issued.UTC(), Fingerprint: c.opts.Fingerprint})
	if err != nil {
		return err
	}
	return c.backend.Put(ctx, key, store.Entry{ServerURL: key, Username: tok.Username, Secret: string(data), Expiry: tok.Expiry})
}

// fallback serves old when it has not expired, with one warning, and
// otherwise returns err.
func (c *Cache) fallback(key string, old *Token, err error) (*Token, error) {
	if !old.Valid(c.opts.Now()) {
		return nil, err
	}
	msg := "warning: " + key + ": token refresh failed; using the cached token"
	if !old.Expiry.IsZero() {
		msg += ", valid until " + old.Expiry.UTC().Format(time.RFC3339)
	}
	c.opts.Warn(msg + ": " + credentials.OneLine(err.Error()))
	return old, nil
}
