// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package e2e holds the end-to-end tests of docker-credential-mint: the real
// clients (the Docker CLI with a real dockerd, crane, skopeo, podman, oras,
// regctl) run against a real registry (Debian's docker-registry with htpasswd
// auth) on 127.0.0.1, with the helper binary built from this module first on
// their PATH.
//
// Everything is hermetic: each test has its own HOME, DOCKER_CONFIG and XDG
// directories, ports are picked at run time, and every process a test starts
// is stopped by its PID when the test ends. After each test every file under
// its directories is scanned for the test passwords in plain text.
//
// The servers and clients are installed by .ci/install.sh; the Go-built
// clients are looked up in $MINT_TOOLS/bin (default
// $HOME/.cache/mint-tools/bin). A missing program fails the test when CI is
// set and skips it otherwise. MINT_E2E_HELPER names a prebuilt helper to use
// instead of building ./cmd/docker-credential-mint (testdata/standin.sh is a
// shell stand-in for working on the harness itself).
package e2e
