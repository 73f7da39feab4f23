// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	o := newOpEnv(t)
	for _, alias := range []string{"help", "--help", "-h"} {
		out := o.must("", alias)
		for _, want := range []string{"store", "get", "erase", "list", "version", "login", "status"} {
			if !strings.Contains(out, "docker-credential-mint "+want+" ") {
				t.Errorf("%s lacks %q:\n%s", alias, want, out)
			}
		}
		if strings.Contains(out, "docker-credential-mint --help") || strings.Contains(out, "docker-credential-mint -h ") {
			t.Errorf("%s lists its aliases:\n%s", alias, out)
		}
		for _, name := range commandNames() {
			if !strings.HasPrefix(name, "-") && !strings.Contains(out, commands()[name].summary) {
				t.Errorf("%s lacks %s's summary", alias, name)
			}
		}
	}
	if out := o.must("", "help", "login"); !strings.HasPrefix(out, "Usage: docker-credential-mint login REGISTRY") {
		t.Errorf("help login = %q", out)
	}
	if _, errs, code := o.run("", "help", "bogus"); code != 2 || !strings.Contains(errs, `unknown command "bogus"`) {
		t.Errorf("help bogus: exit %d, %q", code, errs)
	}
}

// TestBinary_help: help through the binary; the protocol's usage errors
// are unchanged.
func TestBinary_help(t *testing.T) {
	s := newSandbox(t)
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		if out := s.Must("", args...); !strings.Contains(out, "Commands:") {
			t.Errorf("%v = %q", args, out)
		}
	}
	if out, _, code := s.Exec("", "login", "--help"); code != 0 || !strings.Contains(out, "Examples:") {
		t.Errorf("login --help: exit %d, %q", code, out)
	}
	if out, _, code := s.Exec(""); code != 1 || out != "Usage: docker-credential-mint <store|get|erase|list|version>\n" {
		t.Errorf("no arguments: exit %d, %q", code, out)
	}
	if out, _, code := s.Exec("", "get", "extra"); code != 1 || !strings.HasPrefix(out, "Usage:") {
		t.Errorf("get extra: exit %d, %q", code, out)
	}
}
