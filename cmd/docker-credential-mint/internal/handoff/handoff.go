// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package handoff runs the full build in place of the protocol binary. The
// protocol binary (build tag lean) is what docker pull spawns: it links no
// HTTP, TLS or operator code, so that a get answered from the keychain or
// from a fresh cached token starts nearly as fast as an empty Go program.
// What it cannot do itself it hands to the full build, installed next to it
// as docker-credential-mint-full, by exec (same PID, same stdout):
//   - a get whose cached token is missing or due for refresh;
//   - every operator command (login, status, doctor, …).
package handoff

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
)

// Environment variables of the hand-off. Neither holds a secret.
const (
	EnvFull    = "DOCKER_CREDENTIAL_MINT_FULL"    // path of the full build
	envHandoff = "DOCKER_CREDENTIAL_MINT_HANDOFF" // set on hand-off; a second one is a loop
)

// ErrNoFullBuild is Run's error when the full build is found nowhere.
var ErrNoFullBuild = errors.New("no full build")

// Run runs the full build with args (the words after the program's name),
// request as its stdin (nil: this process's stdin), in place of this
// process. It returns only on failure, with a one-line error.
func Run(e *wire.Env, args []string, request []byte) error {
	if e.Getenv(envHandoff) != "" {
		self, _ := os.Executable()
		return fmt.Errorf("%s is a protocol-only build (it was handed the request it hands on): install the full build as %s", self, wire.FullBuildName)
	}
	full, err := fullPath(e)
	if err != nil {
		return err
	}
	e.Debugf("handing %q to %s", args, full)
	env := append(os.Environ(), envHandoff+"=1")
	return execWith(full, append([]string{full}, args...), env, request)
}

// fullPath finds the full build: $DOCKER_CREDENTIAL_MINT_FULL, else next to
// this executable, else in an absolute directory of PATH. Never in the
// current directory (an empty or relative PATH element, or a relative
// $DOCKER_CREDENTIAL_MINT_FULL): a program planted there would be handed
// the request, a login's password included.
func fullPath(e *wire.Env) (string, error) {
	if p := e.Getenv(EnvFull); p != "" {
		if !filepath.IsAbs(p) {
			return "", fmt.Errorf("%s=%s is not an absolute path: name the full build by its absolute path", EnvFull, p)
		}
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		if self, err = filepath.EvalSymlinks(self); err == nil {
			if p, ok := wire.LookIn(filepath.Dir(self), wire.FullBuildName); ok {
				return p, nil
			}
		}
	}
	if p, ok := e.LookPath(wire.FullBuildName); ok {
		return p, nil
	}
	return "", fmt.Errorf("this needs %s (minting tokens and operator commands live there), found neither next to this binary nor on PATH: install both binaries (make install)%w", wire.FullBuildName, noFullBuild{})
}

// noFullBuild wraps ErrNoFullBuild into fullPath's error without adding to
// its text.
type noFullBuild struct{}

func (noFullBuild) Error() string        { return "" }
func (noFullBuild) Is(target error) bool { return target == ErrNoFullBuild }
