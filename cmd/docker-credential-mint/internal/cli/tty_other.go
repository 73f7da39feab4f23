// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !linux && !darwin

package cli

import (
	"errors"
	"os"
)

// isTerminal reports false: on this OS login reads the password only with
// --password-stdin.
func isTerminal(*os.File) bool { return false }

func noEcho(*os.File) (func(), error) {
	return nil, errors.New("cannot turn off echo on this OS; use --password-stdin")
}
