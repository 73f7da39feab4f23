// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package dockercfg

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store/usertest"
)

// TestMain runs the child of TestWriteFileAtomic_plantedLink/unprivileged
// when MINT_DOCKERCFG_CHILD is set: it writes MINT_PATH and prints the
// error, or <nil>.
func TestMain(m *testing.M) {
	if os.Getenv("MINT_DOCKERCFG_CHILD") == "write" {
		fmt.Println(WriteFileAtomic(os.Getenv("MINT_PATH"), []byte(`{"credsStore":"mint"}`), 0o600))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const victimData = "root-only: unchanged\n"

// victim returns a file only its owner uid can read and write, in a
// directory only uid can enter.
func victim(t *testing.T, base string, uid int) string {
	t.Helper()
	dir := usertest.Mkdir(t, filepath.Join(base, "victim-only"), 0o700, uid)
	return usertest.WriteFile(t, filepath.Join(dir, "shadow"), victimData, 0o600, uid)
}

// refusedLink checks that err is a one-line refusal containing want and
// that neither the link nor its target changed.
func refusedLink(t *testing.T, err error, want, link, target string) {
	t.Helper()
	if err == nil {
		t.Errorf("the write went through the link %s", link)
	} else if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Errorf("error = %q, want one line containing %q", msg, want)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != victimData {
		t.Errorf("%s = %q, %v after the refusal; want it unchanged", target, b, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link %s was replaced: %v", link, err)
	}
}

// TestWriteFileAtomic_untrustedLinks: a link in a directory others can
// write, or pointing into one, or a chain through one, is not followed,
// even when this user made it.
func TestWriteFileAtomic_untrustedLinks(t *testing.T) {
	self := os.Geteuid()
	safe := usertest.Mkdir(t, filepath.Join(t.TempDir(), "safe"), 0o700, self)
	target := usertest.WriteFile(t, filepath.Join(safe, "real.json"), victimData, 0o600, self)

	open := usertest.Mkdir(t, filepath.Join(t.TempDir(), "open"), os.ModeSticky|0o777, self)
	link := usertest.Symlink(t, target, filepath.Join(open, "config.json"), self)
	refusedLink(t, WriteFileAtomic(link, []byte("{}"), 0o600), "not followed: directory "+open+" is writable by group or others (mode 1777); fix: chmod go-w "+open+", or remove the link", link, target)

	openTarget := usertest.WriteFile(t, filepath.Join(open, "real.json"), victimData, 0o600, self)
	link = usertest.Symlink(t, openTarget, filepath.Join(safe, "config.json"), self)
	refusedLink(t, WriteFileAtomic(link, []byte("{}"), 0o600), "directory "+open+" is writable by group or others", link, openTarget)

	// safe/chain -> open/hop -> safe/real.json
	hop := usertest.Symlink(t, target, filepath.Join(open, "hop"), self)
	link = usertest.Symlink(t, hop, filepath.Join(safe, "chain"), self)
	refusedLink(t, WriteFileAtomic(link, []byte("{}"), 0o600), "directory "+open, link, target)

	// A relative link to a file of this user beside it is followed.
	link = usertest.Symlink(t, "real.json", filepath.Join(safe, "relative.json"), self)
	if err := WriteFileAtomic(link, []byte("{}"), 0o600); err != nil {
		t.Errorf("WriteFileAtomic through a link of this user in a 0700 directory: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "{}" {
		t.Errorf("target = %q, want {}", b)
	}
}

// TestWriteFileNoFollow: no link is written through, not even this user's.
func TestWriteFileNoFollow(t *testing.T) {
	dir := t.TempDir()
	target := usertest.WriteFile(t, filepath.Join(dir, "real.json"), victimData, 0o600, os.Geteuid())
	link := usertest.Symlink(t, target, filepath.Join(dir, "out.json"), os.Geteuid())
	refusedLink(t, WriteFileNoFollow(link, []byte("secret"), 0o600), link+" is a symbolic link: not writing credentials through it", link, target)
	plain := filepath.Join(dir, "new", "out.json")
	if err := WriteFileNoFollow(plain, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(plain); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("new file: %v, %v", fi, err)
	}
}

// TestWriteFileAtomic_plantedLink is the attack: another user plants
// config.json as a symbolic link to a file only the victim can write. Root
// must refuse it (the planter is nobody), and so must an unprivileged user
// (nobody; the planter is a third uid), in one line, changing nothing.
func TestWriteFileAtomic_plantedLink(t *testing.T) {
	usertest.NeedRoot(t)
	t.Run("root", func(t *testing.T) {
		base := usertest.SharedDir(t)
		target := victim(t, base, 0)
		// In the planter's own directory ...
		theirs := usertest.Mkdir(t, filepath.Join(base, "theirs"), 0o755, usertest.Nobody)
		link := usertest.Symlink(t, target, filepath.Join(theirs, "config.json"), usertest.Nobody)
		refusedLink(t, WriteFileAtomic(link, []byte("{}"), 0o600), "not followed: "+link+" belongs to uid 65534, not to this user (uid 0) or root", link, target)
		// ... or in a shared sticky directory such as /tmp.
		shared := usertest.Mkdir(t, filepath.Join(base, "tmp"), os.ModeSticky|0o777, 0)
		link = usertest.Symlink(t, target, filepath.Join(shared, "config.json"), usertest.Nobody)
		refusedLink(t, WriteFileAtomic(link, []byte("{}"), 0o600), "belongs to uid 65534", link, target)
		// A link root made, to a file of another user, is not followed either.
		mine := usertest.Mkdir(t, filepath.Join(base, "mine"), 0o700, 0)
		theirFile := usertest.WriteFile(t, filepath.Join(theirs, "file.json"), victimData, 0o600, usertest.Nobody)
		link = usertest.Symlink(t, theirFile, filepath.Join(mine, "config.json"), 0)
		refusedLink(t, WriteFileAtomic(link, []byte("{}"), 0o600), theirFile+" belongs to uid 65534", link, theirFile)
	})
	t.Run("unprivileged", func(t *testing.T) {
		base := usertest.SharedDir(t)
		target := victim(t, base, usertest.Nobody)
		shared := usertest.Mkdir(t, filepath.Join(base, "tmp"), os.ModeSticky|0o777, 0)
		link := usertest.Symlink(t, target, filepath.Join(shared, "config.json"), usertest.Nobody-1)
		cmd := usertest.Command(t, usertest.Nobody, os.Args[0], "-test.run=^$")
		cmd.Env = []string{"MINT_DOCKERCFG_CHILD=write", "MINT_PATH=" + link}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child as nobody: %v", err)
		}
		refusedLink(t, asError(string(out)), link+" belongs to uid 65533, not to this user (uid 65534) or root", link, target)
	})
}

// asError turns a child's printed error back into one.
func asError(out string) error {
	if out = strings.TrimSuffix(out, "\n"); out == "<nil>" {
		return nil
	}
	return fmt.Errorf("%s", out)
}
