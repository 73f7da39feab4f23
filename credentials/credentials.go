// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package credentials implements the Docker credential-helper protocol
// (https://github.com/docker/docker-credential-helpers, "Credential helper
// protocol" in the Docker CLI reference) on top of a store.Backend, and routes
// registries that a provider serves to a Minter.
//
// The testable core is HandleCommand; Serve wires it to os.Args and stdio.
package credentials

import (
	dch "github.com/docker/docker-credential-helpers/credentials"
)

// Credentials is the wire type of store and get:
// {"ServerURL":"…","Username":"…","Secret":"…"}.
type Credentials = dch.Credentials

// TokenUsername is the Username that marks Secret as an identity (refresh)
// token; it is kept and returned as is.
const TokenUsername = "<token>"

// Actions of the protocol.
const (
	ActionStore   = "store"
	ActionGet     = "get"
	ActionErase   = "erase"
	ActionList    = "list"
	ActionVersion = "version"
)
