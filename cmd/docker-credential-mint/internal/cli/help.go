// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
)

// The help command lists the protocol actions and every operator command.
// It answers "help", "--help" and "-h"; with a command name it shows that
// command's --help. A wrong number of arguments to the protocol still gets
// the protocol's one-line usage, as clients expect.

var helpUsage = usage{
	name:     "help",
	synopsis: "[COMMAND]",
	text:     "Lists the credential-helper actions and the operator commands; with a command, shows its help.",
	examples: []string{"docker-credential-mint help", "docker-credential-mint help login"},
}

func runHelp(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags(helpUsage)
	pos, code, done := parseArgs(helpUsage, fs, args, stdout, stderr)
	if done {
		return code
	}
	switch len(pos) {
	case 0:
		writeHelp(stdout)
		return 0
	case 1:
		c, ok := commands()[pos[0]]
		if !ok || strings.HasPrefix(pos[0], "-") {
			return usageError(stderr, helpUsage, "unknown command %q", pos[0])
		}
		if pos[0] == "help" {
			printUsage(stdout, helpUsage, fs)
			return 0
		}
		return c.run(ctx, e, []string{"--help"}, stdin, stdout, stderr)
	default:
		return usageError(stderr, helpUsage, "want at most one command, got %d arguments", len(pos))
	}
}

// writeHelp prints the whole usage: protocol actions, then commands.
func writeHelp(w io.Writer) {
	fmt.Fprint(w, `docker-credential-mint: one Docker credential helper for every registry.

Credential-helper protocol (Docker, containerd, crane, skopeo, podman, oras, regctl run these):
  docker-credential-mint store     store the credential read from stdin as JSON
  docker-credential-mint get       print the credential for the server URL on stdin
  docker-credential-mint erase     remove the credential for the server URL on stdin
  docker-credential-mint list      print every server URL and username as JSON
  docker-credential-mint version   print the version

Commands:
`)
	names := commandNames()
	width := 0
	for _, n := range names {
		if !strings.HasPrefix(n, "-") && len(n) > width {
			width = len(n)
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "-") {
			continue
		}
		fmt.Fprintf(w, "  docker-credential-mint %-*s   %s\n", width, n, commands()[n].summary)
	}
	fmt.Fprint(w, `
Run "docker-credential-mint COMMAND --help" for a command's flags and examples.
Environment: DOCKER_CREDENTIAL_MINT_KEYCHAIN, DOCKER_CREDENTIAL_MINT_CONFIG, DOCKER_CONFIG, DOCKER_CREDENTIAL_MINT_DEBUG=1.
`)
}
