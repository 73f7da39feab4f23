// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package identity

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses a token file that another user could have written: one
// that is world-writable, or owned by someone other than this user or root
// (a projected service-account token is root's, or the pod's fsGroup's
// with the user's uid).
func checkOwner(fi fs.FileInfo) error {
	if fi.Mode().Perm()&0o002 != 0 {
		return errors.New("is writable by every user; fix: chmod o-w")
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Geteuid(); int(st.Uid) != uid && st.Uid != 0 {
		return errors.New("is owned by another user (neither you nor root)")
	}
	return nil
}
