// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package usertest

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Nobody is the unprivileged user of the tests that need another uid (the
// kernel needs no passwd entry for it; Debian's nobody is 65534).
const Nobody = 65534

// NeedRoot skips t unless it runs as root, which it needs to make files of
// another user or to run a program as one; in CI it fails instead.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("this test must run as root in CI (it makes files of another user)")
	}
	t.Skip("needs root to make files of another user")
}

// SharedDir returns a new directory that every user can enter (t.TempDir's
// parent is closed to other users), removed when t ends.
func SharedDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "mint-usertest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// Mkdir makes dir with mode (past the umask), owned by uid, and returns it.
func Mkdir(t testing.TB, dir string, mode os.FileMode, uid int) string {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	chmodOwn(t, dir, mode, uid)
	return dir
}

// WriteFile writes path with mode (past the umask), owned by uid, and
// returns it. An existing file is overwritten, and given mode and owner.
func WriteFile(t testing.TB, path, content string, mode os.FileMode, uid int) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	chmodOwn(t, path, mode, uid)
	return path
}

// Symlink makes link, pointing to target, owned by uid, and returns it.
func Symlink(t testing.TB, target, link string, uid int) string {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if uid != os.Geteuid() {
		if err := os.Lchown(link, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	return link
}

func chmodOwn(t testing.TB, path string, mode os.FileMode, uid int) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	if self := os.Geteuid(); uid != self || self == 0 { // an existing file may have another owner
		if err := os.Chown(path, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
}

// Command returns a command that runs a copy of program (the test binary,
// os.Args[0], sits in a directory closed to other users) as uid, with
// group uid, in /, with an empty environment and stderr passed through.
// Running as another user needs root (see NeedRoot).
func Command(t testing.TB, uid int, program string, args ...string) *exec.Cmd {
	t.Helper()
	bin := filepath.Join(SharedDir(t), filepath.Base(program))
	src, err := os.Open(program)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(bin, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = "/"
	cmd.Env = []string{}
	cmd.Stderr = os.Stderr
	if uid != os.Geteuid() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	return cmd
}
