// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"context"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/keyring"
)

var platformBackendNames = []string{"keychain"}

var platformBackends = map[string]openFunc{
	"keychain": func(ctx context.Context, e *env, ns string) (store.Backend, error) {
		return keyring.New(ns, keyring.Options{})
	},
}

var platformProbes = map[string]probeFunc{
	"keychain": func(context.Context, *env) error { return nil },
}
