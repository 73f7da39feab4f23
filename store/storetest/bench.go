// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store"
)

// Bench fills b with n entries (2 KB secrets) and benchmarks Get, List and
// Put on it: the same figures for every backend.
func Bench(b *testing.B, bk store.Backend, n int) {
	ctx := context.Background()
	for i := range n {
		k := fmt.Sprintf("host%d.example", i)
		if err := bk.Put(ctx, k, store.Entry{ServerURL: k, Username: "u", Secret: strings.Repeat("s", 2000)}); err != nil {
			b.Fatal(err)
		}
	}
	key := fmt.Sprintf("host%d.example", n/2)
	b.Run("Get", func(b *testing.B) {
		for b.Loop() {
			if _, err := bk.Get(ctx, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("List", func(b *testing.B) {
		for b.Loop() {
			if m, err := bk.List(ctx); err != nil || len(m) != n {
				b.Fatal(len(m), err)
			}
		}
	})
	b.Run("Put", func(b *testing.B) {
		for b.Loop() {
			if err := bk.Put(ctx, key, store.Entry{ServerURL: key, Username: "u", Secret: "x"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
