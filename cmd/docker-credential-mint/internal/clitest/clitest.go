// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package clitest runs the helper as a program in a hermetic sandbox, for
// the tests of package main and of the operator commands: a temporary HOME
// with the Docker, XDG and data directories inside it and the file keychain.
package clitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	dch "github.com/docker/docker-credential-helpers/credentials"
)

// Sandbox is a hermetic HOME with the file store, and the program to run in it.
type Sandbox struct {
	T       testing.TB
	Home    string
	Env     []string // the program's whole environment
	Program string   // the helper build that Exec runs
}

// New returns a sandbox that runs program with env (the sandbox's own
// variables come first; extra may add to them).
func New(t testing.TB, program string, extra ...string) *Sandbox {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "cover"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(home, "run"),
		"DOCKER_CONFIG=" + filepath.Join(home, "docker"),
		"DOCKER_CREDENTIAL_MINT_KEYCHAIN=file",
		// Under -coverprofile a re-executed test binary wants somewhere
		// to write coverage, or it warns on stderr.
		"GOCOVERDIR=" + filepath.Join(home, "cover"),
		// A -race child otherwise sleeps 1 s before every exit.
		"GORACE=atexit_sleep_ms=50",
	}
	return &Sandbox{T: t, Home: home, Env: append(env, extra...), Program: program}
}

// Herd runs n gets of serverURL through the helper at once and returns
// their answers (stdout); a get that fails or writes to stderr is a test
// error. The herd tests count what reached the token endpoint.
func (s *Sandbox) Herd(n int, serverURL string) []string {
	s.T.Helper()
	outs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, stderr, code := s.Exec(serverURL, "get")
			if code != 0 || stderr != "" {
				s.T.Errorf("get %s: exit %d, stdout %q, stderr %q", serverURL, code, out, stderr)
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	return outs
}

// Exec runs the helper with args and returns stdout, stderr and the exit status.
func (s *Sandbox) Exec(stdin string, args ...string) (string, string, int) {
	s.T.Helper()
	return s.ExecProgram(s.Program, stdin, args...)
}

// ExecProgram runs program (a helper build) in the sandbox.
func (s *Sandbox) ExecProgram(program, stdin string, args ...string) (string, string, int) {
	s.T.Helper()
	cmd := exec.Command(program, args...)
	cmd.Env = s.Env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		s.T.Fatalf("run helper: %v", err)
	}
	return out.String(), errb.String(), code
}

// Must runs the helper, which must succeed with a silent stderr, and
// returns its stdout.
func (s *Sandbox) Must(stdin string, args ...string) string {
	s.T.Helper()
	out, errs, code := s.Exec(stdin, args...)
	if code != 0 || errs != "" {
		s.T.Fatalf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
	}
	return out
}

// Store stores a credential through the protocol's store.
func (s *Sandbox) Store(url, user, secret string) {
	s.T.Helper()
	b, _ := json.Marshal(dch.Credentials{ServerURL: url, Username: user, Secret: secret})
	s.Must(string(b), "store")
}

// Snapshot is list plus the answer to get of every listed key: what must
// not change. A get that fails is recorded as its answer and exit status.
func (s *Sandbox) Snapshot() string {
	s.T.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(s.Must("unused", "list")), &m); err != nil {
		s.T.Fatal(err)
	}
	var b strings.Builder
	for url := range m {
		out, _, code := s.Exec(url, "get")
		fmt.Fprintf(&b, "%s(exit %d)\n", strings.TrimSuffix(out, "\n"), code)
	}
	lines := strings.Split(b.String(), "\n")
	slices.Sort(lines)
	return fmt.Sprint(len(m), lines)
}

// WriteConfig writes the helper's config file (config.yaml under
// XDG_CONFIG_HOME).
func (s *Sandbox) WriteConfig(text string) {
	s.T.Helper()
	dir := filepath.Join(s.Home, "config", "docker-credential-mint")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.T.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(text), 0o600); err != nil {
		s.T.Fatal(err)
	}
}

// WithoutVar returns env minus the variable name.
func WithoutVar(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// Build builds the helper (package main, tags as given, e.g. "lean") into
// dir and returns the program's path. Builds are cached by the go command,
// so every test package can build its own.
func Build(dir, name string, tags ...string) (string, error) {
	_, self, _, _ := runtime.Caller(0)
	pkg := filepath.Join(filepath.Dir(self), "..", "..")
	out := filepath.Join(dir, name)
	args := []string{"build", "-o", out}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v: %s", pkg, err, b)
	}
	return out, nil
}

var builds struct {
	sync.Mutex
	dir   string
	paths map[string]string
}

// Binary returns the helper built with tags ("" or "lean"), built once per
// test process into a temporary directory that Cleanup removes.
func Binary(t testing.TB, tags string) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.paths[tags]; ok {
		return p
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "mint-build-")
		if err != nil {
			t.Fatal(err)
		}
		builds.dir, builds.paths = dir, map[string]string{}
	}
	sub := filepath.Join(builds.dir, "full")
	var tagList []string
	if tags != "" {
		sub, tagList = filepath.Join(builds.dir, tags), []string{tags}
	}
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Build(sub, "docker-credential-mint", tagList...)
	if err != nil {
		t.Fatal(err)
	}
	builds.paths[tags] = p
	return p
}

// Cleanup removes what Binary built; TestMain calls it after the tests.
func Cleanup() {
	builds.Lock()
	defer builds.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
		builds.dir, builds.paths = "", nil
	}
}
