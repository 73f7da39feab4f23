// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

// Name, Package, Version and Revision identify the build; Version and
// Revision are set with -ldflags "-X …/credentials.Version=…".
var (
	// Name is the executable's name.
	Name = "docker-credential-mint"
	// Package is the module path.
	Package = "github.com/docker-credential-mint/mint"
	// Version is the release, e.g. v0.1.0.
	Version = "v0.0.0+unknown"
	// Revision is the VCS commit the binary was built from.
	Revision = ""
)
