// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"slices"
	"unicode/utf8"
)

// The answers of get and list are written by hand, byte for byte what
// encoding/json writes for them (what docker-credential-helpers' own
// helpers answer; wirejson_test.go and FuzzAppendJSONString hold the two
// together): every docker pull spawns a get, and docker build a list, so
// neither may pay for reflection and encoder caches.

// encodeCredentials is json.NewEncoder(w).Encode(c) for the wire type.
func encodeCredentials(c Credentials) []byte {
	b := make([]byte, 0, 48+len(c.ServerURL)+len(c.Username)+len(c.Secret))
	b = append(b, `{"ServerURL":`...)
	b = appendJSONString(b, c.ServerURL)
	b = append(b, `,"Username":`...)
	b = appendJSONString(b, c.Username)
	b = append(b, `,"Secret":`...)
	b = appendJSONString(b, c.Secret)
	return append(b, "}\n"...)
}

// encodeList is json.NewEncoder(w).Encode(m): keys in byte order.
func encodeList(m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	n := 3
	for k, v := range m {
		keys = append(keys, k)
		n += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, "}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as encoding/json does with HTML escaping on
// (its default): <, > and & as \u003c, \u003e, \u0026; control bytes as
// \n, \r, \t, \b, \f or \u00XX; invalid UTF-8 as \ufffd; U+2028 and U+2029
// escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
