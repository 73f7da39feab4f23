// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package sstest starts a private D-Bus session bus with a throwaway
// gnome-keyring-daemon for tests, so that tests of the Secret Service
// backend (and end-to-end tests of the helper) never touch the user's own
// keyring.
//
//	func TestX(t *testing.T) {
//		env := sstest.Start(t, sstest.Options{})
//		b := secretservice.New("ns", secretservice.Options{Address: env.Address})
//		...
//	}
//
// A child process (the helper binary) gets the bus with cmd.Env = env.Environ().
//
// The package is Linux-only; elsewhere it is empty.
package sstest
