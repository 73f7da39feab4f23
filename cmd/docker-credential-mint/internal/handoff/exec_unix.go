// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package handoff

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// execWith replaces this process with path: the client keeps talking to
// the same PID and the same pipes. A request becomes the new program's
// stdin through a pipe (it is small: a server URL, far below the pipe's
// buffer, so the write cannot block).
func execWith(path string, argv, env []string, request []byte) error {
	if request != nil {
		var p [2]int
		if err := unix.Pipe(p[:]); err != nil {
			return fmt.Errorf("hand off to %s: %w", path, err)
		}
		_, werr := unix.Write(p[1], request)
		unix.Close(p[1])
		if werr == nil {
			werr = unix.Dup2(p[0], 0)
		}
		unix.Close(p[0])
		if werr != nil {
			return fmt.Errorf("hand off to %s: %w", path, werr)
		}
	}
	if err := unix.Exec(path, argv, env); err != nil {
		return fmt.Errorf("hand off to %s: %w", path, err)
	}
	return nil
}
