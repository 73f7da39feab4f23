// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/docker-credential-mint/mint/store/secretservice/sstest"
)

// TestKeychain_ConfigFileChoosesBackend: "keychain: file" in the file named
// by DOCKER_CREDENTIAL_MINT_CONFIG wins over auto's choice (a Secret Service
// is on the bus), and the default config path is read too.
func TestKeychain_ConfigFileChoosesBackend(t *testing.T) {
	t.Parallel()
	needHelper(t)
	needTools(t, "dbus-daemon", "gnome-keyring-daemon")
	ss := sstest.Start(t, sstest.Options{})
	for _, where := range []string{"env", "xdg"} {
		t.Run(where, func(t *testing.T) {
			e := newEnv(t)
			t.Cleanup(func() { scanForSecrets(t, ss.Dir) })
			e.setenv("DBUS_SESSION_BUS_ADDRESS", ss.Address)
			e.setenv("DOCKER_CREDENTIAL_MINT_KEYCHAIN", "")
			cfg := filepath.Join(e.root, "mint.yaml")
			if where == "xdg" {
				cfg = filepath.Join(e.xdgConfig, helperName, "config.yaml")
			} else {
				e.setenv("DOCKER_CREDENTIAL_MINT_CONFIG", cfg)
			}
			if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cfg, []byte("keychain: file\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			host := "127.0.0.1:5998"
			e.store(host, "alice", alicePW)
			e.wantCred(host, "alice", alicePW)
			if !fileStoreUsed(e) {
				t.Errorf("keychain: file in %s config: the file store was not used", where)
			}
		})
	}
}
