// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package command

import (
	"os/exec"
	"syscall"
)

// killGroup makes cmd a process group leader and kills the whole group when
// its context ends: a token command is often a script whose children would
// otherwise outlive it and hold its stdout open.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
