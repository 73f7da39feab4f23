// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package pass

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Runner runs a program with stdin and returns its standard output. It is
// the seam between the Backend and the pass program; tests wrap ExecRunner
// to watch what is run. Secrets go through stdin only, never args.
type Runner interface {
	Run(ctx context.Context, stdin io.Reader, name string, args ...string) (stdout []byte, err error)
}

// ExecRunner is the Runner that executes programs with os/exec, in their own
// process group, killed (with their children, gpg included) when ctx ends.
type ExecRunner struct {
	// Env is added to the current process's environment (later entries win).
	Env []string
}

// waitDelay bounds how long Run waits for the output pipes to close after the
// process was killed: a grandchild that escaped the group must not hold Run.
const waitDelay = time.Second

// Run implements Runner. A failed run returns a *RunError.
func (r ExecRunner) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), r.Env...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = waitDelay
	killGroup(cmd)
	err := cmd.Run()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return stdout.Bytes(), &RunError{Name: name, Args: args, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// RunError is a program that failed: its name and arguments (never secret),
// what it said on stderr, and how it ended.
type RunError struct {
	Name   string
	Args   []string
	Stderr string
	Err    error
}

// Error is one line: the program, its subcommand, how it ended and the gist
// of its stderr.
func (e *RunError) Error() string {
	what := e.Name
	if len(e.Args) > 0 {
		what += " " + e.Args[0]
	}
	if msg := gist(e.Stderr); msg != "" {
		return fmt.Sprintf("%s: %v: %s", what, e.Err, msg)
	}
	return fmt.Sprintf("%s: %v", what, e.Err)
}

// Unwrap returns how the program ended (an *exec.ExitError, or the context's error).
func (e *RunError) Unwrap() error { return e.Err }

// gist keeps the informative lines of pass's and gpg's stderr on one line.
func gist(stderr string) string {
	var keep []string
	for line := range strings.Lines(stderr) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "mkdir: created directory") ||
			strings.HasPrefix(line, "removed ") || strings.HasPrefix(line, "rmdir:") {
			continue
		}
		keep = append(keep, line)
	}
	s := strings.Join(keep, "; ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// stderrOf returns what a failed run said, for classification.
func stderrOf(err error) string {
	var re *RunError
	if errors.As(err, &re) {
		return re.Stderr
	}
	return err.Error()
}
