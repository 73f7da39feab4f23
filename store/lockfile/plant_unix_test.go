// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package lockfile

import (
	"context"
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store/usertest"
)

const nobody = usertest.Nobody

// plant makes the attack: dir/<hash of key>.lock is a symbolic link to a
// file that does not exist yet in a directory only the victim can write.
// It returns the link's target.
func plant(t *testing.T, dir, key, victimDir string) string {
	t.Helper()
	target := filepath.Join(victimDir, "planted")
	if err := os.Symlink(target, filepath.Join(dir, lockName(key))); err != nil {
		t.Fatal(err)
	}
	return target
}

// refused checks that err is a one-line refusal containing want, and that
// nothing was created: not the link's target, nothing new in dir.
func refused(t *testing.T, err error, want, target, dir string, before []string) {
	t.Helper()
	if err == nil {
		t.Error("Lock accepted it")
	} else if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Errorf("error = %q, want one line containing %q", msg, want)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Errorf("%s was created through the planted link", target)
	}
	if after := list(t, dir); !slices.Equal(after, before) {
		t.Errorf("%s holds %v after the refusal, had %v", dir, after, before)
	}
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func lockOnce(dir, key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	unlock, err := Lock(ctx, dir, key)
	if err == nil {
		unlock()
	}
	return err
}

// TestLock_plantedLink: a lock file planted as a symbolic link, even in
// this user's own 0700 directory, is never followed.
func TestLock_plantedLink(t *testing.T) {
	dir := usertest.Mkdir(t, filepath.Join(t.TempDir(), "locks"), 0o700, os.Geteuid())
	target := plant(t, dir, t.Name(), t.TempDir())
	refused(t, lockOnce(dir, t.Name()), "is a symbolic link", target, dir, list(t, dir))
	// The key is not left locked in this process.
	mustLock(t, "", t.Name())()
}

// TestLock_unsafeDir: a lock directory that others can write or that is a
// symbolic link is refused, and nothing is created in it.
func TestLock_unsafeDir(t *testing.T) {
	open := usertest.Mkdir(t, filepath.Join(t.TempDir(), "open"), 0o777, os.Geteuid())
	refused(t, lockOnce(open, "k"), "has mode 0777", "/nonexistent", open, nil)
	group := usertest.Mkdir(t, filepath.Join(t.TempDir(), "group"), 0o770, os.Geteuid())
	refused(t, lockOnce(group, "k"), "has mode 0770", "/nonexistent", group, nil)
	// Readable by others is fine: the lock files are 0600.
	readable := usertest.Mkdir(t, filepath.Join(t.TempDir(), "readable"), 0o755, os.Geteuid())
	if err := lockOnce(readable, "k"); err != nil {
		t.Errorf("Lock in a 0755 directory of this user: %v", err)
	}

	real := usertest.Mkdir(t, filepath.Join(t.TempDir(), "real"), 0o700, os.Geteuid())
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	refused(t, lockOnce(link, "k"), "is a symbolic link or not a directory", "/nonexistent", real, nil)
}

// TestLock_otherUsersDir is the attack of a shared lock directory: another
// user creates the directory first and plants <hash>.lock as a symbolic
// link into a directory only the victim can write. Lock must refuse it in
// one line and create nothing, run by root (the attacker is nobody) and
// by an unprivileged user (nobody; the attacker is root standing for
// another user).
func TestLock_otherUsersDir(t *testing.T) {
	usertest.NeedRoot(t)
	t.Run("root", func(t *testing.T) {
		base := usertest.SharedDir(t)
		attacker := usertest.Mkdir(t, filepath.Join(base, "docker-credential-mint-0"), 0o755, nobody)
		rootOnly := usertest.Mkdir(t, filepath.Join(base, "root-only"), 0o700, 0)
		target := plant(t, attacker, "k", rootOnly)
		if err := os.Lchown(filepath.Join(attacker, lockName("k")), nobody, nobody); err != nil {
			t.Fatal(err)
		}
		refused(t, lockOnce(attacker, "k"), "belongs to uid 65534, not to this user (uid 0)", target, attacker, list(t, attacker))
	})
	t.Run("unprivileged", func(t *testing.T) {
		base := usertest.SharedDir(t)
		attacker := usertest.Mkdir(t, filepath.Join(base, "docker-credential-mint-65534"), 0o777, 0)
		victimOnly := usertest.Mkdir(t, filepath.Join(base, "nobody-only"), 0o700, nobody)
		target := plant(t, attacker, "k", victimOnly)
		before := list(t, attacker)
		out, err := asNobody(t, "plant", "MINT_LOCKFILE_DIR="+attacker)
		if err != nil {
			t.Errorf("child as uid %d: %v (3: Lock granted the planted lock); output %q", nobody, err, out)
		}
		refused(t, asError(out), "belongs to uid 0, not to this user (uid 65534)", target, attacker, before)
	})
}

// TestDefaultDir_noEnvironment: without XDG_RUNTIME_DIR, XDG_CACHE_HOME and
// HOME (how the kubelet runs credential plugins), the lock directory is
// never in the shared temporary directory, for root and for nobody.
func TestDefaultDir_noEnvironment(t *testing.T) {
	for _, k := range []string{"XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "HOME"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	want := ""
	if os.Geteuid() == 0 {
		want = "/run/docker-credential-mint"
		if runtime.GOOS != "linux" {
			want = "/var/run/docker-credential-mint"
		}
	} else if u, err := user.Current(); err == nil {
		if fi, err := os.Stat(u.HomeDir); err == nil && fi.IsDir() && u.HomeDir != "/" {
			want = filepath.Join(u.HomeDir, ".cache", "docker-credential-mint")
			if runtime.GOOS == "darwin" {
				want = filepath.Join(u.HomeDir, "Library", "Caches", "docker-credential-mint")
			}
		}
	}
	if got := DefaultDir(); got != want || strings.HasPrefix(got, os.TempDir()) {
		t.Errorf("DefaultDir() without XDG_RUNTIME_DIR, XDG_CACHE_HOME, HOME = %q, want %q", got, want)
	}
	if os.Geteuid() != 0 {
		return
	}
	// nobody's home is /nonexistent: no directory, so no file lock at all
	// rather than a shared one.
	out, err := asNobody(t, "defaultdir")
	if err != nil || out != "\n" {
		t.Errorf("DefaultDir() as uid %d without HOME = %q, %v; want \"\"", nobody, out, err)
	}
}

// asNobody runs the test binary as a child in mode as uid nobody, with
// an environment of only env (no HOME, no XDG_*), and returns its stdout.
func asNobody(t *testing.T, mode string, env ...string) (string, error) {
	t.Helper()
	cmd := usertest.Command(t, nobody, os.Args[0], "-test.run=^$")
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "MINT_LOCKFILE_CHILD=" + mode}, env...)
	out, err := cmd.Output()
	return string(out), err
}

// asError turns a child's printed error back into one; nil for none.
func asError(out string) error {
	if out == "" {
		return nil
	}
	return errors.New(strings.TrimSuffix(out, "\n"))
}
