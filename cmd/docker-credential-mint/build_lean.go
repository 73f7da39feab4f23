// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build lean

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/store"
)

// The protocol binary (build tag lean) is what docker pull spawns. It links
// no HTTP, TLS or exec code, so that a get answered from the keychain or
// from a fresh cached token starts nearly as fast as an empty Go program.
// What it cannot do itself it hands to the full build, installed next to it
// as docker-credential-mint-full, by exec (same PID, same stdout):
//   - a get whose cached token is missing or due for refresh;
//   - every operator command (login, status, doctor, …).

// Environment variables of the hand-off. Neither holds a secret.
const (
	envFull    = "DOCKER_CREDENTIAL_MINT_FULL"    // path of the full build
	envHandoff = "DOCKER_CREDENTIAL_MINT_HANDOFF" // set on hand-off; a second one is a loop
)

// providers gives every minting entry provider.Handoff: fresh cached tokens
// are served here, the rest goes to the full build.
var providers = func(reg credentials.Registry, _ store.Backend, _ func() time.Time) (provider.Provider, error) {
	switch reg.Provider {
	case credentials.ProviderExec, credentials.ProviderOAuth2, credentials.ProviderRegistry:
		return provider.Handoff, nil
	}
	return nil, fmt.Errorf("%w: %s", provider.ErrUnsupported, reg.Provider)
}

// handOffCommand execs the full build for anything but a protocol action;
// it returns only when that fails.
func handOffCommand(e *env, args []string) (int, bool) {
	if len(args) >= 2 {
		switch args[1] {
		case "store", "get", "erase", "list", "version":
			return 0, false
		}
	}
	err := handOff(e, args[1:], nil)
	fmt.Fprintln(e.stderr, "docker-credential-mint: "+err.Error())
	return 1, true
}

// protocolHelper wraps h so that a get whose token must be minted is handed
// to the full build.
func protocolHelper(e *env, h credentials.Helper) credentials.Helper {
	return &handOffHelper{Helper: h, e: e}
}

type handOffHelper struct {
	credentials.Helper
	e *env
}

func (h *handOffHelper) Get(ctx context.Context, serverURL string) (credentials.Credentials, error) {
	c, err := h.Helper.Get(ctx, serverURL)
	if errors.Is(err, provider.ErrHandoff) {
		err = handOff(h.e, []string{"get"}, []byte(serverURL+"\n"))
	}
	return c, err
}

// handOff runs the full build with args, request as its stdin (nil: this
// process's stdin), in place of this process. It returns only on failure.
func handOff(e *env, args []string, request []byte) error {
	if e.getenv(envHandoff) != "" {
		self, _ := os.Executable()
		return fmt.Errorf("%s is a protocol-only build (it was handed the request it hands on): install the full build as %s", self, fullBuildName)
	}
	full, err := fullPath(e)
	if err != nil {
		return err
	}
	e.debugf("handing %q to %s", args[0], full)
	env := append(os.Environ(), envHandoff+"=1")
	return execWith(full, append([]string{full}, args...), env, request)
}

// fullPath finds the full build: $DOCKER_CREDENTIAL_MINT_FULL, else next to
// this executable, else on PATH.
func fullPath(e *env) (string, error) {
	if p := e.getenv(envFull); p != "" {
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		if self, err = filepath.EvalSymlinks(self); err == nil {
			if p, ok := lookIn(filepath.Dir(self), fullBuildName); ok {
				return p, nil
			}
		}
	}
	if p, ok := e.lookPath(fullBuildName); ok {
		return p, nil
	}
	return "", fmt.Errorf("this needs %s (minting tokens and operator commands live there), found neither next to this binary nor on PATH: install both binaries (make install)", fullBuildName)
}
