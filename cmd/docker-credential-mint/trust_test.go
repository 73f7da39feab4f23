// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBinary_untrustedConfig: with a config directory that others can
// write, both builds refuse every action, a static get included, in one
// line on stdout naming the directory and the chmod, and store nothing.
func TestBinary_untrustedConfig(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits say nothing of other users on Windows")
	}
	for _, b := range bothBuilds(t) {
		b.s.WriteConfig("keychain: file\n")
		dir := filepath.Join(b.s.Home, "config", "docker-credential-mint")
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		want := "refused: directory " + dir + " is writable by group or others (mode 0777); fix: chmod go-w " + dir
		for _, step := range [][2]string{
			{"get", "quay.io"},
			{"store", `{"ServerURL":"quay.io","Username":"u","Secret":"s3cret"}`},
			{"list", "unused"},
		} {
			out, errs, code := b.run(step[1], step[0])
			if code != 1 || errs != "" || strings.Count(out, "\n") != 1 || !strings.Contains(out, want) {
				t.Errorf("%s build, %s: exit %d, stdout %q, stderr %q; want one line containing %q", b.name, step[0], code, out, errs, want)
			}
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if out, _, code := b.run("unused", "list"); code != 0 || out != "{}\n" {
			t.Errorf("%s build: list after chmod: exit %d, %q; want {} (nothing stored)", b.name, code, out)
		}
	}
}
