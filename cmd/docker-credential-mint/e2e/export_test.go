// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// exportTTL is the access-token life of the export tests' token chain: an
// exported token is not refreshed by anyone, and these tests are about the
// documents, not about expiry.
const exportTTL = 10 * time.Minute

// TestExport_TokenChainCranePull: one login command sets up the chain's
// registry as an oauth2 registry (login --provider); export then writes a
// config.json and a kubernetes.io/dockerconfigjson Secret holding the
// minted token; after logout (the helper knows nothing any more) crane
// pulls with each document as the whole Docker config, naming no helper.
func TestExport_TokenChainCranePull(t *testing.T) {
	t.Parallel()
	needTools(t, "crane")
	c := startTokenChainTTL(t, exportTTL)
	e := newEnv(t)
	e.writeDockerConfig(configName, nil)

	out := e.run(c.clientSecret+"\n", helperName, "login", c.reg.host, "-u", c.clientID, "--password-stdin",
		"--provider", "oauth2", "--token-url", c.tokenURL, "--token-username", chainUsername)
	if !strings.Contains(out, "added the oauth2 entry for "+c.reg.host) || !strings.Contains(out, "Login Succeeded: "+c.reg.host+" as "+c.clientID+" (provider oauth2 minted a token") {
		t.Fatalf("login --provider oauth2:\n%s", redact(out))
	}
	minted := c.wantMinted(e)
	ref := c.reg.host + "/chain/export:1"
	cranePush(t, e, ref)

	docs := exportDocs(t, e, c.reg.host, chainUsername, minted.Secret)
	before := c.oidcStats(t)
	helperLogout(t, e, c.reg.host)
	pullWithExported(t, e, docs, ref)
	if after := c.oidcStats(t); after.TokenRequests != before.TokenRequests {
		t.Errorf("the pulls with exported documents made %d token requests at the OAuth2 server, want none", after.TokenRequests-before.TokenRequests)
	}
	if s := c.serviceStats(t); s.Denied != 0 || s.Failed != 0 {
		t.Errorf("token service stats = %+v: a pull was refused", s)
	}
}

// TestExport_StaticCranePull: the same for a password registry: export
// writes the stored credential.
func TestExport_StaticCranePull(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "crane")
	e.run(alicePW+"\n", helperName, "login", r.host, "-u", "alice", "--password-stdin")
	ref := r.host + "/alice/export:1"
	cranePush(t, e, ref)

	docs := exportDocs(t, e, r.host, "alice", alicePW)
	helperLogout(t, e, r.host)
	pullWithExported(t, e, docs, ref)
}

// helperLogout runs the helper's own logout for host and checks that get
// no longer finds it.
func helperLogout(t *testing.T, e *env, host string) {
	t.Helper()
	e.run("", helperName, "logout", host)
	e.wantNoCred(host)
}

// exported are the two documents export wrote for one registry: a
// config.json, and the config.json decoded from a Secret's
// .dockerconfigjson.
type exported struct {
	dir    string // outside e.root: the documents hold secrets by design
	config string // export --format config
	secret string // export --format secret -o json, decoded
}

// exportDocs runs export for host in both formats, into files under a
// directory of its own, checks the Secret's shape and that both documents
// hold user and password for host (wantExported).
func exportDocs(t *testing.T, e *env, host, user, password string) exported {
	t.Helper()
	docs := exported{dir: t.TempDir()}
	docs.config = filepath.Join(docs.dir, "config", "config.json")
	e.run("", helperName, "export", "--format", "config", "--registry", host, "--output", docs.config)
	secretFile := filepath.Join(docs.dir, "secret.json")
	e.run("", helperName, "export", "--registry", host, "--name", "regcred", "--namespace", "apps", "-o", "json", "--output", secretFile)
	for _, f := range []string{docs.config, secretFile} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", filepath.Base(f), err)
		}
	}
	b, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	var secret struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Type       string `json:"type"`
		Metadata   struct {
			Name, Namespace string
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(b, &secret); err != nil {
		t.Fatalf("secret: %v", err)
	}
	if secret.APIVersion != "v1" || secret.Kind != "Secret" || secret.Type != "kubernetes.io/dockerconfigjson" || secret.Metadata.Name != "regcred" || secret.Metadata.Namespace != "apps" || len(secret.Data) != 1 {
		t.Errorf("secret = %s %s %s %+v with %d data keys", secret.APIVersion, secret.Kind, secret.Type, secret.Metadata, len(secret.Data))
	}
	dcj, err := base64.StdEncoding.DecodeString(secret.Data[".dockerconfigjson"])
	if err != nil {
		t.Fatalf(".dockerconfigjson: %v", err)
	}
	docs.secret = filepath.Join(docs.dir, "from-secret", "config.json")
	if err := os.MkdirAll(filepath.Dir(docs.secret), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(docs.secret, dcj, 0o600); err != nil {
		t.Fatal(err)
	}
	wantExported(t, docs, host, user, password)
	return docs
}

// wantExported checks that both documents hold exactly {"auths": {host:
// {"auth": base64(user:secret)}}}: no helper named, nothing else.
func wantExported(t *testing.T, docs exported, host, user, secret string) {
	t.Helper()
	want := base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))
	for _, f := range []string{docs.config, docs.secret} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]map[string]map[string]string
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(cfg) != 1 || len(cfg["auths"]) != 1 || len(cfg["auths"][host]) != 1 || cfg["auths"][host]["auth"] != want {
			t.Errorf("%s holds %d keys, auths for %d registries; want only auths[%s].auth = base64(%s:<secret>)", f, len(cfg), len(cfg["auths"]), host, user)
		}
	}
}

// pullWithExported pulls ref with crane, once with each document as the
// whole Docker config.
func pullWithExported(t *testing.T, e *env, docs exported, ref string) {
	t.Helper()
	own := e.extra["DOCKER_CONFIG"]
	defer e.setenv("DOCKER_CONFIG", own)
	for _, f := range []string{docs.config, docs.secret} {
		e.setenv("DOCKER_CONFIG", filepath.Dir(f))
		pulled := filepath.Join(docs.dir, "pulled.tar")
		e.run("", "crane", "pull", ref, pulled)
		if fi, err := os.Stat(pulled); err != nil || fi.Size() == 0 {
			t.Errorf("crane pull with %s wrote nothing: %v", f, err)
		}
		os.Remove(pulled)
	}
}
