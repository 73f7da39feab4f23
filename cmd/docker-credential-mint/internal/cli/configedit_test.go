// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
)

// oauthEntry is the entry login --provider oauth2 writes in the tests.
func oauthEntry(t *testing.T, host string) (credentials.Registry, credentials.Host) {
	t.Helper()
	h, err := credentials.ParseHost(host)
	if err != nil {
		t.Fatal(err)
	}
	f := providerFlags{provider: "oauth2", tokenURL: "https://auth.example.com/token", username: "oauth2accesstoken", scopes: multiFlag{"registry.pull", "a b"}, refreshBefore: "2m"}
	r, err := f.entry(h)
	if err != nil {
		t.Fatal(err)
	}
	return r, h
}

const newOAuthLines = `  - match: registry.example.com
    provider: oauth2
    token_url: "https://auth.example.com/token"
    grant: client_credentials
    scopes: [registry.pull, "a b"]
    username: oauth2accesstoken
    refresh_before: 2m0s
`

// TestEditRegistries is the table of edits: input file → output file, or
// "error: <substring>" when login must leave the file to the user.
func TestEditRegistries(t *testing.T) {
	for _, tc := range []struct{ name, in, host, want string }{
		{"new file", "", "registry.example.com",
			"# docker-credential-mint config (README: Short-lived tokens: providers).\nregistries:\n" + newOAuthLines},
		{"no registries key", "keychain: file # here\n", "registry.example.com",
			"keychain: file # here\nregistries:\n" + newOAuthLines},
		{"no final newline", "keychain: file", "registry.example.com",
			"keychain: file\nregistries:\n" + newOAuthLines},
		{"empty registries", "registries: # none yet\nkeychain: file\n", "registry.example.com",
			"registries: # none yet\n" + newOAuthLines + "keychain: file\n"},
		{"registries []", "registries: []\n", "registry.example.com",
			"registries:\n" + newOAuthLines},
		{"append, comments kept", "# mine\nregistries:\n  # first\n  - match: quay.io   # robots\n    provider: static\n\n# trailer\n", "registry.example.com",
			"# mine\nregistries:\n  # first\n  - match: quay.io   # robots\n    provider: static\n" + newOAuthLines + "\n# trailer\n"},
		{"replace, others byte for byte", "registries:\n- match: a.example\n  provider: static\n- match: 'REGISTRY.example.com:443'\n  provider: registry\n  lifetime: 1h\n  # about b\n- match: b.example\n  provider: static\nkeychain: file\n", "registry.example.com",
			"registries:\n- match: a.example\n  provider: static\n" + strings.ReplaceAll(newOAuthLines, "\n  ", "\n")[2:] + "  # about b\n- match: b.example\n  provider: static\nkeychain: file\n"},
		{"insert before a shadowing glob", "registries:\n    -   match: \"*.example.com\"\n        provider: registry\n", "registry.example.com",
			"registries:\n    -   match: registry.example.com\n        provider: oauth2\n        token_url: \"https://auth.example.com/token\"\n        grant: client_credentials\n        scopes: [registry.pull, \"a b\"]\n        username: oauth2accesstoken\n        refresh_before: 2m0s\n    -   match: \"*.example.com\"\n        provider: registry\n"},
		{"dash on its own line", "registries:\n  -\n    match: registry.example.com\n    provider: static\n", "registry.example.com",
			"registries:\n" + newOAuthLines},
		{"CRLF", "registries:\r\n  - match: quay.io\r\n    provider: static\r\n", "registry.example.com",
			"registries:\r\n  - match: quay.io\r\n    provider: static\r\n" + strings.ReplaceAll(newOAuthLines, "\n", "\r\n")},
		{"path entry", "registries:\n  - match: registry.example.com\n    provider: static\n", "registry.example.com/team",
			"registries:\n" + strings.Replace(newOAuthLines, "registry.example.com", "registry.example.com/team", 1) + "  - match: registry.example.com\n    provider: static\n"},
		{"flow list", "registries: [{match: quay.io, provider: static}]\n", "registry.example.com", "error: not written as a block list item"},
		{"flow item", "registries:\n  - {match: quay.io, provider: static}\n", "registry.example.com", "error: not written as a block list item"},
		{"broken file", "registries:\n  - match: quay.io\n    provider: nope\n", "registry.example.com", "error: does not load, so login leaves it alone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			if tc.in != "" {
				if err := os.WriteFile(path, []byte(tc.in), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			want, h := oauthEntry(t, tc.host)
			c, err := planConfigChange(path, want, h)
			if w, ok := strings.CutPrefix(tc.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), w) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("planConfigChange = %v, want one line with %q", err, w)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(c.new); got != tc.want {
				t.Errorf("edited:\n%s\nwant\n%s", got, tc.want)
			}
			if tc.in != "" && c.mode != 0o640 {
				t.Errorf("mode %v, want the file's 0640", c.mode)
			}
			if got, _ := c.cfg.Match(h); got == nil || got.Provider != "oauth2" || got.RefreshBefore != 2*time.Minute {
				t.Errorf("the edited config maps %s to %+v", h.Key(), got)
			}
		})
	}
}

func TestEditRegistries_unchanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	in := "registries:\n" + newOAuthLines
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	want, h := oauthEntry(t, "registry.example.com")
	c, err := planConfigChange(path, want, h)
	if err != nil || string(c.new) != in || !strings.Contains(c.what, "unchanged") {
		t.Fatalf("planConfigChange of the same entry = %q, %v", c.what, err)
	}
}

func TestYAMLScalar(t *testing.T) {
	for in, want := range map[string]string{
		"quay.io":             "quay.io",
		"localhost:5000/team": "localhost:5000/team",
		"[::1]:5000":          `"[::1]:5000"`,
		"true":                `"true"`,
		"8080":                `"8080"`,
		"1e3":                 `"1e3"`,
		"-x":                  `"-x"`,
		"a b":                 `"a b"`,
		"x#y":                 `"x#y"`,
		`q"uote\`:             `"q\"uote\\"`,
		"https://a.example/t": `"https://a.example/t"`,
	} {
		if got := yamlScalar(in); got != want {
			t.Errorf("yamlScalar(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestConfigChange_concurrentEdit: an edit made between plan and apply (a
// second login, an editor) is kept and this login writes nothing; undo
// leaves alone a file changed after apply.
func TestConfigChange_concurrentEdit(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	path := filepath.Join(t.TempDir(), "config.yaml")
	want, h := oauthEntry(t, "quay.io")
	ch, err := planConfigChange(path, want, h)
	if err != nil {
		t.Fatal(err)
	}
	other := []byte("registries: []\n")
	if err := os.WriteFile(path, other, 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := ch.apply(&out); err == nil || !strings.Contains(err.Error(), "changed while login ran") || out.Len() != 0 {
		t.Errorf("apply after a concurrent edit = %v (stdout %q), want a refusal", err, out.String())
	}
	if b, _ := os.ReadFile(path); string(b) != string(other) {
		t.Errorf("config after refused apply = %q, want the other edit kept", b)
	}

	if ch, err = planConfigChange(path, want, h); err != nil {
		t.Fatal(err)
	}
	if err := ch.apply(&out); err != nil {
		t.Fatal(err)
	}
	later := []byte("registries: []\n# edited after login wrote\n")
	if err := os.WriteFile(path, later, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ch.undo(errors.New("proof failed")); !strings.Contains(err.Error(), "left as it is") {
		t.Errorf("undo after a later edit = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(later) {
		t.Errorf("config after undo = %q, want the later edit kept", b)
	}
}
