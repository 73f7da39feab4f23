// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package redact removes secrets from the text of errors: what a token
// endpoint or a command said back, which may quote the secret it was sent
// (error lines reach stdout, and Docker prints them).
//
// A secret is removed in every form this program sends it in, since that is
// what a server or command echoes: as is, URL-encoded (form bodies; x/oauth2
// also escapes the client id and secret inside Basic auth; a path in a URL
// that an error quotes), JSON-escaped
// (a refresh-token root is JSON), and base64 (a Basic Authorization header
// is base64 of "id:secret", so the secret's base64 may start at any
// alignment).
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
)

// MinLen is the shortest secret that is redacted: a shorter one would blank
// out ordinary words of the message and tells an attacker little anyway.
const MinLen = 4

// minBase64 is the shortest base64 fragment that is redacted when it is
// only part of an encoding (the secret at an offset in a longer encoded
// string): 8 characters stand for 6 bytes of the secret.
const minBase64 = 8

// Mark replaces each secret.
const Mark = "[redacted]"

// String returns s with every secret, in each of its forms, replaced by
// Mark. Secrets shorter than MinLen are left alone; each line of a
// multi-line secret is redacted on its own too.
func String(s string, secrets ...string) string {
	forms := Forms(secrets...)
	for _, f := range forms {
		s = strings.ReplaceAll(s, f, Mark)
	}
	return s
}

// Forms returns the strings that String replaces for secrets, longest first.
func Forms(secrets ...string) []string {
	seen := map[string]bool{}
	var forms []string
	add := func(f string, min int) {
		if len(f) >= min && !seen[f] {
			seen[f] = true
			forms = append(forms, f)
		}
	}
	for _, sec := range secrets {
		if len(sec) < MinLen {
			continue
		}
		parts := []string{sec}
		for line := range strings.Lines(sec) {
			if line = strings.TrimSpace(line); line != sec {
				parts = append(parts, line)
			}
		}
		for _, p := range parts {
			if len(p) < MinLen {
				continue
			}
			q := url.QueryEscape(p)
			path := (&url.URL{Path: p}).EscapedPath() // as in a URL this program prints
			for _, v := range []string{p, q, url.PathEscape(p), path, jsonEscape(p, true), jsonEscape(p, false)} {
				add(v, MinLen)
			}
			for _, v := range []string{p, q} {
				for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
					add(enc.EncodeToString([]byte(v)), MinLen)
				}
				for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
					for _, core := range base64Cores(enc, v) {
						add(core, minBase64)
					}
				}
			}
		}
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return forms
}

// jsonEscape returns s as encoding/json writes it inside a string, with or
// without its HTML escaping (<, >, & as \u003c…).
func jsonEscape(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}

// base64Cores returns, for each of the three alignments at which s can
// start inside a longer base64-encoded string, the characters that depend
// on s alone: whole 3-byte groups of s, without the group shared with what
// comes before s or the one shared with what follows.
func base64Cores(enc *base64.Encoding, s string) []string {
	var cores []string
	for k := range 3 {
		lead := (3 - k) % 3 // bytes of s that complete the group begun before it
		if lead > len(s) {
			continue
		}
		body := s[lead:]
		body = body[:len(body)/3*3]
		if body != "" {
			cores = append(cores, enc.EncodeToString([]byte(body)))
		}
	}
	return cores
}
