// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// containersSetup prepares e for containers/image clients (skopeo, podman):
// they ignore credsStore, so the auth file ($REGISTRY_AUTH_FILE) names the
// helper in credHelpers for each host. Their system files are replaced by
// files of the test: registries.conf, policy.json, containers.conf,
// storage.conf. It returns the policy file for skopeo's --policy.
func containersSetup(t *testing.T, e *env, hosts ...string) (policy string) {
	t.Helper()
	helpers := map[string]string{}
	for _, h := range hosts {
		helpers[h] = configName
	}
	e.writeAuthFile(helpers)
	// The Docker config as well, for the crane pushes that seed images.
	e.writeDockerConfig(configName, nil)

	dir := filepath.Join(e.root, "containers")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"registries.conf": "unqualified-search-registries = []\n",
		"policy.json":     `{"default":[{"type":"insecureAcceptAnything"}]}` + "\n",
		"containers.conf": "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n",
		"storage.conf": "[storage]\ndriver = \"vfs\"\n" +
			"graphroot = \"" + filepath.Join(dir, "root") + "\"\n" +
			"runroot = \"" + filepath.Join(dir, "runroot") + "\"\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.setenv("CONTAINERS_REGISTRIES_CONF", filepath.Join(dir, "registries.conf"))
	e.setenv("CONTAINERS_CONF", filepath.Join(dir, "containers.conf"))
	e.setenv("CONTAINERS_STORAGE_CONF", filepath.Join(dir, "storage.conf"))
	return filepath.Join(dir, "policy.json")
}

// skopeoLogin logs user in to host with skopeo login (password on stdin).
func skopeoLogin(t *testing.T, e *env, host, user, password string) {
	t.Helper()
	e.run(password+"\n", "skopeo", "login", "--tls-verify=false", "-u", user, "--password-stdin", host)
}

// skopeoLogout logs out of host with skopeo logout.
func skopeoLogout(t *testing.T, e *env, host string) {
	t.Helper()
	e.run("", "skopeo", "logout", host)
}

// skopeoInspect inspects the image ref (no transport prefix) with skopeo
// and returns its output.
func skopeoInspect(t *testing.T, e *env, ref string) string {
	t.Helper()
	return e.run("", "skopeo", "inspect", "--tls-verify=false", "docker://"+ref)
}

// TestSkopeo_LoginInspectCopyLogout: skopeo (containers/image) logs in,
// inspects and copies through the helper named in credHelpers, and logs out.
func TestSkopeo_LoginInspectCopyLogout(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "skopeo", "crane")
	policy := containersSetup(t, e, r.host)

	skopeoLogin(t, e, r.host, "alice", alicePW)
	e.wantCred(r.host, "alice", alicePW)

	ref := r.host + "/alice/s:1"
	cranePush(t, e, ref)
	if out := skopeoInspect(t, e, ref); !strings.Contains(out, `"Digest"`) {
		t.Errorf("skopeo inspect: no digest:\n%s", redact(out))
	}
	e.run("", "skopeo", "copy", "--policy", policy, "--src-tls-verify=false", "--dest-tls-verify=false",
		"docker://"+ref, "docker://"+r.host+"/alice/s:copy")
	skopeoInspect(t, e, r.host+"/alice/s:copy")

	skopeoLogout(t, e, r.host)
	e.wantNoCred(r.host)
	e.fail("", "skopeo", "inspect", "--tls-verify=false", "docker://"+ref)
	assertAuthFileClean(t, e)
}

// TestPodman_LoginPullPushLogout: rootful podman with its storage in the
// test's directory logs in through the helper, pulls, pushes and logs out.
func TestPodman_LoginPullPushLogout(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "podman", "crane")
	containersSetup(t, e, r.host)
	// podman refuses a runroot longer than 50 characters: t.TempDir's are.
	dir, err := os.MkdirTemp("", "mint-podman-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		scanForSecrets(t, dir)
		os.RemoveAll(dir)
	})
	podman := func(args ...string) []string {
		return append([]string{
			"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "runroot"),
			"--tmpdir", filepath.Join(dir, "tmp"),
			"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
		}, args...)
	}

	out := e.run(alicePW+"\n", "podman", podman("login", "--tls-verify=false", "-u", "alice", "--password-stdin", r.host)...)
	if !strings.Contains(out, "Login Succeeded") {
		t.Errorf("podman login: no \"Login Succeeded\":\n%s", redact(out))
	}
	e.wantCred(r.host, "alice", alicePW)

	ref := r.host + "/alice/p:1"
	cranePush(t, e, ref)
	e.run("", "podman", podman("pull", "--tls-verify=false", ref)...)
	e.run("", "podman", podman("tag", ref, r.host+"/alice/p:2")...)
	e.run("", "podman", podman("push", "--tls-verify=false", r.host+"/alice/p:2")...)
	if out := e.run("", "crane", "ls", r.host+"/alice/p"); !strings.Contains(out, "2") {
		t.Errorf("crane ls after podman push = %q, want tag 2", out)
	}

	e.run("", "podman", podman("logout", r.host)...)
	e.wantNoCred(r.host)
	e.fail("", "podman", podman("pull", "--tls-verify=false", r.host+"/alice/p:2")...)
	assertAuthFileClean(t, e)
	e.exec("", "", "podman", podman("rmi", "-a", "-f")...)
}

// assertAuthFileClean checks that the containers auth file holds no "auth".
func assertAuthFileClean(t *testing.T, e *env) {
	t.Helper()
	b, err := os.ReadFile(e.authFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"auth"`) {
		t.Errorf("%s keeps an auth entry:\n%s", e.authFile, redact(string(b)))
	}
}
