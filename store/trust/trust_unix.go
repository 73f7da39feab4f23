// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package trust

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Owner returns an *Error when fi, the information of path, belongs to
// another user than this one and root. A symbolic link's own information
// (os.Lstat) is checked as any file's.
func Owner(path string, fi fs.FileInfo) error {
	uid, ok := UID(fi)
	if !ok {
		return nil
	}
	self := os.Geteuid()
	if uid == self || uid == 0 {
		return nil
	}
	fix := fmt.Sprintf("chown %d %s", self, path)
	if self != 0 {
		fix += " (as root), or use a copy of your own"
	}
	return &Error{
		Path: path,
		Why:  fmt.Sprintf("belongs to uid %d, not to this user (uid %d) or root", uid, self),
		Fix:  fix,
	}
}

// Mode returns an *Error when fi, the information of path, is writable by
// group or others.
func Mode(path string, fi fs.FileInfo) error {
	if fi.Mode()&fs.ModeSymlink != 0 || fi.Mode().Perm()&0o022 == 0 {
		return nil // a symbolic link's own mode means nothing
	}
	mode := uint32(fi.Mode().Perm())
	if fi.Mode()&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return &Error{
		Path: path,
		Why:  fmt.Sprintf("is writable by group or others (mode %04o)", mode),
		Fix:  "chmod go-w " + path,
	}
}

// UID returns the owner of the file fi describes; ok is false where the
// system does not say.
func UID(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
