// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestBinary_listConfigured: list names what get serves, in both builds:
// the stored entries and a configured registry whose command needs no
// stored secret (the classic docker build sends credentials only for what
// list names); a glob pattern and a provider that needs a root credential
// stay out until one is stored.
func TestBinary_listConfigured(t *testing.T) {
	for _, b := range bothBuilds(t) {
		script := filepath.Join(b.s.Home, "token.sh")
		if err := os.WriteFile(script, []byte("#!/bin/sh\necho minted-token\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		b.s.WriteConfig(`registries:
  - match: localhost:5999
    provider: exec
    command: [` + script + `]
    format: plain
    username: bot
    lifetime: 1h
  - match: "*.exec.example"
    provider: exec
    command: [` + script + `]
    format: plain
    username: bot
    lifetime: 1h
  - match: oauth.example
    provider: oauth2
    token_url: https://auth.example/token
    username: oauth2accesstoken
`)
		b.s.Store("registry.example.com", "alice", "alicepw")
		out, errs, code := b.run("unused", "list")
		var got map[string]string
		if code != 0 || errs != "" || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("%s: list: exit %d, stdout %q, stderr %q", b.name, code, out, errs)
		}
		want := map[string]string{"registry.example.com": "alice", "localhost:5999": "bot"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: list = %v, want %v", b.name, got, want)
		}
		// Every listed key answers get, as the Docker CLI's GetAll needs.
		for key := range got {
			if out, errs, code := b.run(key, "get"); code != 0 || !strings.Contains(out, `"Secret"`) {
				t.Errorf("%s: get %s: exit %d, stdout %q, stderr %q", b.name, key, code, out, errs)
			}
		}
	}
}
