// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !unix

package command

import "os/exec"

// killGroup leaves exec's default: kill the process itself.
func killGroup(*exec.Cmd) {}

// track does nothing: there are no process groups to kill.
func track(int) (untrack func()) { return func() {} }
