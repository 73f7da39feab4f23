// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store/secretservice/sstest"
)

func TestBinary_secretService(t *testing.T) {
	ss := sstest.Start(t, sstest.Options{})
	s := newSandbox(t, "DBUS_SESSION_BUS_ADDRESS="+ss.Address)
	s.Env = append(withoutVar(s.Env, "DOCKER_CREDENTIAL_MINT_KEYCHAIN"), "DOCKER_CREDENTIAL_MINT_KEYCHAIN=secretservice")
	s.Store("127.0.0.1:5000", "alice", "alicepw")
	s.Store("https://127.0.0.1:5000/v2/", "bob", "bobpw") // re-login as another user
	if out := s.Must("http://127.0.0.1:5000", "get"); !strings.Contains(out, `"Username":"bob","Secret":"bobpw"`) {
		t.Errorf("get after re-login = %q, want bob", out)
	}
	if out := s.Must("unused", "list"); out != `{"https://127.0.0.1:5000/v2/":"bob"}`+"\n" {
		t.Errorf("list = %q", out)
	}
	for range 2 {
		s.Must("127.0.0.1:5000", "erase")
	}
	if out, _, code := s.Exec("127.0.0.1:5000", "get"); code != 1 || out != "credentials not found in native keychain\n" {
		t.Errorf("get after erase = %q (exit %d)", out, code)
	}
	// auto finds the Secret Service on the session bus.
	auto := newSandbox(t, "DBUS_SESSION_BUS_ADDRESS="+ss.Address)
	auto.Env = append(withoutVar(auto.Env, "DOCKER_CREDENTIAL_MINT_KEYCHAIN"), "DOCKER_CREDENTIAL_MINT_KEYCHAIN=auto")
	auto.Store("auto.example", "a", "autopw")
	if out := s.Must("auto.example", "get"); !strings.Contains(out, "autopw") {
		t.Errorf("auto did not store into the Secret Service: %q", out)
	}
	if _, err := os.Stat(filepath.Join(auto.Home, "data", "docker-credential-mint")); err == nil {
		t.Errorf("auto wrote a file store although a Secret Service answered")
	}
}

func TestBinary_autoHeadless(t *testing.T) {
	s := newSandbox(t)
	s.Env = append(withoutVar(withoutVar(s.Env, "DOCKER_CREDENTIAL_MINT_KEYCHAIN"), "DBUS_SESSION_BUS_ADDRESS"),
		"DOCKER_CREDENTIAL_MINT_KEYCHAIN=auto", "PASSWORD_STORE_DIR="+filepath.Join(s.Home, "no-pass"))
	s.Store("headless.example", "ci", "cipw")
	if out := s.Must("headless.example", "get"); !strings.Contains(out, "cipw") {
		t.Errorf("get = %q", out)
	}
	if _, err := os.Stat(filepath.Join(s.Home, "data", "docker-credential-mint", "credentials.mint")); err != nil {
		t.Errorf("auto without D-Bus or pass did not use the file store: %v", err)
	}
}

func TestBinary_secretServiceUnavailable(t *testing.T) {
	sstest.Require(t, sstest.Programs...)
	bare := sstest.Start(t, sstest.Options{NoKeyring: true})
	for name, bus := range map[string]string{"no bus": "", "no Secret Service": bare.Address} {
		s := newSandbox(t)
		s.Env = append(withoutVar(withoutVar(s.Env, "DOCKER_CREDENTIAL_MINT_KEYCHAIN"), "DBUS_SESSION_BUS_ADDRESS"), "DOCKER_CREDENTIAL_MINT_KEYCHAIN=secretservice")
		if bus != "" {
			s.Env = append(s.Env, "DBUS_SESSION_BUS_ADDRESS="+bus)
		}
		out, errs, code := s.Exec(`{"ServerURL":"x.example","Username":"u","Secret":"s"}`, "store")
		if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "secretservice") || errs != "" {
			t.Errorf("%s: store = %q, stderr %q (exit %d); want a one-line secretservice error", name, out, errs, code)
		}
		t.Logf("%s: %s", name, strings.TrimSpace(out))
	}
}

// TestDoctor_secretServiceLocked: doctor against a real gnome-keyring whose
// login collection is locked says so, with the fix, and exits 1; unlocked,
// the same keychain passes.
func TestDoctor_secretServiceLocked(t *testing.T) {
	ss := sstest.Start(t, sstest.Options{})
	s := newSandbox(t, "DBUS_SESSION_BUS_ADDRESS="+ss.Address)
	s.Env = append(withoutVar(s.Env, "DOCKER_CREDENTIAL_MINT_KEYCHAIN"), "DOCKER_CREDENTIAL_MINT_KEYCHAIN=secretservice")
	s.Store("locked.example", "u", "lockedpw")
	ctx := context.Background()
	if err := ss.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	out, errs, code := s.Exec("", "doctor")
	t.Logf("doctor, locked:\n%s%s", out, errs)
	if code != 1 || !strings.Contains(out, "locked") || strings.Contains(out+errs, "lockedpw") {
		t.Errorf("doctor on a locked keyring: exit %d, stdout %q, stderr %q; want exit 1 naming the lock", code, out, errs)
	}
	if err := ss.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := s.Exec("", "doctor"); strings.Contains(out, "locked") {
		t.Errorf("doctor on an unlocked keyring: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
