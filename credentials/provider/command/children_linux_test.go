// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package command

import (
	"testing"
)

// TestExec_helperKilledKillsCommand: on Linux a command does not outlive a
// helper killed by SIGKILL (which it cannot catch): the kernel kills the
// command (Pdeathsig).
func TestExec_helperKilledKillsCommand(t *testing.T) {
	runner, command, _ := startRunner(t)
	if err := runner.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = runner.Wait()
	if !waitFor(func() bool { return !alive(command) }) {
		t.Errorf("command %d still runs after its helper was killed", command)
	}
}
