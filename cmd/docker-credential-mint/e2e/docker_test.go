// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package e2e

import (
	"strings"
	"testing"
)

// dockerSetup gives a test a registry with alice and bob, the shared dockerd
// and a Docker config whose credsStore is the helper.
func dockerSetup(t *testing.T) (*env, *registry) {
	t.Helper()
	needHelper(t)
	e := newEnv(t)
	needDockerd(t, e)
	r := startRegistry(t, map[string]string{"alice": alicePW, "bob": bobPW})
	e.writeDockerConfig(configName, nil)
	return e, r
}

// dockerImage imports a one-file image into dockerd as ref.
func dockerImage(t *testing.T, e *env, ref string) {
	t.Helper()
	e.run("", "docker", "import", layerTar(t, "hello.txt", "hello from "+t.Name()+"\n"), ref)
	t.Cleanup(func() { e.exec("", "", "docker", "rmi", "-f", ref) })
}

// TestDocker_LoginPushPullLogout: docker login stores the credential through
// the helper (never in config.json), push and pull use it, and docker logout
// erases it under every spelling.
func TestDocker_LoginPushPullLogout(t *testing.T) {
	t.Parallel()
	e, r := dockerSetup(t)

	out := e.run(alicePW+"\n", "docker", "login", r.host, "-u", "alice", "--password-stdin")
	if !strings.Contains(out, "Login Succeeded") {
		t.Errorf("docker login: no \"Login Succeeded\":\n%s", redact(out))
	}
	if got := e.list(); got[r.host] != "alice" {
		t.Errorf("list after docker login = %v, want %s: alice", got, r.host)
	}
	for _, key := range []string{r.host, "http://" + r.host, "https://" + r.host + "/v2/", "https://" + r.host + "/"} {
		e.wantCred(key, "alice", alicePW)
	}
	e.wantNoAuthInDockerConfig()

	ref := r.host + "/alice/hello:1"
	dockerImage(t, e, ref)
	e.run("", "docker", "push", ref)
	e.run("", "docker", "rmi", ref)
	e.run("", "docker", "pull", ref)

	e.run("", "docker", "logout", r.host)
	for _, key := range []string{r.host, "http://" + r.host, "https://" + r.host + "/v2/"} {
		e.wantNoCred(key)
	}
	if got := e.list(); len(got) != 0 {
		t.Errorf("list after docker logout = %v, want {}", got)
	}
	// Logging out twice is not an error, and leaves no warning.
	if out := e.run("", "docker", "logout", r.host); strings.Contains(out, "WARNING") {
		t.Errorf("second docker logout warns:\n%s", redact(out))
	}
	// Without the credential the registry refuses the pull.
	e.run("", "docker", "rmi", ref)
	e.fail("", "docker", "pull", ref)
	e.wantNoAuthInDockerConfig()
}

// TestDocker_WrongPasswordKeepsCredential: a failed docker login stores
// nothing and leaves the stored credential as it was.
func TestDocker_WrongPasswordKeepsCredential(t *testing.T) {
	t.Parallel()
	e, r := dockerSetup(t)

	e.run(alicePW+"\n", "docker", "login", r.host, "-u", "alice", "--password-stdin")
	e.fail("not-"+bobPW+"\n", "docker", "login", r.host, "-u", "bob", "--password-stdin")
	e.wantCred(r.host, "alice", alicePW)

	ref := r.host + "/alice/kept:1"
	dockerImage(t, e, ref)
	e.run("", "docker", "push", ref)
	e.wantNoAuthInDockerConfig()
}

// TestDocker_ReloginAsOtherUser: a login as another user replaces the stored
// credential at once (the stock pass and secretservice helpers keep both).
func TestDocker_ReloginAsOtherUser(t *testing.T) {
	t.Parallel()
	e, r := dockerSetup(t)

	e.run(alicePW+"\n", "docker", "login", r.host, "-u", "alice", "--password-stdin")
	e.wantCred(r.host, "alice", alicePW)
	e.run(bobPW+"\n", "docker", "login", "http://"+r.host, "-u", "bob", "--password-stdin")
	e.wantCred(r.host, "bob", bobPW)
	if got := e.list(); len(got) != 1 || got[r.host] != "bob" {
		t.Errorf("list after re-login = %v, want only %s: bob", got, r.host)
	}

	ref := r.host + "/bob/x:1"
	dockerImage(t, e, ref)
	e.run("", "docker", "push", ref)
	e.wantNoAuthInDockerConfig()
}
