// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package wire

import (
	"context"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/keyring"
)

var PlatformBackends = []string{"wincred"}

var platformOpen = map[string]openFunc{
	"wincred": func(ctx context.Context, ns string) (store.Backend, error) {
		return keyring.New(ns, keyring.Options{})
	},
}

var platformProbes = map[string]probeFunc{
	"wincred": func(context.Context) error { return nil },
}
