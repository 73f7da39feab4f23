// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

// gcrHost is an Artifact Registry host: detection needs the default port,
// so it is served on 443 in the test's own namespace.
const gcrHost = "us-docker.pkg.dev"

// gcrLab starts the Google side (gcrtest's token endpoint, the token
// service, the registry at gcrHost) and points e's helper at it the
// zero-config way: Application Default Credentials from a service account
// key file ($GOOGLE_APPLICATION_CREDENTIALS) whose token_uri is the
// stand-in, no mint config file at all. It returns the key's PEM lines
// (each registered with addSecret).
func gcrLab(t *testing.T, e *env) (lab *cloudLab, keyLines []string) {
	t.Helper()
	lab = startCloudLab(t, "gcr", nil, gcrHost)
	if lab.credFile == "" {
		t.Fatal("cloudlab printed no service account key file")
	}
	b, err := os.ReadFile(lab.credFile)
	if err != nil {
		t.Fatal(err)
	}
	var key struct {
		PrivateKey string `json:"private_key"`
		TokenURI   string `json:"token_uri"`
	}
	if err := json.Unmarshal(b, &key); err != nil || key.PrivateKey == "" || !strings.HasPrefix(key.TokenURI, lab.cloudURL) {
		t.Fatalf("service account key file: %v (token_uri %q, stand-in %s)", err, key.TokenURI, lab.cloudURL)
	}
	for _, line := range strings.Split(key.PrivateKey, "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			keyLines = append(keyLines, line)
			addSecret(t, line)
		}
	}
	addSecret(t, "ya29.sa-1") // gcrtest's first access token
	lab.useIn(e)
	e.setenv("GOOGLE_APPLICATION_CREDENTIALS", lab.credFile)
	return lab, keyLines
}

// TestGCR_realRegistry: an Artifact Registry-shaped registry (its real
// host name, TLS on 443) whose token service accepts only
// oauth2accesstoken:<access token> that the Google stand-in minted for a
// service account's signed assertion. With no mint config at all, crane
// pushes and pulls and regctl and skopeo read through the helper (protocol
// binary handing the mint to the full build, x/oauth2/google reading the
// key file): one token request for all of them, the token service saw that
// one access token and never the private key, and a token Google did not
// mint and a client without the helper are refused. A second client, with
// no key file and the metadata server at GCE_METADATA_HOST (as on GCE or
// GKE), pulls with the one token the metadata server handed out.
func TestGCR_realRegistry(t *testing.T) {
	t.Parallel()
	if !inCloudNamespace(t, gcrHost) {
		return
	}
	needTools(t, "crane", "regctl", "skopeo")
	e := newEnv(t)
	lab, keyLines := gcrLab(t, e)
	ref := gcrHost + "/test-project/team/app:1"
	digest := lab.readZeroConfig(t, e, gcrHost, ref, 1)

	if c, ok := e.get(gcrHost); !ok || c.Username != "oauth2accesstoken" || c.Secret != "ya29.sa-1" {
		t.Errorf("get %s = %q (found %v), want oauth2accesstoken and the first minted token", gcrHost, c.Username, ok)
	}
	wantDetectedRow(t, e, gcrHost, "gcr")
	st := lab.stats(t)
	if st.CloudCalls != 1 {
		t.Errorf("Google's token endpoint minted %d tokens for a push, 2 pulls and 3 reads, want 1", st.CloudCalls)
	}
	if st.Issued < 5 || st.Denied != 0 {
		t.Errorf("token service: %+v, want at least 5 tokens issued and none denied", st)
	}
	if st.Passwords != 1 || st.Unminted != 0 || st.SecretKeySeen != 0 {
		t.Errorf("token service saw %d passwords (%d not minted), the private key %d times; want only the minted token", st.Passwords, st.Unminted, st.SecretKeySeen)
	}

	// On Google's cloud: no key file, the metadata server (the same
	// stand-in, at GCE_METADATA_HOST) and a fresh token cache.
	vm := newEnv(t)
	lab.useIn(vm)
	vm.setenv("GCE_METADATA_HOST", strings.TrimPrefix(lab.cloudURL, "http://"))
	vm.writeDockerConfig(configName, nil)
	addSecret(t, "ya29.metadata-2")
	if out := strings.TrimSpace(vm.run("", "crane", "digest", ref)); out != digest {
		t.Errorf("crane digest with the metadata server's token = %q, want %q", out, digest)
	}
	if st := lab.stats(t); st.CloudCalls != 2 || st.Passwords != 2 || st.Unminted != 0 || st.Denied != 0 {
		t.Errorf("after a pull with the metadata server's token: %+v, want 2 tokens minted, both presented, none refused", st)
	}

	// An access token Google did not mint, and a client without the
	// helper, are refused.
	req, err := http.NewRequest(http.MethodGet, lab.tokenURL+"?service=x&scope=repository:test-project/team/app:pull", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("oauth2accesstoken", "ya29.sa-3")
	if code := tlsStatus(t, lab.caFile, req); code != http.StatusUnauthorized {
		t.Errorf("token service answered %d to an access token Google did not mint, want 401", code)
	}
	// The token service does notice the private key when it comes (so
	// its 0 above means something).
	req = req.Clone(req.Context())
	req.SetBasicAuth("oauth2accesstoken", keyLines[len(keyLines)/2])
	if code := tlsStatus(t, lab.caFile, req); code != http.StatusUnauthorized {
		t.Errorf("token service answered %d to a line of the private key, want 401", code)
	}
	bare := newEnv(t)
	lab.useIn(bare)
	bare.writeDockerConfig("", nil)
	if out := bare.fail("", "crane", "digest", ref); !strings.Contains(strings.ToUpper(out), "UNAUTHORIZED") {
		t.Errorf("crane without the helper: %s, want unauthorized", out)
	}
	if st := lab.stats(t); st.CloudCalls != 2 || st.SecretKeySeen != 1 {
		t.Errorf("Google's stand-in minted %d tokens in all, want 2 (key file, metadata server); the private key seen %d times, want once (sent on purpose)", st.CloudCalls, st.SecretKeySeen)
	}
}
