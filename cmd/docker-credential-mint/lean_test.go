// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
)

// The protocol binary (build tag lean) is built once per test run. The full
// build it hands off to is this test binary (MINT_TEST_MAIN=1 runs main).
func leanBinary(t *testing.T) string { return clitest.Binary(t, "lean") }

// leanSandbox is a sandbox whose helper is the protocol binary, copied into
// a directory of its own; withFull puts the full build next to it.
type leanSandbox struct {
	*sandbox
	dir, bin string
}

func newLeanSandbox(t *testing.T, withFull bool) *leanSandbox {
	t.Helper()
	s := newSandbox(t)
	dir := filepath.Join(s.Home, "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(leanBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "docker-credential-mint")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	s.Program = bin // Exec and Snapshot run the protocol binary too
	ls := &leanSandbox{sandbox: s, dir: dir, bin: bin}
	if withFull {
		ls.linkFull()
	}
	return ls
}

func (s *leanSandbox) linkFull() {
	s.T.Helper()
	if err := os.Symlink(os.Args[0], filepath.Join(s.dir, wire.FullBuildName)); err != nil {
		s.T.Fatal(err)
	}
}

func (s *leanSandbox) run(stdin string, args ...string) (string, string, int) {
	s.T.Helper()
	return s.ExecProgram(s.bin, stdin, args...)
}

// tokenConfig maps tok.example to an exec provider whose command counts its
// runs in a file, and returns that file.
func (s *leanSandbox) tokenConfig() string {
	s.T.Helper()
	count := filepath.Join(s.Home, "count")
	script := filepath.Join(s.Home, "token.sh")
	body := "#!/bin/sh\necho run >> " + count + "\necho token-$(wc -l < " + count + " | tr -d ' ')\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		s.T.Fatal(err)
	}
	s.WriteConfig("registries:\n  - match: tok.example\n    provider: exec\n    command: [/bin/sh, " + script + "]\n    format: plain\n    username: bot\n    lifetime: 1h\n")
	return count
}

func runs(t *testing.T, count string) int {
	t.Helper()
	data, err := os.ReadFile(count)
	if os.IsNotExist(err) {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "run")
}

