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

// commands is every operator command by name; help's own entries are added
// by init (help lists this table, so it cannot be in it).
var commands = map[string]command{
	"configure": {summary: "set credsStore/credHelpers to mint in the Docker (and containers) config; --undo", run: runConfigure},
	"doctor":    {summary: "find what breaks pulls and say how to fix it", run: runDoctor},
	"export":    {summary: "write current credentials as a Kubernetes Secret or a config.json (holds secrets)", run: runExport},
	"import":    {summary: "move plaintext auths from config.json into the keychain", run: runImport},
	"kubelet":   {summary: "kubelet image credential provider (CredentialProviderRequest on stdin)", run: runKubelet},
	"login":     {summary: "store a registry's root credential (and prove it by minting a token)", run: runLogin},
	"logout":    {summary: "remove a registry's root credential and its cached tokens", run: runLogout},
	"status":    {summary: "list stored registries, providers and token expiry (no secrets)", run: runStatus},
}

func init() {
	help := command{summary: "show this help, or a command's help", run: runHelp}
	commands["help"] = help
	commands["--help"] = help
	commands["-h"] = help
}

// Run runs the operator command args[0] with the rest of args; ok is false
// when args[0] names no command (the protocol answers it).
func Run(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	c, ok := commands[args[0]]
	if !ok {
		return 0, false
	}
	return c.run(ctx, e, args[1:], stdin, stdout, stderr), true
}

// commandNames returns the registered commands, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
