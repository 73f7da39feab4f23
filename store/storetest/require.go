// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package storetest

import (
	"os"
	"os/exec"
	"testing"
)

// Require skips t when one of programs (a keychain daemon, gpg, pass) is not
// on PATH, or fails it when the CI environment variable is set: CI must
// never skip silently. Every real-backend test harness calls it.
func Require(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not found and CI is set: install it (%v)", p, err)
			}
			t.Skipf("%s not found (set CI=1 to make this a failure): %v", p, err)
		}
	}
}
