// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build lean

package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/handoff"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/router"
	"github.com/docker-credential-mint/mint/store"
)

// The protocol binary (build tag lean) serves the keychain and fresh cached
// tokens itself and hands the rest to the full build (package handoff):
// a get whose token must be minted, and every operator command.

// newEnv is the environment of a build that cannot mint: its router reads
// the token cache only, and a token that is not fresh is handed on.
func newEnv(getenv func(string) string, stderr io.Writer) *wire.Env {
	e := wire.New(getenv, stderr)
	e.Minter = func(rt *router.Router) credentials.Minter { return cacheOnly{rt} }
	return e
}

// operate hands every word but a protocol action to the full build.
func operate(_ context.Context, e *wire.Env, args []string, _ io.Reader, _, stderr io.Writer) (code int, ok bool) {
	err := handoff.Run(e, args, nil)
	fmt.Fprintln(stderr, "docker-credential-mint: "+err.Error())
	return 1, true
}

// protocolHelper builds the protocol's helper, whose get hands a token that
// must be minted to the full build.
func protocolHelper(e *wire.Env) func(context.Context) (credentials.Helper, error) {
	return func(ctx context.Context) (credentials.Helper, error) {
		h, err := e.Helper(ctx)
		if err != nil {
			return nil, err
		}
		return &handOffHelper{Helper: h, e: e}, nil
	}
}

// errMint is cacheOnly's answer for a token it cannot serve from the cache.
var errMint = errors.New("the token must be minted")

// errMintOrAnonymous is errMint for a host that only detection claims, of a
// cloud whose images are also pulled anonymously (Google, ACR), with no
// login stored: with no full build to mint, it is not found, so that the
// client pulls anonymously as it did before detection.
var errMintOrAnonymous = fmt.Errorf("%w", errMint)

// cacheOnly mints nothing: it answers fresh cached tokens, Mint's error
// where Mint would fail at once (no root credential stored), and errMint
// for the rest.
type cacheOnly struct{ *router.Router }

func (m cacheOnly) Mint(ctx context.Context, h credentials.Host, root *store.Entry) (credentials.Answer, error) {
	a, ok, err := m.Fresh(ctx, h, root)
	switch {
	case err != nil:
		return credentials.Answer{}, err
	case !ok && root == nil && anonymousCloud(m.Detected(h)):
		return credentials.Answer{}, errMintOrAnonymous
	case !ok:
		return credentials.Answer{}, errMint
	}
	return a, nil
}

type handOffHelper struct {
	credentials.Helper
	e *wire.Env
}

func (h *handOffHelper) Get(ctx context.Context, serverURL string) (credentials.Credentials, error) {
	c, err := h.Helper.Get(ctx, serverURL)
	if errors.Is(err, errMint) {
		anonymous := errors.Is(err, errMintOrAnonymous)
		err = handoff.Run(h.e, []string{credentials.ActionGet}, []byte(serverURL+"\n"))
		if anonymous && errors.Is(err, handoff.ErrNoFullBuild) {
			fmt.Fprintln(h.e.Stderr, "docker-credential-mint: "+credentials.OneLine(serverURL)+": no cached token, and "+err.Error()+"; answering not found, so the pull goes on anonymously")
			err = credentials.ErrNotFound
		}
	}
	return c, err
}

// anonymousCloud reports whether a detected provider's registries also
// serve anonymous pulls (Google's, ACR's; ECR's private ones never do).
func anonymousCloud(provider string) bool {
	return provider == credentials.ProviderGCR || provider == credentials.ProviderACR
}

var _ credentials.Minter = cacheOnly{}
