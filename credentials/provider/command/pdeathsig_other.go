// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix && !linux

package command

import "syscall"

// setPdeathsig does nothing: only Linux (and FreeBSD, whose semantics
// differ) can tie a child's life to its parent's.
func setPdeathsig(*syscall.SysProcAttr) {}
