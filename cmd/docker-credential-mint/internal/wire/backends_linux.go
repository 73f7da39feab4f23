// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package wire

import (
	"context"
	"time"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/pass"
	"github.com/docker-credential-mint/mint/store/secretservice"
)

// probeTimeout bounds how long auto waits for a keychain to answer before
// moving on: a session bus that does not answer in 2 s is not usable for a
// docker pull.
const probeTimeout = 2 * time.Second

// PlatformBackends lists this OS's keychains in the order auto tries them.
var PlatformBackends = []string{"secretservice", "pass"}

var platformOpen = map[string]openFunc{
	"secretservice": func(ctx context.Context, ns string) (store.Backend, error) {
		return secretservice.New(ns, secretservice.Options{}), nil
	},
	"pass": func(ctx context.Context, ns string) (store.Backend, error) {
		return pass.New(ns, pass.Options{}), nil
	},
}

var platformProbes = map[string]probeFunc{
	"secretservice": func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		return secretservice.Available(ctx)
	},
	"pass": func(ctx context.Context) error { return pass.Available(ctx) },
}
