// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

var logoutUsage = usage{
	name:     "logout",
	synopsis: "REGISTRY",
	text: `Removes REGISTRY's root credential from the keychain and drops the tokens
minted from it, through the same erase action that docker logout uses. When
nothing is stored, it says so and succeeds.`,
	examples: []string{"docker-credential-mint logout quay.io", "docker-credential-mint logout https://index.docker.io/v1/"},
}

func runLogout(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags(logoutUsage)
	pos, code, done := parseArgs(logoutUsage, fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, logoutUsage, "want one REGISTRY, got %d arguments", len(pos))
	}
	h, err := credentials.ParseHost(pos[0])
	if err != nil {
		return usageError(stderr, logoutUsage, "REGISTRY %s", err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout(opTimeout))
	defer cancel()
	w, err := e.WireConfig(ctx)
	if err != nil {
		return fail(stderr, "logout", err)
	}
	_, err = w.Roots.Get(ctx, h.Key())
	stored := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fail(stderr, "logout", err)
	}
	if err := w.Helper.Erase(ctx, h.Key()); err != nil {
		return fail(stderr, "logout", err)
	}
	if !stored {
		fmt.Fprintf(stdout, "Not logged in to %s: nothing was stored (keychain %s)\n", h.Key(), w.Keychain)
		return 0
	}
	fmt.Fprintf(stdout, "Removed the credential for %s and its cached tokens (keychain %s)\n", h.Key(), w.Keychain)
	return 0
}
