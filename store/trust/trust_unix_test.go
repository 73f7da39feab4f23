// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package trust

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store/usertest"
)

// check runs FileAndDir and OpenedFile on path: both must give want
// ("" for no error), in one line, wrapping ErrUntrusted.
func check(t *testing.T, path, want string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, err := range map[string]error{"FileAndDir": FileAndDir(path), "OpenedFile": OpenedFile(path, f)} {
		switch {
		case want == "" && err != nil:
			t.Errorf("%s(%s) = %v, want nil", name, path, err)
		case want == "":
		case err == nil:
			t.Errorf("%s(%s) = nil, want an error containing %q", name, path, want)
		case !errors.Is(err, ErrUntrusted) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), want):
			t.Errorf("%s(%s) = %q, want one line containing %q, wrapping ErrUntrusted", name, path, err, want)
		}
	}
}

func TestFileAndDir_modes(t *testing.T) {
	self := os.Geteuid()
	for _, tc := range []struct {
		name          string
		dirMode, mode os.FileMode
		want          string // "" for trusted; $F the file, $D its directory
	}{
		{"private", 0o700, 0o600, ""},
		{"readable by all", 0o755, 0o644, ""},
		{"read-only", 0o555, 0o444, ""},
		{"group-writable file", 0o700, 0o660, "$F is writable by group or others (mode 0660); fix: chmod go-w $F"},
		{"world-writable file", 0o700, 0o666, "$F is writable by group or others (mode 0666); fix: chmod go-w $F"},
		{"group-writable directory", 0o770, 0o600, "directory $D is writable by group or others (mode 0770); fix: chmod go-w $D"},
		{"sticky world-writable directory", os.ModeSticky | 0o777, 0o600, "directory $D is writable by group or others (mode 1777); fix: chmod go-w $D"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := usertest.Mkdir(t, filepath.Join(t.TempDir(), "d"), tc.dirMode|0o200, self)
			f := usertest.WriteFile(t, filepath.Join(dir, "config.yaml"), "x", tc.mode, self)
			if err := os.Chmod(dir, tc.dirMode); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
			check(t, f, strings.NewReplacer("$F", f, "$D", dir).Replace(tc.want))
		})
	}
}

// TestFileAndDir_rootOwned: a file and directory of root are trusted by
// every user.
func TestFileAndDir_rootOwned(t *testing.T) {
	check(t, "/etc/passwd", "")
}

// TestFileAndDir_symlink: a symbolic link into a directory that others can
// write is refused; into a safe one, accepted.
func TestFileAndDir_symlink(t *testing.T) {
	self := os.Geteuid()
	open := usertest.Mkdir(t, filepath.Join(t.TempDir(), "open"), 0o777, self)
	target := usertest.WriteFile(t, filepath.Join(open, "config.yaml"), "x", 0o600, self)
	link := usertest.Symlink(t, target, filepath.Join(t.TempDir(), "config.yaml"), self)
	check(t, link, "directory "+open+" is writable by group or others (mode 0777)")

	safe := usertest.Mkdir(t, filepath.Join(t.TempDir(), "safe"), 0o755, self)
	target = usertest.WriteFile(t, filepath.Join(safe, "config.yaml"), "x", 0o600, self)
	check(t, usertest.Symlink(t, target, filepath.Join(t.TempDir(), "config.yaml"), self), "")
}

// TestFileAndDir_otherUser: a file or directory of another user is
// refused, whoever runs the check (root, here, with nobody's files; the
// check as nobody of root's files is TestFileAndDir_rootOwned).
func TestFileAndDir_otherUser(t *testing.T) {
	usertest.NeedRoot(t)
	base := usertest.SharedDir(t)
	dir := usertest.Mkdir(t, filepath.Join(base, "theirs"), 0o755, usertest.Nobody)
	f := usertest.WriteFile(t, filepath.Join(dir, "config.yaml"), "x", 0o644, 0)
	check(t, f, "directory "+dir+" belongs to uid 65534, not to this user (uid 0) or root; fix: chown 0 "+dir)
	mine := usertest.Mkdir(t, filepath.Join(base, "mine"), 0o755, 0)
	f = usertest.WriteFile(t, filepath.Join(mine, "config.yaml"), "x", 0o644, usertest.Nobody)
	check(t, f, f+" belongs to uid 65534, not to this user (uid 0) or root; fix: chown 0 "+f)
}

func TestFileAndDir_missing(t *testing.T) {
	if err := FileAndDir(filepath.Join(t.TempDir(), "absent")); err != nil {
		t.Errorf("FileAndDir(missing) = %v, want nil", err)
	}
}
