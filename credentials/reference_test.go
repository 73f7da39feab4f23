// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"errors"
	"strings"
	"testing"
)

const (
	sha256Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	sha512Hex = sha256Hex + sha256Hex
)

func TestParseReference(t *testing.T) {
	for _, c := range []struct {
		in                     string
		name, port, path       string
		tag, digest, canonical string
	}{
		// Docker Hub: no domain, or a first component that is not one.
		{in: "app", name: "docker.io", path: "library/app", canonical: "docker.io/library/app"},
		{in: "app:1.0", name: "docker.io", path: "library/app", tag: "1.0"},
		{in: "library/app@sha256:" + sha256Hex, name: "docker.io", path: "library/app", digest: "sha256:" + sha256Hex},
		{in: "user/app", name: "docker.io", path: "user/app"},
		{in: "group/sub/app:latest", name: "docker.io", path: "group/sub/app", tag: "latest"},
		{in: "docker.io/app", name: "docker.io", path: "library/app"},
		{in: "index.docker.io/user/app", name: "docker.io", path: "user/app"},
		{in: "registry-1.docker.io/app", name: "docker.io", path: "library/app"},
		{in: "docker.io/library/app:1", name: "docker.io", path: "library/app", tag: "1", canonical: "docker.io/library/app:1"},
		{in: "localhost", name: "docker.io", path: "library/localhost"},
		{in: "localhost:5000", name: "docker.io", path: "library/localhost", tag: "5000"},
		{in: "a__b/c-d/e--f_g.h", name: "docker.io", path: "a__b/c-d/e--f_g.h"},
		{in: sha256Hex + ":tag", name: "docker.io", path: "library/" + sha256Hex, tag: "tag"},

		// A registry: a dot, a port, localhost, or upper case.
		{in: "localhost:5000/group/app:1.0", name: "localhost", port: "5000", path: "group/app", tag: "1.0", canonical: "localhost:5000/group/app:1.0"},
		{in: "localhost/app", name: "localhost", path: "app"},
		{in: "ghcr.io/o/r:tag@sha256:" + sha256Hex, name: "ghcr.io", path: "o/r", tag: "tag", digest: "sha256:" + sha256Hex},
		{in: "quay.io/org-a/app", name: "quay.io", path: "org-a/app"},
		{in: "quay.io:443/org-a/app", name: "quay.io", path: "org-a/app", canonical: "quay.io/org-a/app"},
		{in: "Registry.Example.COM/app", name: "registry.example.com", path: "app"},
		{in: "Myhost/app", name: "myhost", path: "app"},
		{in: "myhost:80/app", name: "myhost", port: "80", path: "app"},
		{in: "127.0.0.1:5000/app", name: "127.0.0.1", port: "5000", path: "app"},
		{in: "[::1]:5000/app", name: "[::1]", port: "5000", path: "app"},
		{in: "[fe80::1]/app", name: "[fe80::1]", path: "app"},
		{in: "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1", name: "123456789012.dkr.ecr.us-east-1.amazonaws.com", path: "team/app", tag: "v1"},
		{in: "registry.example.com/v2", name: "registry.example.com", path: "v2"},
		{in: "example.com/app@sha512:" + sha512Hex, name: "example.com", path: "app", digest: "sha512:" + sha512Hex},
		{in: "example.com/app@multihash+base58:" + strings.Repeat("A", 32), name: "example.com", path: "app", digest: "multihash+base58:" + strings.Repeat("A", 32)},
		{in: "example.com/app:" + strings.Repeat("t", 128), name: "example.com", path: "app", tag: strings.Repeat("t", 128)},
	} {
		r, err := ParseReference(c.in)
		if err != nil {
			t.Errorf("ParseReference(%q) = %v", c.in, err)
			continue
		}
		want := Reference{Host: Host{Name: c.name, Port: c.port, Path: c.path}, Tag: c.tag, Digest: c.digest}
		if r.Host != want.Host || r.Tag != want.Tag || r.Digest != want.Digest {
			t.Errorf("ParseReference(%q) = %+v, want %+v", c.in, r, want)
		}
		if c.canonical != "" && r.String() != c.canonical {
			t.Errorf("ParseReference(%q).String() = %q, want %q", c.in, r.String(), c.canonical)
		}
	}
}

// TestParseReference_asWritten checks Domain and Name, which keep the
// reference's own spelling (the kubelet keys its caches by it).
func TestParseReference_asWritten(t *testing.T) {
	for _, c := range []struct{ in, domain, name string }{
		{"app", "", "app"},
		{"user/app:1", "", "user/app"},
		{"docker.io/app", "docker.io", "docker.io/app"},
		{"index.docker.io/user/app", "index.docker.io", "index.docker.io/user/app"},
		{"Quay.io:443/org/app:1@sha256:" + sha256Hex, "Quay.io:443", "Quay.io:443/org/app"},
		{"localhost:5000/app", "localhost:5000", "localhost:5000/app"},
	} {
		r, err := ParseReference(c.in)
		if err != nil || r.Domain != c.domain || r.Name != c.name {
			t.Errorf("ParseReference(%q) = Domain %q, Name %q, %v; want %q, %q", c.in, r.Domain, r.Name, err, c.domain, c.name)
		}
	}
}

