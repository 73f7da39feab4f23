// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatalf("WriteFile = %v", err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "new" {
		t.Errorf("contents = %q, %v; want new", b, err)
	}
	// Windows keeps no permission bits, only a read-only attribute: a
	// writable file reads back as 0666 whatever mode it was written with.
	want := os.FileMode(0o600)
	if runtime.GOOS == "windows" {
		want = 0o666
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != want {
		t.Errorf("mode = %v, want %v", fi.Mode().Perm(), want)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d files, want 1 (no temporary left)", len(ents))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), []byte("x"), 0o600); err == nil {
		t.Errorf("WriteFile into a missing directory succeeded")
	}
}
