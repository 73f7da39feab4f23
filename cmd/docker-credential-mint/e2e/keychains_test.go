// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store/pass/passtest"
	"github.com/docker-credential-mint/mint/store/secretservice/sstest"
)

// keychainSmoke runs one client round trip with whatever backend e selects:
// crane login, push, ls, then the Docker CLI-free checks, then logout. The
// file store must stay unused.
func keychainSmoke(t *testing.T, e *env) {
	t.Helper()
	r := startRegistry(t, map[string]string{"alice": alicePW})
	e.writeDockerConfig(configName, nil)

	craneLogin(t, e, r.host, "alice", alicePW)
	e.wantCred(r.host, "alice", alicePW)
	e.wantCred("http://"+r.host+"/v2/", "alice", alicePW)
	if got := e.list(); got[r.host] != "alice" {
		t.Errorf("list = %v, want %s: alice", got, r.host)
	}
	cranePush(t, e, r.host+"/alice/k:1")
	wantCraneTags(t, e, r.host+"/alice/k", "1")
	craneLogout(t, e, r.host)
	e.wantLoggedOut(r.host)
	if r := e.helper("erase", r.host); r.code != 0 {
		t.Errorf("erase of a missing key:\n%s", r)
	}
	e.fail("", "crane", "ls", r.host+"/alice/k")

	if fileStoreUsed(e) {
		t.Errorf("%s/%s exists: the file store was used instead of the keychain", e.xdgData, helperName)
	}
}

// useSecretService points e at ss's session bus and has the secrets scan
// look through ss's directory (the keyring's files) too.
func useSecretService(t *testing.T, e *env, ss *sstest.Env) {
	t.Helper()
	t.Cleanup(func() { scanForSecrets(t, ss.Dir) })
	e.setenv("DBUS_SESSION_BUS_ADDRESS", ss.Address)
}

// TestSecretService_Smoke: the helper with DOCKER_CREDENTIAL_MINT_KEYCHAIN=
// secretservice keeps crane's login in a real gnome-keyring-daemon on a
// private D-Bus session bus.
func TestSecretService_Smoke(t *testing.T) {
	t.Parallel()
	needHelper(t)
	needTools(t, "crane", "dbus-daemon", "gnome-keyring-daemon")
	ss := sstest.Start(t, sstest.Options{})
	e := newEnv(t)
	useSecretService(t, e, ss)
	e.setenv("DOCKER_CREDENTIAL_MINT_KEYCHAIN", "secretservice")
	keychainSmoke(t, e)
}

// TestPass_Smoke: the same with DOCKER_CREDENTIAL_MINT_KEYCHAIN=pass, a
// throwaway gpg key and password store.
func TestPass_Smoke(t *testing.T) {
	t.Parallel()
	needHelper(t)
	needTools(t, "crane", "pass", "gpg", "gpg-agent")
	p := passtest.Start(t, passtest.Options{})
	e := newEnv(t)
	t.Cleanup(func() {
		scanForSecrets(t, p.GNUPGHOME)
		scanForSecrets(t, p.StoreDir)
	})
	for _, kv := range p.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		e.setenv(k, v)
	}
	e.setenv("DOCKER_CREDENTIAL_MINT_KEYCHAIN", "pass")
	keychainSmoke(t, e)
}

// fileStoreUsed reports whether the file store wrote anything for e.
func fileStoreUsed(e *env) bool {
	_, err := os.Stat(filepath.Join(e.xdgData, helperName))
	return err == nil
}

// TestKeychain_AutoWithoutDaemonsUsesFile: with keychain auto and neither a
// session bus nor an initialised pass store (a CI box, a container), the
// helper falls back to the file store at once, without prompting or hanging.
func TestKeychain_AutoWithoutDaemonsUsesFile(t *testing.T) {
	t.Parallel()
	needHelper(t)
	e := newEnv(t)
	e.setenv("DOCKER_CREDENTIAL_MINT_KEYCHAIN", "auto")
	start := time.Now()
	e.store("127.0.0.1:5999", "alice", alicePW)
	e.wantCred("127.0.0.1:5999", "alice", alicePW)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("store+get with keychain auto took %v; the probes must not wait", d)
	}
	if !fileStoreUsed(e) {
		t.Errorf("keychain auto without daemons: the file store was not used")
	}
}

// TestKeychain_AutoPrefersSecretService: with a Secret Service on the bus,
// auto picks it over the file store.
func TestKeychain_AutoPrefersSecretService(t *testing.T) {
	t.Parallel()
	needHelper(t)
	needTools(t, "dbus-daemon", "gnome-keyring-daemon")
	ss := sstest.Start(t, sstest.Options{})
	e := newEnv(t)
	useSecretService(t, e, ss)
	e.setenv("DOCKER_CREDENTIAL_MINT_KEYCHAIN", "auto")
	e.store("127.0.0.1:5999", "alice", alicePW)
	e.wantCred("127.0.0.1:5999", "alice", alicePW)
	if fileStoreUsed(e) {
		t.Errorf("keychain auto with a Secret Service: the file store was used")
	}
}
