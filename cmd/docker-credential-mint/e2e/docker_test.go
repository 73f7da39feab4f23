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

// dockerSetup gives a test a registry with alice and bob, the shared dockerd
// and a Docker config whose credsStore is the helper.
func dockerSetup(t *testing.T) (*env, *registry) {
	t.Helper()
	e, r := registrySetup(t, map[string]string{"alice": alicePW, "bob": bobPW})
	needDockerd(t, e)
	return e, r
}

// dockerLogin logs user in to host with docker login (password on stdin)
// and returns its output.
func dockerLogin(t *testing.T, e *env, host, user, password string) string {
	t.Helper()
	return e.run(password+"\n", "docker", "login", host, "-u", user, "--password-stdin")
}

// dockerImage imports a one-file image into dockerd as ref.
func dockerImage(t *testing.T, e *env, ref string) {
	t.Helper()
	e.run("", "docker", "import", layerTar(t, "hello.txt", "hello from "+t.Name()+"\n"), ref)
	t.Cleanup(func() { e.exec("", "", "docker", "rmi", "-f", ref) })
}

// dockerPush imports a one-file image into dockerd as ref and pushes it.
func dockerPush(t *testing.T, e *env, ref string) {
	t.Helper()
	dockerImage(t, e, ref)
	e.run("", "docker", "push", ref)
}

// TestDocker_LoginPushPullLogout: docker login stores the credential through
// the helper (never in config.json), push and pull use it, and docker logout
// erases it under every spelling.
func TestDocker_LoginPushPullLogout(t *testing.T) {
	t.Parallel()
	e, r := dockerSetup(t)

	out := dockerLogin(t, e, r.host, "alice", alicePW)
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
	dockerPush(t, e, ref)
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

	e.writeDockerConfig(configName+"log", nil)
	dockerLogin(t, e, r.host, "alice", alicePW)
	e.fail("not-"+bobPW+"\n", "docker", "login", r.host, "-u", "bob", "--password-stdin")
	e.wantCred(r.host, "alice", alicePW)
	// One store (alice's login); the failed login stored nothing.
	if n := strings.Count(strings.Join(e.calls(), "\n"), "store"); n != 1 {
		t.Errorf("helper calls = %q, want exactly one store", e.calls())
	}

	ref := r.host + "/alice/kept:1"
	dockerPush(t, e, ref)
	e.wantNoAuthInDockerConfig()
}

// TestDocker_ReloginAsOtherUser: a login as another user replaces the stored
// credential at once (the stock pass and secretservice helpers keep both).
func TestDocker_ReloginAsOtherUser(t *testing.T) {
	t.Parallel()
	e, r := dockerSetup(t)

	dockerLogin(t, e, r.host, "alice", alicePW)
	e.wantCred(r.host, "alice", alicePW)
	dockerLogin(t, e, "http://"+r.host, "bob", bobPW)
	e.wantCred(r.host, "bob", bobPW)
	if got := e.list(); len(got) != 1 || got[r.host] != "bob" {
		t.Errorf("list after re-login = %v, want only %s: bob", got, r.host)
	}

	ref := r.host + "/bob/x:1"
	dockerPush(t, e, ref)
	e.wantNoAuthInDockerConfig()
}

// TestDocker_IdentityToken: against a registry with token auth, docker login
// receives a refresh token from the token server and stores it through the
// helper as an identity token (Username "<token>"), never the password; push
// and pull then work from that token alone, in docker and in crane.
func TestDocker_IdentityToken(t *testing.T) {
	t.Parallel()
	needHelper(t)
	needTools(t, "crane")
	e := newEnv(t)
	needDockerd(t, e)
	r := startTokenRegistry(t, map[string]string{"alice": alicePW})
	e.writeDockerConfig(configName, nil)

	dockerLogin(t, e, r.host, "alice", alicePW)
	c, ok := e.get(r.host)
	if !ok {
		t.Fatalf("get(%q) after docker login: not found", r.host)
	}
	if c.Username != "<token>" || c.Secret == "" || c.Secret == alicePW {
		t.Fatalf("get(%q) = %s/%s, want <token> and a refresh token", r.host, c.Username, redact(c.Secret))
	}
	addSecret(t, c.Secret)
	if got := e.list(); got[r.host] != "<token>" {
		t.Errorf("list = %v, want %s: <token>", got, r.host)
	}
	e.wantNoAuthInDockerConfig()

	ref := r.host + "/alice/id:1"
	dockerPush(t, e, ref)
	e.run("", "docker", "rmi", ref)
	e.run("", "docker", "pull", ref)
	wantCraneTags(t, e, r.host+"/alice/id", "1")
	// The token server's ACL: alice may not push to bob/.
	other := r.host + "/bob/id:1"
	dockerImage(t, e, other)
	e.fail("", "docker", "push", other)

	e.run("", "docker", "logout", r.host)
	e.wantNoCred(r.host)
}

// TestDocker_ClassicBuildListsAndGets: the classic builder (DOCKER_BUILDKIT=0)
// asks the helper for list, then get for every listed key, before the build,
// and pulls a private base image with what it got.
func TestDocker_ClassicBuildListsAndGets(t *testing.T) {
	t.Parallel()
	e, r := dockerSetup(t)
	e.writeDockerConfig(configName+"log", nil)

	dockerLogin(t, e, r.host, "alice", alicePW)
	carolPW := "carol-pw-" + randHex(6)
	addSecret(t, carolPW)
	e.store("other.example:5000", "carol", carolPW)
	base := r.host + "/alice/base:1"
	dockerPush(t, e, base)
	e.run("", "docker", "rmi", base)

	ctx := t.TempDir()
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM "+base+"\nLABEL org.example.mint=e2e\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	built := r.host + "/alice/built:1"
	e.setenv("DOCKER_BUILDKIT", "0")
	e.run("", "docker", "build", "-t", built, ctx)
	t.Cleanup(func() { e.exec("", "", "docker", "rmi", "-f", built, base) })
	e.run("", "docker", "push", built)

	calls := e.calls()
	i := slices.IndexFunc(calls, func(c string) bool { return strings.HasPrefix(c, "list") })
	if i < 0 {
		t.Fatalf("helper calls = %q, want a list before the build", calls)
	}
	for _, want := range []string{"get " + r.host, "get other.example:5000"} {
		if !slices.Contains(calls[i:], want) {
			t.Errorf("helper calls = %q, want %q after the list", calls, want)
		}
	}
}
