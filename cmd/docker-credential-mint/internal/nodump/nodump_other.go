// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !unix

package nodump

// Set does nothing here: Windows writes no core file unless Windows Error
// Reporting is configured to keep full dumps, which is the machine's
// administrator's choice.
func Set() error { return nil }
