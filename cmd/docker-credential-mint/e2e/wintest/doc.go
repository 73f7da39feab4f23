// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package wintest drives the Windows builds of the protocol binary, the full
// build and crane.exe from a Windows test binary: under Wine on Linux with
// .ci/test-windows.sh (make test-windows), which builds them into the
// directory named by MINT_WIN_BIN. It has no tests on other systems.
package wintest
