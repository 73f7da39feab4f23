// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package provider defines Provider, the source of short-lived registry
// tokens (x/oauth2's TokenSource made host-aware and context-first), and
// Cached, which keeps tokens in a store.Backend across processes and
// refreshes each one at most once at a time across all processes.
//
// The providers live in subpackages: static, command (the config's exec),
// oauth2 and registry; package router turns a credentials.Config into a
// credentials.Minter.
package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

// ErrUnsupported is wrapped by the error for a provider this build does not
// have (ecr, gcr, acr for now).
var ErrUnsupported = errors.New("provider not yet supported")

// ErrNotFound means a provider has nothing for a host (most often: no root
// credential is stored for it). It wraps store.ErrNotFound, so the helper
// answers it with the wire's "credentials not found in native keychain" and
// Docker asks the user to log in.
var ErrNotFound = fmt.Errorf("provider: %w", store.ErrNotFound)

// Provider mints credentials for registries.
type Provider interface {
	// Token returns a credential for host, minted from root, the stored
	// root credential (nil when none is stored). It returns an error
	// wrapping ErrNotFound when it has nothing for host, and a one-line
	// error that names the registry and never holds a secret otherwise.
	// Safe for concurrent use; it honours ctx's deadline.
	Token(ctx context.Context, host credentials.Host, root *store.Entry) (*Token, error)
}

// Token is a minted credential, as get answers it.
type Token struct {
	// Username is the wire Username ("<token>" for an identity token).
	Username string
	// Secret is the wire Secret: a password, access token or refresh token.
	Secret string
	// Expiry is when Secret stops working; the zero time means never.
	Expiry time.Time
	// Issued is when the request that minted the token started; Cache sets
	// it (providers need not). It gives the token's life, for the half-life
	// refresh margin. Zero: unknown.
	Issued time.Time
}

// RefreshAt is when a cache stops serving t and mints another: Expiry less
// the refresh margin, which is refreshBefore when positive (the config's
// refresh_before), else min(DefaultRefreshBefore, half the token's life).
// It is the zero time when t never expires. This is the one refresh rule:
// Cache, the helper's answers (kubelet cacheDuration, export, status) all
// use it.
func (t *Token) RefreshAt(refreshBefore time.Duration) time.Time {
	if t.Expiry.IsZero() {
		return time.Time{}
	}
	margin := refreshBefore
	if margin <= 0 {
		margin = DefaultRefreshBefore
		if life := t.Expiry.Sub(t.Issued); !t.Issued.IsZero() && life > 0 && life/2 < margin {
			margin = life / 2
		}
	}
	return t.Expiry.Add(-margin)
}

// Valid reports whether t is usable at now: it has a secret and has not
// expired (a token is expired at its Expiry instant).
func (t *Token) Valid(now time.Time) bool {
	return t != nil && t.Secret != "" && (t.Expiry.IsZero() || now.Before(t.Expiry))
}

// Factory makes the provider of a config entry whose provider is not
// static (builtin.Factory makes the ones this module ships). roots is the
// root credential store and now the clock (nil: time.Now). An error
// wrapping ErrUnsupported marks the entry as unable to mint (get of its
// hosts says so); any other error is a config error.
type Factory func(reg credentials.Registry, roots store.Backend, now func() time.Time) (Provider, error)

// Func adapts a function to Provider.
type Func func(ctx context.Context, host credentials.Host, root *store.Entry) (*Token, error)

// Token calls f.
func (f Func) Token(ctx context.Context, host credentials.Host, root *store.Entry) (*Token, error) {
	return f(ctx, host, root)
}
