// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"errors"
	"strings"

	dch "github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-mint/mint/store"
)

// The wire errors that clients match byte for byte (after TrimSpace). They
// come from docker-credential-helpers so the texts can never drift.
var (
	// ErrNotFound is "credentials not found in native keychain".
	ErrNotFound = dch.NewErrCredentialsNotFound()
	// ErrMissingServerURL is "no credentials server URL".
	ErrMissingServerURL = dch.NewErrCredentialsMissingServerURL()
	// ErrMissingUsername is "no credentials username".
	ErrMissingUsername = dch.NewErrCredentialsMissingUsername()
)

// wireError turns err into the one line written to stdout: the exact wire
// text for the three standard cases (both store.ErrNotFound and ErrNotFound
// map to "not found"), otherwise err's text squeezed onto one line.
func wireError(err error) string {
	switch {
	case errors.Is(err, store.ErrNotFound), dch.IsErrCredentialsNotFound(err):
		return ErrNotFound.Error()
	case dch.IsCredentialsMissingServerURL(err):
		return ErrMissingServerURL.Error()
	case dch.IsCredentialsMissingUsername(err):
		return ErrMissingUsername.Error()
	}
	return OneLine(err.Error())
}

// OneLine puts a message on exactly one line: control characters (line
// breaks among them) become spaces and runs of white space one space. Every
// one-line error of this module goes through it.
func OneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
