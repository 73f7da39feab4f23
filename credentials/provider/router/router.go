// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package router turns a credentials.Config into a credentials.Minter: each
// config entry with a minting provider (exec, oauth2, registry) gets the
// provider that Options.Providers makes for it (builtin.Factory) wrapped in
// a provider.Cache;
// hosts are routed by Config.Match (first match wins). A host that matches
// no entry but names a cloud registry (Config.Detect: an ECR, Google or
// ACR host) goes to an implicit entry of that cloud's provider, unless the
// config turns detection off; a detected Google or ACR host whose stored
// login is one of its own (another username than the one the provider
// mints: Google's _json_key, an ACR admin user or repository token) is
// served that login. Hosts that match nothing else, or a static entry, are
// not claimed: the helper serves them from the store, and applies
// static.Check itself.
package router

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/store"
)

// Options wire the Router.
type Options struct {
	// Tokens is the token cache: a store namespace of its own (required).
	Tokens store.Backend
	// Roots is the root credential store, the helper's backend. oauth2's
	// refresh_token grant re-reads the refresh token from it and saves
	// rotated ones to it.
	Roots store.Backend
	// LockDir holds the refresh lock files; "" means provider.DefaultLockDir().
	LockDir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Warn receives one-line warnings for the user's terminal; nil discards them.
	Warn func(string)
	// Providers makes each minting entry's provider. Nil: the Router only
	// reads the token cache (Fresh, ListedUsername) and its Mint fails for
	// a token that is not cached, as in a program that cannot mint.
	Providers provider.Factory
}

// Router is a credentials.Minter over a Config.
type Router struct {
	lockDir string
	cfg     *credentials.Config
	tokens  store.Backend
	entries []entry // parallel to cfg.Registries
	// minting is true when a config entry names a provider other than static.
	minting bool
	// detected are the implicit entries of credentials.DetectedProviders,
	// by provider, each made on first use (a get of a static registry
	// never pays for them); nil when the config turns detection off.
	detected map[string]*lazyEntry
	opts     Options
	now      func() time.Time
}

// lazyEntry is an implicit entry, made once, when a host first needs it.
type lazyEntry struct {
	once sync.Once
	reg  credentials.Registry
	e    entry
}

type entry struct {
	reg   *credentials.Registry
	cache *provider.Cache // nil for static and unsupported entries
	err   error           // why the entry cannot mint
	// detected is set for the implicit entries of detection.
	detected bool
}

var _ credentials.Minter = (*Router)(nil)

// New builds a Router for cfg. It does no I/O.
func New(cfg *credentials.Config, opts Options) (*Router, error) {
	if opts.Tokens == nil {
		return nil, errors.New("router: no token store")
	}
	if cfg == nil {
		cfg = &credentials.Config{}
	}
	if opts.LockDir == "" {
		opts.LockDir = provider.DefaultLockDir()
	}
	rt := &Router{lockDir: opts.LockDir, cfg: cfg, tokens: opts.Tokens, entries: make([]entry, len(cfg.Registries)), now: opts.Now}
	if rt.now == nil {
		rt.now = time.Now
	}
	for i := range cfg.Registries {
		e, err := newEntry(cfg, &cfg.Registries[i], opts)
		if err != nil {
			return nil, err
		}
		rt.entries[i] = e
		rt.minting = rt.minting || e.reg.Provider != credentials.ProviderStatic
	}
	if cfg.Detects() {
		rt.opts = opts
		rt.detected = make(map[string]*lazyEntry, len(credentials.DetectedProviders))
		for _, name := range credentials.DetectedProviders {
			rt.detected[name] = &lazyEntry{reg: credentials.DetectedRegistry(name)}
		}
	}
	return rt, nil
}

// entry returns the implicit entry, making it on first use.
func (l *lazyEntry) entry(rt *Router) *entry {
	l.once.Do(func() {
		e, err := newEntry(rt.cfg, &l.reg, rt.opts)
		if err != nil {
			e = entry{reg: &l.reg, err: err}
		}
		e.detected = true
		l.e = e
	})
	return &l.e
}

