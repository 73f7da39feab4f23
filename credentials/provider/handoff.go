// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package provider

import (
	"context"
	"errors"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

// ErrUnsupported is wrapped by the error for a provider this build does not
// have (ecr, gcr, acr for now).
var ErrUnsupported = errors.New("provider not yet supported")

// ErrHandoff is returned by a Cache over Handoff when the cached token is
// not fresh: minting is another program's job (see Handoff).
var ErrHandoff = errors.New("provider: minting is handed off")

// Handoff is the Provider of a build that cannot mint. The protocol binary
// that every docker pull spawns is built without HTTP, TLS or exec code, so
// that a get answered from the keychain or the token cache starts fast; a
// Cache over Handoff serves fresh cached tokens and otherwise returns
// ErrHandoff at once, without taking the refresh lock, so that the caller
// can hand the request to the full binary, which refreshes under the lock.
var Handoff Provider = handoff{}

type handoff struct{}

func (handoff) Token(context.Context, credentials.Host, *store.Entry) (*Token, error) {
	return nil, ErrHandoff
}
