// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Command docker-credential-mint is a Docker credential helper: it keeps each
// registry's credential in the OS keychain (or an encrypted file where there
// is none) and answers the credential-helper protocol (store, get, erase,
// list, version) for the Docker CLI, containerd, crane, skopeo, podman, oras
// and regctl.
//
// This package is the protocol seam. Two builds share it: the full build
// (full.go, what go install makes) mints tokens and runs the operator
// commands of package cli; the protocol binary (lean.go, build tag lean),
// which every docker pull spawns, links neither and hands what it cannot
// answer to the full build.
package main

import (
	"context"
	"os"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/nodump"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
	"github.com/docker-credential-mint/mint/credentials"
)

func main() {
	// Before anything holds a secret: no core dump, not dumpable (package
	// nodump). A failure leaves the helper working, as before.
	_ = nodump.Set()
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin *os.File, stdout, stderr *os.File) int {
	e := newEnv(os.Getenv, stderr)
	if len(args) >= 2 && !isProtocol(args[1]) {
		// Operator commands may wait for a person (a prompt) and set
		// their own deadlines for network and keychain calls.
		if code, ok := operate(context.Background(), e, args[1:], stdin, stdout, stderr); ok {
			return code
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.Timeout(wire.DefaultTimeout))
	defer cancel()
	return credentials.Serve(ctx, args, stdin, stdout, protocolHelper(e))
}

// isProtocol reports whether verb is a protocol action that this program
// serves itself, whichever the build.
func isProtocol(verb string) bool {
	switch verb {
	case credentials.ActionStore, credentials.ActionGet, credentials.ActionErase, credentials.ActionList, credentials.ActionVersion, "--version", "-v":
		return true
	}
	return false
}
