// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/builtin"
	"github.com/docker-credential-mint/mint/store"
)

var update = flag.Bool("update", false, "update golden files")

// fixedNow is the clock of golden tests.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// opEnv is a hermetic environment for running operator commands in-process:
// a temporary HOME with the Docker, XDG and data directories inside it and
// the file keychain, read through a map instead of the process environment.
type opEnv struct {
	t    *testing.T
	home string
	vars map[string]string
}

func newOpEnv(t *testing.T) *opEnv {
	t.Helper()
	home := t.TempDir()
	bin := filepath.Join(home, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return &opEnv{t: t, home: home, vars: map[string]string{
		"HOME":                            home,
		"PATH":                            bin,
		"XDG_DATA_HOME":                   filepath.Join(home, "data"),
		"XDG_CONFIG_HOME":                 filepath.Join(home, "config"),
		"XDG_RUNTIME_DIR":                 filepath.Join(home, "run"),
		"DOCKER_CONFIG":                   filepath.Join(home, "docker"),
		"DOCKER_CREDENTIAL_MINT_KEYCHAIN": "file",
	}}
}

// path is a file under HOME.
func (o *opEnv) path(rel string) string { return filepath.Join(o.home, filepath.FromSlash(rel)) }

// write creates a file under HOME with mode 0600.
func (o *opEnv) write(rel, content string) {
	o.t.Helper()
	p := o.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		o.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		o.t.Fatal(err)
	}
}

// read returns a file under HOME.
func (o *opEnv) read(rel string) string {
	o.t.Helper()
	b, err := os.ReadFile(o.path(rel))
	if err != nil {
		o.t.Fatal(err)
	}
	return string(b)
}

// installHelper puts an executable docker-credential-<name> on PATH.
func (o *opEnv) installHelper(name string) {
	o.t.Helper()
	p := filepath.Join(o.vars["PATH"], "docker-credential-"+name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		o.t.Fatal(err)
	}
}

func (o *opEnv) env(stderr io.Writer) *wire.Env {
	e := wire.New(func(k string) string { return o.vars[k] }, stderr)
	e.Providers = builtin.Factory(builtin.Options{})
	return e
}

// run runs an operator command in-process and returns stdout, stderr and
// the exit status.
func (o *opEnv) run(stdin string, name string, args ...string) (string, string, int) {
	o.t.Helper()
	c, ok := commands()[name]
	if !ok {
		o.t.Fatalf("command %q is not registered", name)
	}
	var out, errb bytes.Buffer
	code := c.run(context.Background(), o.env(&errb), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// must runs a command that must succeed with a silent stderr.
func (o *opEnv) must(stdin string, name string, args ...string) string {
	o.t.Helper()
	out, errs, code := o.run(stdin, name, args...)
	if code != 0 || errs != "" {
		o.t.Fatalf("%s %v: exit %d\nstdout: %s\nstderr: %s", name, args, code, out, errs)
	}
	return out
}

// wiring opens the keychain as the commands do.
func (o *opEnv) wiring() *wire.Wiring {
	o.t.Helper()
	w, err := o.env(io.Discard).WireConfig(context.Background())
	if err != nil {
		o.t.Fatal(err)
	}
	return w
}

// store keeps a root credential through the protocol's Helper.Store.
func (o *opEnv) store(serverURL, user, secret string) {
	o.t.Helper()
	if err := o.wiring().Helper.Store(context.Background(), credentials.Credentials{ServerURL: serverURL, Username: user, Secret: secret}); err != nil {
		o.t.Fatal(err)
	}
}

// root returns the stored root credential for serverURL.
func (o *opEnv) root(serverURL string) (store.Entry, bool) {
	o.t.Helper()
	h, err := credentials.ParseHost(serverURL)
	if err != nil {
		o.t.Fatal(err)
	}
	e, err := o.wiring().Roots.Get(context.Background(), h.Key())
	return e, err == nil
}

// sandbox is a hermetic HOME in which the real binary (the full build)
// runs the commands.
type sandbox struct{ *clitest.Sandbox }

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	return &sandbox{clitest.New(t, clitest.Binary(t, ""))}
}

func TestMain(m *testing.M) {
	code := m.Run()
	clitest.Cleanup()
	os.Exit(code)
}

// sandbox returns a sandbox for the real binary over the same HOME.
func (o *opEnv) sandbox() *sandbox {
	s := newSandbox(o.t)
	s.Home = o.home
	env := []string{"GOCOVERDIR=" + o.path("cover")}
	for k, v := range o.vars {
		env = append(env, k+"="+v)
	}
	if err := os.MkdirAll(o.path("cover"), 0o700); err != nil {
		o.t.Fatal(err)
	}
	s.Env = env
	return s
}

// golden compares got with testdata/<name>.golden, after replacing the
// temporary HOME with $HOME; -update rewrites the file.
func golden(t *testing.T, name, home, got string) {
	t.Helper()
	got = strings.ReplaceAll(got, home, "$HOME")
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// setNow fixes the operator commands' clock for the test.
func setNow(t *testing.T, at time.Time) {
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

func TestParseArgs_interspersed(t *testing.T) {
	u := usage{name: "x"}
	fs := newFlags(u)
	user := fs.String("username", "", "")
	pos, code, done := parseArgs(u, fs, []string{"quay.io", "--username", "bob", "--", "-weird"}, io.Discard, io.Discard)
	if done || code != 0 || *user != "bob" || strings.Join(pos, " ") != "quay.io -weird" {
		t.Errorf("parseArgs = %q, %d, %v; username %q", pos, code, done, *user)
	}
	var errb bytes.Buffer
	if _, code, done := parseArgs(u, newFlags(u), []string{"--bogus"}, io.Discard, &errb); !done || code != 2 || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("bad flag: code %d, done %v, stderr %q", code, done, errb.String())
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second:                        "45s",
		4*time.Minute + 30*time.Second:          "4m30s",
		59*time.Minute + 59*time.Second:         "59m59s",
		12 * time.Hour:                          "12h0m",
		11*time.Hour + 59*time.Minute:           "11h59m",
		72*time.Hour + 5*time.Hour:              "3d5h",
		-(2*time.Minute + 100*time.Millisecond): "-2m0s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestOperator_everyCommandHasHelp runs --help of every registered command.
func TestOperator_everyCommandHasHelp(t *testing.T) {
	o := newOpEnv(t)
	for _, name := range []string{"help", "login", "logout", "status", "doctor", "configure", "import"} {
		if _, ok := commands()[name]; !ok {
			t.Errorf("command %s is not registered", name)
			continue
		}
		out := o.must("", name, "--help")
		if !strings.HasPrefix(out, "Usage: docker-credential-mint "+name) || !strings.Contains(out, "Example") {
			t.Errorf("%s --help = %q, want a usage with an example", name, out)
		}
	}
}

// testJWT returns an unsigned JWT whose exp claim is exp (Unix seconds).
func testJWT(t *testing.T, exp int64) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(fmt.Sprintf(`{"sub":"ci","exp":%d}`, exp))) + ".c2ln"
}
