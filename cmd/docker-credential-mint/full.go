// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !lean

package main

import (
	"context"
	"io"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/cli"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/builtin"
)

// The full build (the default, `go install` makes it) does everything
// itself: these two imports are what it adds to the protocol binary, the
// providers that mint (HTTP, TLS, exec) and the operator commands.

// newEnv is the environment with this build's providers.
func newEnv(getenv func(string) string, stderr io.Writer) *wire.Env {
	e := wire.New(getenv, stderr)
	e.Providers = builtin.Factory(builtin.Options{})
	return e
}

// operate runs an operator command; ok is false when args[0] names none
// (the protocol then answers it as an unknown action).
func operate(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int, ok bool) {
	return cli.Run(ctx, e, args, stdin, stdout, stderr)
}

// protocolHelper builds the protocol's helper.
func protocolHelper(e *wire.Env) func(context.Context) (credentials.Helper, error) {
	return e.Helper
}
