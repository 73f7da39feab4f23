// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package command

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

// pollBound is how long these tests wait for a process to appear or go:
// only a process that never does fails them.
const pollBound = 30 * time.Second

// pidFile sets $MINT_PIDFILE for the children and kills, when the test
// ends, every process recorded in it.
func pidFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pids")
	t.Setenv("MINT_PIDFILE", path)
	t.Cleanup(func() {
		for _, pid := range readPids(path) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return path
}

// readPids returns the pids in a pid file: each line is "parent child".
func readPids(path string) []int {
	b, _ := os.ReadFile(path)
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: trust kill(0)
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// waitFor polls cond until it holds or pollBound passes.
func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(pollBound)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// TestExec_backgroundChildKeepsStdout: a command that prints its token and
// exits 0, leaving a child that holds stdout open, is answered with what
// it printed (it used to fail after waitDelay: "WaitDelay expired before
// I/O complete").
func TestExec_backgroundChildKeepsStdout(t *testing.T) {
	pids := pidFile(t)
	p := childProvider(t, "bg-child", 0)
	tok, err := p.Token(context.Background(), host, &store.Entry{Secret: "12345"})
	if err != nil || tok.Secret != "printed-before-exit" {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	if got := readPids(pids); len(got) != 2 || !alive(got[1]) {
		t.Errorf("the background child %v should still run (only its output is not waited for)", got)
	}
}

// startRunner starts this test binary as a helper running the command
// "spawn", which starts a child of its own; it returns the helper's
// process and the pids of the command and its child once both run.
func startRunner(t *testing.T) (*os.Process, int, int) {
	t.Helper()
	pids := pidFile(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	attr := &os.ProcAttr{Env: append(os.Environ(), "MINT_COMMAND_CHILD=runner"), Files: []*os.File{nil, nil, os.Stderr}}
	runner, err := os.StartProcess(exe, []string{exe, "-test.run=^$"}, attr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = runner.Kill(); _, _ = runner.Wait() })
	if !waitFor(func() bool { return len(readPids(pids)) == 2 }) {
		t.Fatal("the command did not start its child")
	}
	got := readPids(pids)
	return runner, got[0], got[1]
}

// TestExec_helperTerminatedKillsGroup: a helper ended by SIGTERM (or
// SIGINT, SIGHUP) while a command runs ends the command's whole process
// group first, and still dies of the signal.
func TestExec_helperTerminatedKillsGroup(t *testing.T) {
	runner, command, child := startRunner(t)
	if err := runner.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	st, err := runner.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("helper ended with %v, want killed by SIGTERM", st)
	}
	if !waitFor(func() bool { return !alive(command) && !alive(child) }) {
		t.Errorf("after the helper's SIGTERM: command %d alive %v, its child %d alive %v", command, alive(command), child, alive(child))
	}
}
