// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"strings"
	"testing"
)

// TestBinary_badArgs: both builds (the full build, and the protocol binary
// with the full build next to it) answer every odd command line in one
// line, or with the help asked for, never panic, and change nothing stored.
func TestBinary_badArgs(t *testing.T) {
	type result struct {
		code         int
		stdout       string // a substring of stdout; "" means stdout is empty
		stderr       string // a substring of stderr; "" means stderr is empty
		multiLineOut bool   // help text: stdout may hold many lines
	}
	usageLine := "Usage: docker-credential-mint <store|get|erase|list|version>"
	cases := []struct {
		name string
		args []string
		want result
	}{
		{"no argument", nil, result{1, usageLine, "", false}},
		{"unknown verb", []string{"frobnicate"}, result{1, "unknown action: frobnicate", "", false}},
		{"empty verb", []string{""}, result{1, "unknown action", "", false}},
		{"help", []string{"help"}, result{0, "Commands:", "", true}},
		{"--help", []string{"--help"}, result{0, "Commands:", "", true}},
		{"-h", []string{"-h"}, result{0, "Commands:", "", true}},
		{"--version", []string{"--version"}, result{0, "docker-credential-mint (", "", false}},
		{"flag before the verb", []string{"--debug", "get"}, result{1, usageLine, "", false}},
		{"verb with an extra word", []string{"get", "extra"}, result{1, usageLine, "", false}},
		{"control characters in the verb", []string{"\x1b[2J\nget"}, result{1, "unknown action", "", false}},
	}
	for _, cmd := range []string{"login", "logout", "status", "doctor", "configure", "import", "export", "kubelet"} {
		code := 2 // a usage error
		if cmd == "kubelet" {
			code = 1 // the kubelet reads any failure as "no credential"
		}
		cases = append(cases, struct {
			name string
			args []string
			want result
		}{cmd + " with a bad flag", []string{cmd, "--no-such-flag"}, result{code, "", "flag provided but not defined", false}})
	}

	for _, b := range bothBuilds(t) {
		b.s.Store("registry.example.com", "alice", "alicepw")
		before := b.s.Snapshot()
		for _, c := range cases {
			out, errs, code := b.run("registry.example.com\n", c.args...)
			what := b.name + ": " + c.name
			if strings.Contains(out+errs, "panic") || strings.Contains(out+errs, "goroutine ") {
				t.Errorf("%s: panicked: %s%s", what, out, errs)
				continue
			}
			if code != c.want.code {
				t.Errorf("%s: exit %d, want %d (stdout %q, stderr %q)", what, code, c.want.code, out, errs)
			}
			check := func(stream, got, want string, multi bool) {
				switch {
				case want == "" && got != "":
					t.Errorf("%s: %s = %q, want nothing", what, stream, got)
				case want != "" && !strings.Contains(got, want):
					t.Errorf("%s: %s = %q, want it to contain %q", what, stream, got, want)
				case want != "" && !multi && strings.Count(got, "\n") != 1:
					t.Errorf("%s: %s = %q, want exactly one line", what, stream, got)
				}
			}
			check("stdout", out, c.want.stdout, c.want.multiLineOut)
			check("stderr", errs, c.want.stderr, false)
			if strings.Contains(out+errs, "alicepw") {
				t.Errorf("%s: printed the stored secret", what)
			}
		}
		if after := b.s.Snapshot(); after != before {
			t.Errorf("%s: the store changed:\nbefore %s\nafter  %s", b.name, before, after)
		}
	}
}

// build is one of the two ways the helper is installed, in a sandbox of its
// own: the full build alone, or the protocol binary with the full build
// next to it.
type build struct {
	name string
	s    *sandbox
	run  func(stdin string, args ...string) (string, string, int)
}

func bothBuilds(t *testing.T) []build {
	t.Helper()
	full := newSandbox(t)
	lean := newLeanSandbox(t, true)
	return []build{{"full", full, full.Exec}, {"lean", lean.sandbox, lean.run}}
}
