// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// printable returns s with every character that could steer the user's
// terminal escaped as in a Go string literal: control characters (C0, DEL
// and C1: an ESC sequence recolours or moves the cursor, a newline or a
// tab draws a fake row or column), Unicode's bidirectional controls and
// line separators (they reorder or break what is shown), and bytes that are
// not UTF-8. status and doctor print every field that comes from a store,
// a config file or a registry through it; everything else, backslashes
// included, is left as it is.
func printable(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case !unsafeRune(r, size):
			b.WriteString(s[i : i+size])
		case r == utf8.RuneError:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// unsafeRune reports whether r (size bytes of the input) is to be escaped.
func unsafeRune(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return true // not UTF-8
	case r < utf8.RuneSelf:
		return r < 0x20 || r == 0x7f
	case unicode.IsControl(r): // C1, U+0080–U+009F (U+009B is a CSI)
		return true
	}
	switch r {
	case '\u061c', '\u200e', '\u200f', '\u2028', '\u2029',
		'\u202a', '\u202b', '\u202c', '\u202d', '\u202e',
		'\u2066', '\u2067', '\u2068', '\u2069':
		return true
	}
	return false
}

// printableJSON escapes, as \uXXXX, what encoding/json leaves raw and
// printable escapes: DEL, C1 controls and the bidirectional controls. The
// text stays JSON that decodes to the same values (these characters occur
// only inside strings).
func printableJSON(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if (r == 0x7f || r >= utf8.RuneSelf) && unsafeRune(r, size) && r != utf8.RuneError {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}
