// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestImport_SkopeoAuthFile: skopeo login without a helper leaves the
// password in the containers auth file; import moves it into the keychain
// and out of the file, configure --containers points the auth file at the
// helper, and skopeo then inspects and logs in again through it.
func TestImport_SkopeoAuthFile(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "skopeo", "crane")
	containersSetup(t, e) // no credHelpers yet: skopeo keeps the password itself
	ref := r.host + "/alice/imported:1"

	skopeoLogin(t, e, r.host, "alice", alicePW)
	e.wantNoCred(r.host)
	if b, err := os.ReadFile(e.authFile); err != nil || !strings.Contains(string(b), `"auth"`) {
		t.Fatalf("skopeo login wrote no plaintext auth (nothing to import): %v\n%s", err, redact(string(b)))
	}

	out := e.run("", helperName, "import", "--from", "containers")
	for _, want := range []string{"moved " + r.host + " (alice) from " + e.authFile, "configure --containers --registry " + r.host} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, redact(out))
		}
	}
	e.wantCred(r.host, "alice", alicePW)
	assertAuthFileClean(t, e)

	cranePush(t, e, ref) // crane: through credsStore
	e.fail("", "skopeo", "inspect", "--tls-verify=false", "docker://"+ref)
	e.run("", helperName, "configure", "--containers", "--registry", r.host)
	skopeoInspect(t, e, ref)

	// A new skopeo login goes through the helper too, and leaves the file clean.
	skopeoLogout(t, e, r.host)
	e.wantNoCred(r.host)
	skopeoLogin(t, e, r.host, "alice", alicePW)
	e.wantCred(r.host, "alice", alicePW)
	skopeoInspect(t, e, ref)
	assertAuthFileClean(t, e)
}
