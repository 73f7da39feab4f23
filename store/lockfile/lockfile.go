// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package provider

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

// Lock polling: a refresh takes one HTTP round trip (tens to hundreds of
// milliseconds), so waiters start polling at minPoll and back off to
// maxPoll; polling, not a blocking flock, lets a waiter give up exactly at
// its context's deadline.
const (
	minPoll = 2 * time.Millisecond
	maxPoll = 50 * time.Millisecond
)

// errLocked is what tryLock returns while another holder has the lock.
var errLocked = errors.New("locked")

// DefaultLockDir returns the directory for refresh lock files:
// $XDG_RUNTIME_DIR/docker-credential-mint (per user, tmpfs, cleaned at
// logout) when set, else docker-credential-mint under os.UserCacheDir, else
// under os.TempDir with the user id in the name.
func DefaultLockDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, "docker-credential-mint")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "docker-credential-mint")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("docker-credential-mint-%d", os.Getuid()))
}

// inProcess serialises holders of one key inside this process. The file
// lock alone would do on Linux (flock locks belong to open file
// descriptions), but not everywhere, and it is what remains when there is
// no lock directory.
var inProcess sync.Map // key → chan struct{} (capacity 1)

// lockKey takes the lock for key: first the in-process one, then, when dir
// is not empty, an exclusive lock on dir/<sha256(key)>.lock shared by every
// process. It polls until it has both or ctx is done. Lock files are never
// removed: removing a lock file races with a process about to lock it.
func lockKey(ctx context.Context, dir, key string) (unlock func(), err error) {
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
	if err := os.MkdirAll(dir, 0o700); err != nil {
		release()
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	path := filepath.Join(dir, hex.EncodeToString(sum[:16])+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
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
			return nil, err
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