// TestLean_alone: without the full build, the protocol binary still serves
// every static registry; what needs minting or an operator command fails in
// one line that says what to install, and changes nothing.
func TestLean_alone(t *testing.T) {
	s := newLeanSandbox(t, false)
	count := s.tokenConfig()
	secret := "lean-alone-secret"
	for _, step := range []struct{ stdin, action, want string }{
		{`{"ServerURL":"https://static.example","Username":"u","Secret":"` + secret + `"}`, "store", ""},
		{"static.example", "get", `{"ServerURL":"static.example","Username":"u","Secret":"` + secret + `"}` + "\n"},
		// list names tok.example too: its command needs no stored secret.
		{"", "list", `{"https://static.example":"u","tok.example":"bot"}` + "\n"},
	} {
		out, errs, code := s.run(step.stdin, step.action)
		if code != 0 || errs != "" || out != step.want {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q; want %q", step.action, code, out, errs, step.want)
		}
	}
	before := s.Snapshot()

	out, errs, code := s.run("tok.example", "get")
	if code != 1 || errs != "" || strings.Count(out, "\n") != 1 || !strings.Contains(out, wire.FullBuildName) {
		t.Errorf("get of a provider registry without the full build: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	out, errs, code = s.run("", "status")
	if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, wire.FullBuildName) {
		t.Errorf("status without the full build: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if runs(t, count) != 0 {
		t.Error("the token command ran")
	}
	if after := s.Snapshot(); after != before {
		t.Errorf("store changed:\n%s\n%s", before, after)
	}
}

// TestLean_aloneAnonymousCloud: without the full build, a Google or ACR
// host that only detection claims, with no token cached and no login
// stored, is not found (the client pulls anonymously, as before detection),
// with a warning on stderr; an ECR host, whose registries are never
// anonymous, says what to install.
func TestLean_aloneAnonymousCloud(t *testing.T) {
	s := newLeanSandbox(t, false)
	for _, h := range []string{"gcr.io", "us-docker.pkg.dev/proj/repo", "myreg.azurecr.io"} {
		out, errs, code := s.run(h, "get")
		if code != 1 || out != "credentials not found in native keychain\n" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "anonymously") {
			t.Errorf("get %s without the full build: exit %d, stdout %q, stderr %q", h, code, out, errs)
		}
	}
	out, errs, code := s.run("123456789012.dkr.ecr.us-east-1.amazonaws.com", "get")
	if code != 1 || errs != "" || strings.Count(out, "\n") != 1 || !strings.Contains(out, wire.FullBuildName) {
		t.Errorf("get of an ECR host without the full build: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestLean_handsOff: a get with no fresh token is handed to the full build
// (next to the protocol binary), which mints and caches; the next get is
// answered from the cache by the protocol binary alone.
func TestLean_handsOff(t *testing.T) {
	s := newLeanSandbox(t, true)
	count := s.tokenConfig()
	want := `{"ServerURL":"tok.example","Username":"bot","Secret":"token-1"}` + "\n"
	if out, errs, code := s.run("tok.example", "get"); code != 0 || errs != "" || out != want {
		t.Fatalf("first get: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if n := runs(t, count); n != 1 {
		t.Fatalf("token command ran %d times, want 1", n)
	}
	// Without the full build, the cached token is still served.
	if err := os.Remove(filepath.Join(s.dir, wire.FullBuildName)); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := s.run("tok.example", "get"); code != 0 || errs != "" || out != want {
		t.Fatalf("cached get: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if n := runs(t, count); n != 1 {
		t.Fatalf("token command ran %d times, want 1", n)
	}
	// Operator commands go to the full build, with their arguments.
	s.linkFull()
	out, errs, code := s.run("", "status", "--json")
	if code != 0 || !strings.HasPrefix(out, "[") || strings.Contains(out, "token-1") {
		t.Errorf("status --json through the protocol binary: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if out, _, code := s.run("", "version"); code != 0 || !strings.HasPrefix(out, "docker-credential-mint ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// TestLean_handOffLoop: a full build that is itself protocol-only would hand
// the request back; the second hand-off refuses in one line.
func TestLean_handOffLoop(t *testing.T) {
	s := newLeanSandbox(t, false)
	s.tokenConfig()
	s.Env = append(s.Env, "DOCKER_CREDENTIAL_MINT_FULL="+s.bin)
	out, errs, code := s.run("tok.example", "get")
	if code != 1 || errs != "" || strings.Count(out, "\n") != 1 || !strings.Contains(out, "protocol-only") {
		t.Errorf("hand-off loop: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestLean_deps is the protocol binary's dependency check (as
// go-containerregistry's depcheck): what every docker pull spawns must not
// link HTTP, TLS, the minting providers, the operator commands, a YAML
// library or a cloud SDK. os/exec is linked, and says why: the pass backend
// runs gpg and godbus may run dbus-launch.
func TestLean_deps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lean", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	forbidden := []string{
		"net/http", "crypto/tls", "flag", "golang.org/x/oauth2", "gopkg.in/yaml.v3", "sigs.k8s.io/yaml",
		"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/cli",
		"github.com/docker-credential-mint/mint/credentials/provider/acr",
		"github.com/docker-credential-mint/mint/credentials/provider/builtin",
		"github.com/docker-credential-mint/mint/credentials/provider/command",
		"github.com/docker-credential-mint/mint/credentials/provider/gcr",
		"github.com/docker-credential-mint/mint/credentials/provider/identity",
		"github.com/docker-credential-mint/mint/credentials/provider/oauth2",
		"github.com/docker-credential-mint/mint/credentials/provider/registry",
	}
	cloud := []string{"github.com/aws/", "cloud.google.com/", "google.golang.org/api", "github.com/Azure/", "github.com/AzureAD/", "golang.org/x/oauth2/google"}
	for _, d := range deps {
		if slices.Contains(forbidden, d) {
			t.Errorf("the protocol binary links %s", d)
		}
		for _, c := range cloud {
			if strings.HasPrefix(d, c) {
				t.Errorf("the protocol binary links a cloud SDK: %s", d)
			}
		}
	}
	if !slices.Contains(deps, "os/exec") {
		t.Log("os/exec is no longer linked: the README can say so now")
	}
}

// TestLean_lightInit keeps the protocol binary's start-up light: no HTTP or
// TLS package and no operator command is linked, and package main does
// (almost) nothing at init (a
// package-level regexp.MustCompile, for one, costs more than a whole get).
func TestLean_lightInit(t *testing.T) {
	s := newLeanSandbox(t, false)
	s.Env = append(s.Env, "GODEBUG=inittrace=1")
	_, errs, code := s.run("", "version")
	if code != 0 {
		t.Fatalf("version: exit %d, stderr %q", code, errs)
	}
	initLine := regexp.MustCompile(`^init (\S+) @.* ([0-9]+) bytes, ([0-9]+) allocs$`)
	seen := 0
	for _, line := range strings.Split(errs, "\n") {
		m := initLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		seen++
		switch pkg := m[1]; {
		case pkg == "net/http", pkg == "crypto/tls", pkg == "crypto/x509", strings.Contains(pkg, "/provider/oauth2"), strings.Contains(pkg, "/provider/registry"):
			t.Errorf("the protocol binary links %s", pkg)
		case pkg == "flag":
			t.Errorf("the protocol binary links the operator commands (package flag): give their files //go:build !lean")
		case pkg == "main":
			if allocs, _ := strconv.Atoi(m[3]); allocs > 64 {
				t.Errorf("package main's init makes %s allocations (%s bytes): move that work out of init", m[3], m[2])
			}
		}
	}
	if seen == 0 {
		t.Fatalf("no init trace in %q", errs)
	}
}
