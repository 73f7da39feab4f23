// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keyring

import (
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

func TestEncodeEntry_roundTrip(t *testing.T) {
	for _, e := range []store.Entry{
		{},
		{ServerURL: "https://r.example/v2/", Username: "<token>", Secret: "\x00\xff\n", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))},
		{ServerURL: "\xfe", Username: "ü", Secret: strings.Repeat("j", store.MaxSecretSize)},
	} {
		got, err := decodeEntry(encodeEntry(e))
		if err != nil || !same(got, e) || !got.Expiry.Equal(e.Expiry) || got.Expiry.IsZero() != e.Expiry.IsZero() {
			t.Errorf("decodeEntry(encodeEntry(%s)) = %s, %v", show(e), show(got), err)
		}
	}
}

func TestEncodeIndex_roundTrip(t *testing.T) {
	idx := map[string]store.Entry{
		"a.example":   {ServerURL: "a.example", Username: "a"},
		"b.example/x": {ServerURL: "https://b.example/x", Username: "\xff", Expiry: time.Unix(2e9, 0)},
	}
	got, err := decodeIndex(encodeIndex(idx))
	if err != nil || len(got) != len(idx) {
		t.Fatalf("decodeIndex = %v, %v", got, err)
	}
	for k, e := range idx {
		if !same(got[k], e) {
			t.Errorf("decodeIndex()[%q] = %s, want %s", k, show(got[k]), show(e))
		}
	}
}

// FuzzDecode feeds arbitrary bytes to every parser: no panics, and whatever
// decodes re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add(encodeEntry(store.Entry{ServerURL: "a", Username: "b", Secret: "c", Expiry: time.Unix(1, 0)}))
	f.Add(encodeIndex(map[string]store.Entry{"k": {ServerURL: "a", Username: "b"}}))
	f.Add([]byte(header("0123456789ab", 3, strings.Repeat("f", sumLen)) + "QUJD"))
	f.Add([]byte{indexVersion, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, p []byte) {
		if e, err := decodeEntry(p); err == nil {
			if e2, err := decodeEntry(encodeEntry(e)); err != nil || !same(e, e2) {
				t.Errorf("entry does not re-encode: %v", err)
			}
		}
		if idx, err := decodeIndex(p); err == nil {
			if _, err := decodeIndex(encodeIndex(idx)); err != nil {
				t.Errorf("index does not re-encode: %v", err)
			}
		}
		_, _ = parseHead(string(p))
	})
}
