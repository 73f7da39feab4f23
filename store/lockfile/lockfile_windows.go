// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build windows

package lockfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// fallbackDir is DefaultDir when %LocalAppData% is not set: the user's own
// temporary directory (%TEMP% lives in the user's profile on Windows).
func fallbackDir() string {
	return filepath.Join(os.TempDir(), dirName)
}

// openLock opens dir/name for locking, creating dir and the file when
// missing. Windows creates no symbolic link for an unprivileged user by
// default, and the user's profile directories are closed to others.
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

// tryLock takes an exclusive lock on f's first byte without blocking;
// errLocked when another handle holds it. Windows drops the lock when the
// holder's handle closes, also when the process dies.
func tryLock(f *os.File) error {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}

func unlockFile(f *os.File) {
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}
