// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

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
	out, errs, code := s.Exec("", "import", "--registry", "quay.io", "--registry", "docker.io", "--registry", "ghcr.io")
	if code != 0 || errs != "" || strings.Count(out, "moved") != 3 {
		t.Errorf("import: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := s.Must("quay.io", "get"); !strings.Contains(got, canary+"-2") {
		t.Errorf("get quay.io after import = %q", got)
	}
	s.Must("", "configure")
	s.Must("", "configure", "--undo")
	if got := o.read("docker/config.json"); got != after {
		t.Errorf("config.json:\n%s", got)
	}
}

// containersFiles are a runtime and a persistent containers auth file as
// podman login writes them (two-space indent): plaintext credentials keyed
// by registry, by host:port and by namespace, one credHelpers entry, and a
// conflicting second credential for quay.io.
func containersFiles() (runBefore, runAfter, cfgBefore, cfgAfter string) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	runBefore = "{\n  \"auths\": {\n" +
		"    \"quay.io\": {\n      \"auth\": \"" + b64("robot:"+canary+"-4") + "\"\n    },\n" +
		"    \"quay.io/org/app\": {\n      \"auth\": \"" + b64("ns:"+canary+"-5") + "\"\n    },\n" +
		"    \"localhost:5000\": {\n      \"auth\": \"" + b64("ci:"+canary+"-7") + "\",\n      \"x-note\": 1\n    }\n" +
		"  },\n  \"credHelpers\": {\n    \"localhost:5000\": \"mint\"\n  }\n}\n"
	runAfter = "{\n  \"auths\": {\n" +
		"    \"quay.io/org/app\": {\n      \"auth\": \"" + b64("ns:"+canary+"-5") + "\"\n    },\n" +
		"    \"localhost:5000\": {\n      \"x-note\": 1\n    }\n" +
		"  },\n  \"credHelpers\": {\n    \"localhost:5000\": \"mint\"\n  }\n}\n"
	cfgBefore = "{\"auths\":{\"docker.io\":{\"auth\":\"" + b64("alice:"+canary) + "\"},\"quay.io\":{\"auth\":\"" + b64("other:"+canary+"-6") + "\"}}}"
	cfgAfter = "{\"auths\":{\"quay.io\":{\"auth\":\"" + b64("other:"+canary+"-6") + "\"}}}"
	return
}

