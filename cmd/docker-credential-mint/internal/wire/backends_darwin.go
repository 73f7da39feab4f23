// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package wire

import (
	"context"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/keyring"
)

var PlatformBackends = []string{"keychain"}

var platformOpen = map[string]openFunc{
	"keychain": func(ctx context.Context, ns string) (store.Backend, error) {
		return keyring.New(ns, keyring.Options{})
	},
}

var platformProbes = map[string]probeFunc{
	"keychain": func(context.Context) error { return nil },
}