// newEntry makes the entry of reg: its provider (opts.Providers), sharing
// failures, in a cache.
func newEntry(cfg *credentials.Config, reg *credentials.Registry, opts Options) (entry, error) {
	e := entry{reg: reg}
	var (
		p   provider.Provider
		err error
	)
	minting := reg.Provider != credentials.ProviderStatic
	if minting && opts.Providers != nil {
		p, err = opts.Providers(*reg, opts.Roots, opts.Now)
		if errors.Is(err, provider.ErrUnsupported) {
			e.err, p, err, minting = err, nil, nil, false
		}
	}
	if err != nil {
		return entry{}, fmt.Errorf("router: config %s:%d: %w", cfg.File, reg.Line, err)
	}
	if minting {
		fp := fingerprint(reg)
		if p != nil {
			// A failing endpoint sees one request per herd of gets.
			p = provider.ShareFailures(p, provider.ShareOptions{Dir: opts.LockDir, Fingerprint: fp, Now: opts.Now})
		}
		e.cache = provider.Cached(p, opts.Tokens, provider.CacheOptions{
			LockDir:       opts.LockDir,
			RefreshBefore: reg.RefreshBefore,
			Fingerprint:   fp,
			Now:           opts.Now,
			Warn:          opts.Warn,
		})
	}
	return e, nil
}

