// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix && !linux

package nodump

import "golang.org/x/sys/unix"

// Set sets RLIMIT_CORE to 0 (Linux's dumpable flag has no equivalent
// here). An error means the process may still dump core; the helper works
// on.
func Set() error {
	return unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0})
}
