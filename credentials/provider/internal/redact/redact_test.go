// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	const sec = `s3cr+t/"x"<&>=` // every escaper changes it
	j, _ := json.Marshal(sec)
	for _, c := range []struct{ name, in string }{
		{"as is", "invalid client " + sec + " given"},
		{"query escaped", "client_secret=" + url.QueryEscape(sec) + "&x=1"},
		{"path escaped", "/token/" + url.PathEscape(sec)},
		{"in a URL's path", (&url.URL{Scheme: "https", Host: "h", Path: "/token/" + sec}).String()},
		{"JSON escaped", `{"client_secret":` + string(j) + `}`},
		{"JSON escaped without HTML escaping", `{"client_secret":"s3cr+t/\"x\"<&>="}`},
		{"base64", "got " + base64.StdEncoding.EncodeToString([]byte(sec))},
		{"base64url", "got " + base64.RawURLEncoding.EncodeToString([]byte(sec))},
		{"Basic header", "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("client-id:"+sec))},
		{"Basic header as x/oauth2 sends it", "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("client id")+":"+url.QueryEscape(sec)))},
	} {
		got := String(c.in, sec)
		if !strings.Contains(got, Mark) {
			t.Errorf("%s: String(%q) = %q, nothing redacted", c.name, c.in, got)
		}
	}
}

func TestString_lines(t *testing.T) {
	sec := "line-one-secret\nline-two-secret\n"
	got := String("stderr: line-two-secret", sec)
	if got != "stderr: "+Mark {
		t.Errorf("got %q", got)
	}
}

func TestString_short(t *testing.T) {
	if got := String("abc def", "abc"); got != "abc def" {
		t.Errorf("a 3-byte secret was redacted: %q", got)
	}
	if got := String("abcd def", "abcd"); got != Mark+" def" {
		t.Errorf("got %q", got)
	}
}

// TestString_base64Alignment: a secret of 8 bytes or more is redacted from
// a base64 string however many bytes precede or follow it.
func TestString_base64Alignment(t *testing.T) {
	for n := 8; n <= 40; n++ {
		sec := strings.Repeat("k3y!", 10)[:n]
		for pre := range 6 {
			for post := range 4 {
				raw := strings.Repeat("p", pre) + sec + strings.Repeat("q", post)
				for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
					in := enc.EncodeToString([]byte(raw))
					if got := String(in, sec); !strings.Contains(got, Mark) {
						t.Fatalf("secret of %d bytes after %d bytes, before %d: %q not redacted", n, pre, post, in)
					}
				}
			}
		}
	}
}

func TestString_longestFirst(t *testing.T) {
	// The JSON form of a refresh-token root holds the refresh token; both
	// are secrets, and the longer one goes as a whole.
	root := `{"refresh_token":"rt-12345","client_secret":"cs-67890"}`
	got := String("echo "+root, root, "rt-12345", "cs-67890")
	if got != "echo "+Mark {
		t.Errorf("got %q", got)
	}
}