// fingerprint identifies what a token was minted with, so that a changed
// config entry does not serve tokens minted under the old one.
func fingerprint(r *credentials.Registry) string {
	parts := []any{r.Provider, r.TokenURL, r.Grant, r.Scopes, r.ClientID, r.Username, r.Command, r.Format, r.Insecure}
	if r.Identity != nil {
		// Only keyless entries add these, so other entries keep their
		// cached tokens across an upgrade.
		id := *r.Identity
		id.Line = 0
		parts = append(parts, r.Audience, id)
	}
	if r.Provider == credentials.ProviderECR { // likewise
		parts = append(parts, r.AWSProfile, r.AWSRoleARN, r.AWSRegion)
	}
	if r.Provider == credentials.ProviderGCR { // likewise
		parts = append(parts, r.GCP)
	}
	if r.Provider == credentials.ProviderACR {
		parts = append(parts, r.AzureTenantID, r.AzureClientID, r.AzureAuthorityHost)
	}
	b, _ := json.Marshal(parts)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// match returns h's entry when a minting (or unsupported) provider claims it,
// by the config's entries or else by detection (a string check, no I/O).
// Docker Hub's access-token and refresh-token keys (Docker Desktop's) are
// never claimed: they are kept untouched (DESIGN §3).
func (rt *Router) match(h credentials.Host) (*entry, bool) {
	if h.IsDockerHubToken() {
		return nil, false
	}
	reg, ok := rt.cfg.Match(h)
	if !ok {
		if rt.detected == nil {
			return nil, false
		}
		name, ok := rt.cfg.Detect(h)
		if !ok {
			return nil, false
		}
		l, ok := rt.detected[name]
		if !ok {
			return nil, false
		}
		return l.entry(rt), true
	}
	if reg.Provider == credentials.ProviderStatic {
		return nil, false
	}
	for i := range rt.entries {
		if rt.entries[i].reg == reg {
			return &rt.entries[i], true
		}
	}
	return nil, false
}

// Detected returns the provider that serves h only because of its host
// name (no config entry matches it: Config.Detect), or "".
func (rt *Router) Detected(h credentials.Host) string {
	if e, ok := rt.match(h); ok && e.detected {
		return e.reg.Provider
	}
	return ""
}

// StoredAsIs reports whether get answers root, stored for h, as it is
// stored instead of minting: a detected Google or ACR host's own login
// (see ownLogin).
func (rt *Router) StoredAsIs(h credentials.Host, root store.Entry) bool {
	e, ok := rt.match(h)
	return ok && ownLogin(e, &root)
}

// Claims implements credentials.Minter: a host whose first matching entry
// has a provider other than static. No I/O.
func (rt *Router) Claims(h credentials.Host) bool {
	_, ok := rt.match(h)
	return ok
}

// scope is the token cache key for h: h's registry with the entry's path
// prefix, or the root credential's own key when that is more specific, so
// that two root credentials never share a token.
func scope(reg *credentials.Registry, h credentials.Host, root *store.Entry) credentials.Host {
	s := reg.Pattern.Scope(h)
	if root != nil {
		if rh, err := credentials.ParseHost(root.ServerURL); err == nil && rh.Registry() == h.Registry() && len(rh.Path) > len(s.Path) {
			s = rh
		}
	}
	return s
}

// Mint implements credentials.Minter: the entry's cached token while fresh,
// else a new one (one refresh across processes), with its expiry and when
// it will be renewed. It returns an error wrapping store.ErrNotFound when h
// is not claimed or its provider needs a root credential and none is
// stored; any other error is one line for the user. Safe for concurrent use
// by goroutines and processes. ServerURL of the answer is h's key; the
// helper replaces it with the requested URL.
func (rt *Router) Mint(ctx context.Context, h credentials.Host, root *store.Entry) (credentials.Answer, error) {
	e, s, err := rt.route(ctx, h, root)
	if err != nil {
		return credentials.Answer{}, err
	}
	if a, ok, err := rt.ownLoginAnswer(ctx, e, h, root); ok {
		return a, err
	}
	tok, err := e.cache.Token(ctx, s, root)
	if err != nil {
		if e.detected && errors.Is(err, provider.ErrNotFound) {
			return rt.noCredentials(ctx, e, h, s, root, err)
		}
		return credentials.Answer{}, err
	}
	return answer(e.reg, h, tok), nil
}

// noCredentials answers a detected host whose provider found no cloud
// credentials (err): a cached token that has not expired (the credentials
// may be back at the next refresh: a managed identity probe that timed
// out once), with a warning; else the stored login; else err, not found.
func (rt *Router) noCredentials(ctx context.Context, e *entry, h, s credentials.Host, root *store.Entry, err error) (credentials.Answer, error) {
	if old := e.cache.Peek(ctx, s); old.Valid(rt.now()) {
		if rt.opts.Warn != nil {
			rt.opts.Warn("warning: " + h.Key() + ": token refresh failed; using the cached token, valid until " + old.Expiry.UTC().Format(time.RFC3339) + ": " + credentials.OneLine(err.Error()))
		}
		return answer(e.reg, h, old), nil
	}
	if root != nil {
		// The stored login is all there is.
		return stored(h, root), nil
	}
	return credentials.Answer{}, err
}

// ownLogin reports whether root, stored for a Google or ACR host that only
// detection claims, is a login of its own that the provider would not mint
// (its username is not the provider's: Google's _json_key or
// _json_key_base64, an ACR admin user, repository token or service
// principal). Such a login is served as it is stored, as before detection;
// one under the provider's username (oauth2accesstoken with a pasted
// access token, az acr login's nil UUID) is minted afresh.
func ownLogin(e *entry, root *store.Entry) bool {
	if !e.detected || root == nil || e.reg.Provider == credentials.ProviderECR {
		// ECR accepts no login but AWS's: a stored one is minted afresh.
		return false
	}
	u, ok := e.reg.FixedUsername()
	return ok && root.Username != u
}

// ownLoginAnswer is what Mint and Fresh answer for a detected host's own
// stored login (ownLogin, registryOwnLogin); ok is false when h has none
// and the provider mints.
func (rt *Router) ownLoginAnswer(ctx context.Context, e *entry, h credentials.Host, root *store.Entry) (a credentials.Answer, ok bool, err error) {
	switch {
	case ownLogin(e, root):
		return stored(h, root), true, nil
	case rt.registryOwnLogin(ctx, e, h, root):
		return credentials.Answer{}, true, fmt.Errorf("router: %s: the registry's own login is stored for %s: %w", h.Key(), h.Registry(), provider.ErrNotFound)
	}
	return credentials.Answer{}, false, nil
}

// registryOwnLogin reports whether a request for a repository path of a
// detected Google or ACR host (root is nil: the helper never falls back
// from a path to the bare registry) has the registry's own login stored for the bare
// registry. Then the path is not found, as it was before detection, and
// the client asks the registry, which is served that login.
func (rt *Router) registryOwnLogin(ctx context.Context, e *entry, h credentials.Host, root *store.Entry) bool {
	if root != nil || h.Path == "" || !e.detected || e.reg.Provider == credentials.ProviderECR || rt.opts.Roots == nil {
		return false
	}
	r, err := rt.opts.Roots.Get(ctx, credentials.Host{Name: h.Name, Port: h.Port}.Key())
	return err == nil && ownLogin(e, &r)
}

// stored is the answer of a stored login, unchanged.
func stored(h credentials.Host, root *store.Entry) credentials.Answer {
	return credentials.Answer{Credentials: credentials.Credentials{ServerURL: h.Key(), Username: root.Username, Secret: root.Secret}, Expiry: root.Expiry}
}

// Fresh returns what Mint would answer for h from the token cache alone,
// when the cached token is fresh (more than the refresh margin left); ok is
// false otherwise. err is Mint's error where Mint would fail without asking
// a provider (h not claimed, no root credential stored). It never mints,
// takes no lock and does no I/O beyond the token cache.
func (rt *Router) Fresh(ctx context.Context, h credentials.Host, root *store.Entry) (a credentials.Answer, ok bool, err error) {
	e, s, err := rt.route(ctx, h, root)
	if err != nil {
		return credentials.Answer{}, false, err
	}
	if a, ok, err := rt.ownLoginAnswer(ctx, e, h, root); ok {
		return a, err == nil, err
	}
	tok, ok := e.cache.Fresh(ctx, s)
	if !ok {
		return credentials.Answer{}, false, nil
	}
	return answer(e.reg, h, tok), true, nil
}

// route finds h's entry and the token cache key (scope) for root; the error
// is Mint's for a host it cannot serve. For an entry whose identity source
// is kubelet, the key also names the identity of the service-account token
// in ctx (never the token): two service accounts never share a token, and
// the cache, the refresh lock and a shared failure are each per identity.
func (rt *Router) route(ctx context.Context, h credentials.Host, root *store.Entry) (*entry, credentials.Host, error) {
	e, ok := rt.match(h)
	if !ok {
		return nil, h, fmt.Errorf("router: %s: %w", h.Key(), provider.ErrNotFound)
	}
	if e.err != nil {
		return nil, h, fmt.Errorf("router: %s: config %s:%d: %w", h.Key(), rt.cfg.File, e.reg.Line, e.err)
	}
	if root == nil && e.reg.NeedsRoot() {
		return nil, h, fmt.Errorf("router: %s: no root credential stored: %w", h.Key(), provider.ErrNotFound)
	}
	s := scope(e.reg, h, root)
	if kubeletIdentity(e.reg) {
		tok, ok := credentials.ServiceAccountToken(ctx)
		if !ok {
			return nil, h, fmt.Errorf("router: %s: config %s:%d: identity source kubelet: no service account token; only `docker-credential-mint kubelet` run by a kubelet whose CredentialProviderConfig gives this provider tokenAttributes has one", h.Key(), rt.cfg.File, e.reg.Line)
		}
		sa, err := credentials.ServiceAccountIdentity(tok, rt.now())
		if err != nil {
			return nil, h, fmt.Errorf("router: %s: %w", h.Key(), err)
		}
		s.Path = strings.TrimPrefix(s.Path+"/"+identityPrefix+sa.Key, "/")
	}
	return e, s, nil
}

// identityPrefix starts the last path segment of a token cache key that
// names a service account's identity: "@" is not valid in a repository
// name, so no registry path scope can be mistaken for one.
const identityPrefix = "@sa-"

// kubeletIdentity reports whether reg exchanges the kubelet's
// service-account token (identity source kubelet).
func kubeletIdentity(reg *credentials.Registry) bool {
	return reg.Identity != nil && reg.Identity.Source == credentials.IdentityKubelet
}

// answer is tok as the helper answers it for h.
func answer(reg *credentials.Registry, h credentials.Host, tok *provider.Token) credentials.Answer {
	return credentials.Answer{
		Credentials: credentials.Credentials{ServerURL: h.Key(), Username: tok.Username, Secret: tok.Secret},
		Minted:      true,
		Expiry:      tok.Expiry,
		Renew:       tok.RefreshAt(reg.RefreshBefore),
	}
}

// ListedUsername implements credentials.Minter: the configured username
// (oauth2, exec plain), "<token>" (registry), else the cached token's
// username, else root's. It reads at most the token cache.
func (rt *Router) ListedUsername(ctx context.Context, h credentials.Host, root store.Entry) string {
	e, ok := rt.match(h)
	if !ok || e.cache == nil || ownLogin(e, &root) && root.Username != "" {
		return root.Username
	}
	if u, ok := e.reg.FixedUsername(); ok {
		return u
	}
	if tok := e.cache.Peek(ctx, scope(e.reg, h, &root)); tok != nil {
		return tok.Username
	}
	if e.reg.Username != "" {
		return e.reg.Username
	}
	return root.Username
}

// MayClaimKey implements credentials.Minter: any key may be claimed when a
// config entry mints; with detection alone, only a key that may be a
// detected cloud registry's.
func (rt *Router) MayClaimKey(key string) bool {
	return rt.minting || rt.detected != nil && credentials.MayBeDetected(key)
}

// Unstored implements credentials.Minter: each entry whose provider mints
// alone (credentials.Registry.MintsAlone; not a kubelet identity, which
// mints only in the kubelet's requests), whose pattern names one registry
// and that is that registry's first match, under the username of
// ListedUsername. It reads at most the token cache.
func (rt *Router) Unstored(ctx context.Context) map[string]string {
	var out map[string]string
	for i := range rt.entries {
		e := &rt.entries[i]
		if !e.reg.MintsAlone() || e.err != nil || kubeletIdentity(e.reg) {
			continue // a kubelet identity mints only in the kubelet's requests
		}
		h, ok := e.reg.Pattern.Host()
		if !ok {
			continue
		}
		if m, ok := rt.match(h); !ok || m != e {
			continue // an earlier entry serves it
		}
		if out == nil {
			out = map[string]string{}
		}
		out[h.Key()] = rt.ListedUsername(ctx, h, store.Entry{})
	}
	return out
}

// Problem returns why reg, one of the config's entries, cannot mint (its
// provider is not in this build), or nil.
func (rt *Router) Problem(reg *credentials.Registry) error {
	for i := range rt.entries {
		if rt.entries[i].reg == reg {
			return rt.entries[i].err
		}
	}
	return nil
}

// Forget implements credentials.Minter: it drops every cached token of h's
// registry (all path scopes), since a new root credential for any of them
// may be the one those tokens were minted from.
func (rt *Router) Forget(ctx context.Context, h credentials.Host) error {
	all, err := rt.tokens.List(ctx)
	if err != nil {
		return fmt.Errorf("router: forget tokens of %s: %w", h.Registry(), err)
	}
	reg := h.Registry()
	if err := provider.ForgetFailures(rt.lockDir, reg); err != nil {
		return fmt.Errorf("router: %w", err)
	}
	for key := range all {
		if key != reg && !strings.HasPrefix(key, reg+"/") {
			continue
		}
		if err := rt.tokens.Delete(ctx, key); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("router: forget token of %s: %w", key, err)
		}
	}
	return nil
}
