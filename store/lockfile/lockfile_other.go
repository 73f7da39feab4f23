// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !unix && !windows

package lockfile

import "os"

// tryLock is a no-op where there is no file locking (js, wasip1, plan9):
// only the in-process lock applies there.
func tryLock(*os.File) error { return nil }

func unlockFile(*os.File) {}
