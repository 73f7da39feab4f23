// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !unix

package handoff

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// execWith runs path as a child with this process's stdio (where there is
// no exec(2)) and exits with its status. A request becomes its stdin.
func execWith(path string, argv, env []string, request []byte) error {
	cmd := &exec.Cmd{Path: path, Args: argv, Env: env, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if request != nil {
		cmd.Stdin = bytes.NewReader(request)
	}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("hand off to %s: %w", path, err)
	}
	os.Exit(0)
	return nil
}
