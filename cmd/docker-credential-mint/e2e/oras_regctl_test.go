// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestOras_LoginPushPullLogout: oras (oras-go's native store) logs in through
// credsStore, pushes and pulls an artifact, and logs out.
func TestOras_LoginPushPullLogout(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "oras")

	e.run(alicePW+"\n", "oras", "login", "--plain-http", "-u", "alice", "--password-stdin", r.host)
	e.wantLoggedIn(r.host, "alice", alicePW)

	work := filepath.Join(e.root, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	content := "artifact of " + t.Name() + "\n"
	if err := os.WriteFile(filepath.Join(work, "hello.txt"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := r.host + "/alice/o:1"
	e.runIn(work, "", "oras", "push", "--plain-http", ref, "hello.txt:text/plain")
	out := filepath.Join(e.root, "out")
	e.run("", "oras", "pull", "--plain-http", "-o", out, ref)
	if b, err := os.ReadFile(filepath.Join(out, "hello.txt")); err != nil || string(b) != content {
		t.Errorf("oras pull: hello.txt = %q, %v; want %q", b, err, content)
	}

	e.run("", "oras", "logout", r.host)
	e.wantLoggedOut(r.host)
	e.fail("", "oras", "pull", "--plain-http", "-o", filepath.Join(e.root, "out2"), ref)
}

// TestRegctl_CredsStore: regctl reads the Docker config's credsStore: it
// lists the helper's keys, then gets each one, and uses them to list tags and
// copy an image.
func TestRegctl_CredsStore(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "regctl", "crane")
	e.setenv("REGCTL_CONFIG", filepath.Join(e.xdgConfig, "regctl", "config.json"))
	e.writeDockerConfig(configName+"log", nil)

	// As docker login would have it; a second, unrelated entry too.
	e.store(r.host, "alice", alicePW)
	carolPW := "carol-pw-" + randHex(6)
	addSecret(t, carolPW)
	e.store("other.example:5000", "carol", carolPW)
	cranePush(t, e, r.host+"/alice/g:1")

	e.run("", "regctl", "registry", "set", "--tls", "disabled", r.host)
	if out := e.run("", "regctl", "tag", "ls", r.host+"/alice/g"); strings.TrimSpace(out) != "1" {
		t.Errorf("regctl tag ls = %q, want 1", out)
	}
	e.run("", "regctl", "image", "copy", r.host+"/alice/g:1", r.host+"/alice/g:copy")
	if out := e.run("", "crane", "ls", r.host+"/alice/g"); !strings.Contains(out, "copy") {
		t.Errorf("crane ls after regctl image copy = %q, want tag copy", out)
	}

	calls := e.calls()
	if !slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "list") }) {
		t.Errorf("helper calls = %q, want a list (regctl reads every credsStore entry)", calls)
	}
	if !slices.Contains(calls, "get "+r.host) {
		t.Errorf("helper calls = %q, want get %s", calls, r.host)
	}
	t.Logf("helper calls: %q", calls)

	// The Docker-config credentials never end up in regctl's own config.
	b, err := os.ReadFile(filepath.Join(e.xdgConfig, "regctl", "config.json"))
	if err == nil && strings.Contains(string(b), carolPW) {
		t.Errorf("regctl config keeps a password:\n%s", redact(string(b)))
	}
}

// TestTwoRegistries_KeepSeparateCredentials: two registries on 127.0.0.1 with
// different ports, the same user name and different passwords: each keeps its
// own credential, and logging out of one leaves the other working.
func TestTwoRegistries_KeepSeparateCredentials(t *testing.T) {
	t.Parallel()
	e, r1 := registrySetup(t, map[string]string{"alice": alicePW}, "crane")
	r2 := startRegistry(t, map[string]string{"alice": alice2PW})

	craneLogin(t, e, r1.host, "alice", alicePW)
	craneLogin(t, e, r2.host, "alice", alice2PW)
	e.wantCred(r1.host, "alice", alicePW)
	e.wantCred(r2.host, "alice", alice2PW)
	if got := e.list(); len(got) != 2 {
		t.Errorf("list = %v, want two entries", got)
	}
	e.wantNoCred("127.0.0.1")

	cranePush(t, e, r1.host+"/alice/two:1")
	cranePush(t, e, r2.host+"/alice/two:1")

	craneLogout(t, e, r1.host)
	e.wantNoCred(r1.host)
	e.wantCred(r2.host, "alice", alice2PW)
	e.fail("", "crane", "ls", r1.host+"/alice/two")
	cranePush(t, e, r2.host+"/alice/two:2")
	e.wantNoAuthInDockerConfig()
}
