// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package lockfile is a named, exclusive lock shared by every process of the
// user: flock(2) on unix, LockFileEx on Windows, on a file per key in a lock
// directory. The provider cache takes it around a token refresh; the
// keyring store around an index update.
//
// A waiter polls rather than blocking in the kernel, so it gives up exactly
// when its context ends. The kernel releases a lock when its holder exits,
// however it exits, so a crashed holder never leaves a key locked. Lock files
// are never removed: removing one races with a process about to lock it.
package lockfile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Polling: a holder keeps a lock for one HTTP round trip or a few keychain
// calls (milliseconds to hundreds of milliseconds), so waiters start polling
// at minPoll and back off to maxPoll; polling, not a blocking flock, lets a
// waiter give up exactly at its context's deadline.
const (
	minPoll = 2 * time.Millisecond
	maxPoll = 50 * time.Millisecond
)

// errLocked is what tryLock returns while another holder has the lock.
var errLocked = errors.New("locked")

// dirName is the lock directory's name inside the per-user directories.
const dirName = "docker-credential-mint"

// DefaultDir returns the directory for lock files, always one that only
// this user can create or write: $XDG_RUNTIME_DIR/docker-credential-mint
// (per user, tmpfs, cleaned at logout) when set, else
// docker-credential-mint under os.UserCacheDir. Without either
// (XDG_RUNTIME_DIR, XDG_CACHE_HOME and HOME all unset, as the kubelet runs
// credential plugins), root uses /run/docker-credential-mint and another
// user the cache directory under the home directory of the user database;
// never a shared temporary directory, where another user could create the
// directory first and plant lock files in it. When no such directory is
// known, DefaultDir returns "": locks then exclude only within the process.
// Lock checks whatever directory it is given (see Lock).
func DefaultDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, dirName)
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, dirName)
	}
	return fallbackDir()
}

// inProcess serialises holders of one key inside this process. The file
// lock alone would do on Linux (flock locks belong to open file
// descriptions), but not everywhere, and it is what remains when there is
// no lock directory.
var inProcess sync.Map // key → chan struct{} (capacity 1)

// Lock takes the lock named key: first within this process, then, when dir
// is not empty, an exclusive lock on dir/<hash of key>.lock shared by every
// process. dir is created, 0700, if missing. On unix Lock refuses, in one
// line and without creating anything in it, a dir that is a symbolic link,
// not a directory, another user's or writable by other users, and a lock
// file that is a symbolic link or not a regular file: another user could
// otherwise plant a link that makes this process create or lock a file of
// their choosing. It waits until it has both locks or ctx is done, then
// returns ctx's error. The caller must call unlock exactly once. Callers
// choose keys that cannot collide with another use's (a prefix naming the
// use). Safe for concurrent use.
func Lock(ctx context.Context, dir, key string) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch, _ := inProcess.LoadOrStore(key, make(chan struct{}, 1))
	sem := ch.(chan struct{})
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-sem }
	if dir == "" {
		return release, nil
	}
	f, err := openLock(dir, lockName(key))
	if err != nil {
		release()
		return nil, err
	}
	poll := minPoll
	for {
		err := tryLock(f)
		if err == nil {
			return func() {
				unlockFile(f)
				f.Close()
				release()
			}, nil
		}
		if !errors.Is(err, errLocked) {
			f.Close()
			release()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		t := time.NewTimer(poll)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			f.Close()
			release()
			return nil, ctx.Err()
		}
		poll = min(2*poll, maxPoll)
	}
}

// lockName returns the lock file name of key: the first 16 bytes of the
// key's SHA-256 in hex, so any key makes a short, valid file name.
func lockName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16]) + ".lock"
}
