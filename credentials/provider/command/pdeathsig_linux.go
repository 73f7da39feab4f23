// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package command

import "syscall"

// setPdeathsig has the kernel send SIGKILL to the command when the thread
// that started it exits; Run keeps that thread alive (LockOSThread) until
// the command has exited, so the signal comes when this process dies.
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
