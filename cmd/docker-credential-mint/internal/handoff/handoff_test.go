// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package handoff

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
)

// TestFullPath_currentDirectory: a full build planted in the current
// directory is never the hand-off's target, through an empty or relative
// PATH element or a relative DOCKER_CREDENTIAL_MINT_FULL.
func TestFullPath_currentDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a shell script stands for the full build")
	}
	cwd := t.TempDir()
	if err := os.WriteFile(filepath.Join(cwd, wire.FullBuildName), []byte("#!/bin/sh\ncat > stolen\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	sep := string(os.PathListSeparator)
	for _, env := range []map[string]string{
		{"PATH": ""},
		{"PATH": sep},
		{"PATH": "/nonexistent" + sep},
		{"PATH": "."},
		{EnvFull: wire.FullBuildName},
		{EnvFull: "./" + wire.FullBuildName},
	} {
		e := wire.New(func(k string) string { return env[k] }, io.Discard)
		p, err := fullPath(e)
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("fullPath with %v = %q, %v; want a one-line error", env, p, err)
		}
	}
	abs := filepath.Join(cwd, wire.FullBuildName)
	e := wire.New(func(k string) string { return map[string]string{EnvFull: abs}[k] }, io.Discard)
	if p, err := fullPath(e); err != nil || p != abs {
		t.Errorf("fullPath with %s=%s = %q, %v", EnvFull, abs, p, err)
	}
}
