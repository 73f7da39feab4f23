// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package nodump

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Set sets RLIMIT_CORE to 0 and clears the process's dumpable flag. An
// error means the process may still dump core; the helper works on.
func Set() error {
	return errors.Join(
		unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}),
		unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0),
	)
}
