// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

// platformBackendNames lists this OS's keychains in the order auto tries them.
var platformBackendNames = []string{}

var platformBackends = map[string]openFunc{}

var platformProbes = map[string]probeFunc{}
