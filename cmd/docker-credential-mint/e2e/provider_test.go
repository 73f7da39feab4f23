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
	needHelper(t)
	needTools(t, "crane", "skopeo")
	e := newEnv(t)
	needDockerd(t, e)
	r := startRegistry(t, map[string]string{"alice": alicePW})
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
	cfg := filepath.Join(e.root, "mint.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`registries:
  - match: %s
    provider: exec
    command: [%q]
    format: plain
    username: alice
    lifetime: 10m
    timeout: 10s
`, r.host, script)), 0o600); err != nil {
		t.Fatal(err)
	}
	e.setenv("DOCKER_CREDENTIAL_MINT_CONFIG", cfg)

	e.wantCred(r.host, "alice", alicePW)
	ref := r.host + "/alice/exec:1"
	cranePush(t, e, ref)
	if out := e.run("", "crane", "ls", r.host+"/alice/exec"); strings.TrimSpace(out) != "1" {
		t.Errorf("crane ls = %q, want 1", out)
	}
	e.run("", "docker", "pull", ref)
	t.Cleanup(func() { e.exec("", "", "docker", "rmi", "-f", ref) })
	e.run("", "skopeo", "inspect", "--tls-verify=false", "docker://"+ref)

	b, _ := os.ReadFile(runs)
	if n := strings.Count(string(b), "run"); n != 1 {
		t.Errorf("token command ran %d times, want once (the token lives 10m)", n)
	}
	// A host the config does not claim is still "not found".
	e.wantNoCred("127.0.0.1:1")
}

// TestExecProvider_HungCommand: a token command that hangs fails the pull
// within its timeout, with an error that names the registry; it never hangs
// the client. (It should leave no process behind either: see the cleanup.)
func TestExecProvider_HungCommand(t *testing.T) {
	t.Parallel()
	needHelper(t)
	needTools(t, "crane")
	e := newEnv(t)
	r := startRegistry(t, map[string]string{"alice": alicePW})
	e.writeDockerConfig(configName, nil)

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
	cfg := filepath.Join(e.root, "mint.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`registries:
  - match: %s
    provider: exec
    command: [%q]
    format: plain
    username: alice
    lifetime: 10m
    timeout: 2s
`, r.host, script)), 0o600); err != nil {
		t.Fatal(err)
	}
	e.setenv("DOCKER_CREDENTIAL_MINT_CONFIG", cfg)

	start := time.Now()
	out := e.fail("", "crane", "ls", r.host+"/alice/x")
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("crane ls with a hung token command took %v, want about the 2s timeout", d)
	}
	if !strings.Contains(out, r.host) {
		t.Errorf("crane ls output does not name the registry:\n%s", redact(out))
	}
}
