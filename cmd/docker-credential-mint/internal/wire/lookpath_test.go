// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package wire

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestEnv_LookPath_relative: a program in the current directory is never
// found through an empty or relative PATH element; one in an absolute
// directory is.
func TestEnv_LookPath_relative(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a shell script stands for the program")
	}
	cwd := t.TempDir()
	for _, dir := range []string{cwd, filepath.Join(cwd, "bin")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, FullBuildName), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(cwd)
	sep := string(os.PathListSeparator)
	for _, path := range []string{"", sep, ".", "./", "bin", "./bin", "/nonexistent" + sep + sep + "/also-not", sep + "/nonexistent", "/nonexistent" + sep + "."} {
		e := New(func(k string) string {
			if k == "PATH" {
				return path
			}
			return ""
		}, io.Discard)
		if p, ok := e.LookPath(FullBuildName); ok {
			t.Errorf("LookPath with PATH=%q found %s in the current directory", path, p)
		}
	}
	e := New(func(k string) string {
		if k == "PATH" {
			return "." + sep + filepath.Join(cwd, "bin")
		}
		return ""
	}, io.Discard)
	if p, ok := e.LookPath(FullBuildName); !ok || p != filepath.Join(cwd, "bin", FullBuildName) {
		t.Errorf("LookPath = %q, %v; want the program in the absolute PATH element", p, ok)
	}
}
