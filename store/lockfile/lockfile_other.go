// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !unix && !windows

package lockfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// fallbackDir is DefaultDir without a cache directory: none, so locks
// exclude within the process only (there is no file locking here anyway).
func fallbackDir() string { return "" }

// openLock opens dir/name, creating both when missing (js, wasip1, plan9:
// no file locking, no file ownership to check).
func openLock(dir, name string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lockfile: create lock directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lockfile: open lock file: %w", err)
	}
	return f, nil
}

// tryLock is a no-op where there is no file locking (js, wasip1, plan9):
// only the in-process lock applies there.
func tryLock(*os.File) error { return nil }

func unlockFile(*os.File) {}
