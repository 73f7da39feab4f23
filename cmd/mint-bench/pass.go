// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"github.com/docker-credential-mint/mint/store/pass/passtest"
)

// startPass makes a throwaway gpg home and pass store and returns the
// environment that points pass at them, and how to remove them.
func startPass() ([]string, func(), error) {
	e, err := passtest.New(passtest.Options{})
	if err != nil {
		return nil, nil, err
	}
	return e.Environ(), track(func() { _ = e.Close() }), nil
}
