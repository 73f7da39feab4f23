// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
)

// doctorEnv is a healthy setup: mint on PATH, credsStore mint, one stored
// credential.
func doctorEnv(t *testing.T) *opEnv {
	t.Helper()
	setNow(t, fixedNow)
	o := newOpEnv(t)
	o.installHelper("mint")
	o.write("docker/config.json", "{\n\t\"auths\": {\n\t\t\"quay.io\": {}\n\t},\n\t\"credsStore\": \"mint\"\n}\n")
	o.store("quay.io", "robot", canary)
	return o
}

// doctorGolden runs doctor, checks its exit status and compares its output
// with testdata/doctor/<name>.golden.
func doctorGolden(t *testing.T, o *opEnv, name string, wantCode int) string {
	t.Helper()
	out, errs, code := o.run("", "doctor")
	if code != wantCode || errs != "" {
		t.Errorf("doctor: exit %d (want %d), stderr %q", code, wantCode, errs)
	}
	if strings.Contains(out, canary) {
		t.Errorf("doctor printed a secret")
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(line, "error  ") && !strings.HasPrefix(line, "warn   ") && !strings.HasPrefix(line, "info   ") && !strings.HasPrefix(line, "ok     ") {
			t.Errorf("line without a severity: %q", line)
		}
	}
	golden(t, filepath.Join("doctor", name), o.home, out)
	return out
}

func TestDoctor_clean(t *testing.T) {
	doctorGolden(t, doctorEnv(t), "clean", 0)
}

func TestDoctor_keychainUnknown(t *testing.T) {
	o := doctorEnv(t)
	o.vars["DOCKER_CREDENTIAL_MINT_KEYCHAIN"] = "bogus"
	doctorGolden(t, o, "keychain-unknown", 1)
}

func TestDoctor_keychainUnusable(t *testing.T) {
	o := doctorEnv(t)
	o.write("not-a-dir", "x")
	o.vars["DOCKER_CREDENTIAL_MINT_DATA_DIR"] = o.path("not-a-dir")
	out := doctorGolden(t, o, "keychain-unusable", 1)
	if !strings.Contains(out, "error  keychain file") {
		t.Errorf("no keychain error:\n%s", out)
	}
}

func TestDoctor_keychainFromConfig(t *testing.T) {
	o := doctorEnv(t)
	delete(o.vars, "DOCKER_CREDENTIAL_MINT_KEYCHAIN")
	o.write("config/docker-credential-mint/config.yaml", "keychain: file\n")
	doctorGolden(t, o, "keychain-config", 0)
}

func TestDoctor_mintConfigInvalid(t *testing.T) {
	o := doctorEnv(t)
	o.write("config/docker-credential-mint/config.yaml", "registries:\n  - match: quay.io\n    provider: nonsense\n")
	doctorGolden(t, o, "mint-config-invalid", 1)
}

func TestDoctor_configUnparsable(t *testing.T) {
	o := doctorEnv(t)
	o.write("docker/config.json", "{\"credsStore\": \"mint\",}\n")
	doctorGolden(t, o, "config-unparsable", 1)
}

func TestDoctor_helperNotOnPath(t *testing.T) {
	o := doctorEnv(t)
	o.write("docker/config.json", "{\n\t\"credsStore\": \"desktop\",\n\t\"credHelpers\": {\n\t\t\"quay.io\": \"mint\",\n\t\t\"gcr.io\": \"gcloud\"\n\t}\n}\n")
	doctorGolden(t, o, "helper-not-on-path", 1)
}

func TestDoctor_mintNotOnPath(t *testing.T) {
	o := doctorEnv(t)
	o.vars["PATH"] = o.path("empty")
	doctorGolden(t, o, "mint-not-on-path", 1)
}

func TestDoctor_notRouted(t *testing.T) {
	o := doctorEnv(t)
	o.installHelper("pass")
	o.write("docker/config.json", "{\n\t\"credsStore\": \"pass\"\n}\n")
	doctorGolden(t, o, "not-routed", 1)
}

func TestDoctor_plaintextAuths(t *testing.T) {
	o := doctorEnv(t)
	auth := base64.StdEncoding.EncodeToString([]byte("me:" + canary))
	o.write("docker/config.json", "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\"auth\": \""+auth+"\"},\n\t\t\"quay.io\": {}\n\t},\n\t\"credsStore\": \"mint\"\n}\n")
	doctorGolden(t, o, "plaintext-auths", 1)
}

func TestDoctor_shadowedByAuths(t *testing.T) {
	o := doctorEnv(t)
	o.write("docker/config.json", "{\n\t\"auths\": {\n\t\t\"https://quay.io\": {\"identitytoken\": \""+canary+"\"}\n\t},\n\t\"credsStore\": \"mint\"\n}\n")
	doctorGolden(t, o, "shadowed-by-auths", 1)
}

func TestDoctor_shadowedByCredHelper(t *testing.T) {
	o := doctorEnv(t)
	o.installHelper("ecr-login")
	o.write("docker/config.json", "{\n\t\"credsStore\": \"mint\",\n\t\"credHelpers\": {\n\t\t\"quay.io\": \"ecr-login\"\n\t}\n}\n")
	doctorGolden(t, o, "shadowed-by-credhelper", 1)
}

func TestDoctor_expiredStatic(t *testing.T) {
	o := doctorEnv(t)
	o.store("ghcr.io", "me", testJWT(t, fixedNow.Add(-90*time.Minute).Unix()))
	o.store("fresh.example", "me", testJWT(t, fixedNow.Add(time.Hour).Unix()))
	doctorGolden(t, o, "expired-static", 1)
}

