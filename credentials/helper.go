// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

// Helper is what the protocol needs. Every method is safe for concurrent
// use by goroutines and processes.
type Helper interface {
	// Store keeps c as the root credential of its registry, replacing what
	// was stored whatever the old username, and drops cached tokens.
	Store(ctx context.Context, c Credentials) error
	// Get returns the credential for serverURL, or an error wrapping
	// store.ErrNotFound (answered as "credentials not found in native keychain").
	Get(ctx context.Context, serverURL string) (Credentials, error)
	// Erase removes serverURL's credential; erasing what is not there succeeds.
	Erase(ctx context.Context, serverURL string) error
	// List returns server URL → username for every key Get can answer.
	List(ctx context.Context) (map[string]string, error)
}

// Policy, for hosts a configured provider claims: a provider that fails
// returns its real error (the user sees why the pull failed), while a host
// that nothing serves is "not found" (Docker then falls back to anonymous).
// The classic keychain helpers answer only "not found" for everything; that
// hides expired tokens and broken token endpoints behind a bare 401.

type helper struct {
	backend store.Backend
	minter  Minter
	// check vets a static entry before get returns it (e.g. an expired JWT);
	// nil accepts everything.
	check func(h Host, e store.Entry) error
	// expiry reads when a secret stops working (a JWT's exp), so that store
	// can record it as metadata; nil records nothing.
	expiry func(secret string) (time.Time, bool)
}

// Option configures NewHelper.
type Option func(*helper)

// WithMinter routes the registries that m claims to their providers.
func WithMinter(m Minter) Option { return func(h *helper) { h.minter = m } }

// WithStaticCheck makes get run check on every static entry it returns;
// a non-nil error is answered instead of the entry.
func WithStaticCheck(check func(h Host, e store.Entry) error) Option {
	return func(h *helper) { h.check = check }
}

// WithSecretExpiry makes store record when a secret expires, as read by
// expiry (e.g. a JWT's exp claim), in the entry's metadata. list then leaves
// out entries whose static check fails without reading any secret: the
// Docker CLI gets every listed key before a classic build and drops all
// credentials when one get fails.
func WithSecretExpiry(expiry func(secret string) (time.Time, bool)) Option {
	return func(h *helper) { h.expiry = expiry }
}

// NewHelper returns a Helper keeping root credentials in backend.
func NewHelper(backend store.Backend, opts ...Option) Answerer {
	h := &helper{backend: backend}
	for _, o := range opts {
		o(h)
	}
	return h
}

func (hp *helper) Store(ctx context.Context, c Credentials) error {
	if c.ServerURL == "" {
		return ErrMissingServerURL
	}
	if c.Username == "" {
		return ErrMissingUsername
	}
	h, err := ParseHost(c.ServerURL)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	e := store.Entry{ServerURL: c.ServerURL, Username: c.Username, Secret: c.Secret}
	if hp.expiry != nil {
		if exp, ok := hp.expiry(c.Secret); ok {
			e.Expiry = exp
		}
	}
	if err := store.Check(e); err != nil {
		return fmt.Errorf("store: %w (a secret may hold at most %d bytes)", err, store.MaxSecretSize)
	}
	if err := hp.backend.Put(ctx, h.Key(), e); err != nil {
		return err
	}
	return hp.forget(ctx, h)
}

func (hp *helper) forget(ctx context.Context, h Host) error {
	if hp.minter == nil || !hp.minter.Claims(h) {
		return nil
	}
	return hp.minter.Forget(ctx, h)
}

// lookup finds the entry with the longest stored key that is h or a path
// prefix of h, never falling back from a path-scoped request to the bare
// registry: a client that wants the registry's credential asks for it too
// (go-containerregistry asks host/repo, then host).
func (hp *helper) lookup(ctx context.Context, h Host) (store.Entry, error) {
	full := h.Path != ""
	for {
		e, err := hp.backend.Get(ctx, h.Key())
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return e, err
		}
		parent, ok := h.Parent()
		if !ok || (full && parent.Path == "") {
			return store.Entry{}, err
		}
		h = parent
	}
}

