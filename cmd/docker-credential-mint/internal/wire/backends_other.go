// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !linux && !darwin && !windows

package wire

var PlatformBackends = []string{}

var platformOpen = map[string]openFunc{}

var platformProbes = map[string]probeFunc{}
