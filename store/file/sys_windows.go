// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build windows

package file

import (
	"errors"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// The few kernel32 calls syscall lacks (golang.org/x/sys/windows has them,
// but is not worth a direct dependency for two calls).
var (
	kernel32         = syscall.NewLazyDLL("kernel32.dll")
	procLockFileEx   = kernel32.NewProc("LockFileEx")
	procUnlockFileEx = kernel32.NewProc("UnlockFileEx")
)

const (
	lockfileFailImmediately = 0x1
	lockfileExclusiveLock   = 0x2

	errorSharingViolation syscall.Errno = 32
	errorLockViolation    syscall.Errno = 33
)

// tryLock takes an exclusive LockFileEx lock on f's first byte without
// blocking. It reports false, nil when another handle holds it. Windows
// drops the lock when the process dies.
func tryLock(f *os.File) (bool, error) {
	var ol syscall.Overlapped
	r, _, err := procLockFileEx.Call(f.Fd(), lockfileExclusiveLock|lockfileFailImmediately, 0, 1, 0, uintptr(unsafe.Pointer(&ol)))
	switch {
	case r != 0:
		return true, nil
	case errors.Is(err, errorLockViolation), errors.Is(err, syscall.ERROR_IO_PENDING):
		return false, nil
	default:
		return false, err
	}
}

func unlock(f *os.File) error {
	var ol syscall.Overlapped
	if r, _, err := procUnlockFileEx.Call(f.Fd(), 0, 1, 0, uintptr(unsafe.Pointer(&ol))); r == 0 {
		return err
	}
	return nil
}

// openRead opens a store file for reading, sharing delete access so that a
// writer can rename a new version over it while it is open.
func openRead(path string) (*os.File, error) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := syscall.CreateFile(p, syscall.GENERIC_READ,
		syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE|syscall.FILE_SHARE_DELETE,
		nil, syscall.OPEN_EXISTING, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		if errors.Is(err, syscall.ERROR_FILE_NOT_FOUND) || errors.Is(err, syscall.ERROR_PATH_NOT_FOUND) {
			err = os.ErrNotExist
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// replace renames tmp over path (MoveFileEx with MOVEFILE_REPLACE_EXISTING,
// atomic on NTFS), retrying for a moment while another program (a virus
// scanner, an older reader) holds path open without delete sharing.
func replace(tmp, path string) error {
	var err error
	for delay := 5 * time.Millisecond; delay < time.Second; delay *= 2 {
		if err = os.Rename(tmp, path); err == nil ||
			!errors.Is(err, syscall.ERROR_ACCESS_DENIED) && !errors.Is(err, errorSharingViolation) {
			return err
		}
		time.Sleep(delay)
	}
	return err
}

// syncDir is a no-op: NTFS journals renames, and Windows cannot open a
// directory for FlushFileBuffers without backup privileges.
func syncDir(string) error { return nil }
