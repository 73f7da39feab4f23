// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !unix

package command

import "io"

// collector gathers what a command writes through os/exec's own copying:
// a command whose child keeps its output open is cut off after waitDelay
// (Run then takes what it printed if it exited 0).
type collector struct{ buf capped }

func newCollector(max int) (*collector, error) { return &collector{buf: capped{max: max}}, nil }

func (c *collector) writer() io.Writer { return &c.buf }

func (c *collector) started() {}

func (c *collector) finish() *capped { return &c.buf }
