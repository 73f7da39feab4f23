// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !linux

package main

import "errors"

func startKeyring() (string, func(), error) { return "", nil, errNoKeyring }

var errNoKeyring = errors.New("no Secret Service test environment on this OS")