func (hp *helper) Get(ctx context.Context, serverURL string) (Credentials, error) {
	a, err := hp.answer(ctx, serverURL, false)
	return a.Credentials, err
}

// Answer implements Answerer.
func (hp *helper) Answer(ctx context.Context, serverURL string) (Answer, error) {
	return hp.answer(ctx, serverURL, true)
}

// answer is Get, and with life also a static secret's expiry where the
// entry does not record it (a JWT stored before its exp was recorded):
// get itself never parses a secret it does not have to.
func (hp *helper) answer(ctx context.Context, serverURL string, life bool) (Answer, error) {
	if serverURL == "" {
		return Answer{}, ErrMissingServerURL
	}
	h, err := ParseHost(serverURL)
	if err != nil {
		return Answer{}, fmt.Errorf("get: %w", err)
	}
	e, err := hp.lookup(ctx, h)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Answer{}, err
	}
	found := err == nil
	if hp.minter != nil && hp.minter.Claims(h) {
		var root *store.Entry
		if found {
			root = &e
		}
		a, err := hp.minter.Mint(ctx, h, root)
		if err != nil {
			return Answer{}, err
		}
		a.ServerURL = serverURL
		return a, nil
	}
	if !found {
		return Answer{}, fmt.Errorf("%s: %w", h.Key(), store.ErrNotFound)
	}
	if hp.check != nil {
		if err := hp.check(h, e); err != nil {
			return Answer{}, err
		}
	}
	a := Answer{Credentials: Credentials{ServerURL: serverURL, Username: e.Username, Secret: e.Secret}, Expiry: e.Expiry}
	if life && a.Expiry.IsZero() && hp.expiry != nil {
		a.Expiry, _ = hp.expiry(e.Secret)
	}
	return a, nil
}

func (hp *helper) Erase(ctx context.Context, serverURL string) error {
	if serverURL == "" {
		return ErrMissingServerURL
	}
	h, err := ParseHost(serverURL)
	if err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	if err := hp.backend.Delete(ctx, h.Key()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return hp.forget(ctx, h)
}

func (hp *helper) List(ctx context.Context) (map[string]string, error) {
	entries, err := hp.backend.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(entries))
	for key, e := range entries {
		claimable := hp.minter != nil && hp.minter.MayClaimKey(key)
		if !claimable && (hp.check == nil || e.Expiry.IsZero()) {
			// Nothing to route or check: the common case, kept cheap
			// for docker build's list of every registry.
			out[e.ServerURL] = e.Username
			continue
		}
		// Keys were made by ParseHost, so they parse; skip any that don't
		// rather than fail the whole list.
		h, err := hostOfKey(key)
		if err != nil {
			continue
		}
		switch {
		case claimable && hp.minter.Claims(h):
			out[e.ServerURL] = hp.minter.ListedUsername(ctx, h, e)
		case hp.check != nil && hp.check(h, e) != nil:
			// get would refuse it (expired): list only what get answers.
		default:
			out[e.ServerURL] = e.Username
		}
	}
	if hp.minter != nil {
		for key, user := range hp.minter.Unstored(ctx) {
			if _, stored := entries[key]; !stored {
				out[key] = user
			}
		}
	}
	return out, nil
}

// hostOfKey is ParseHost for a stored key, which ParseHost made: it splits
// the canonical form directly and falls back to ParseHost for anything that
// does not come back out as the same key.
func hostOfKey(key string) (Host, error) {
	reg, path, _ := strings.Cut(key, "/")
	h := Host{Name: reg, Path: path}
	if i := strings.LastIndexByte(reg, ':'); i >= 0 && !strings.HasSuffix(reg, "]") {
		h.Name, h.Port = reg[:i], reg[i+1:]
	}
	if h.Name == "" || h.Key() != key || strings.ContainsAny(key, "@?#\\ ") {
		return ParseHost(key)
	}
	return h, nil
}
