// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package storetest is the conformance suite every store.Backend runs.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

// NewFunc returns a fresh, empty backend for namespace ns. Two calls with the
// same ns inside one test must share contents; different ns must not.
type NewFunc func(t *testing.T, ns string) store.Backend

// Options tunes the suite for slow backends.
type Options struct {
	// Concurrency is how many goroutines write at once (default 8).
	Concurrency int
}

// Run runs the conformance suite against backends made by newBackend.
func Run(t *testing.T, newBackend NewFunc, opts ...Options) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Concurrency == 0 {
		o.Concurrency = 8
	}
	ns := func(t *testing.T) string {
		return "storetest-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	}
	t.Run("Empty", func(t *testing.T) {
		b := newBackend(t, ns(t))
		ctx := context.Background()
		m, err := b.List(ctx)
		if err != nil || len(m) != 0 {
			t.Fatalf("List() on empty store = %v, %v; want empty, nil", m, err)
		}
		if _, err := b.Get(ctx, "example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
		}
		if err := b.Delete(ctx, "example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Delete(missing) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		b := newBackend(t, ns(t))
		ctx := context.Background()
		exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		cases := map[string]store.Entry{
			"example.com":               {ServerURL: "https://example.com/v2/", Username: "alice", Secret: "s3cret"},
			"localhost:5000":            {ServerURL: "localhost:5000", Username: "<token>", Secret: "refresh-token", Expiry: exp},
			"[::1]:5000":                {ServerURL: "[::1]:5000", Username: "u", Secret: ""},
			"quay.io/org-a":             {ServerURL: "quay.io/org-a", Username: "org-a+robot", Secret: "robot"},
			"docker.io/v1/access-token": {ServerURL: "https://index.docker.io/v1/access-token", Username: "hub", Secret: strings.Repeat("eyJhbGciOiJSUzI1NiJ9.", 400)},
			"bücher.example":            {ServerURL: "bücher.example", Username: "ünï", Secret: "päss\nword\ttab \"quote\" \\ \x00\x01\xff end"},
			"multi.example":             {ServerURL: "multi.example", Username: "m", Secret: "line1\nline2\n\nline4\n"},
		}
		for k, e := range cases {
			if err := b.Put(ctx, k, e); err != nil {
				t.Fatalf("Put(%q) = %v", k, err)
			}
		}
		for k, want := range cases {
			got, err := b.Get(ctx, k)
			if err != nil {
				t.Fatalf("Get(%q) = %v", k, err)
			}
			if !same(got, want) {
				t.Errorf("Get(%q) = %s, want %s", k, show(got), show(want))
			}
		}
		list, err := b.List(ctx)
		if err != nil {
			t.Fatalf("List() = %v", err)
		}
		if len(list) != len(cases) {
			t.Errorf("List() has %d entries, want %d: %v", len(list), len(cases), keys(list))
		}
		for k, want := range cases {
			got, ok := list[k]
			if !ok {
				t.Errorf("List() lacks %q", k)
				continue
			}
			if got.Secret != "" {
				t.Errorf("List()[%q] carries a secret", k)
			}
			want.Secret = ""
			if !same(got, want) {
				t.Errorf("List()[%q] = %s, want %s", k, show(got), show(want))
			}
		}
	})
	t.Run("Overwrite", func(t *testing.T) {
		b := newBackend(t, ns(t))
		ctx := context.Background()
		first := store.Entry{ServerURL: "registry.example", Username: "alice", Secret: "alicepw"}
		second := store.Entry{ServerURL: "https://registry.example", Username: "bob", Secret: "bobpw"}
		if err := b.Put(ctx, "registry.example", first); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, "registry.example", second); err != nil {
			t.Fatal(err)
		}
		got, err := b.Get(ctx, "registry.example")
		if err != nil || !same(got, second) {
			t.Errorf("Get after overwrite = %s, %v; want %s", show(got), err, show(second))
		}
		list, _ := b.List(ctx)
		if len(list) != 1 || list["registry.example"].Username != "bob" {
			t.Errorf("List after overwrite = %v, want one entry for bob", list)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		b := newBackend(t, ns(t))
		ctx := context.Background()
		for _, k := range []string{"a.example", "b.example", "a.example/sub"} {
			if err := b.Put(ctx, k, store.Entry{ServerURL: k, Username: "u", Secret: "s-" + k}); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Delete(ctx, "a.example"); err != nil {
			t.Fatalf("Delete = %v", err)
		}
		if _, err := b.Get(ctx, "a.example"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get after Delete = %v, want ErrNotFound", err)
		}
		if err := b.Delete(ctx, "a.example"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second Delete = %v, want ErrNotFound", err)
		}
		for _, k := range []string{"b.example", "a.example/sub"} {
			if e, err := b.Get(ctx, k); err != nil || e.Secret != "s-"+k {
				t.Errorf("Get(%q) after deleting another key = %q, %v", k, e.Secret, err)
			}
		}
		list, _ := b.List(ctx)
		if len(list) != 2 {
			t.Errorf("List after Delete = %v, want 2 keys", keys(list))
		}
		for _, k := range []string{"b.example", "a.example/sub"} {
			if err := b.Delete(ctx, k); err != nil {
				t.Fatalf("Delete(%q) = %v", k, err)
			}
		}
		if list, err := b.List(ctx); err != nil || len(list) != 0 {
			t.Errorf("List after deleting everything = %v, %v; want empty, nil", keys(list), err)
		}
		if _, err := b.Get(ctx, "b.example"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get after deleting everything = %v, want ErrNotFound", err)
		}
		if err := b.Put(ctx, "c.example", store.Entry{ServerURL: "c.example", Username: "u", Secret: "again"}); err != nil {
			t.Fatalf("Put after deleting everything = %v", err)
		}
		if e, err := b.Get(ctx, "c.example"); err != nil || e.Secret != "again" {
			t.Errorf("Get after re-adding = %q, %v", e.Secret, err)
		}
	})
	t.Run("Size", func(t *testing.T) {
		b := newBackend(t, ns(t))
		ctx := context.Background()
		big := strings.Repeat("x", store.MaxSecretSize)
		if err := b.Put(ctx, "big.example", store.Entry{ServerURL: "big.example", Username: "u", Secret: big}); err != nil {
			t.Fatalf("Put(MaxSecretSize) = %v", err)
		}
		if e, err := b.Get(ctx, "big.example"); err != nil || e.Secret != big {
			t.Fatalf("Get(big) = %d bytes, %v; want %d bytes", len(e.Secret), err, len(big))
		}
		err := b.Put(ctx, "big.example", store.Entry{ServerURL: "big.example", Username: "u", Secret: big + "y"})
		if !errors.Is(err, store.ErrTooLarge) {
			t.Errorf("Put(MaxSecretSize+1) = %v, want ErrTooLarge", err)
		}
		if e, err := b.Get(ctx, "big.example"); err != nil || e.Secret != big {
			t.Errorf("a refused Put changed the stored entry: %d bytes, %v", len(e.Secret), err)
		}
	})
	t.Run("Namespaces", func(t *testing.T) {
		base := ns(t)
		a := newBackend(t, base+"-a")
		b := newBackend(t, base+"-b")
		ctx := context.Background()
		if err := a.Put(ctx, "shared.example", store.Entry{ServerURL: "shared.example", Username: "a", Secret: "from-a"}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx, "shared.example"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("namespace b sees a's entry: %v", err)
		}
		if m, _ := b.List(ctx); len(m) != 0 {
			t.Errorf("namespace b lists %v", keys(m))
		}
		a2 := newBackend(t, base+"-a")
		if e, err := a2.Get(ctx, "shared.example"); err != nil || e.Secret != "from-a" {
			t.Errorf("a second handle on namespace a: Get = %q, %v", e.Secret, err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		b := newBackend(t, ns(t))
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, o.Concurrency)
		for i := range o.Concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := fmt.Sprintf("host%d.example", i)
				if err := b.Put(ctx, k, store.Entry{ServerURL: k, Username: "u", Secret: "s" + k}); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Put: %v", err)
		}
		for i := range o.Concurrency {
			k := fmt.Sprintf("host%d.example", i)
			if e, err := b.Get(ctx, k); err != nil || e.Secret != "s"+k {
				t.Errorf("Get(%q) after concurrent Puts = %q, %v", k, e.Secret, err)
			}
		}
	})
}

func same(a, b store.Entry) bool {
	return a.ServerURL == b.ServerURL && a.Username == b.Username && a.Secret == b.Secret &&
		a.Expiry.Unix() == b.Expiry.Unix() && a.Expiry.IsZero() == b.Expiry.IsZero()
}

// show prints an entry without its secret (only its length).
func show(e store.Entry) string {
	return fmt.Sprintf("{ServerURL:%q Username:%q Secret:<%d bytes> Expiry:%v}", e.ServerURL, e.Username, len(e.Secret), e.Expiry)
}

func keys(m map[string]store.Entry) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
