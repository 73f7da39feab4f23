// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !linux

package main

func startKeyring() (string, func(), error) { return "", nil, errNoKeyring }
