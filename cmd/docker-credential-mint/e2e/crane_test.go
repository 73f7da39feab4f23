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

// craneLogin logs user in to host with crane auth login (password on
// stdin).
func craneLogin(t *testing.T, e *env, host, user, password string) {
	t.Helper()
	e.run(password, "crane", "auth", "login", host, "-u", user, "--password-stdin")
}

// craneLogout logs out of host with crane auth logout.
func craneLogout(t *testing.T, e *env, host string) {
	t.Helper()
	e.run("", "crane", "auth", "logout", host)
}

// cranePull pulls ref with crane into a tarball under e.root and returns its
// path.
func cranePull(t *testing.T, e *env, ref, name string) string {
	t.Helper()
	f := filepath.Join(e.root, name)
	e.run("", "crane", "pull", ref, f)
	return f
}

// wantCraneTags checks that crane ls of repo lists exactly want (one tag a
// line).
func wantCraneTags(t *testing.T, e *env, repo, want string) {
	t.Helper()
	if out := e.run("", "crane", "ls", repo); strings.TrimSpace(out) != want {
		t.Errorf("crane ls %s = %q, want %s", repo, out, want)
	}
}

// TestCrane_LoginPushListPullLogout: crane auth login stores through the
// helper; append (push), ls and pull read it back; logout erases it.
func TestCrane_LoginPushListPullLogout(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "crane")

	craneLogin(t, e, r.host, "alice", alicePW)
	e.wantLoggedIn(r.host, "alice", alicePW)

	ref := r.host + "/alice/c:1"
	cranePush(t, e, ref)
	wantCraneTags(t, e, r.host+"/alice/c", "1")
	if fi, err := os.Stat(cranePull(t, e, ref, "pulled.tar")); err != nil || fi.Size() == 0 {
		t.Errorf("crane pull wrote nothing: %v", err)
	}

	craneLogout(t, e, r.host)
	e.wantLoggedOut(r.host)
	e.fail("", "crane", "ls", r.host+"/alice/c")
}

// TestCrane_PathScopedEntryPreferred: crane asks for host/repo before host; a
// credential stored for 127.0.0.1:PORT/alice wins over the host's for
// repositories under alice/, and the host's entry serves the rest.
func TestCrane_PathScopedEntryPreferred(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW, "bob": bobPW}, "crane")
	// The logging shim in front of the helper records every call.
	e.writeDockerConfig(configName+"log", nil)

	e.store(r.host, "bob", "not-the-right-password")
	e.store(r.host+"/alice", "alice", alicePW)

	ref := r.host + "/alice/scoped:1"
	cranePush(t, e, ref)
	wantCraneTags(t, e, r.host+"/alice/scoped", "1")
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
