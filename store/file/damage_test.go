// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package file

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

var update = flag.Bool("update", false, "rewrite the fuzz seeds in testdata/fuzz")

var smallEntries = map[string]store.Entry{
	"a.example":      {ServerURL: "https://a.example", Username: "alice", Secret: "pw-a"},
	"b.example/team": {ServerURL: "b.example/team", Username: "<token>", Secret: "refresh", Expiry: time.Date(2030, 1, 1, 0, 0, 0, 5, time.UTC)},
	"c.example":      {ServerURL: "c.example", Username: "", Secret: ""},
}

// smallStore writes smallEntries into a fresh store and returns it with its bytes.
func smallStore(t *testing.T) (*Store, []byte) {
	t.Helper()
	s := newStore(t, t.TempDir(), "ns")
	for k, e := range smallEntries {
		if err := s.Put(context.Background(), k, e); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	return s, b
}

// checkDamageErr fails unless err is the one-line error for a store that
// cannot be read.
func checkDamageErr(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	msg := err.Error()
	if errors.Is(err, store.ErrNotFound) || !strings.HasPrefix(msg, "file: ") || strings.Contains(msg, "\n") ||
		!strings.Contains(msg, "damaged store") && !strings.Contains(msg, "newer than") {
		t.Fatalf("%s: error %q; want one line saying the store is damaged", what, msg)
	}
	if strings.Contains(msg, "damaged store") && (!strings.Contains(msg, "restore") || !strings.Contains(msg, "move it aside")) {
		t.Fatalf("%s: error %q does not name the remedy", what, msg)
	}
}

// checkDamaged runs every operation on a store file holding b: each either
// fails with a damage error or returns exactly what was stored, and no write
// replaces the file.
func checkDamaged(t *testing.T, s *Store, b []byte, what string) {
	t.Helper()
	if err := os.WriteFile(s.Path(), b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for k, want := range smallEntries {
		got, err := s.Get(ctx, k)
		if err == nil {
			if got != want {
				t.Fatalf("%s: Get(%q) = %+v, want %+v", what, k, got, want)
			}
			continue
		}
		checkDamageErr(t, what+": Get("+k+")", err)
	}
	if _, err := s.Get(ctx, "absent.example"); err != nil && !errors.Is(err, store.ErrNotFound) {
		checkDamageErr(t, what+": Get(absent)", err)
	}
	list, err := s.List(ctx)
	if err == nil {
		for k, want := range smallEntries {
			want.Secret = ""
			if list[k] != want || len(list) != len(smallEntries) {
				t.Fatalf("%s: List = %v", what, list)
			}
		}
	} else {
		checkDamageErr(t, what+": List", err)
	}
	checkDamageErr(t, what+": Put", s.Put(ctx, "new.example", store.Entry{ServerURL: "n", Username: "u", Secret: "s"}))
	checkDamageErr(t, what+": Delete", s.Delete(ctx, "a.example"))
	after, err := os.ReadFile(s.Path())
	if err != nil || !bytes.Equal(after, b) {
		t.Fatalf("%s: a refused write changed the file (%v)", what, err)
	}
}

func TestStore_truncated(t *testing.T) {
	s, orig := smallStore(t)
	for n := range len(orig) {
		checkDamaged(t, s, orig[:n], fmt.Sprintf("truncated to %d bytes", n))
	}
	checkDamaged(t, s, append(orig[:len(orig):len(orig)], 0), "one byte appended")
}

func TestStore_flipped(t *testing.T) {
	s, orig := smallStore(t)
	for i := range len(orig) {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(orig)
			b[i] ^= mask
			checkDamaged(t, s, b, fmt.Sprintf("byte %d ^ %#x", i, mask))
		}
	}
}

func TestStore_foreign(t *testing.T) {
	s, _ := smallStore(t)
	for name, b := range map[string][]byte{
		"json":  []byte(`{"auths":{"a.example":{"auth":"dTpw"}}}`),
		"empty": nil,
		"zeros": make([]byte, 4096),
		"magic": []byte("MINTFS"),
	} {
		checkDamaged(t, s, b, name)
	}
	// A store from a future version says so rather than "damaged".
	_, orig := smallStore(t)
	orig[6] = version + 1
	os.WriteFile(s.Path(), orig, 0o600)
	_, err := s.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "newer than") {
		t.Errorf("List of a newer store = %v", err)
	}
}

