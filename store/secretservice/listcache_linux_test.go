// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package secretservice

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
	"github.com/godbus/dbus/v5"
)

func TestListCache_roundTrip(t *testing.T) {
	m := map[dbus.ObjectPath]cached{
		"/a/1": {item: item{path: "/a/1", key: "a.example", mtime: 42, entry: store.Entry{ServerURL: "https://a.example", Username: "u\x00\xff"}}, ours: true},
		"/a/2": {item: item{path: "/a/2", key: "b.example", mtime: -1, entry: store.Entry{ServerURL: "b", Username: "<token>", Expiry: time.Unix(1893456000, 0)}}, ours: true},
		"/a/3": {item: item{path: "/a/3"}},
	}
	data := encodeListCache("id :1.2", m)
	got, err := decodeListCache(data, "id :1.2")
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Errorf("decode(encode(m)) = %+v, %v; want %+v", got, err, m)
	}
	if _, err := decodeListCache(data, "id :1.3"); err == nil {
		t.Errorf("decode under another stamp: no error")
	}
	for i := range len(data) {
		if _, err := decodeListCache(data[:i], "id :1.2"); err == nil {
			t.Errorf("decode of the first %d bytes: no error", i)
		}
	}
	if _, err := decodeListCache(append(data, 0), "id :1.2"); err == nil {
		t.Errorf("decode with a trailing byte: no error")
	}
}

func TestListCache_file(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run", "docker-credential-mint")
	file := filepath.Join(dir, "secretservice-list-x")
	m := map[dbus.ObjectPath]cached{"/a/1": {item: item{path: "/a/1", key: "k"}, ours: true}}
	if got := readListCache(file, "s"); got != nil {
		t.Errorf("read of a missing file = %v", got)
	}
	if err := writeListCache(file, "s", m); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode = %v, %v; want 0700", fi.Mode(), err)
	}
	if got := readListCache(file, "s"); !reflect.DeepEqual(got, m) {
		t.Errorf("read = %v, want %v", got, m)
	}
	if got := readListCache(file, "other"); got != nil {
		t.Errorf("read under another stamp = %v", got)
	}
	// A directory other users can write is neither read nor written.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if got := readListCache(file, "s"); got != nil {
		t.Errorf("read from a world-writable directory = %v", got)
	}
	if err := writeListCache(file, "s", m); err == nil {
		t.Errorf("write to a world-writable directory: no error")
	}
	// Nor is a symbolic link to the file followed.
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "secretservice-list-link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	if got := readListCache(link, "s"); got != nil {
		t.Errorf("read through a symbolic link = %v", got)
	}
}

func TestCacheDirOf(t *testing.T) {
	for in, want := range map[string]string{"/run/user/1000": "/run/user/1000/docker-credential-mint", "": "", "relative": ""} {
		if got := cacheDirOf(func(string) string { return in }); got != want {
			t.Errorf("cacheDirOf(%q) = %q, want %q", in, got, want)
		}
	}
}
