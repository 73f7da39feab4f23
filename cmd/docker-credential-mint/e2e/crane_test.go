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

// cranePush pushes a one-file image to ref with crane (credentials from the
// Docker config of e).
func cranePush(t *testing.T, e *env, ref string) {
	t.Helper()
	e.run("", "crane", "append", "-f", layerTar(t, "hello.txt", "hello from "+t.Name()+"\n"), "-t", ref)
}

// TestCrane_LoginPushListPullLogout: crane auth login stores through the
// helper; append (push), ls and pull read it back; logout erases it.
func TestCrane_LoginPushListPullLogout(t *testing.T) {
	t.Parallel()
	needHelper(t)
	needTools(t, "crane")
	e := newEnv(t)
	r := startRegistry(t, map[string]string{"alice": alicePW})
	e.writeDockerConfig(configName, nil)

	e.run(alicePW, "crane", "auth", "login", r.host, "-u", "alice", "--password-stdin")
	e.wantCred(r.host, "alice", alicePW)
	e.wantNoAuthInDockerConfig()

	ref := r.host + "/alice/c:1"
	cranePush(t, e, ref)
	if out := e.run("", "crane", "ls", r.host+"/alice/c"); strings.TrimSpace(out) != "1" {
		t.Errorf("crane ls = %q, want 1", out)
	}
	pulled := filepath.Join(e.root, "pulled.tar")
	e.run("", "crane", "pull", ref, pulled)
	if fi, err := os.Stat(pulled); err != nil || fi.Size() == 0 {
		t.Errorf("crane pull wrote nothing: %v", err)
	}

	e.run("", "crane", "auth", "logout", r.host)
	e.wantNoCred(r.host)
	e.fail("", "crane", "ls", r.host+"/alice/c")
	e.wantNoAuthInDockerConfig()
}

// TestCrane_PathScopedEntryPreferred: crane asks for host/repo before host; a
// credential stored for 127.0.0.1:PORT/alice wins over the host's for
// repositories under alice/, and the host's entry serves the rest.
func TestCrane_PathScopedEntryPreferred(t *testing.T) {
	t.Parallel()
	needHelper(t)
	needTools(t, "crane")
	e := newEnv(t)
	r := startRegistry(t, map[string]string{"alice": alicePW, "bob": bobPW})
	// The logging shim in front of the helper records every call.
	e.writeDockerConfig(configName+"log", nil)

	e.store(r.host, "bob", "not-the-right-password")
	e.store(r.host+"/alice", "alice", alicePW)

	ref := r.host + "/alice/scoped:1"
	cranePush(t, e, ref)
	if out := e.run("", "crane", "ls", r.host+"/alice/scoped"); strings.TrimSpace(out) != "1" {
		t.Errorf("crane ls = %q, want 1", out)
	}
	calls := e.calls()
	if want := "get " + r.host + "/alice/scoped"; !slices.Contains(calls, want) {
		t.Errorf("helper calls = %q, want %q among them", calls, want)
	}
	if slices.Contains(calls, "get "+r.host) {
		t.Errorf("helper calls = %q: crane fell back to the host entry although the path-scoped one answers", calls)
	}

	// Outside alice/ the host's (wrong) credential is used: 401.
	out := e.fail("", "crane", "ls", r.host+"/bob/x")
	if !strings.Contains(out, "UNAUTHORIZED") && !strings.Contains(out, "401") {
		t.Errorf("crane ls bob/x with the host's wrong password: want 401, got:\n%s", redact(out))
	}
	calls = e.calls()
	if i := slices.Index(calls, "get "+r.host+"/bob/x"); i < 0 || !slices.Contains(calls[i:], "get "+r.host) {
		t.Errorf("helper calls = %q, want get %s/bob/x then get %s", calls, r.host, r.host)
	}

	// A correct host credential then serves bob/ too.
	e.store(r.host, "bob", bobPW)
	cranePush(t, e, r.host+"/bob/x:1")
	e.wantCred(r.host+"/alice", "alice", alicePW)
	t.Logf("helper calls: %q", e.calls())
}
