// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// helperName is the executable's name; configName is what config files call it.
const (
	helperName = "docker-credential-mint"
	configName = "mint"
	modulePkg  = "github.com/docker-credential-mint/mint/cmd/docker-credential-mint"
)

// pkgState is what TestMain sets up once for the whole package.
var pkgState struct {
	root     string // package temp dir (short: it holds the dockerd socket)
	binDir   string // helper binary and the logging shim; first on PATH
	toolsDir string // crane, oras, regctl (.ci/install.sh)
	path     string // PATH for every child process
	goBin    string // the go command, found on the caller's PATH
}

// Test passwords: random per run, so that the secrets scan cannot be fooled by
// text that happens to be on disk already. secrets lists every one of them.
var (
	alicePW  = "alice-pw-" + randHex(6)
	bobPW    = "bob-pw-" + randHex(6)
	alice2PW = "alice-two-pw-" + randHex(6)
	secrets  = []string{alicePW, bobPW, alice2PW}
	secretMu sync.Mutex // guards secrets: addSecret runs in parallel tests
)

// addSecret adds s (a token a test obtained) to what the secrets scan looks
// for and what failure messages redact.
func addSecret(t testing.TB, s string) {
	t.Helper()
	if len(s) < 8 {
		t.Fatalf("addSecret: %d-byte secret is too short to scan for", len(s))
	}
	secretMu.Lock()
	defer secretMu.Unlock()
	secrets = append(secrets, s)
}

// allSecrets returns a snapshot of secrets.
func allSecrets() []string {
	secretMu.Lock()
	defer secretMu.Unlock()
	return append([]string(nil), secrets...)
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	root, err := os.MkdirTemp("", "mint-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(root)
	pkgState.root = root
	pkgState.binDir = filepath.Join(root, "bin")
	if err := os.MkdirAll(pkgState.binDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}

	tools := os.Getenv("MINT_TOOLS")
	if tools == "" {
		if home, err := os.UserHomeDir(); err == nil {
			tools = filepath.Join(home, ".cache", "mint-tools")
		}
	}
	pkgState.toolsDir = filepath.Join(tools, "bin")
	pkgState.path = strings.Join([]string{
		pkgState.binDir, pkgState.toolsDir,
		"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
	}, string(os.PathListSeparator))
	if g, err := exec.LookPath("go"); err == nil {
		pkgState.goBin = g
	} else {
		pkgState.goBin = "/usr/local/go/bin/go"
	}

	code := m.Run()
	dockerd.stop()
	containerd.stop()
	return code
}

// inCI reports whether a missing prerequisite must fail rather than skip.
func inCI() bool { return os.Getenv("CI") != "" }

// require fails the test (in CI) or skips it (locally) when err is not nil.
func require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if inCI() {
		t.Fatalf("%s: %v (CI is set: a missing prerequisite is a failure; run .ci/install.sh)", what, err)
	}
	t.Skipf("%s: %v (run .ci/install.sh)", what, err)
}

// lookPath finds name on the children's PATH (never the caller's).
func lookPath(name string) (string, error) {
	for _, dir := range filepath.SplitList(pkgState.path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in %s", name, pkgState.path)
}

// needTools skips or fails t unless every named program is on the PATH.
func needTools(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		_, err := lookPath(n)
		require(t, "program "+n, err)
	}
}

var helperOnce struct {
	sync.Once
	path string
	err  error
}

// needHelper builds the helper binary once (or takes $MINT_E2E_HELPER) and
// returns its path; it skips or fails t when that is impossible.
func needHelper(t testing.TB) string {
	t.Helper()
	helperOnce.Do(func() {
		helperOnce.path, helperOnce.err = buildHelper()
	})
	require(t, "helper binary", helperOnce.err)
	return helperOnce.path
}

func buildHelper() (string, error) {
	dst := filepath.Join(pkgState.binDir, helperName)
	if src := os.Getenv("MINT_E2E_HELPER"); src != "" {
		abs, err := filepath.Abs(src)
		if err != nil {
			return "", err
		}
		if err := os.Symlink(abs, dst); err != nil {
			return "", err
		}
	} else {
		// What make install puts on PATH: the protocol binary (build tag
		// lean), and next to it the full build it hands minting and the
		// operator commands to.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		for _, b := range []struct{ dst, tags string }{{dst, "lean"}, {dst + "-full", ""}} {
			cmd := exec.CommandContext(ctx, pkgState.goBin, "build", "-tags="+b.tags, "-o", b.dst, modulePkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			out, err := cmd.CombinedOutput()
			if err != nil {
				return "", fmt.Errorf("go build -tags=%s %s: %v\n%s", b.tags, modulePkg, err, out)
			}
		}
	}
	// docker-credential-mintlog logs each call to $MINT_E2E_CALLS, then runs
	// the helper. It never logs a store's stdin: that holds the secret.
	shim := fmt.Sprintf(`#!/bin/sh
in=$(cat; echo x)
in=${in%%x}
if [ "$1" = store ]; then
	printf '%%s\n' "$1" >>"${MINT_E2E_CALLS:-/dev/null}"
else
	printf '%%s %%s\n' "$1" "$in" >>"${MINT_E2E_CALLS:-/dev/null}"
fi
printf '%%s' "$in" | exec %q "$@"
`, dst)
	if err := os.WriteFile(filepath.Join(pkgState.binDir, helperName+"log"), []byte(shim), 0o755); err != nil {
		return "", err
	}
	return dst, nil
}
