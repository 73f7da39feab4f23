// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
	"github.com/docker-credential-mint/mint/store"
)

// statusFixture stores static, JWT and provider registries and one cached
// token, at fixedNow.
func statusFixture(t *testing.T) *opEnv {
	t.Helper()
	setNow(t, fixedNow)
	o := newOpEnv(t)
	o.write("config/docker-credential-mint/config.yaml", `registries:
  - match: registry.example.com
    provider: oauth2
    token_url: https://auth.example.com/token
    username: oauth2accesstoken
  - match: "*.corp.example"
    provider: exec
    command: [/bin/false]
    username: token
  - match: localhost:5999
    provider: exec
    command: [/bin/false]
    username: bot
  - match: login.example
    provider: registry
  - match: "*.dkr.ecr.*.amazonaws.com"
    provider: ecr
`)
	o.store("https://quay.io", "robot+ci", canary)
	o.store("ghcr.io", "me", testJWT(t, fixedNow.Add(2*time.Hour+30*time.Minute).Unix()))
	o.store("old.example:5000", "me", testJWT(t, fixedNow.Add(-time.Hour).Unix()))
	o.store("registry.example.com", "client-1", canary)
	o.store("build.corp.example", "svc", canary)
	tokens, err := o.env(nil).OpenBackend(context.Background(), "file", wire.NSTokens)
	if err != nil {
		t.Fatal(err)
	}
	if err := tokens.Put(context.Background(), "localhost:5999", store.Entry{ServerURL: "localhost:5999", Username: "bot", Secret: canary, Expiry: fixedNow.Add(9 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Put(context.Background(), "ci.corp.example", store.Entry{ServerURL: "ci.corp.example", Username: "token", Secret: canary, Expiry: fixedNow.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Put(context.Background(), "registry.example.com", store.Entry{ServerURL: "registry.example.com", Username: "oauth2accesstoken", Secret: canary, Expiry: fixedNow.Add(42 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestStatus_table(t *testing.T) {
	o := statusFixture(t)
	out := o.must("", "status")
	if strings.Contains(out, canary) {
		t.Fatal("status printed a secret")
	}
	golden(t, "status", o.home, out)
}

func TestStatus_json(t *testing.T) {
	o := statusFixture(t)
	out := o.must("", "status", "--json")
	if strings.Contains(out, canary) {
		t.Fatal("status printed a secret")
	}
	golden(t, "status-json", o.home, out)
}

func TestStatus_empty(t *testing.T) {
	o := newOpEnv(t)
	if out := o.must("", "status"); !strings.HasPrefix(out, "No credentials stored (keychain file).") {
		t.Errorf("status = %q", out)
	}
	if out := o.must("", "status", "--json"); out != "[]\n" {
		t.Errorf("status --json = %q", out)
	}
	if _, errs, code := o.run("", "status", "extra"); code != 2 || !strings.Contains(errs, "no arguments") {
		t.Errorf("status extra: exit %d, %q", code, errs)
	}
}

func TestBinary_status(t *testing.T) {
	o := statusFixture(t)
	out := o.sandbox().Must("", "status")
	for _, want := range []string{"quay.io", "robot+ci", "registry.example.com", "oauth2"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, canary) {
		t.Error("status printed a secret")
	}
}

// TestStatus_controlCharacters: a stored username with an ESC sequence and
// a newline (which drew a fake row) and a server URL with a tab are printed
// escaped: no control character reaches the terminal, one row per
// registry. --json escapes them as JSON does.
func TestStatus_controlCharacters(t *testing.T) {
	o := newOpEnv(t)
	o.store("quay.io", "me\x1b[1A\x1b[2K\nghcr.io                  admin  file  static  -  -", canary)
	o.store("ghcr.io", "tab\there\u009b31m\u202eevil\x7f", canary)
	out := o.must("", "status")
	if strings.ContainsAny(out, "\x1b\t\x7f\u009b\u202e") {
		t.Errorf("status printed a control character raw:\n%q", out)
	}
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 3 {
		t.Errorf("status printed %d lines, want a header and 2 rows:\n%s", len(lines), out)
	}
	for _, want := range []string{`me\x1b[1A\x1b[2K\nghcr.io`, `tab\there\u009b31m\u202eevil\x7f`} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	js := o.must("", "status", "--json")
	if strings.ContainsAny(js, "\x1b\t\x7f\u009b\u202e") || !strings.Contains(js, `me\u001b[1A\u001b[2K\nghcr.io`) || !strings.Contains(js, `tab\there\u009b31m\u202eevil\u007f`) {
		t.Errorf("status --json did not escape the control characters:\n%q", js)
	}
	var rows []statusRow
	if err := json.Unmarshal([]byte(js), &rows); err != nil || len(rows) != 2 || rows[0].Username != "tab\there\u009b31m\u202eevil\x7f" {
		t.Errorf("status --json does not decode to the stored usernames: %+v, %v", rows, err)
	}
}

// TestStatus_detected: with no config file, the cached token of an ECR
// registry (detected by its host name) is a row of its own with provider
// ecr, marked detected, and the token's expiry; a stored login at an ECR
// host says ecr too (get answers the minted token, not the login); a cached
// token of a host nothing claims any more is not shown; detect_clouds:
// false shows the stored login as static and no detected row.
func TestStatus_detected(t *testing.T) {
	setNow(t, fixedNow)
	o := newOpEnv(t)
	o.store("https://210987654321.dkr.ecr.us-west-2.amazonaws.com", "AWS", canary)
	tokens, err := o.env(nil).OpenBackend(context.Background(), "file", wire.NSTokens)
	if err != nil {
		t.Fatal(err)
	}
	for key, exp := range map[string]time.Time{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com": fixedNow.Add(11*time.Hour + 59*time.Minute),
		"210987654321.dkr.ecr.us-west-2.amazonaws.com": fixedNow.Add(3 * time.Hour),
		"gone.example.com": fixedNow.Add(time.Hour),
	} {
		if err := tokens.Put(context.Background(), key, store.Entry{ServerURL: key, Username: "AWS", Secret: canary, Expiry: exp}); err != nil {
			t.Fatal(err)
		}
	}
	out := o.must("", "status")
	if strings.Contains(out, canary) {
		t.Fatal("status printed a secret")
	}
	golden(t, "status-detected", o.home, out)
	var rows []statusRow
	if err := json.Unmarshal([]byte(o.must("", "status", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].Key != "123456789012.dkr.ecr.eu-west-1.amazonaws.com" || rows[1].Provider != "ecr" || !rows[1].Detected || rows[1].Expires == nil || *rows[1].Remaining != int64((11*time.Hour+59*time.Minute)/time.Second) {
		t.Errorf("status --json = %+v, want the stored ECR login and the detected row", rows)
	}

	// A detected Google or ACR host's own login (not the username its
	// provider mints) is answered as stored: status says static, not gcr.
	o.store("eu.gcr.io", "_json_key", canary)
	o.store("myreg.azurecr.io", "00000000-0000-0000-0000-000000000000", canary)
	var own []statusRow
	if err := json.Unmarshal([]byte(o.must("", "status", "--json")), &own); err != nil {
		t.Fatal(err)
	}
	for _, r := range own {
		if r.Key == "eu.gcr.io" && (r.Provider != "static" || r.Detected) || r.Key == "myreg.azurecr.io" && (r.Provider != "acr" || !r.Detected) {
			t.Errorf("status row %+v", r)
		}
	}

	o.write("config/docker-credential-mint/config.yaml", "detect_clouds: false\n")
	out = o.must("", "status")
	if strings.Contains(out, "123456789012") || strings.Contains(out, "detected") || !strings.Contains(out, "static") {
		t.Errorf("status with detect_clouds: false:\n%s", out)
	}
}