func TestParseReference_invalid(t *testing.T) {
	for _, in := range []string{
		"",
		":tag",
		"@sha256:" + sha256Hex,
		sha256Hex,
		"App",                     // upper case in a Docker Hub path
		"example.com/App",         // upper case in a path
		"example.com/",            // empty path
		"example.com//app",        // empty component
		"example.com/app/",        // trailing slash
		"/app",                    // empty domain
		"example.com/-app",        // leading separator
		"example.com/app-",        // trailing separator
		"example.com/a...b",       // bad separator
		"example.com/a___b",       // bad separator
		"example.com/a_.b",        // two separators
		"example.com/a b",         // space
		"example.com/a%2fb",       // escape
		"https://example.com/app", // a URL is not a reference
		"user:pw@example.com/app", // userinfo
		"example.com:/app",        // empty port
		"example.com:port/app",    // bad port
		"example.com:0/app",       // port out of range
		"example.com:99999/app",   // port out of range
		"-example.com/app",        // bad label
		"exa_mple.com/app",        // bad label
		"example..com/app",        // empty label
		"[::1/app",                // unterminated IPv6
		"[]/app",                  // empty IPv6
		"[::g]/app",               // bad IPv6
		"[::1]x/app",              // junk after IPv6
		"example.com/app:",        // empty tag
		"example.com/app:.tag",    // tag starting with a dot
		"example.com/app:t/ag",    // slash in tag (parsed as a path)
		"example.com/app:" + strings.Repeat("t", 129),
		"example.com/app@",           // empty digest
		"example.com/app@sha256",     // no encoded part
		"example.com/app@sha256:abc", // short sha256
		"example.com/app@sha256:" + strings.ToUpper(sha256Hex),
		"example.com/app@sha512:" + sha256Hex,
		"example.com/app@md5:abc",           // short unknown digest
		"example.com/app@1sha:" + sha256Hex, // algorithm starting with a digit
		"example.com/app@sha+:" + sha256Hex, // trailing separator
		"example.com/app@sha256:" + sha256Hex + "@sha256:" + sha256Hex,
		"example.com/" + strings.Repeat("a", 250), // longer than 255
		"example.com/app\x00",
		"example.com/äpp",
		strings.Repeat("a", 3000),
	} {
		r, err := ParseReference(in)
		if err == nil {
			t.Errorf("ParseReference(%q) = %+v, want an error", in, r)
			continue
		}
		if !errors.Is(err, ErrInvalidReference) {
			t.Errorf("ParseReference(%q) error %v does not wrap ErrInvalidReference", in, err)
		}
		if len(in) > 8 && strings.Contains(err.Error(), in) {
			t.Errorf("ParseReference(%q) error repeats the input: %v", in, err)
		}
	}
}

// TestParseReference_lookupKeys checks that a reference's Host is what the
// store's longest-prefix lookup and provider routing expect: the same Host
// that ParseHost makes of the registry spelled as a server URL, plus the
// repository path.
func TestParseReference_lookupKeys(t *testing.T) {
	for _, c := range []struct{ ref, server string }{
		{"app", "https://index.docker.io/v1/"},
		{"docker.io/user/app", "docker.io"},
		{"localhost:5000/group/app:1.0", "http://localhost:5000"},
		{"quay.io:443/org-a/app", "https://quay.io:443"},
		{"Registry.Example.com/app", "registry.example.com"},
	} {
		r, err := ParseReference(c.ref)
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseHost(c.server)
		if err != nil {
			t.Fatal(err)
		}
		if r.Host.Registry() != h.Registry() {
			t.Errorf("%q: registry %q, %q as a server URL is %q", c.ref, r.Host.Registry(), c.server, h.Registry())
		}
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"app", "app:1.0", "library/app@sha256:" + sha256Hex, "localhost:5000/group/app:1.0",
		"ghcr.io/o/r:tag@sha256:" + sha256Hex, "[::1]:5000/a/b", "quay.io:443/org-a/app",
		"Myhost/app", "a__b/c--d", "example.com/app@multihash+base58:" + strings.Repeat("A", 32),
		"docker.io/" + sha256Hex, "example.com:99999/app", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidReference) {
				t.Fatalf("error %v does not wrap ErrInvalidReference", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		h := r.Host
		if h.Name == "" || h.Path == "" {
			t.Fatalf("%q: empty registry or path: %+v", s, r)
		}
		if h.Name != strings.ToLower(h.Name) || h.Path != strings.ToLower(h.Path) {
			t.Fatalf("%q: not lower case: %+v", s, r)
		}
		// The canonical form parses to the same reference, unless the
		// registry was recognised only by its upper case ("Myhost/app"),
		// which the canonical form lowers.
		if reg := h.Registry(); strings.ContainsAny(reg, ".:[") || reg == "localhost" {
			again, err := ParseReference(r.String())
			if err != nil || again.Host != r.Host || again.Tag != r.Tag || again.Digest != r.Digest || again.Domain != h.Registry() {
				t.Fatalf("%q: canonical %q parses to %+v, %v; want %+v", s, r.String(), again, err, r)
			}
		}
		// The registry is a server URL that ParseHost keeps as is.
		reg, err := ParseHost(h.Registry())
		if err != nil || reg.Registry() != h.Registry() || reg.Path != "" {
			t.Fatalf("%q: registry %q as a server URL: %+v, %v", s, h.Registry(), reg, err)
		}
		// Every path prefix is a parent on the lookup chain.
		for p, ok := h, true; ok; p, ok = p.Parent() {
			if !strings.HasPrefix(h.Key(), p.Key()) {
				t.Fatalf("%q: parent %q is not a prefix of %q", s, p.Key(), h.Key())
			}
		}
	})
}
