// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package secretservice

import (
	"context"
	"fmt"
	"slices"

	"github.com/docker-credential-mint/mint/store"
)

// Available reports, cheaply and without prompting, whether a Secret Service
// is reachable on the session bus: the bus address is known and connectable,
// and org.freedesktop.secrets is owned or D-Bus-activatable. It returns nil
// or an error wrapping store.ErrUnavailable that names the fix. It does not
// look at whether the keyring is locked: operations report that.
func Available(ctx context.Context) error {
	b := New("", Options{})
	defer b.Close()
	return b.Available(ctx)
}

// Available is the package's Available for this Backend's bus; it keeps the
// connection for later operations.
func (b *Backend) Available(ctx context.Context) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	conn, err := b.connect(ctx)
	if err != nil {
		return fmt.Errorf("secretservice: %w", err)
	}
	bus := conn.BusObject()
	var owned bool
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, busName).Store(&owned); err != nil {
		return b.fail("probe", err)
	}
	if owned {
		return nil
	}
	var activatable []string
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
		return b.fail("probe", err)
	}
	if slices.Contains(activatable, busName) {
		return nil
	}
	return fmt.Errorf("secretservice: %w: %s", store.ErrUnavailable, msgNoService)
}
