// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/docker-credential-mint/mint/credentials/provider/builtin"
	"github.com/docker-credential-mint/mint/credentials/provider/router"
)

// decodeSecret decodes an exported Secret (YAML or JSON) strictly into
// k8s.io/api's Secret and returns its .dockerconfigjson, checked to be what
// the kubelet and kubectl expect of a kubernetes.io/dockerconfigjson Secret.
func decodeSecret(t *testing.T, doc []byte, name, namespace string) map[string]map[string]string {
	t.Helper()
	var s corev1.Secret
	if err := yaml.UnmarshalStrict(doc, &s); err != nil {
		t.Fatalf("k8s.io/api's Secret does not decode the export: %v\n%s", err, doc)
	}
	if s.APIVersion != "v1" || s.Kind != "Secret" || s.Name != name || s.Namespace != namespace {
		t.Errorf("Secret %s/%s %s/%s, want v1/Secret %s/%s", s.APIVersion, s.Kind, s.Namespace, s.Name, namespace, name)
	}
	if s.Type != corev1.SecretTypeDockerConfigJson || len(s.Data) != 1 {
		t.Fatalf("Secret type %q with %d data keys, want %s with %s", s.Type, len(s.Data), corev1.SecretTypeDockerConfigJson, corev1.DockerConfigJsonKey)
	}
	return decodeDockerConfig(t, s.Data[corev1.DockerConfigJsonKey])
}

