// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package trust tells whether a file could have been written by a user
// other than this one and root, as OpenSSH checks its config files
// (misc.c safe_path): the helper refuses a config file, an exec command or
// a symbolic link that another local user could have planted or changed
// (DESIGN §7). On unix a file is trusted when it belongs to this user or
// root and is not writable by group or others; elsewhere (Windows, where
// ACLs decide and mode bits say nothing) every file is trusted.
package trust

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrUntrusted is wrapped by every refusal of this package.
var ErrUntrusted = errors.New("another user could have written it")

// Error is a refusal: the path refused, why, and the command that fixes it.
type Error struct {
	// Path is the file or directory refused.
	Path string
	// Why completes "<Path> …": "is writable by group or others (mode 0666)".
	Why string
	// Fix is the command that fixes it ("chmod go-w <Path>").
	Fix string
	// Dir is true when Path is a directory holding the file checked.
	Dir bool
}

func (e *Error) Error() string {
	s := e.Path + " " + e.Why + "; fix: " + e.Fix
	if e.Dir {
		s = "directory " + s
	}
	return s
}

// Is reports whether target is ErrUntrusted.
func (e *Error) Is(target error) bool { return target == ErrUntrusted }

// File returns an *Error when fi, the information of path (a file or a
// directory, as os.Stat or File.Stat gives it), belongs to another user
// than this one and root, or is writable by group or others.
func File(path string, fi fs.FileInfo) error {
	if err := Owner(path, fi); err != nil {
		return err
	}
	return Mode(path, fi)
}

// Dir returns an *Error when the directory dir (symbolic links followed)
// belongs to another user than this one and root, or is writable by group
// or others (sticky or not: another user could plant a new file in it).
// A directory that cannot be read is no error: opening what is in it
// fails on its own.
func Dir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil
	}
	if err := File(dir, fi); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Dir = true
		}
		return err
	}
	return nil
}

// FileAndDir checks the file at path (symbolic links followed) and the
// directory that holds it, and, when path is a symbolic link, the
// directory that holds its target. A missing file is no error.
func FileAndDir(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	if err := File(path, fi); err != nil {
		return err
	}
	return dirsOf(path)
}

// OpenedFile checks f, opened from path (its information from File.Stat,
// so no one can swap the file between the check and the read), the
// directory that holds path and, when path is a symbolic link, the one
// that holds its target.
func OpenedFile(path string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := File(path, fi); err != nil {
		return err
	}
	return dirsOf(path)
}

// dirsOf checks the directory of path and, when path is a symbolic link,
// that of its target.
func dirsOf(path string) error {
	dir := filepath.Dir(path)
	if err := Dir(dir); err != nil {
		return err
	}
	if lfi, err := os.Lstat(path); err == nil && lfi.Mode()&fs.ModeSymlink != 0 {
		if real, err := filepath.EvalSymlinks(path); err == nil && filepath.Dir(real) != dir {
			return Dir(filepath.Dir(real))
		}
	}
	return nil
}
