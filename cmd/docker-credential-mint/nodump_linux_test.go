// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker-credential-mint/mint/store/usertest"
)

// TestBinary_noCoreDump: both builds, run for real, set RLIMIT_CORE to 0
// (soft and hard) and clear their dumpable flag before they touch a secret.
// A child of the helper reports on its parent: the keychain is pass, and
// the pass program on PATH is a script that reads /proc/$PPID/limits and
// the owner of /proc/$PPID/environ, which the kernel shows as root while
// the process is not dumpable. That owner says something only when the helper
// is not root: as root the test runs it as nobody too.
func TestBinary_noCoreDump(t *testing.T) {
	uids := []int{os.Geteuid()}
	if os.Geteuid() == 0 {
		uids = append(uids, usertest.Nobody)
	}
	for _, build := range []string{"full", "lean"} {
		tags := build
		if build == "full" {
			tags = ""
		}
		bin := clitest.Binary(t, tags)
		for _, uid := range uids {
			limits, owner := helperAsSeenByChild(t, bin, uid)
			if f := strings.Fields(limits); len(f) != 7 || f[4] != "0" || f[5] != "0" {
				t.Errorf("%s build as uid %d: /proc/<pid>/limits says %q, want a core file size of 0, soft and hard", build, uid, limits)
			}
			if uid != 0 && owner != "0" {
				t.Errorf("%s build as uid %d: /proc/<pid> belongs to uid %s, want 0 (the process is not dumpable)", build, uid, owner)
			}
		}
	}
}

// helperAsSeenByChild runs bin's store as uid with the pass keychain and
// returns what its pass child saw of it: the "Max core file size" line of
// its limits and the owner of its /proc/<pid>/environ.
func helperAsSeenByChild(t *testing.T, bin string, uid int) (limits, owner string) {
	t.Helper()
	home := usertest.Mkdir(t, filepath.Join(usertest.SharedDir(t), "home"), 0o700, uid)
	dir := func(rel string) string { return usertest.Mkdir(t, filepath.Join(home, rel), 0o700, uid) }
	out, passDir, binDir := dir("out"), dir("pass"), dir("bin")
	usertest.WriteFile(t, filepath.Join(passDir, ".gpg-id"), "test@example.com\n", 0o600, uid)
	script := "#!/bin/sh\n" +
		"grep '^Max core file size' /proc/$PPID/limits > " + out + "/limits\n" +
		"stat -c %u /proc/$PPID/environ > " + out + "/owner\n" +
		"for name; do :; done\n" + // pass insert -m -f NAME: keep what real pass would
		"mkdir -p \"$PASSWORD_STORE_DIR/$(dirname \"$name\")\"\n" +
		"cat > \"$PASSWORD_STORE_DIR/$name.gpg\"\n"
	usertest.WriteFile(t, filepath.Join(binDir, "pass"), script, 0o755, uid)
	usertest.WriteFile(t, filepath.Join(binDir, "gpg"), "#!/bin/sh\nexit 1\n", 0o755, uid)

	cmd := usertest.Command(t, uid, bin, "store")
	cmd.Env = []string{
		"PATH=" + binDir + ":/usr/bin:/bin",
		"HOME=" + home,
		"XDG_DATA_HOME=" + dir("data"),
		"XDG_CONFIG_HOME=" + dir("config"),
		"XDG_CACHE_HOME=" + dir("cache"),
		"XDG_RUNTIME_DIR=" + dir("run"),
		"DOCKER_CONFIG=" + dir("docker"),
		"DOCKER_CREDENTIAL_MINT_KEYCHAIN=pass",
		"PASSWORD_STORE_DIR=" + passDir,
		"GORACE=atexit_sleep_ms=50",
	}
	cmd.Stdin = strings.NewReader(`{"ServerURL":"quay.io","Username":"robot","Secret":"s3cret"}`)
	if b, err := cmd.Output(); err != nil {
		t.Fatalf("store as uid %d: %v, stdout %q", uid, err, b)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("the pass child left no %s: %v", name, err)
		}
		return strings.TrimSpace(string(b))
	}
	return read("limits"), read("owner")
}
