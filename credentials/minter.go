// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"context"

	"github.com/docker-credential-mint/mint/store"
)

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
	// Mint returns the credential that get answers for h: a cached token
	// while it is fresh, otherwise a new one (one refresh across processes).
	// root is h's stored root credential, or nil when none is stored.
	// An error wrapping store.ErrNotFound means "not ours after all"; any
	// other error is real and reaches the user.
	Mint(ctx context.Context, h Host, root *store.Entry) (Credentials, error)
	// ListedUsername returns the Username that Mint would answer for h with
	// root stored, for list. It does no I/O beyond reading the token cache.
	ListedUsername(ctx context.Context, h Host, root store.Entry) string
	// Forget drops h's cached tokens; store and erase of a root credential
	// call it, since a new root credential means new tokens.
	Forget(ctx context.Context, h Host) error
}
