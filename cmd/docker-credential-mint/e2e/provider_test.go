// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExecProvider_Clients: a registry configured with the exec provider
// needs no login: crane, the Docker CLI and skopeo get the token the command
// prints, and the helper runs the command once while the token lives (it is
// cached, encrypted, across invocations).
func TestExecProvider_Clients(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "crane", "skopeo")
	needDockerd(t, e)
	containersSetup(t, e, r.host)

	// The token command lives with the registry, outside the scanned client
	// directories: it reads the password from a file there and counts its
	// runs.
	secretFile := filepath.Join(r.dir, "token")
	if err := os.WriteFile(secretFile, []byte(alicePW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(r.dir, "runs")
	script := filepath.Join(r.dir, "make-token")
	if err := os.WriteFile(script, []byte(fmt.Sprintf("#!/bin/sh\necho run >>%q\ncat %q\n", runs, secretFile)), 0o755); err != nil {
		t.Fatal(err)
	}
	e.writeMintConfig(execProviderConfig(r.host, script, "10s"))

	e.wantCred(r.host, "alice", alicePW)
	ref := r.host + "/alice/exec:1"
	cranePush(t, e, ref)
	wantCraneTags(t, e, r.host+"/alice/exec", "1")
	e.run("", "docker", "pull", ref)
	t.Cleanup(func() { e.exec("", "", "docker", "rmi", "-f", ref) })
	skopeoInspect(t, e, ref)

	b, _ := os.ReadFile(runs)
	if n := strings.Count(string(b), "run"); n != 1 {
		t.Errorf("token command ran %d times, want once (the token lives 10m)", n)
	}
	// A host the config does not claim is still "not found".
	e.wantNoCred("127.0.0.1:1")
}

// execProviderConfig is a helper config that has the exec provider run
// script for host, with the given timeout; the token, printed plain, is
// alice's and lives 10m.
func execProviderConfig(host, script, timeout string) string {
	return fmt.Sprintf(`registries:
  - match: %s
    provider: exec
    command: [%q]
    format: plain
    username: alice
    lifetime: 10m
    timeout: %s
`, host, script, timeout)
}

// TestExecProvider_HungCommand: a token command that hangs fails the pull
// within its timeout, with an error that names the registry; it never hangs
// the client. (It should leave no process behind either: see the cleanup.)
func TestExecProvider_HungCommand(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "crane")

	// A unique sleep argument finds the command's child afterwards.
	marker := "3600." + fmt.Sprint(time.Now().UnixNano()%1000000000)
	script := filepath.Join(r.dir, "hang")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep "+marker+"\necho never\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, pid := range pidsUsing(marker) {
			// The command provider kills the command's whole process
			// group; a surviving child would hold its stdout open.
			t.Errorf("the hung token command's child (pid %d) outlived the helper", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	e.writeMintConfig(execProviderConfig(r.host, script, "2s"))

	start := time.Now()
	out := e.fail("", "crane", "ls", r.host+"/alice/x")
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("crane ls with a hung token command took %v, want about the 2s timeout", d)
	}
	if !strings.Contains(out, r.host) {
		t.Errorf("crane ls output does not name the registry:\n%s", redact(out))
	}
}
