// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package lockfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// fallbackDir is DefaultDir when neither XDG_RUNTIME_DIR nor a cache
// directory is set: /run (root's runtime directory, which only root can
// write) for root; for another user, the cache directory under their home
// directory in the user database, the one os.UserCacheDir gives when HOME
// is set, so processes with and without HOME share their locks; "" when
// that home directory does not exist.
func fallbackDir() string {
	if os.Geteuid() == 0 {
		run := "/run"
		if runtime.GOOS != "linux" {
			run = "/var/run"
		}
		return filepath.Join(run, dirName)
	}
	u, err := user.Current()
	if err != nil || !filepath.IsAbs(u.HomeDir) || u.HomeDir == "/" {
		return ""
	}
	if fi, err := os.Stat(u.HomeDir); err != nil || !fi.IsDir() {
		return "" // nobody's /nonexistent, say
	}
	cache := filepath.Join(u.HomeDir, ".cache")
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		cache = filepath.Join(u.HomeDir, "Library", "Caches")
	}
	return filepath.Join(cache, dirName)
}

// openLock opens dir/name for locking, creating dir (0700) and the file
// (0600) when missing. The checks are made on what was opened, not on the
// path (no window between a check and the open): dir must be a directory,
// not a symbolic link, owned by this user and not writable by group or
// others;
// name is opened relative to it, never through a symbolic link, and must be
// a regular file owned by this user. Each refusal is one line naming the
// path and the fix; a refused dir gets nothing created in it.
func openLock(dir, name string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, fmt.Errorf("lockfile: create lock directory: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("lockfile: create lock directory: %w", err)
	}
	dfd, err := openNoEINTR(func() (int, error) {
		return unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	})
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		return nil, fmt.Errorf("lockfile: lock directory %s is a symbolic link or not a directory; refusing it (remove it, or set XDG_RUNTIME_DIR)", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("lockfile: open lock directory %s: %w", dir, err)
	}
	defer unix.Close(dfd)
	var st unix.Stat_t
	if err := unix.Fstat(dfd, &st); err != nil {
		return nil, fmt.Errorf("lockfile: stat lock directory %s: %w", dir, err)
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return nil, fmt.Errorf("lockfile: lock directory %s belongs to uid %d, not to this user (uid %d), who could plant lock files in it; refusing it (remove it, or set XDG_RUNTIME_DIR)", dir, st.Uid, uid)
	}
	// Write permission is what lets another user plant or replace a lock
	// file; read and search permission only show the hashed names (the lock
	// files themselves are 0600).
	if perm := st.Mode & 0o777; perm&0o022 != 0 {
		return nil, fmt.Errorf("lockfile: lock directory %s has mode %04o: other users could plant lock files in it; refusing it (chmod 700 it)", dir, perm)
	}

	path := filepath.Join(dir, name)
	fd, err := openNoEINTR(func() (int, error) {
		return unix.Openat(dfd, name, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	})
	if errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("lockfile: lock file %s is a symbolic link; refusing to follow it (remove it)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("lockfile: open lock file: %w", &fs.PathError{Op: "open", Path: path, Err: err})
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lockfile: stat lock file %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("lockfile: lock file %s is not a regular file; refusing it (remove it)", path)
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		unix.Close(fd)
		return nil, fmt.Errorf("lockfile: lock file %s belongs to uid %d, not to this user (uid %d); refusing it (remove it)", path, st.Uid, uid)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openNoEINTR retries open while a signal interrupts it.
func openNoEINTR(open func() (int, error)) (int, error) {
	for {
		fd, err := open()
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// tryLock takes an exclusive flock on f without blocking; errLocked when
// another open file description holds it. The kernel drops the lock when
// the holder exits, however it exits.
func tryLock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK), errors.Is(err, unix.EAGAIN):
			return errLocked
		}
		return err
	}
}

func unlockFile(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }
