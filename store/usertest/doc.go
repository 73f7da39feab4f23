// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package usertest helps tests that need another local user: files and
// directories of another uid, and programs run as nobody. Making them
// needs root; in CI (which runs as root) a test that needs root fails
// rather than skips. Unix only.
package usertest
