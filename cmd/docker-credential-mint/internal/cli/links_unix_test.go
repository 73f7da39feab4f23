// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store/usertest"
)

// victimData is what a planted link's target holds: JSON, so that the
// commands read it as a Docker config.
const victimData = "{\"root\": \"unchanged\"}\n"

// rootOnly is a file only root can read, in a directory only root can
// enter: what a planted link points at.
func rootOnly(t *testing.T, base string) string {
	t.Helper()
	dir := usertest.Mkdir(t, filepath.Join(base, "root-only"), 0o700, 0)
	return usertest.WriteFile(t, filepath.Join(dir, "shadow"), victimData, 0o600, 0)
}

// unchanged checks that the command failed in one line containing want,
// and that the link and its target are as they were.
func unchanged(t *testing.T, errs string, code int, want, link, target string) {
	t.Helper()
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q; want 1 and one line containing %q", code, errs, want)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != victimData {
		t.Errorf("%s = %q, %v: written through the link", target, b, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link %s was replaced: %v", link, err)
	}
}

// TestExport_outputLink: export --output never writes credentials through
// a symbolic link, not even one of this user's.
func TestExport_outputLink(t *testing.T) {
	o := newOpEnv(t)
	o.store("quay.io", "robot", canary)
	target := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(target, []byte(victimData), 0o600); err != nil {
		t.Fatal(err)
	}
	link := usertest.Symlink(t, target, filepath.Join(t.TempDir(), "out.json"), os.Geteuid())
	_, errs, code := o.run("", "export", "--format", "config", "--output", link)
	unchanged(t, errs, code, link+" is a symbolic link: not writing credentials through it", link, target)
	if strings.Contains(errs, canary) {
		t.Error("the error holds the secret")
	}
}

// TestConfigure_plantedLink is the attack on root: another user (nobody)
// owns the directory of the Docker config and has planted config.json as a
// link to a root-only file. configure, import and export --output run by
// root refuse it in one line and change nothing.
func TestConfigure_plantedLink(t *testing.T) {
	usertest.NeedRoot(t)
	base := usertest.SharedDir(t)
	target := rootOnly(t, base)
	theirs := usertest.Mkdir(t, filepath.Join(base, "docker"), 0o755, usertest.Nobody)
	link := usertest.Symlink(t, target, filepath.Join(theirs, "config.json"), usertest.Nobody)

	o := newOpEnv(t)
	o.installHelper("mint")
	o.vars["DOCKER_CONFIG"] = theirs
	_, errs, code := o.run("", "configure")
	unchanged(t, errs, code, link+" is a symbolic link another user could have planted or redirected, not followed: "+link+" belongs to uid 65534", link, target)

	// import reads the file, which a link may be; it must not write back
	// through it. A plaintext credential makes it want to.
	usertest.WriteFile(t, target, `{"auths":{"quay.io":{"auth":"cm9ib3Q6czNjcmV0"}}}`, 0o600, 0)
	_, errs, code = o.run("", "import", "--from", "docker")
	if code != 1 || !strings.Contains(errs, "not followed") {
		t.Errorf("import through the planted link: exit %d, stderr %q", code, errs)
	}
	if b, _ := os.ReadFile(target); string(b) != `{"auths":{"quay.io":{"auth":"cm9ib3Q6czNjcmV0"}}}` {
		t.Errorf("import wrote through the link: %s", b)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link %s was replaced: %v", link, err)
	}

	usertest.WriteFile(t, target, victimData, 0o600, 0)
	o.store("quay.io", "robot", canary)
	out := usertest.Symlink(t, target, filepath.Join(theirs, "export.json"), usertest.Nobody)
	_, errs, code = o.run("", "export", "--format", "config", "--output", out)
	unchanged(t, errs, code, "is a symbolic link", out, target)
}
