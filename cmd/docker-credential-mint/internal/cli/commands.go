// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package cli is the operator commands beyond the protocol: login, logout,
// status, doctor, configure, import, export, kubelet and help. Only the
// full build links it; the protocol binary hands every command to the full
// build. Errors are one line on stderr: these commands talk to people, not
// to credential-helper clients.
package cli

import (
	"context"
	"io"
	"sort"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
)

// command is an operator command.
type command struct {
	// summary is the one-line description in the command list.
	summary string
	// run runs the command with args (after the command name) and returns
	// the exit status.
	run func(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands returns the table of every operator command by name. It is a
// function, not a variable, because help lists the table it is in.
func commands() map[string]command {
	help := command{summary: "show this help, or a command's help", run: runHelp}
	return map[string]command{
		"help":      help,
		"--help":    help,
		"-h":        help,
		"configure": {summary: "set credsStore/credHelpers to mint in the Docker (and containers) config; --undo", run: runConfigure},
		"doctor":    {summary: "find what breaks pulls and say how to fix it", run: runDoctor},
		"export":    {summary: "write current credentials as a Kubernetes Secret or a config.json (holds secrets)", run: runExport},
		"import":    {summary: "move plaintext auths from config.json into the keychain", run: runImport},
		"kubelet":   {summary: "kubelet image credential provider (CredentialProviderRequest on stdin)", run: runKubelet},
		"login":     {summary: "store a registry's root credential (and prove it by minting a token)", run: runLogin},
		"logout":    {summary: "remove a registry's root credential and its cached tokens", run: runLogout},
		"status":    {summary: "list every registry the helper answers for: provider, token expiry, what is missing (no secrets)", run: runStatus},
	}
}

// Run runs the operator command args[0] with the rest of args; ok is false
// when args[0] names no command (the protocol answers it).
func Run(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	c, ok := commands()[args[0]]
	if !ok {
		return 0, false
	}
	return c.run(ctx, e, args[1:], stdin, stdout, stderr), true
}

// commandNames returns the registered commands, sorted.
func commandNames() []string {
	table := commands()
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