// TestStore_swapped moves records under each other's index entries: the
// store must notice, never answer one key with another's secret.
func TestStore_swapped(t *testing.T) {
	s, orig := smallStore(t)
	ctx := context.Background()
	k, err := s.keys()
	if err != nil {
		t.Fatal(err)
	}
	f, err := openFile(s.Path(), bytes.NewReader(orig), orig, int64(len(orig)), s.keys, s.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := f.records(true, true)
	if err != nil {
		t.Fatal(err)
	}
	// Give record 0 the hash of record 1, and the reverse, and rewrite a
	// consistent file (CRC and all) around them.
	recs[0].hash, recs[1].hash = recs[1].hash, recs[0].hash
	b, err := encode(k, recs)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.Path(), b, 0o600)
	for key, want := range smallEntries {
		got, err := s.Get(ctx, key)
		if err == nil && got != want {
			t.Errorf("Get(%q) after a swap = %+v, want %+v", key, got, want)
		}
	}
	checkDamageErr(t, "Put after a swap", s.Put(ctx, "n.example", store.Entry{}))
	// List takes keys from the authenticated records: it may ignore the
	// swapped index, but must list what was stored.
	if list, err := s.List(ctx); err == nil {
		for key, want := range smallEntries {
			want.Secret = ""
			if list[key] != want {
				t.Errorf("List()[%q] after a swap = %+v, want %+v", key, list[key], want)
			}
		}
	}
	// A secret seal moved to another record does not open there either.
	recs, _ = func() ([]record, error) {
		f, _ := openFile(s.Path(), bytes.NewReader(orig), orig, int64(len(orig)), s.keys, s.keyFile)
		return f.records(true, true)
	}()
	a, c := recs[0], recs[1]
	recs[0].sealed = append(bytes.Clone(a.sealed[:nonceSize+a.metaLen]), c.sealed[nonceSize+c.metaLen:]...)
	recs[0].secretLen = c.secretLen
	b, _ = encode(k, recs)
	os.WriteFile(s.Path(), b, 0o600)
	got, err := s.Get(ctx, a.key)
	if err == nil {
		t.Errorf("Get(%q) with another record's secret = %+v", a.key, got)
	}
}

// fuzzKey is the key of the fuzz seeds in testdata/fuzz/FuzzOpen.
var fuzzKey = []byte("0123456789abcdef0123456789abcdef")

func fuzzKeys(t testing.TB) *keys {
	k, err := newKeys(fuzzKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// FuzzOpen feeds arbitrary bytes to the reader as a store file encrypted
// with fuzzKey: it must never panic, every error is a one-line damage
// error, and what a strict read accepts, a lookup finds unchanged.
func FuzzOpen(f *testing.F) {
	k := fuzzKeys(f)
	empty, _ := encode(k, nil)
	f.Add(empty)
	f.Add([]byte("MINTFS\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		load := func() (*keys, error) { return k, nil }
		prefix := data[:min(len(data), 40)] // exercise the second read
		sf, err := openFile("store", bytes.NewReader(data), prefix, int64(len(data)), load, "key")
		if err != nil {
			checkOneLine(t, err)
			return
		}
		for _, key := range []string{"a.example", "b.example/team", "c.example", ""} {
			if _, err := sf.get(key); err != nil && !errors.Is(err, store.ErrNotFound) {
				checkOneLine(t, err)
			}
		}
		if _, err := sf.records(false, false); err != nil {
			checkOneLine(t, err)
		}
		recs, err := sf.records(true, true)
		if err != nil {
			checkOneLine(t, err)
			return
		}
		for _, r := range recs {
			got, err := sf.get(r.key)
			if err != nil {
				t.Fatalf("get(%q) of a record a strict read accepted: %v", r.key, err)
			}
			got.Secret = ""
			if got != r.ent {
				t.Fatalf("get(%q) = %+v, records says %+v", r.key, got, r.ent)
			}
		}
		again, err := encode(k, recs)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("re-encoding an accepted store changed it (%v)", err)
		}
	})
}

func checkOneLine(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "file: ") || strings.Contains(msg, "\n") {
		t.Fatalf("error %q is not one line starting with file: ", msg)
	}
	var d *damagedError
	if !errors.As(err, &d) && !strings.Contains(msg, "newer than") {
		t.Fatalf("error %q does not say the store is damaged", msg)
	}
}

// TestFuzzSeeds writes the seeds of FuzzOpen with -update.
func TestFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz/FuzzOpen")
	}
	k := fuzzKeys(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seal := func(entries map[string]store.Entry) []byte {
		var recs []record
		for key, e := range entries {
			r, err := k.seal(key, e)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r)
		}
		b, err := encode(k, recs)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	small := seal(smallEntries)
	one := seal(map[string]store.Entry{"a.example": smallEntries["a.example"]})
	seeds := map[string][]byte{
		"empty":     seal(nil),
		"one":       one,
		"small":     small,
		"truncated": small[:len(small)-7],
		"flipped":   append(append(bytes.Clone(small[:60]), small[60]^4), small[61:]...),
		"json":      []byte(`{"auths":{}}`),
	}
	for name, b := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