func TestDoctor_containersPlaintext(t *testing.T) {
	o := doctorEnv(t)
	auth := base64.StdEncoding.EncodeToString([]byte("me:" + canary))
	o.write("run/containers/auth.json", "{\"auths\": {\"quay.io\": {\"auth\": \""+auth+"\"}}}")
	o.write(".config/containers/auth.json", "{\"credHelpers\": {\"quay.io\": \"mint\", \"docker.io\": \"secretservice\"}}")
	doctorGolden(t, o, "containers-plaintext", 1)
}

// TestDoctor_keychainAuto runs doctor through the binary with keychain
// auto and no Secret Service or pass: it says why each was skipped.
func TestDoctor_keychainAuto(t *testing.T) {
	o := newOpEnv(t)
	o.installHelper("mint")
	s := o.sandbox()
	s.Env = append(clitest.WithoutVar(clitest.WithoutVar(s.Env, "DOCKER_CREDENTIAL_MINT_KEYCHAIN"), "DBUS_SESSION_BUS_ADDRESS"),
		"DOCKER_CREDENTIAL_MINT_KEYCHAIN=auto", "PASSWORD_STORE_DIR="+o.path("no-pass"))
	out, errs, code := s.Exec("", "doctor")
	if code != 0 || errs != "" {
		t.Errorf("doctor: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if !strings.Contains(out, "info   keychain: auto chose file: secretservice not usable (") || !strings.Contains(out, "pass not usable (") {
		t.Errorf("doctor does not say why auto skipped the keychains:\n%s", out)
	}
}

// TestBinary_doctor: a finding through the binary exits 1.
func TestBinary_doctor(t *testing.T) {
	o := newOpEnv(t)
	o.write("docker/config.json", "{\"credsStore\": \"desktop\"}")
	out, _, code := o.sandbox().Exec("", "doctor")
	if code != 1 || !strings.Contains(out, "error  "+o.path("docker/config.json")+": credsStore names docker-credential-desktop, which is not on PATH") {
		t.Errorf("doctor: exit %d\n%s", code, out)
	}
}

// TestDoctor_partialUpgrade: the protocol binary on PATH and the full build
// next to it at different versions is a warning; at one version, nothing.
func TestDoctor_partialUpgrade(t *testing.T) {
	o := doctorEnv(t)
	script := func(name, version string) {
		p := filepath.Join(o.vars["PATH"], name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\necho 'docker-credential-mint (github.com/docker-credential-mint/mint) "+version+"'\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script("docker-credential-mint", "v1.2.0")
	script("docker-credential-mint-full", "v1.2.0")
	if out, _, code := o.run("", "doctor"); code != 0 || strings.Contains(out, "partial upgrade") {
		t.Errorf("doctor with matching builds: exit %d\n%s", code, out)
	}
	script("docker-credential-mint-full", "v1.1.0")
	out, _, code := o.run("", "doctor")
	if code != 1 || !strings.Contains(out, "warn") || !strings.Contains(out, "partial upgrade") || !strings.Contains(out, "make install") {
		t.Errorf("doctor with builds at two versions: exit %d\n%s", code, out)
	}
}

// TestDoctor_configWritableByOthers: a config whose directory others can
// write is refused by every get; doctor says so, with the chmod, instead
// of finding nothing.
func TestDoctor_configWritableByOthers(t *testing.T) {
	o := doctorEnv(t)
	o.write("config/docker-credential-mint/config.yaml", "keychain: file\n")
	if err := os.Chmod(o.path("config/docker-credential-mint"), 0o777); err != nil {
		t.Fatal(err)
	}
	out := doctorGolden(t, o, "mint-config-untrusted", 1)
	if !strings.Contains(out, "fix: chmod go-w "+o.path("config/docker-credential-mint")) {
		t.Errorf("doctor does not name the chmod:\n%s", out)
	}
}

// TestDoctor_fileStoreReadable: a file store directory, store file or key
// file that group or others can read is a warning with its chmod.
func TestDoctor_fileStoreReadable(t *testing.T) {
	o := doctorEnv(t)
	for path, mode := range map[string]os.FileMode{
		"data/docker-credential-mint":                  0o755,
		"data/docker-credential-mint/credentials.mint": 0o640,
		"data/docker-credential-mint/key":              0o644,
	} {
		if err := os.Chmod(o.path(path), mode); err != nil {
			t.Fatal(err)
		}
	}
	out := doctorGolden(t, o, "file-store-readable", 1)
	for _, want := range []string{"fix: chmod 700 " + o.path("data/docker-credential-mint"), "fix: chmod 600 " + o.path("data/docker-credential-mint/key")} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor does not say %q:\n%s", want, out)
		}
	}
}

// TestDoctor_controlCharacters: a Docker config key with an ESC sequence
// and a newline is printed escaped, on its finding's one line.
func TestDoctor_controlCharacters(t *testing.T) {
	o := doctorEnv(t)
	o.write("docker/config.json", "{\n\t\"credsStore\": \"mint\",\n\t\"credHelpers\": {\n\t\t\"evil.example\\u001b[2J\\nerror  all is well\\u009b\": \"gone\\u001b[31m\"\n\t}\n}\n")
	out := doctorGolden(t, o, "control-characters", 1)
	if strings.ContainsAny(out, "\x1b\u009b") || !strings.Contains(out, `credHelpers[evil.example\x1b[2J\nerror all is well\u009b] names docker-credential-gone\x1b[31m,`) {
		t.Errorf("doctor printed a control character raw:\n%q", out)
	}
}