func TestImport_containers(t *testing.T) {
	o := newOpEnv(t)
	runBefore, runAfter, cfgBefore, cfgAfter := containersFiles()
	o.write("run/containers/auth.json", runBefore)
	o.write(".config/containers/auth.json", cfgBefore)
	if err := os.Chmod(o.path("run/containers/auth.json"), 0o640); err != nil {
		t.Fatal(err)
	}
	out, errs, code := o.run("", "import")
	errs = strings.ReplaceAll(errs, o.home, "$HOME")
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "quay.io: left in $HOME/.config/containers/auth.json: a different credential for quay.io was just moved from $HOME/run/containers/auth.json") {
		t.Errorf("import: exit %d, stderr %q; want exit 1 for the conflicting quay.io", code, errs)
	}
	out = strings.ReplaceAll(out, o.home, "$HOME")
	for _, want := range []string{
		"Nothing to import", // never with something moved
	} {
		if strings.Contains(out, want) {
			t.Errorf("import output has %q:\n%s", want, out)
		}
	}
	wantOut := "moved quay.io (robot) from $HOME/run/containers/auth.json into the file keychain\n" +
		"quay.io/org/app: kept in $HOME/run/containers/auth.json: podman, skopeo and buildah ask a credential helper only for a whole registry, so a namespaced credential must stay in the auth file\n" +
		"moved localhost:5000 (ci) from $HOME/run/containers/auth.json into the file keychain\n" +
		"moved docker.io (alice) from $HOME/.config/containers/auth.json into the file keychain\n" +
		"podman and skopeo read them only through mint: run \"docker-credential-mint configure --containers --registry docker.io --registry quay.io\"\n"
	if out != wantOut {
		t.Errorf("import output:\n%s\nwant\n%s", out, wantOut)
	}
	if got := o.read("run/containers/auth.json"); got != runAfter {
		t.Errorf("runtime auth file after import:\n%s\nwant\n%s", got, runAfter)
	}
	if got := o.read(".config/containers/auth.json"); got != cfgAfter {
		t.Errorf("persistent auth file after import:\n%s\nwant\n%s", got, cfgAfter)
	}
	if fi, err := os.Stat(o.path("run/containers/auth.json")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("runtime auth file mode after import: %v, %v; want 0640 kept", fi.Mode().Perm(), err)
	}
	for url, want := range map[string]string{
		"docker.io":      "https://index.docker.io/v1/ alice " + canary,
		"quay.io":        "quay.io robot " + canary + "-4",
		"localhost:5000": "localhost:5000 ci " + canary + "-7",
	} {
		e, ok := o.root(url)
		if got := e.ServerURL + " " + e.Username + " " + e.Secret; !ok || got != want {
			t.Errorf("%s stored %q, want %q", url, got, want)
		}
	}
	if _, ok := o.root("quay.io/org/app"); ok {
		t.Error("the namespaced credential was stored: podman would never ask for it")
	}
	if strings.Contains(out+errs, canary) {
		t.Error("import printed a secret")
	}
	if _, err := os.Stat(o.path("docker/config.json")); err == nil {
		t.Error("import created config.json")
	}

	// Again: the keychain's quay.io credential is not replaced by the
	// other file's, nothing else moves, and the kept namespace is no error.
	out, errs, code = o.run("", "import", "--from", "containers")
	if code != 1 || strings.Contains(out, "moved") || !strings.Contains(errs, "quay.io: left in") || !strings.Contains(errs, `already holds a different credential for quay.io (robot); to replace it with this one, run "docker-credential-mint logout quay.io"`) {
		t.Errorf("second import: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if e, _ := o.root("quay.io"); e.Username != "robot" {
		t.Errorf("quay.io holds %q after the second import, want robot", e.Username)
	}
	if got := o.read(".config/containers/auth.json"); got != cfgAfter {
		t.Errorf("persistent auth file after the second import:\n%s", got)
	}
	// Only the namespace left: reported, and no "Nothing to import".
	out = strings.ReplaceAll(o.must("", "import", "--from", "containers", "--registry", "localhost:5000"), o.home, "$HOME")
	if out != "Nothing to import: $HOME/run/containers/auth.json, $HOME/.config/containers/auth.json holds no plaintext credentials\n" {
		t.Errorf("import of a moved registry = %q", out)
	}
	o.write(".config/containers/auth.json", "{}")
	out = o.must("", "import", "--from", "containers")
	if !strings.HasPrefix(out, "quay.io/org/app: kept in") || strings.Count(out, "\n") != 1 {
		t.Errorf("import with only a namespace left = %q", out)
	}
}

// TestImport_containersSameCredential: one credential in config.json and in
// an auth file moves once and leaves both files.
func TestImport_containersSameCredential(t *testing.T) {
	o := newOpEnv(t)
	b64 := base64.StdEncoding.EncodeToString([]byte("robot:" + canary))
	o.write("docker/config.json", `{"auths":{"quay.io":{"auth":"`+b64+`"}},"credsStore":"mint"}`)
	o.write("run/containers/auth.json", `{"auths":{"https://quay.io":{"auth":"`+b64+`"}}}`)
	out := strings.ReplaceAll(o.must("", "import", "--registry", "quay.io"), o.home, "$HOME")
	want := "moved quay.io (robot) from $HOME/docker/config.json into the file keychain\n" +
		"moved https://quay.io (robot) from $HOME/run/containers/auth.json: the same credential as in $HOME/docker/config.json\n" +
		"podman and skopeo read them only through mint: run \"docker-credential-mint configure --containers --registry quay.io\"\n"
	if out != want {
		t.Errorf("import:\n%s\nwant\n%s", out, want)
	}
	if got := o.read("docker/config.json"); got != `{"auths":{"quay.io":{}},"credsStore":"mint"}` {
		t.Errorf("config.json = %s", got)
	}
	if got := o.read("run/containers/auth.json"); got != `{"auths":{}}` {
		t.Errorf("auth file = %s", got)
	}
}

