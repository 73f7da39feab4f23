// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package file

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

// fill writes n entries in one write, as n Puts would leave them.
func fill(tb testing.TB, s *Store, n int) {
	tb.Helper()
	err := s.update(context.Background(), "fill", func(k *keys, recs []record) ([]record, error) {
		for i := range n {
			key := fmt.Sprintf("registry-%04d.example.com", i)
			r, err := k.seal(key, store.Entry{
				ServerURL: "https://" + key + "/v2/",
				Username:  fmt.Sprintf("robot$user-%d", i),
				Secret:    strings.Repeat("s", 200), // a PAT or short JWT
				Expiry:    time.Unix(int64(2e9+i), 0),
			})
			if err != nil {
				return nil, err
			}
			recs = append(recs, r)
		}
		return recs, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func TestStore_thousand(t *testing.T) {
	s := newStore(t, t.TempDir(), "ns")
	fill(t, s, 1000)
	ctx := context.Background()
	list, err := s.List(ctx)
	if err != nil || len(list) != 1000 {
		t.Fatalf("List = %d entries, %v", len(list), err)
	}
	for _, i := range []int{0, 1, 499, 998, 999} {
		key := fmt.Sprintf("registry-%04d.example.com", i)
		e, err := s.Get(ctx, key)
		if err != nil || e.Username != fmt.Sprintf("robot$user-%d", i) || len(e.Secret) != 200 || e.Expiry.Unix() != int64(2e9+i) {
			t.Errorf("Get(%q) = %v, %v", key, e.Username, err)
		}
	}
	// Put and Delete keep the rest.
	if err := s.Put(ctx, "new.example", store.Entry{ServerURL: "new.example", Username: "u", Secret: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "registry-0500.example.com"); err != nil {
		t.Fatal(err)
	}
	if list, err := s.List(ctx); err != nil || len(list) != 1000 {
		t.Errorf("List after Put and Delete = %d entries, %v", len(list), err)
	}
}

func BenchmarkGet1000(b *testing.B) {
	s := newStore(b, b.TempDir(), "ns")
	fill(b, s, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("registry-%04d.example.com", i%1000)
		if _, err := s.Get(ctx, key); err != nil {
			b.Fatal(err)
		}
		i += 7
	}
}

// BenchmarkGet1000Fresh is a Get as a helper process makes it: a new Store,
// so the key is read and derived again.
func BenchmarkGet1000Fresh(b *testing.B) {
	dir := b.TempDir()
	fill(b, newStore(b, dir, "ns"), 1000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s, _ := New(dir, "ns")
		if _, err := s.Get(ctx, "registry-0500.example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkList1000(b *testing.B) {
	s := newStore(b, b.TempDir(), "ns")
	fill(b, s, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if m, err := s.List(ctx); err != nil || len(m) != 1000 {
			b.Fatal(len(m), err)
		}
	}
}

func BenchmarkPut1000(b *testing.B) {
	s := newStore(b, b.TempDir(), "ns")
	fill(b, s, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Put(ctx, "registry-0500.example.com", store.Entry{ServerURL: "x", Username: "u", Secret: "s"}); err != nil {
			b.Fatal(err)
		}
	}
}
