// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
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
			useSecretService(t, e, ss)
			e.setenv("DOCKER_CREDENTIAL_MINT_KEYCHAIN", "")
			if where == "xdg" {
				e.writeDefaultMintConfig("keychain: file\n")
			} else {
				e.writeMintConfig("keychain: file\n")
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
