// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package credentials

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store/usertest"
)

// TestMain runs the child of TestLoadConfigFile_asNobody when
// MINT_CREDENTIALS_CHILD is set.
func TestMain(m *testing.M) {
	if os.Getenv("MINT_CREDENTIALS_CHILD") == "load" {
		_, err := LoadConfigFile(os.Getenv("MINT_CONFIG"))
		fmt.Println(err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// execConfig is a config whose exec entry runs cmd.
func execConfig(cmd string) string {
	return "registries:\n  - match: localhost:5000\n    provider: exec\n    command: [" + cmd + ", --audience, registry]\n    username: token\n"
}

// refusedConfig checks that err is a one-line refusal wrapping
// ErrUntrusted that contains each of want.
func refusedConfig(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("LoadConfigFile accepted it; want a refusal containing %q", want)
		return
	}
	msg := err.Error()
	if !errors.Is(err, ErrUntrusted) || strings.Contains(msg, "\n") {
		t.Errorf("error = %q, want one line wrapping ErrUntrusted", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error = %q, want it to contain %q", msg, w)
		}
	}
}

// TestLoadConfigFile_writableByOthers: a config file, or its directory,
// that group or others can write is refused in one line naming it and the
// chmod that fixes it; the same for an exec entry's command. A private one
// is read.
func TestLoadConfigFile_writableByOthers(t *testing.T) {
	self := os.Geteuid()
	dir := usertest.Mkdir(t, filepath.Join(t.TempDir(), "conf"), 0o755, self)
	path := usertest.WriteFile(t, filepath.Join(dir, "config.yaml"), execConfig("/bin/true"), 0o644, self)
	if _, err := LoadConfigFile(path); err != nil {
		t.Fatalf("LoadConfigFile(a 0644 file in a 0755 directory) = %v", err)
	}

	for _, mode := range []os.FileMode{0o666, 0o664, 0o646} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfigFile(path)
		refusedConfig(t, err, "config "+path+": refused: "+path+" is writable by group or others", "fix: chmod go-w "+path)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o777, 0o775, os.ModeSticky | 0o777} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfigFile(path)
		refusedConfig(t, err, "config "+path+": refused: directory "+dir+" is writable by group or others", "fix: chmod go-w "+dir)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}

	// The exec command's own file, and its directory.
	bin := usertest.Mkdir(t, filepath.Join(t.TempDir(), "bin"), 0o755, self)
	tok := usertest.WriteFile(t, filepath.Join(bin, "make-token"), "#!/bin/sh\necho t\n", 0o757, self)
	usertest.WriteFile(t, path, execConfig(tok), 0o600, self)
	_, err := LoadConfigFile(path)
	refusedConfig(t, err, "config "+path+":2: command: refused: "+tok+" is writable by group or others (mode 0757)", "fix: chmod go-w "+tok)
	if err := os.Chmod(tok, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfigFile(path); err != nil {
		t.Errorf("LoadConfigFile with a 0755 command = %v", err)
	}
	if err := os.Chmod(bin, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfigFile(path)
	refusedConfig(t, err, "command: refused: directory "+bin+" is writable by group or others", "fix: chmod go-w "+bin)

	// A command that does not exist, or is looked up on PATH, is not
	// checked here: running it fails, or runs what PATH finds.
	usertest.WriteFile(t, path, execConfig(filepath.Join(bin, "absent"))+execConfig("make-token")[len("registries:\n"):], 0o600, self)
	if _, err := LoadConfigFile(path); err != nil {
		t.Errorf("LoadConfigFile with a missing command and a relative one = %v", err)
	}
}

// TestLoadDefaultConfig_writableByOthers: the get path's loader refuses too,
// and a missing default file is still no config.
func TestLoadDefaultConfig_writableByOthers(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv(ConfigEnv, "")
	if _, err := LoadDefaultConfig(); err != nil {
		t.Fatalf("LoadDefaultConfig() without a file = %v", err)
	}
	dir := usertest.Mkdir(t, filepath.Join(home, "docker-credential-mint"), 0o777, os.Geteuid())
	path := usertest.WriteFile(t, filepath.Join(dir, "config.yaml"), "keychain: file\n", 0o600, os.Geteuid())
	_, err := LoadDefaultConfig()
	refusedConfig(t, err, "config "+path+": refused: directory "+dir, "chmod go-w "+dir)
}

// TestLoadConfigFile_otherUsers: root refuses a config file, directory or
// exec command of another user (nobody), and nobody refuses one of a third
// user, while both accept root's.
func TestLoadConfigFile_otherUsers(t *testing.T) {
	usertest.NeedRoot(t)
	const third = usertest.Nobody - 1
	t.Run("root", func(t *testing.T) {
		base := usertest.SharedDir(t)
		theirs := usertest.Mkdir(t, filepath.Join(base, "theirs"), 0o755, usertest.Nobody)
		path := usertest.WriteFile(t, filepath.Join(theirs, "config.yaml"), "keychain: file\n", 0o644, 0)
		_, err := LoadConfigFile(path)
		refusedConfig(t, err, "refused: directory "+theirs+" belongs to uid 65534, not to this user (uid 0) or root", "fix: chown 0 "+theirs)

		mine := usertest.Mkdir(t, filepath.Join(base, "mine"), 0o755, 0)
		path = usertest.WriteFile(t, filepath.Join(mine, "config.yaml"), "keychain: file\n", 0o644, usertest.Nobody)
		_, err = LoadConfigFile(path)
		refusedConfig(t, err, "refused: "+path+" belongs to uid 65534", "fix: chown 0 "+path)

		tok := usertest.WriteFile(t, filepath.Join(mine, "make-token"), "#!/bin/sh\n", 0o755, usertest.Nobody)
		usertest.WriteFile(t, path, execConfig(tok), 0o644, 0)
		_, err = LoadConfigFile(path)
		refusedConfig(t, err, "command: refused: "+tok+" belongs to uid 65534")

		// A keyless entry's identity command, the same.
		usertest.WriteFile(t, path, `registries:
  - match: keyless.example
    provider: oauth2
    grant: token_exchange
    token_url: https://sts.example/token
    username: oauth2accesstoken
    identity:
      source: exec
      command: [`+tok+`]
`, 0o644, 0)
		_, err = LoadConfigFile(path)
		refusedConfig(t, err, "identity.command: refused: "+tok+" belongs to uid 65534")
	})
	t.Run("unprivileged", func(t *testing.T) {
		base := usertest.SharedDir(t)
		dir := usertest.Mkdir(t, filepath.Join(base, "conf"), 0o755, usertest.Nobody)
		path := usertest.WriteFile(t, filepath.Join(dir, "config.yaml"), "keychain: file\n", 0o644, third)
		if out := loadAsNobody(t, path); !strings.Contains(out, "refused: "+path+" belongs to uid 65533, not to this user (uid 65534) or root") ||
			!strings.Contains(out, "fix: chown 65534 "+path+" (as root), or use a copy of your own") {
			t.Errorf("LoadConfigFile as nobody of a file of uid %d = %q, want a refusal", third, out)
		}
		rootOwned := usertest.Mkdir(t, filepath.Join(base, "etc"), 0o755, 0)
		path = usertest.WriteFile(t, filepath.Join(rootOwned, "config.yaml"), execConfig("/bin/true"), 0o644, 0)
		if out := loadAsNobody(t, path); out != "<nil>\n" {
			t.Errorf("LoadConfigFile as nobody of root's file = %q, want <nil>", out)
		}
	})
}

// loadAsNobody runs LoadConfigFile(path) as nobody and returns what it
// printed: the error, or <nil>.
func loadAsNobody(t *testing.T, path string) string {
	t.Helper()
	cmd := usertest.Command(t, usertest.Nobody, os.Args[0], "-test.run=^$")
	cmd.Env = []string{"MINT_CREDENTIALS_CHILD=load", "MINT_CONFIG=" + path}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child as nobody: %v", err)
	}
	return string(out)
}
