// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !lean

package main

import (
	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/builtin"
	"github.com/docker-credential-mint/mint/credentials/provider/router"
)

// The full build (the default, `go install` makes it) does everything
// itself: it mints tokens and runs the operator commands. The protocol
// binary (build tag lean, see build_lean.go) hands both to it.

// providers makes the config entries' real providers.
var providers router.Factory = builtin.Factory(builtin.Options{})

// handOffCommand is never needed: this build runs every command.
func handOffCommand(*env, []string) (int, bool) { return 0, false }

// protocolHelper is the helper as built.
func protocolHelper(_ *env, h credentials.Helper) credentials.Helper { return h }
