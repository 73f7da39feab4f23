// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"context"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

// Answer is a credential that get answers, with what is known of how long
// it stays good, as x/oauth2's Token carries its Expiry. The protocol sends
// only Credentials; the kubelet mode, export and status need the rest.
type Answer struct {
	Credentials
	// Minted is true when a provider minted the credential, false when it
	// is the stored root credential.
	Minted bool
	// Expiry is when the credential stops working; zero when it is not
	// known to expire (a password, a token the provider gave no lifetime).
	Expiry time.Time
	// Renew is when get stops serving a minted token and mints another:
	// Expiry less the refresh margin (DESIGN §5). Zero for a stored
	// credential, which the helper cannot renew, and when Expiry is zero.
	Renew time.Time
}

// GoodUntil is when the credential should no longer be handed out: Renew
// for a minted token, else Expiry. ok is false when it never expires.
func (a Answer) GoodUntil() (t time.Time, ok bool) {
	switch {
	case a.Expiry.IsZero():
		return time.Time{}, false
	case !a.Renew.IsZero():
		return a.Renew, true
	}
	return a.Expiry, true
}

// Answerer is a Helper that can also say how long its answers stay good;
// the Helper that NewHelper returns is one.
type Answerer interface {
	Helper
	// Answer is Get with the answer's life; Get(ctx, u) is Answer(ctx, u)'s
	// Credentials.
	Answer(ctx context.Context, serverURL string) (Answer, error)
}

// Minter serves the registries that the config file gives a provider
// (DESIGN §5): for them get answers a short-lived token minted from the
// stored root credential, never the root credential itself. A nil Minter
// makes every registry static.
//
// Implementations are safe for concurrent use by goroutines and processes.
type Minter interface {
	// Claims reports whether a configured provider serves h. It does no I/O:
	// list and get of hosts that no provider claims never touch the network.
	Claims(h Host) bool
	// Mint returns the credential that get answers for h, with Minted set
	// and its expiry: a cached token while it is fresh, otherwise a new one
	// (one refresh across processes). root is h's stored root credential,
	// or nil when none is stored. An error wrapping store.ErrNotFound means
	// "not ours after all"; any other error is real and reaches the user.
	Mint(ctx context.Context, h Host, root *store.Entry) (Answer, error)
	// MayClaimKey reports, from a stored key alone and without parsing it,
	// whether Claims could be true for its host; false means certainly
	// not. It keeps list of many stored registries cheap.
	MayClaimKey(key string) bool
	// ListedUsername returns the Username that Mint would answer for h with
	// root stored, for list. It does no I/O beyond reading the token cache.
	ListedUsername(ctx context.Context, h Host, root store.Entry) string
	// Unstored returns what list names beyond the stored entries: each
	// registry that Mint serves with no root credential stored (a config
	// entry with a concrete host whose provider mints alone), by key, with
	// the Username that get answers. No I/O beyond the token cache.
	Unstored(ctx context.Context) map[string]string
	// Forget drops h's cached tokens; store and erase of a root credential
	// call it, since a new root credential means new tokens.
	Forget(ctx context.Context, h Host) error
}
