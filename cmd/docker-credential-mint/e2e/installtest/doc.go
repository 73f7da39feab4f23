// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package installtest runs the install step of `make deps` (.ci/install.sh
// and .ci/install-tokenchain.sh) as a fresh machine would see it, without
// installing anything: the real scripts run with a PATH that holds only
// stand-ins (shell scripts in a temp dir) for dpkg-query, apt-get, sudo, id,
// sleep, go, node and npm, next to the few real programs the scripts use, and
// a temporary MINT_TOOLS. The stand-ins record how they were called and keep
// their state (which Debian packages are "installed") in files.
//
// The tests fail when a script stops early, installs nothing, asks apt-get
// for other packages than the missing ones or without the dpkg lock timeout,
// stops without a line naming what failed and the fix, or exits 0 while
// something it should install is still missing.
package installtest