// decodeDockerConfig decodes {"auths":{key:{"auth"|"identitytoken":…}}}
// strictly: no other key at any level.
func decodeDockerConfig(t *testing.T, data []byte) map[string]map[string]string {
	t.Helper()
	var cfg struct {
		Auths map[string]map[string]string `json:"auths"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil || cfg.Auths == nil {
		t.Fatalf("config %s: %v", data, err)
	}
	return cfg.Auths
}

func basicAuth(user, secret string) map[string]string {
	return map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))}
}

func TestExport_documents(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	oh, _ := testObserved(t, `
registries:
  - match: mint.example
    provider: exec
    command: [make-token]
    username: token
    lifetime: 1h
`, router.Options{Now: func() time.Time { return clock }, Providers: builtin.Factory(builtin.Options{Runner: &tokenRunner{}})})
	storeRoot(t, oh.Helper, "https://index.docker.io/v1/", "hubuser", "hubpw")
	storeRoot(t, oh.Helper, "quay.io/org-a", "org-a+robot", "robot:pw")
	storeRoot(t, oh.Helper, "localhost:5000", "<token>", "identity-token")
	storeRoot(t, oh.Helper, "mint.example", "exec-root", "root-secret")

	entries, err := collectExport(context.Background(), oh.Helper, nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"https://index.docker.io/v1/": basicAuth("hubuser", "hubpw"),
		"quay.io/org-a":               basicAuth("org-a+robot", "robot:pw"),
		"localhost:5000":              {"identitytoken": "identity-token"},
		"mint.example":                basicAuth("token", "token-1"), // the minted token, not the root
	}
	config := dockerConfigJSON(entries)
	if got := decodeDockerConfig(t, config); !reflect.DeepEqual(got, want) {
		t.Errorf("config.json auths = %v, want %v", got, want)
	}
	if got := decodeSecret(t, secretYAML("regcred", "apps", config), "regcred", "apps"); !reflect.DeepEqual(got, want) {
		t.Errorf("YAML Secret auths = %v, want %v", got, want)
	}
	if got := decodeSecret(t, secretJSON("regcred", "", config), "regcred", ""); !reflect.DeepEqual(got, want) {
		t.Errorf("JSON Secret auths = %v, want %v", got, want)
	}

	warnings := strings.Join(exportWarnings(entries, true, clock), "\n")
	for _, w := range []string{"the first, for mint.example, in 1h0m (at 2026-03-01T13:00:00Z)", "localhost:5000: an identity token"} {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings %q lack %q", warnings, w)
		}
	}
	if strings.Contains(warnings, "token-1") || strings.Contains(warnings, "identity-token") {
		t.Errorf("warnings leak a secret: %q", warnings)
	}
	if w := exportWarnings(entries, false, clock); len(w) != 1 {
		t.Errorf("config format warnings %q, want only the expiry", w)
	}
}

func TestExport_registries(t *testing.T) {
	oh, _ := testObserved(t, "", router.Options{})
	storeRoot(t, oh.Helper, "registry.example.com", "alice", "alicepw")
	storeRoot(t, oh.Helper, "ghcr.io", "bob", "bobpw")
	ctx := context.Background()

	entries, err := collectExport(ctx, oh.Helper, []string{"https://registry.example.com/v2/", "registry.example.com"}, time.Now())
	if err != nil || len(entries) != 1 || entries[0].key != "registry.example.com" || entries[0].cred.Secret != "alicepw" {
		t.Fatalf("collectExport(one registry twice) = %+v, %v", entries, err)
	}
	if _, err := collectExport(ctx, oh.Helper, []string{"missing.example.com"}, time.Now()); err == nil || !strings.Contains(err.Error(), "no credential") {
		t.Errorf("a named registry without a credential: %v, want an error", err)
	}
	if _, err := collectExport(ctx, oh.Helper, []string{"ftp://x"}, time.Now()); err == nil {
		t.Error("a bad server URL: no error")
	}
	// A static JWT's expiry is reported.
	exp := time.Now().Add(3 * time.Hour).Truncate(time.Second)
	storeRoot(t, oh.Helper, "ci.example.com", "ci", kubeletJWT(exp))
	entries, err = collectExport(ctx, oh.Helper, nil, time.Now())
	if err != nil || len(entries) != 3 {
		t.Fatalf("collectExport(all) = %d entries, %v", len(entries), err)
	}
	if w := strings.Join(exportWarnings(entries, true, exp.Add(-time.Hour)), "\n"); !strings.Contains(w, "for ci.example.com, in 1h0m") {
		t.Errorf("warnings %q, want the JWT's expiry", w)
	}
}

func TestBinary_export(t *testing.T) {
	s := newSandbox(t)
	s.Store("https://registry.example.com", "alice", "alicepw")
	s.Store("quay.io/org-a", "robot", "robotpw")
	want := map[string]map[string]string{
		"registry.example.com": basicAuth("alice", "alicepw"),
		"quay.io/org-a":        basicAuth("robot", "robotpw"),
	}

	out, errs, code := s.Exec("", "export", "--name", "regcred", "--namespace", "apps")
	if code != 0 || errs != "" {
		t.Fatalf("export: exit %d, stderr %q", code, errs)
	}
	if got := decodeSecret(t, []byte(out), "regcred", "apps"); !reflect.DeepEqual(got, want) {
		t.Errorf("Secret auths = %v, want %v", got, want)
	}
	out, _, code = s.Exec("", "export", "-o", "json", "--registry", "quay.io/org-a")
	if got := decodeSecret(t, []byte(out), "registry-credentials", ""); code != 0 || len(got) != 1 || got["quay.io/org-a"]["auth"] == "" {
		t.Errorf("export -o json --registry quay.io/org-a: exit %d, auths %v", code, got)
	}

	file := filepath.Join(s.Home, "out", "config.json")
	if out, errs, code := s.Exec("", "export", "--format", "config", "--output", file); code != 0 || out != "" || errs != "" {
		t.Fatalf("export --output: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("output file: %v, mode %v; want 0600", err, fi)
	}
	data, _ := os.ReadFile(file)
	if got := decodeDockerConfig(t, data); !reflect.DeepEqual(got, want) {
		t.Errorf("config.json auths = %v, want %v", got, want)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--registry", "missing.example.com"}, 1, "no credential"},
		{[]string{"--format", "pem"}, 2, "--format"},
		{[]string{"-o", "toml"}, 2, "-o"},
		{[]string{"--name", "Bad_Name"}, 2, "--name"},
		{[]string{"--namespace", "a.b"}, 2, "--namespace"},
		{[]string{"registry.example.com"}, 2, "--registry"},
		{[]string{"--bogus"}, 2, "bogus"},
	} {
		out, errs, code := s.Exec("", append([]string{"export"}, c.args...)...)
		if code != c.code || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("export %v: exit %d, stdout %q, stderr %q; want exit %d and one line about %q", c.args, code, out, errs, c.code, c.want)
		}
	}
	empty := newSandbox(t)
	if _, errs, code := empty.Exec("", "export"); code != 1 || !strings.Contains(errs, "no credentials") {
		t.Errorf("export with nothing stored: exit %d, %q", code, errs)
	}
	out, _, code = s.Exec("", "export", "--help")
	if code != 0 || !strings.Contains(out, "HOLDS SECRETS") || !strings.Contains(out, "Examples:") {
		t.Errorf("export --help: exit %d, %q", code, out)
	}
}
