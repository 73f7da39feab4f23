// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"testing"
	"unicode"
)

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "",
		"robot+ci":                   "robot+ci",
		`DOMAIN\user`:                `DOMAIN\user`,
		"bücher.example 日本":          "bücher.example 日本",
		"me\x1b[2J\x1b[31m":          `me\x1b[2J\x1b[31m`,
		"a\nerror  fake row":         `a\nerror  fake row`,
		"tab\there\rcr\x00nul\x7f":   `tab\there\rcr\x00nul\x7f`,
		"csi\u009b31m":               `csi\u009b31m`,
		"bidi\u202eevil\u2066\u2069": `bidi\u202eevil\u2066\u2069`,
		"line\u2028sep":              `line\u2028sep`,
		"bad\xffutf8\xc3":            `bad\xffutf8\xc3`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
	// Every control character is escaped.
	for r := rune(0); r < 0x2100; r++ {
		if got := printable(string(r)); unicode.IsControl(r) && got == string(r) {
			t.Errorf("printable(%q) left it raw", r)
		}
	}
}