// TestImport_from: --from picks the files; $REGISTRY_AUTH_FILE replaces
// the default auth files; a file that does not parse is reported and left.
func TestImport_from(t *testing.T) {
	o := newOpEnv(t)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	docker := `{"auths":{"ghcr.io":{"auth":"` + b64("d:"+canary) + `"}}}`
	podman := `{"auths":{"ghcr.io":{"auth":"` + b64("p:"+canary) + `"}}}`
	o.write("docker/config.json", docker)
	o.write(".config/containers/auth.json", podman)
	o.must("", "import", "--from", "docker")
	if got := o.read(".config/containers/auth.json"); got != podman {
		t.Errorf("--from docker changed the auth file: %s", got)
	}
	if e, _ := o.root("ghcr.io"); e.Username != "d" {
		t.Errorf("--from docker stored %q", e.Username)
	}
	o.write("docker/config.json", docker)
	o.must("", "logout", "ghcr.io")
	out := o.must("", "import", "--from", "containers")
	if got := o.read("docker/config.json"); got != docker || !strings.Contains(out, "moved ghcr.io (p)") {
		t.Errorf("--from containers: %q; config.json %s", out, got)
	}

	o.vars["REGISTRY_AUTH_FILE"] = o.path("elsewhere/auth.json")
	o.write(".config/containers/auth.json", podman)
	if out := strings.ReplaceAll(o.must("", "import", "--from", "containers"), o.home, "$HOME"); out != "Nothing to import: $HOME/elsewhere/auth.json does not exist\n" {
		t.Errorf("import with REGISTRY_AUTH_FILE missing = %q", out)
	}
	o.write("elsewhere/auth.json", "{broken")
	if _, errs, code := o.run("", "import", "--from", "containers"); code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "does not parse") {
		t.Errorf("import of a broken auth file: exit %d, %q", code, errs)
	}
	if got := o.read("elsewhere/auth.json"); got != "{broken" {
		t.Errorf("a broken auth file was changed: %q", got)
	}
	for _, bad := range [][]string{{"--from", "podman"}, {"--from"}, {"--registry", "ftp://x"}} {
		if _, errs, code := o.run("", "import", bad...); code != 2 || strings.Count(errs, "\n") != 1 {
			t.Errorf("import %v: exit %d, %q; want a usage error", bad, code, errs)
		}
	}
	if e, _ := o.root("ghcr.io"); e.Username != "p" {
		t.Errorf("after the failures ghcr.io holds %q, want p", e.Username)
	}
}

// TestBinary_importContainers: the binary moves an auth file's credential
// and get answers it.
func TestBinary_importContainers(t *testing.T) {
	o := newOpEnv(t)
	o.vars["REGISTRY_AUTH_FILE"] = o.path("auth.json")
	o.write("auth.json", `{"auths":{"registry.example:5000":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("ci:"+canary))+`"}}}`)
	s := o.sandbox()
	out, errs, code := s.Exec("", "import")
	if code != 0 || errs != "" || !strings.Contains(out, "moved registry.example:5000 (ci)") || strings.Contains(out, canary) {
		t.Errorf("import: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := s.Must("registry.example:5000", "get"); !strings.Contains(got, canary) {
		t.Errorf("get after import = %q", got)
	}
	if got := o.read("auth.json"); got != `{"auths":{}}` {
		t.Errorf("auth file = %s", got)
	}
}

func TestImport_help(t *testing.T) {
	o := newOpEnv(t)
	golden(t, "help-import", o.home, o.must("", "import", "--help"))
}
