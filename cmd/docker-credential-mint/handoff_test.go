// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
)

// TestLean_plantedFullBuild: with an empty element in PATH, a
// docker-credential-mint-full planted in the current directory received a
// login's password on stdin. The protocol binary, with no full build next
// to it, must not run it: it fails in one line, and the password goes
// nowhere.
func TestLean_plantedFullBuild(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a shell script stands for the planted program")
	}
	s := newLeanSandbox(t, false)
	cwd := t.TempDir()
	stolen := filepath.Join(cwd, "stolen")
	planted := "#!/bin/sh\ncat > " + stolen + "\n"
	if err := os.WriteFile(filepath.Join(cwd, wire.FullBuildName), []byte(planted), 0o755); err != nil {
		t.Fatal(err)
	}
	const password = "hunter2-planted-canary"
	for _, path := range []string{":/usr/bin:/bin", "/usr/bin:/bin:", ".:/usr/bin:/bin", "/usr/bin::/bin"} {
		for _, args := range [][]string{{"login", "quay.io", "--username", "u", "--password-stdin"}, {"status"}} {
			cmd := exec.Command(s.bin, args...)
			cmd.Dir = cwd
			cmd.Env = append(clitest.WithoutVar(s.Env, "PATH"), "PATH="+path)
			cmd.Stdin = strings.NewReader(password + "\n")
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			if _, statErr := os.Stat(stolen); statErr == nil {
				b, _ := os.ReadFile(stolen)
				t.Fatalf("PATH=%q %v: the planted full build ran and read %q", path, args, b)
			}
			if err == nil || strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), "install both binaries") {
				t.Errorf("PATH=%q %v: %v, stdout %q, stderr %q; want a one-line failure", path, args, err, out.String(), errb.String())
			}
			if strings.Contains(out.String()+errb.String(), password) {
				t.Errorf("PATH=%q %v printed the password", path, args)
			}
		}
	}
}
