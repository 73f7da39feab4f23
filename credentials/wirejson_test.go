// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"bytes"
	"encoding/json"
	"testing"
)

var jsonStrings = []string{
	"", "quay.io", "https://index.docker.io/v1/", "<token>", "a&b>c", `quote" back\slash`,
	"\x00\x01\x1f\x7f", "\b\f\n\r\t", "héllo wörld", "\u2028\u2029", "\xff\xfe", "a\xc3", "日本語",
	"\U0001F600", "\xed\xa0\x80", "plain-secret_123",
}

func jsonEncode(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEncode_matchesEncodingJSON: the hand-written answers are encoding/json's bytes.
func TestEncode_matchesEncodingJSON(t *testing.T) {
	m := map[string]string{}
	for i, s := range jsonStrings {
		c := Credentials{ServerURL: s, Username: jsonStrings[(i+1)%len(jsonStrings)], Secret: jsonStrings[(i+2)%len(jsonStrings)]}
		if got, want := encodeCredentials(c), jsonEncode(t, c); !bytes.Equal(got, want) {
			t.Errorf("encodeCredentials(%q)\n got %q\nwant %q", c, got, want)
		}
		m[s] = jsonStrings[(i+3)%len(jsonStrings)]
	}
	for _, mm := range []map[string]string{{}, m} {
		if got, want := encodeList(mm), jsonEncode(t, mm); !bytes.Equal(got, want) {
			t.Errorf("encodeList\n got %q\nwant %q", got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %q, want %q", s, got, want)
		}
	})
}
