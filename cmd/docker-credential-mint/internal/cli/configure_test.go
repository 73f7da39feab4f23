// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"os"
	"strings"
	"testing"
)

const dockerConfig = "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {}\n\t},\n\t\"credsStore\": \"desktop\",\n\t\"credHelpers\": {\n\t\t\"123456789012.dkr.ecr.us-east-1.amazonaws.com\": \"ecr-login\"\n\t},\n\t\"psFormat\": \"table {{.ID}}\\t{{.Names}}\",\n\t\"x-unknown\":  [1,2 , 3]\n}\n"

func TestConfigure_credsStoreAndUndo(t *testing.T) {
	o := newOpEnv(t)
	o.installHelper("mint")
	o.write("docker/config.json", dockerConfig)
	if err := os.Chmod(o.path("docker/config.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := o.must("", "configure")
	if !strings.Contains(out, `credsStore: "desktop" -> "mint"`) {
		t.Errorf("configure = %q", out)
	}
	want := strings.Replace(dockerConfig, `"credsStore": "desktop"`, `"credsStore": "mint"`, 1)
	if got := o.read("docker/config.json"); got != want {
		t.Errorf("config.json after configure:\n%s\nwant\n%s", got, want)
	}
	if fi, _ := os.Stat(o.path("docker/config.json")); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 kept", fi.Mode().Perm())
	}
	if out := o.must("", "configure"); !strings.Contains(out, "already") {
		t.Errorf("second configure = %q", out)
	}
	o.must("", "configure", "--undo")
	if got := o.read("docker/config.json"); got != dockerConfig {
		t.Errorf("config.json after --undo:\n%s\nwant the original", got)
	}
	if _, err := os.Stat(o.path("docker/config.json.mint-undo")); err == nil {
		t.Error("the undo record outlived a full undo")
	}
}

func TestConfigure_registriesAndContainers(t *testing.T) {
	o := newOpEnv(t)
	o.installHelper("mint")
	o.write("docker/config.json", dockerConfig)
	out := o.must("", "configure", "--registry", "https://Quay.io", "--containers", "--registry", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "--registry", "docker.io")
	for _, want := range []string{"credHelpers[quay.io]: set", `credHelpers[123456789012.dkr.ecr.us-east-1.amazonaws.com]: "ecr-login" -> "mint"`, "credHelpers[https://index.docker.io/v1/]: set", "containers/auth.json: credHelpers[docker.io]: set"} {
		if !strings.Contains(out, want) {
			t.Errorf("configure output lacks %q:\n%s", want, out)
		}
	}
	cfg := o.read("docker/config.json")
	if !strings.Contains(cfg, "\t\t\"quay.io\": \"mint\"") || !strings.Contains(cfg, `"credsStore": "desktop"`) {
		t.Errorf("config.json:\n%s", cfg)
	}
	auth := o.read(".config/containers/auth.json")
	if auth != "{\n\t\"credHelpers\": {\n\t\t\"quay.io\": \"mint\",\n\t\t\"123456789012.dkr.ecr.us-east-1.amazonaws.com\": \"mint\",\n\t\t\"docker.io\": \"mint\"\n\t}\n}\n" {
		t.Errorf("containers auth.json:\n%s", auth)
	}
	// Undo one registry, then the rest (the containers file too).
	o.must("", "configure", "--undo", "--registry", "quay.io")
	if cfg := o.read("docker/config.json"); strings.Contains(cfg, "quay.io") || !strings.Contains(cfg, "docker.io/v1/") {
		t.Errorf("after undo of quay.io:\n%s", cfg)
	}
	o.must("", "configure", "--undo")
	if got := o.read("docker/config.json"); got != dockerConfig {
		t.Errorf("config.json after --undo:\n%s", got)
	}
	if got := o.read(".config/containers/auth.json"); got != "{}\n" {
		t.Errorf("containers auth.json after --undo: %q", got)
	}
}

func TestConfigure_errors(t *testing.T) {
	o := newOpEnv(t)
	o.write("docker/config.json", dockerConfig)
	if _, errs, code := o.run("", "configure"); code != 1 || !strings.Contains(errs, "not on PATH") {
		t.Errorf("configure without the binary on PATH: exit %d, %q", code, errs)
	}
	o.installHelper("mint")
	for _, args := range [][]string{{"--containers"}, {"--registry", "quay.io/org"}, {"quay.io"}, {"--registry", "ftp://x"}} {
		if _, errs, code := o.run("", "configure", args...); code != 2 || strings.Count(errs, "\n") != 1 {
			t.Errorf("configure %v: exit %d, %q", args, code, errs)
		}
	}
	o.write("docker/config.json", "{\"auths\": {,}")
	if _, errs, code := o.run("", "configure"); code != 1 || !strings.Contains(errs, "does not parse") {
		t.Errorf("configure of a broken file: exit %d, %q", code, errs)
	}
	if got := o.read("docker/config.json"); got != "{\"auths\": {,}" {
		t.Errorf("a broken file was rewritten: %q", got)
	}
}

func TestConfigure_newFile(t *testing.T) {
	o := newOpEnv(t)
	o.installHelper("mint")
	o.must("", "configure")
	if got := o.read("docker/config.json"); got != "{\n\t\"credsStore\": \"mint\"\n}\n" {
		t.Errorf("new config.json = %q", got)
	}
	if fi, _ := os.Stat(o.path("docker/config.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	o.must("", "configure", "--undo")
	if got := o.read("docker/config.json"); got != "{}\n" {
		t.Errorf("after undo = %q", got)
	}
}
