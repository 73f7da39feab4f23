// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Command docker-credential-mint is a Docker credential helper: it keeps each
// registry's credential in the OS keychain (or an encrypted file where there
// is none) and answers the credential-helper protocol (store, get, erase,
// list, version) for the Docker CLI, containerd, crane, skopeo, podman, oras
// and regctl.
package main

import (
	"context"
	"os"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
)

// defaultTimeout bounds a whole invocation: a hung keychain or token endpoint
// must fail the pull, not hang it (clients such as the Docker CLI run the
// helper with no timeout of their own).
const defaultTimeout = 30 * time.Second

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin *os.File, stdout, stderr *os.File) int {
	env := newEnv(os.Getenv, stderr)
	if code, done := handOffCommand(env, args); done {
		return code
	}
	if len(args) >= 2 {
		if c, ok := commands[args[1]]; ok {
			// Operator commands may wait for a person (a prompt) and set
			// their own deadlines for network and keychain calls.
			return c.run(context.Background(), env, args[2:], stdin, stdout, stderr)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), env.timeout(defaultTimeout))
	defer cancel()
	return credentials.Serve(ctx, args, stdin, stdout, env.newHelper)
}
