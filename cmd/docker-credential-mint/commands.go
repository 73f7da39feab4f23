// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"context"
	"io"
	"sort"
)

// command is an operator command beyond the protocol (login, status, …).
// Their files carry //go:build !lean: the protocol binary links none of them
// and hands every command to the full build (build_lean.go).
// The protocol actions never go through here, so none of this adds work to
// the get path: a command's file registers it in init with a plain map
// assignment and does all its work when run.
type command struct {
	// summary is the one-line description in the command list.
	summary string
	// run runs the command with args (after the command name) and returns
	// the exit status. Errors are one line on stderr: these commands talk
	// to people, not to credential-helper clients.
	run func(ctx context.Context, e *env, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

// commandNames returns the registered commands, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
