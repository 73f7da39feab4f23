// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"strings"
	"testing"
)

// hostTests maps a server URL as clients send it to its canonical key, or
// "error" where it must be rejected (net/http/cookiejar style).
var hostTests = map[string]string{
	// Docker Hub's spellings are one registry.
	"https://index.docker.io/v1/":      "docker.io",
	"https://index.docker.io/v1":       "docker.io",
	"index.docker.io":                  "docker.io",
	"docker.io":                        "docker.io",
	"registry-1.docker.io":             "docker.io",
	"https://registry-1.docker.io/v2/": "docker.io",
	"DOCKER.IO":                        "docker.io",
	// Hub's OAuth entries stay apart from the registry entry.
	"https://index.docker.io/v1/access-token":  "docker.io/v1/access-token",
	"https://index.docker.io/v1/refresh-token": "docker.io/v1/refresh-token",
	// Schemes, default ports, API prefixes and trailing slashes.
	"localhost:5000":            "localhost:5000",
	"http://localhost:5000":     "localhost:5000",
	"https://localhost:5000/":   "localhost:5000",
	"localhost:5000/v2/":        "localhost:5000",
	"localhost:5000/v1/":        "localhost:5000",
	"quay.io":                   "quay.io",
	"quay.io:443":               "quay.io",
	"https://quay.io:443":       "quay.io",
	"http://quay.io:80":         "quay.io",
	"http://quay.io:443":        "quay.io",
	"https://quay.io:80":        "quay.io:80",
	"QUAY.IO":                   "quay.io",
	"HTTPS://Quay.IO/":          "quay.io",
	"//quay.io":                 "quay.io",
	"host.":                     "host",
	"myregistry":                "myregistry",
	"127.0.0.1:15000":           "127.0.0.1:15000",
	"[::1]:5000":                "[::1]:5000",
	"[::1]":                     "[::1]",
	"https://[::1]:5000/v2/":    "[::1]:5000",
	"[FE80::1]:5000":            "[fe80::1]:5000",
	"registry.example.com:5000": "registry.example.com:5000",
	"my_registry.local":         "my_registry.local",
	// TODO: Unicode host names are lower-cased, not IDNA-encoded.
	"bücher.example": "bücher.example",
	"BÜCHER.example": "bücher.example",
	// Repository path prefixes.
	"quay.io/org-a":                  "quay.io/org-a",
	"quay.io/Org-A/":                 "quay.io/org-a",
	"https://quay.io/org-a/app":      "quay.io/org-a/app",
	"ghcr.io//owner//repo":           "ghcr.io/owner/repo",
	"docker.io/library/alpine":       "docker.io/library/alpine",
	"host/path?q=1":                  "host/path",
	"https://host/v2/?service=x#top": "host",
	// Rejected.
	"":                        "error",
	"   ":                     "error",
	"user:pw@host":            "error",
	"https://u@host/":         "error",
	"ftp://host":              "error",
	"file:///etc":             "error",
	"https://":                "error",
	"host:0":                  "error",
	"host:65536":              "error",
	"host:port":               "error",
	"host:":                   "error",
	"host:+80":                "error",
	"host:080":                "error",
	"[::1":                    "error",
	"[]:5000":                 "error",
	"[::1]x":                  "error",
	"[zz::1]":                 "error",
	"ho st":                   "error",
	"a..b":                    "error",
	".":                       "error",
	"host/../etc":             "error",
	"host/a b":                "error",
	"host\x00":                "error",
	"\xff\xfe":                "error",
	"host\\path":              "error",
	":5000":                   "error",
	"http://:5000":            "error",
	strings.Repeat("a", 3000): "error",
}

func TestParseHost(t *testing.T) {
	for in, want := range hostTests {
		h, err := ParseHost(in)
		if want == "error" {
			if err == nil {
				t.Errorf("ParseHost(%q) = %q, want an error", in, h.Key())
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseHost(%q) error: %v", in, err)
			continue
		}
		if got := h.Key(); got != want {
			t.Errorf("ParseHost(%q).Key() = %q, want %q", in, got, want)
		}
	}
}

func TestParseHost_errorHidesInput(t *testing.T) {
	for _, in := range []string{"user:hunter2@host", "https://u:hunter2@host/", "ftp://hunter2", "hunter2 x"} {
		_, err := ParseHost(in)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseHost(%q) error %v repeats the input", in, err)
		}
	}
}

func TestHost_Parent(t *testing.T) {
	h, _ := ParseHost("quay.io/a/b/c")
	var got []string
	for {
		got = append(got, h.Key())
		var ok bool
		if h, ok = h.Parent(); !ok {
			break
		}
	}
	want := "quay.io/a/b/c quay.io/a/b quay.io/a quay.io"
	if strings.Join(got, " ") != want {
		t.Errorf("Parent chain = %q, want %q", got, want)
	}
}

func FuzzParseHost(f *testing.F) {
	for in := range hostTests {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ParseHost(in)
		if err != nil {
			return
		}
		key := h.Key()
		if key != strings.ToLower(key) {
			t.Errorf("ParseHost(%q).Key() = %q is not lower-case", in, key)
		}
		if reg, _, _ := strings.Cut(key, "/"); strings.Contains(key, "://") || strings.Contains(reg, "@") || strings.ContainsAny(key, "?# \n") {
			t.Errorf("ParseHost(%q).Key() = %q keeps scheme, userinfo, query or space", in, key)
		}
		h2, err := ParseHost(key)
		if err != nil {
			t.Fatalf("ParseHost(%q) ok but its key %q does not parse: %v", in, key, err)
		}
		if h2 != h {
			t.Errorf("ParseHost(ParseHost(%q).Key()) = %+v, want %+v", in, h2, h)
		}
		if h3, err := hostOfKey(key); err != nil || h3 != h {
			t.Errorf("hostOfKey(%q) = %+v, %v; want %+v", key, h3, err, h)
		}
	})
}
