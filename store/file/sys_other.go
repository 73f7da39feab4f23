// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package file

import (
	"fmt"
	"os"

	"github.com/docker-credential-mint/mint/store"
)

// tryLock fails: this platform has no file lock the store trusts, so the
// store is read-only here.
func tryLock(*os.File) (bool, error) {
	return false, fmt.Errorf("no file locking: %w", store.ErrUnsupportedPlatform)
}

func unlock(*os.File) error { return nil }

// openRead opens a store file for reading.
func openRead(path string) (*os.File, error) { return os.Open(path) }

// replace renames tmp over path.
func replace(tmp, path string) error { return os.Rename(tmp, path) }

// syncDir makes a rename in dir durable where the platform can.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	d.Sync() // best effort
	return d.Close()
}
