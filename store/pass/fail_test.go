// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package pass

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store"
)

func TestBackend_fail(t *testing.T) {
	b := New("ns", Options{Dir: "/nonexistent/store"})
	exit := errors.New("exit status 1")
	cases := []struct {
		stderr string
		err    error
		want   error
		says   string
	}{
		{"Error: docker-credential-mint/ns/a/1 is not in the password store.\n", exit, store.ErrNotFound, "credentials not found"},
		{"Error: You must run:\n    pass init your-gpg-id\nbefore you may use the password store.\n", exit, store.ErrUnavailable, "pass init"},
		{"gpg: decryption failed: No secret key\n", exit, store.ErrUnavailable, "gpg-agent"},
		{"gpg: public key decryption failed: No pinentry\ngpg: decryption failed: No pinentry\n", exit, store.ErrUnavailable, "gpg-agent"},
		{"mkdir: created directory 'x'\ngpg: 0xDEAD: skipped: Unusable public key\ngpg: [stdin]: encryption failed: Unusable public key\nPassword encryption aborted.\n", exit, store.ErrUnavailable, "gpg --list-keys"},
		{"", context.DeadlineExceeded, store.ErrUnavailable, "in time"},
		{"", exec.ErrNotFound, store.ErrUnavailable, "install the pass package"},
		{"something else\n", exit, nil, "something else"},
	}
	for _, c := range cases {
		err := b.fail("get", &RunError{Name: "pass", Args: []string{"show", "x"}, Stderr: c.stderr, Err: c.err})
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("fail(%q) = %v, want %v", c.stderr, err, c.want)
		}
		if !strings.Contains(err.Error(), c.says) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "pass: get: ") {
			t.Errorf("fail(%q) = %q, want one line with %q", c.stderr, err, c.says)
		}
	}
}

func TestMeta_roundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, key := range []string{"a.example", "bücher.example", "k\x00\xff\n\"", ""} {
		e := store.Entry{ServerURL: "s\n\x00" + key, Username: "u\xfe \"q\"", Secret: "never written"}
		if err := writeMeta(dir+"/.m", key, e); err != nil {
			t.Fatal(err)
		}
		k, got, err := readMeta(dir + "/.m")
		if err != nil || k != key || got.ServerURL != e.ServerURL || got.Username != e.Username || got.Secret != "" || !got.Expiry.IsZero() {
			t.Errorf("readMeta = %q %+v, %v", k, got, err)
		}
	}
}
