// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// importConfig has plaintext auths: user:password, an identity token, one
// with an email, one already in a helper ({}), one broken.
func importConfig() (before, after string) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	before = "{\n\t\"auths\": {\n" +
		"\t\t\"https://index.docker.io/v1/\": {\n\t\t\t\"auth\": \"" + b64("alice:"+canary) + "\",\n\t\t\t\"email\": \"a@example.com\"\n\t\t},\n" +
		"\t\t\"quay.io\": {\n\t\t\t\"auth\": \"" + b64("robot+ci:"+canary+"-2") + "\"\n\t\t},\n" +
		"\t\t\"ghcr.io\": {\n\t\t\t\"identitytoken\": \"" + canary + "-3\"\n\t\t},\n" +
		"\t\t\"done.example\": {},\n" +
		"\t\t\"broken.example\": {\n\t\t\t\"auth\": \"bm9jb2xvbg==\"\n\t\t}\n" +
		"\t},\n\t\"credsStore\": \"desktop\",\n\t\"x-unknown\":  [1,2 , 3]\n}\n"
	after = "{\n\t\"auths\": {\n" +
		"\t\t\"https://index.docker.io/v1/\": {\n\t\t\t\"email\": \"a@example.com\"\n\t\t},\n" +
		"\t\t\"quay.io\": {},\n" +
		"\t\t\"ghcr.io\": {},\n" +
		"\t\t\"done.example\": {},\n" +
		"\t\t\"broken.example\": {\n\t\t\t\"auth\": \"bm9jb2xvbg==\"\n\t\t}\n" +
		"\t},\n\t\"credsStore\": \"desktop\",\n\t\"x-unknown\":  [1,2 , 3]\n}\n"
	return before, after
}

func TestImport(t *testing.T) {
	o := newOpEnv(t)
	before, after := importConfig()
	o.write("docker/config.json", before)
	out, errs, code := o.run("", "import")
	if code != 1 || !strings.Contains(errs, "broken.example: left in") || strings.Count(errs, "\n") != 1 {
		t.Errorf("import: exit %d, stderr %q; want exit 1 for the broken entry", code, errs)
	}
	for _, want := range []string{"moved https://index.docker.io/v1/ (alice)", "moved quay.io (robot+ci)", "moved ghcr.io (an identity token)", "docker-credential-mint configure"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	if got := o.read("docker/config.json"); got != after {
		t.Errorf("config.json after import:\n%s\nwant\n%s", got, after)
	}
	for url, want := range map[string]string{"docker.io": "alice " + canary, "quay.io": "robot+ci " + canary + "-2", "ghcr.io": "<token> " + canary + "-3"} {
		e, ok := o.root(url)
		if got := e.Username + " " + e.Secret; !ok || got != want {
			t.Errorf("%s stored %q, want %q", url, got, want)
		}
	}
	if strings.Contains(out+errs, canary) {
		t.Error("import printed a secret")
	}
	// Nothing left to move.
	o.write("docker/config.json", after)
	if out := o.must("", "import", "--registry", "quay.io"); !strings.HasPrefix(out, "Nothing to import") {
		t.Errorf("import --registry of a moved entry = %q", out)
	}
}

func TestImport_registryFilter(t *testing.T) {
	o := newOpEnv(t)
	before, _ := importConfig()
	o.write("docker/config.json", before)
	out := o.must("", "import", "--registry", "https://quay.io/v2/")
	if !strings.Contains(out, "moved quay.io") || strings.Contains(out, "ghcr.io") {
		t.Errorf("import --registry quay.io = %q", out)
	}
	if _, ok := o.root("ghcr.io"); ok {
		t.Error("an unrequested registry was imported")
	}
	if _, errs, code := o.run("", "import", "--registry", "nowhere.example"); code != 1 || !strings.Contains(errs, "no entry") {
		t.Errorf("import of a missing registry: exit %d, %q", code, errs)
	}
	o2 := newOpEnv(t)
	if out := o2.must("", "import"); !strings.HasPrefix(out, "Nothing to import") {
		t.Errorf("import without config.json = %q", out)
	}
}

// TestOperator_roundTrip: import, status, configure, configure --undo leave
// config.json byte-identical to the start but for the moved secrets, and
// no secret appears in any output or file but the keychain's.
func TestOperator_roundTrip(t *testing.T) {
	o := newOpEnv(t)
	o.installHelper("mint")
	before, after := importConfig()
	o.write("docker/config.json", before)
	var all strings.Builder
	for _, step := range [][]string{{"import"}, {"status"}, {"status", "--json"}, {"configure"}, {"doctor"}, {"configure", "--undo"}, {"logout", "quay.io"}} {
		out, errs, _ := o.run("", step[0], step[1:]...)
		all.WriteString(out + errs)
	}
	if got := o.read("docker/config.json"); got != after {
		t.Errorf("config.json after the round trip:\n%s\nwant\n%s", got, after)
	}
	if strings.Contains(all.String(), canary) {
		t.Errorf("a command printed a secret:\n%s", all.String())
	}
	_ = filepath.WalkDir(o.home, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if b, _ := os.ReadFile(p); strings.Contains(string(b), canary) {
			t.Errorf("%s holds a secret in plain text", p)
		}
		return nil
	})
}

// TestBinary_importConfigure runs import and configure through the binary.
func TestBinary_importConfigure(t *testing.T) {
	o := newOpEnv(t)
	o.installHelper("mint")
	before, after := importConfig()
	o.write("docker/config.json", before)
	s := o.sandbox()
	out, errs, code := s.exec("", "import", "--registry", "quay.io", "--registry", "docker.io", "--registry", "ghcr.io")
	if code != 0 || errs != "" || strings.Count(out, "moved") != 3 {
		t.Errorf("import: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := s.must("quay.io", "get"); !strings.Contains(got, canary+"-2") {
		t.Errorf("get quay.io after import = %q", got)
	}
	s.must("", "configure")
	s.must("", "configure", "--undo")
	if got := o.read("docker/config.json"); got != after {
		t.Errorf("config.json:\n%s", got)
	}
}
