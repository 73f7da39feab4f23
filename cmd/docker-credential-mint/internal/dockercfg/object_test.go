// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package dockercfg

import (
	"os"
	"path/filepath"
	"testing"
)

func TestJSONObject_roundTrip(t *testing.T) {
	for _, in := range []string{
		"{}",
		"{}\n",
		"  {\n\t\"auths\": {},\n\t\"x\" : [1, {\"a\":2}] ,\"y\":null}\n\n",
		`{"a":"\"}\\","b":{"c":{}}}`,
	} {
		o, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := string(o.Bytes()); got != in {
			t.Errorf("round trip of %q = %q", in, got)
		}
	}
	for _, bad := range []string{"", "[]", `{"a":}`, "{} {}", "\"s\""} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestJSONObject_edits(t *testing.T) {
	const docker = "{\n\t\"auths\": {\n\t\t\"quay.io\": {}\n\t},\n\t\"psFormat\": \"table\"\n}\n"
	for _, tc := range []struct {
		name, in, want string
		edit           func(o *Object)
	}{
		{"append", docker, "{\n\t\"auths\": {\n\t\t\"quay.io\": {}\n\t},\n\t\"psFormat\": \"table\",\n\t\"credsStore\": \"mint\"\n}\n",
			func(o *Object) { o.SetString("credsStore", "mint") }},
		{"replace", docker, "{\n\t\"auths\": {\n\t\t\"quay.io\": {}\n\t},\n\t\"psFormat\": \"wide\"\n}\n",
			func(o *Object) { o.SetString("psFormat", "wide") }},
		{"remove first", docker, "{\n\t\"psFormat\": \"table\"\n}\n",
			func(o *Object) { o.Remove("auths") }},
		{"remove last", docker, "{\n\t\"auths\": {\n\t\t\"quay.io\": {}\n\t}\n}\n",
			func(o *Object) { o.Remove("psFormat") }},
		{"remove all", docker, "{}\n",
			func(o *Object) { o.Remove("psFormat"); o.Remove("auths") }},
		{"new child", docker, "{\n\t\"auths\": {\n\t\t\"quay.io\": {}\n\t},\n\t\"psFormat\": \"table\",\n\t\"credHelpers\": {\n\t\t\"ghcr.io\": \"mint\"\n\t}\n}\n",
			func(o *Object) {
				c := o.NewChild()
				c.SetString("ghcr.io", "mint")
				o.SetChild("credHelpers", c)
			}},
		{"edit child", docker, "{\n\t\"auths\": {\n\t\t\"quay.io\": {},\n\t\t\"ghcr.io\": {}\n\t},\n\t\"psFormat\": \"table\"\n}\n",
			func(o *Object) {
				c := o.Child("auths")
				c.Set("ghcr.io", []byte("{}"))
				o.SetChild("auths", c)
			}},
		{"fill empty child", "{\n  \"auths\": {}\n}", "{\n  \"auths\": {\n    \"a\": \"b\"\n  }\n}",
			func(o *Object) {
				c := o.Child("auths")
				c.SetString("a", "b")
				o.SetChild("auths", c)
			}},
		{"compact", `{"auths":{}}`, `{"auths":{},"credsStore":"mint"}`,
			func(o *Object) { o.SetString("credsStore", "mint") }},
		{"empty file", "{}", "{\n\t\"credsStore\": \"mint\"\n}",
			func(o *Object) { o.SetString("credsStore", "mint") }},
		{"duplicates", `{"a":1,"a":2}`, `{}`,
			func(o *Object) { o.Remove("a") }},
	} {
		o, err := Parse([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		tc.edit(o)
		if got := string(o.Bytes()); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	if err := os.WriteFile(real, []byte("{}"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config.json")
	if err := os.Symlink(real, link); err != nil {
		t.Skip(err)
	}
	if err := WriteFileAtomic(link, []byte(`{"a":1}`), 0o640); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symbolic link was replaced: %v", err)
	}
	if b, _ := os.ReadFile(real); string(b) != `{"a":1}` {
		t.Errorf("target = %q", b)
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left: %v", entries)
	}
}
