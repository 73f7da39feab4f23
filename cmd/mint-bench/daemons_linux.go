// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"github.com/docker-credential-mint/mint/store/secretservice/sstest"
)

// startKeyring starts a private session bus with a throwaway
// gnome-keyring-daemon and returns its address and how to stop both.
func startKeyring() (string, func(), error) {
	e, err := sstest.New(sstest.Options{})
	if err != nil {
		return "", nil, err
	}
	return e.Address, track(func() { _ = e.Close() }), nil
}
