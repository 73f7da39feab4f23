// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/lockfile"
	"github.com/docker-credential-mint/mint/store/storetest"
)

// TestMain swaps go-keyring's OS provider for its in-memory mock (no test
// of this package touches the real keychain, except in the process that
// TestWincred starts with MINT_KEYRING_REAL set, on Windows) and points the
// default lock directory at a temporary one. With MINT_KEYRING_CHILD set it
// is a writer process of TestBackend_crossProcess instead.
func TestMain(m *testing.M) {
	if i := os.Getenv("MINT_KEYRING_CHILD"); i != "" {
		os.Exit(writerChild(i))
	}
	if os.Getenv("MINT_KEYRING_REAL") == "" {
		gokeyring.MockInit()
	}
	run, err := os.MkdirTemp("", "keyring-test-run-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_RUNTIME_DIR", run)
	code := m.Run()
	os.RemoveAll(run)
	os.Exit(code)
}

// newOn returns a Backend for namespace ns over kr with the given item size.
func newOn(t testing.TB, ns string, kr Keyring, size int) *Backend {
	t.Helper()
	b, err := New(ns, Options{})
	if err != nil {
		t.Fatalf("New(%q) = %v", ns, err)
	}
	b.Keyring, b.ItemSize = kr, size
	return b
}

func TestBackend_conformance(t *testing.T) {
	for _, size := range []int{100, 2560, DefaultItemSize("darwin"), DefaultItemSize("linux")} {
		t.Run(fmt.Sprintf("mock/%d", size), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, ns string) store.Backend {
				return newOn(t, ns, OS{}, size)
			})
		})
		t.Run(fmt.Sprintf("limited/%d", size), func(t *testing.T) {
			kr := newLimitedKeyring(size)
			storetest.Run(t, func(t *testing.T, ns string) store.Backend {
				return newOn(t, ns, kr, size)
			})
		})
	}
}

// TestBackend_Put_sizes stores secrets of every length across several chunk
// boundaries, checks each reads back and that exactly the expected items
// remain (no orphaned chunks after overwrites).
func TestBackend_Put_sizes(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{MinItemSize, 100, 2560} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			kr := newLimitedKeyring(size)
			b := newOn(t, "sizes", kr, size)
			lengths := []int{store.MaxSecretSize - 1, store.MaxSecretSize}
			for n := range 3 * size {
				// Every length near a change in the item count, and a
				// sample in between.
				payload := len(encodeEntry(store.Entry{ServerURL: "https://big.example", Username: "u", Secret: pattern(n)}))
				near := false
				for d := -4; d <= 4; d++ {
					near = near || itemsFor(payload+d, size) != itemsFor(payload+d+1, size)
				}
				if near || n%97 == 0 {
					lengths = append(lengths, n)
				}
			}
			for _, n := range lengths {
				secret := pattern(n)
				e := store.Entry{ServerURL: "https://big.example", Username: "u", Secret: secret}
				if err := b.Put(ctx, "big.example", e); err != nil {
					t.Fatalf("Put(%d-byte secret) = %v", n, err)
				}
				got, err := b.Get(ctx, "big.example")
				if err != nil || got.Secret != secret {
					t.Fatalf("Get after Put(%d-byte secret) = %d bytes, %v", n, len(got.Secret), err)
				}
				if want, got := itemsFor(len(encodeEntry(e)), size), countItems(kr, b.service, "big.example"); got != want {
					t.Fatalf("%d-byte secret: %d items for the key, want %d", n, got, want)
				}
			}
			if err := b.Delete(ctx, "big.example"); err != nil {
				t.Fatal(err)
			}
			for _, u := range kr.users(b.service) {
				if !strings.HasPrefix(u, indexAccount) {
					t.Errorf("item %q left after Delete", u)
				}
			}
		})
	}
}

// pattern returns n bytes covering every byte value.
func pattern(n int) string {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i * 7)
	}
	return string(p)
}

// itemsFor is how many items a payload of n bytes needs at the given size.
func itemsFor(n, size int) int {
	text := (n + 2) / 3 * 4
	for items := 1; ; items++ {
		if text <= size-len(header(strings.Repeat("0", genLen), items, strings.Repeat("0", sumLen)))+(items-1)*size {
			return items
		}
	}
}

func countItems(kr *limitedKeyring, service, key string) int {
	n := 0
	for _, u := range kr.users(service) {
		if u == key || strings.HasPrefix(u, key+"#") {
			n++
		}
	}
	return n
}

func TestBackend_Put_tooLarge(t *testing.T) {
	ctx := context.Background()
	kr := newLimitedKeyring(2560)
	b := newOn(t, "large", kr, 2560)
	cases := map[string]struct {
		key string
		e   store.Entry
	}{
		"secret":    {"a.example", store.Entry{ServerURL: "a.example", Username: "u", Secret: strings.Repeat("s", store.MaxSecretSize+1)}},
		"serverURL": {"a.example", store.Entry{ServerURL: strings.Repeat("a", store.MaxFieldSize+1), Username: "u"}},
		"username":  {"a.example", store.Entry{ServerURL: "a.example", Username: strings.Repeat("u", store.MaxFieldSize+1)}},
		"key":       {strings.Repeat("k", maxAccountLen+1), store.Entry{ServerURL: "k", Username: "u"}},
		"escaped":   {strings.Repeat("#", maxAccountLen/3+1), store.Entry{ServerURL: "k", Username: "u"}},
	}
	for name, c := range cases {
		if err := b.Put(ctx, c.key, c.e); !errors.Is(err, store.ErrTooLarge) {
			t.Errorf("%s: Put = %v, want ErrTooLarge", name, err)
		}
	}
	if u := kr.users(b.service); len(u) != 0 {
		t.Errorf("refused Puts wrote items %q", u)
	}
	// The longest key that fits does work, chunks and all.
	long := strings.Repeat("k", maxAccountLen)
	e := store.Entry{ServerURL: "k", Username: "u", Secret: strings.Repeat("s", 10000)}
	if err := b.Put(ctx, long, e); err != nil {
		t.Fatalf("Put(%d-byte key) = %v", len(long), err)
	}
	if got, err := b.Get(ctx, long); err != nil || got.Secret != e.Secret {
		t.Errorf("Get(%d-byte key) = %d bytes, %v", len(long), len(got.Secret), err)
	}
}

func TestBackend_Put_emptyKey(t *testing.T) {
	ctx := context.Background()
	b := newOn(t, "empty", newLimitedKeyring(100), 100)
	if err := b.Put(ctx, "", store.Entry{Username: "u"}); err == nil {
		t.Error("Put(\"\") succeeded")
	}
	if _, err := b.Get(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(\"\") = %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Delete(\"\") = %v, want ErrNotFound", err)
	}
}

const (
	oldSecret = "OLD-SECRET-"
	newSecret = "NEW-SECRET-"
)

// TestBackend_Put_killed kills the process before each write of a Put in
// turn (overwriting a chunked entry, and adding a new key next to it), then
// checks what a fresh process sees: the old or the new entry, never an error
// or a mix, and List names only keys that Get can return.
func TestBackend_Put_killed(t *testing.T) {
	ctx := context.Background()
	const size = 100
	oldE := store.Entry{ServerURL: "reg.example", Username: "old", Secret: strings.Repeat(oldSecret, 40)}
	newE := store.Entry{ServerURL: "https://reg.example", Username: "new", Secret: strings.Repeat(newSecret, 50)}
	for _, key := range []string{"reg.example", "other.example"} {
		t.Run(key, func(t *testing.T) {
			base := newLimitedKeyring(size)
			if err := newOn(t, "crash", base, size).Put(ctx, "reg.example", oldE); err != nil {
				t.Fatal(err)
			}
			for n := 1; ; n++ {
				kr := base.clone()
				kr.killAt = n
				putErr := newOn(t, "crash", kr, size).Put(ctx, key, newE)
				kr.revive()
				b := newOn(t, "crash", kr, size) // the next process
				got, err := b.Get(ctx, key)
				switch {
				case err == nil && same(got, newE):
				case key == "reg.example" && err == nil && same(got, oldE):
					if putErr == nil {
						t.Errorf("kill at write %d: Put succeeded but Get returns the old entry", n)
					}
				case key == "other.example" && errors.Is(err, store.ErrNotFound):
				default:
					t.Fatalf("kill at write %d: Get = %s, %v", n, show(got), err)
				}
				if e, err := b.Get(ctx, "reg.example"); key != "reg.example" && (err != nil || !same(e, oldE)) {
					t.Errorf("kill at write %d: the untouched key reads %s, %v", n, show(e), err)
				}
				checkListGettable(t, b, fmt.Sprintf("kill at write %d", n))
				if putErr == nil {
					if n < 3 {
						t.Fatalf("Put succeeded with a kill at write %d", n)
					}
					break
				}
				if !errors.Is(putErr, store.ErrUnavailable) || !strings.Contains(putErr.Error(), errKilled.Error()) || strings.Contains(putErr.Error(), newSecret) {
					t.Errorf("kill at write %d: Put = %v", n, putErr)
				}
				// Putting again repairs whatever the kill left.
				if err := b.Put(ctx, key, newE); err != nil {
					t.Fatalf("kill at write %d: Put again = %v", n, err)
				}
				if got, err := b.Get(ctx, key); err != nil || !same(got, newE) {
					t.Errorf("kill at write %d: Get after Put again = %s, %v", n, show(got), err)
				}
			}
		})
	}
}

// TestBackend_Delete_killed kills the process before each write of a Delete.
func TestBackend_Delete_killed(t *testing.T) {
	ctx := context.Background()
	const size = 100
	e := store.Entry{ServerURL: "reg.example", Username: "u", Secret: strings.Repeat(oldSecret, 40)}
	base := newLimitedKeyring(size)
	for _, k := range []string{"reg.example", "keep.example"} {
		if err := newOn(t, "crash-delete", base, size).Put(ctx, k, e); err != nil {
			t.Fatal(err)
		}
	}
	for n := 1; ; n++ {
		kr := base.clone()
		kr.killAt = n
		delErr := newOn(t, "crash-delete", kr, size).Delete(ctx, "reg.example")
		kr.revive()
		b := newOn(t, "crash-delete", kr, size)
		got, err := b.Get(ctx, "reg.example")
		if !(err == nil && same(got, e)) && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("kill at write %d: Get = %s, %v", n, show(got), err)
		}
		if delErr == nil && err == nil {
			t.Errorf("kill at write %d: Delete succeeded but Get still works", n)
		}
		if got, err := b.Get(ctx, "keep.example"); err != nil || !same(got, e) {
			t.Errorf("kill at write %d: the other key reads %s, %v", n, show(got), err)
		}
		checkListGettable(t, b, fmt.Sprintf("kill at write %d", n))
		if delErr == nil {
			break
		}
	}
}

// checkListGettable asserts the Docker CLI's GetAll would succeed: every
// listed key can be read. (Listed metadata may lag behind a Put killed
// between its commit and its index update; Get is the truth.)
func checkListGettable(t *testing.T, b *Backend, what string) {
	t.Helper()
	list, err := b.List(context.Background())
	if err != nil {
		t.Fatalf("%s: List = %v", what, err)
	}
	for k, meta := range list {
		if _, err := b.Get(context.Background(), k); err != nil {
			t.Errorf("%s: List names %q (user %q) but Get = %v", what, k, meta.Username, err)
		}
	}
}

func same(a, b store.Entry) bool {
	return a.ServerURL == b.ServerURL && a.Username == b.Username && a.Secret == b.Secret && a.Expiry.Equal(b.Expiry)
}

func show(e store.Entry) string {
	return fmt.Sprintf("{%q %q <%d bytes>}", e.ServerURL, e.Username, len(e.Secret))
}

// TestBackend_Get_damaged damages a stored chunked entry in several ways: each
// must give ErrCorrupt (not ErrNotFound, not a wrong entry, no secret in the
// message) and leave other keys readable; Put repairs it.
func TestBackend_Get_damaged(t *testing.T) {
	ctx := context.Background()
	const size = 100
	e := store.Entry{ServerURL: "reg.example", Username: "u", Secret: strings.Repeat(oldSecret, 30)}
	damage := map[string]func(kr *limitedKeyring, service string, h head){
		"missing chunk": func(kr *limitedKeyring, s string, h head) { kr.del(s, chunkAccount("reg.example", h.gen, 2)) },
		"missing last":  func(kr *limitedKeyring, s string, h head) { kr.del(s, chunkAccount("reg.example", h.gen, h.n-1)) },
		"altered chunk": func(kr *limitedKeyring, s string, h head) {
			a := chunkAccount("reg.example", h.gen, 1)
			v, _ := kr.get(s, a)
			kr.set(s, a, "QUFB"+v[4:])
		},
		"short chunk": func(kr *limitedKeyring, s string, h head) {
			a := chunkAccount("reg.example", h.gen, 1)
			v, _ := kr.get(s, a)
			kr.set(s, a, v[:len(v)-4])
		},
		"swapped chunks": func(kr *limitedKeyring, s string, h head) {
			a1, a2 := chunkAccount("reg.example", h.gen, 1), chunkAccount("reg.example", h.gen, 2)
			v1, _ := kr.get(s, a1)
			v2, _ := kr.get(s, a2)
			kr.set(s, a1, v2)
			kr.set(s, a2, v1)
		},
		"fewer chunks": func(kr *limitedKeyring, s string, h head) {
			kr.set(s, "reg.example", header(h.gen, h.n-1, h.sum)+h.first)
		},
		"no header": func(kr *limitedKeyring, s string, h head) { kr.set(s, "reg.example", h.first) },
		"bad magic": func(kr *limitedKeyring, s string, h head) {
			kr.set(s, "reg.example", "m9"+header(h.gen, h.n, h.sum)[2:]+h.first)
		},
		"bad count":   func(kr *limitedKeyring, s string, h head) { kr.set(s, "reg.example", header(h.gen, 0, h.sum)+h.first) },
		"foreign":     func(kr *limitedKeyring, s string, h head) { kr.set(s, "reg.example", "hunter2") },
		"empty value": func(kr *limitedKeyring, s string, h head) { kr.set(s, "reg.example", "") },
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			kr := newLimitedKeyring(size)
			b := newOn(t, "damaged", kr, size)
			for _, k := range []string{"reg.example", "other.example"} {
				if err := b.Put(ctx, k, e); err != nil {
					t.Fatal(err)
				}
			}
			v, _ := kr.get(b.service, "reg.example")
			h, err := parseHead(v)
			if err != nil || h.n < 4 {
				t.Fatalf("head = %d items, %v; want a chunked entry", h.n, err)
			}
			f(kr, b.service, h)
			got, err := b.Get(ctx, "reg.example")
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get = %s, %v; want ErrCorrupt", show(got), err)
			}
			if got != (store.Entry{}) || strings.Contains(err.Error(), oldSecret) {
				t.Errorf("Get = %s, %q: leaks data", show(got), err)
			}
			if got, err := b.Get(ctx, "other.example"); err != nil || !same(got, e) {
				t.Errorf("Get(other) = %s, %v", show(got), err)
			}
			if err := b.Put(ctx, "reg.example", e); err != nil {
				t.Fatalf("Put over damaged entry = %v", err)
			}
			if got, err := b.Get(ctx, "reg.example"); err != nil || !same(got, e) {
				t.Errorf("Get after repair = %s, %v", show(got), err)
			}
		})
	}
	t.Run("delete", func(t *testing.T) {
		kr := newLimitedKeyring(size)
		b := newOn(t, "damaged-delete", kr, size)
		if err := b.Put(ctx, "reg.example", e); err != nil {
			t.Fatal(err)
		}
		kr.set(b.service, "reg.example", "garbage")
		if err := b.Delete(ctx, "reg.example"); err != nil {
			t.Fatalf("Delete(corrupt) = %v", err)
		}
		if _, err := b.Get(ctx, "reg.example"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get after Delete = %v", err)
		}
	})
}

// TestBackend_Get_concurrentCommit has "another process" commit a new value
// and drop the old chunks between our head read and chunk reads: Get must
// notice the head changed and return the new entry.
func TestBackend_Get_concurrentCommit(t *testing.T) {
	ctx := context.Background()
	const size = 100
	oldE := store.Entry{ServerURL: "reg.example", Username: "old", Secret: strings.Repeat(oldSecret, 30)}
	newE := store.Entry{ServerURL: "reg.example", Username: "new", Secret: strings.Repeat(newSecret, 40)}
	kr := newLimitedKeyring(size)
	b := newOn(t, "race", kr, size)
	if err := b.Put(ctx, "reg.example", oldE); err != nil {
		t.Fatal(err)
	}
	other := kr.clone()
	if err := newOn(t, "race", other, size).Put(ctx, "reg.example", newE); err != nil {
		t.Fatal(err)
	}
	after := other.clone().items
	swapped := false
	kr.onGet = func(_, user string) error {
		if strings.Contains(user, "#") && !swapped {
			swapped = true
			kr.swap(after)
		}
		return nil
	}
	got, err := b.Get(ctx, "reg.example")
	if !swapped {
		t.Fatal("the commit was never injected")
	}
	if err != nil || !same(got, newE) {
		t.Errorf("Get = %s, %v; want the newly committed entry", show(got), err)
	}
}

// TestBackend_List_staleIndex: Get never depends on the index, and Put and
// Delete repair it.
func TestBackend_List_staleIndex(t *testing.T) {
	ctx := context.Background()
	kr := newLimitedKeyring(100)
	b := newOn(t, "stale", kr, 100)
	e := store.Entry{ServerURL: "a.example", Username: "a", Secret: "sa", Expiry: time.Unix(2e9, 0)}
	if err := b.Put(ctx, "a.example", e); err != nil {
		t.Fatal(err)
	}
	// Lose the index: Get still works, List is empty.
	for _, u := range kr.users(b.service) {
		if strings.HasPrefix(u, indexAccount) {
			kr.del(b.service, u)
		}
	}
	if got, err := b.Get(ctx, "a.example"); err != nil || !same(got, e) {
		t.Errorf("Get without index = %s, %v", show(got), err)
	}
	if m, err := b.List(ctx); err != nil || len(m) != 0 {
		t.Errorf("List without index = %v, %v", m, err)
	}
	if err := b.Put(ctx, "a.example", e); err != nil {
		t.Fatal(err)
	}
	if m, err := b.List(ctx); err != nil || len(m) != 1 || !m["a.example"].Expiry.Equal(e.Expiry) {
		t.Errorf("List after Put = %v, %v", m, err)
	}
	// An index naming a key without an entry: Delete reports NotFound and
	// drops it from the index.
	if err := kr.Delete(b.service, "a.example"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "a.example"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Delete(unstored but listed) = %v, want ErrNotFound", err)
	}
	if m, err := b.List(ctx); err != nil || len(m) != 0 {
		t.Errorf("List after healing Delete = %v, %v", m, err)
	}
	// A corrupt index: List fails loudly, Put replaces it.
	kr.set(b.service, indexAccount, "garbage")
	if _, err := b.List(ctx); !errors.Is(err, ErrCorrupt) {
		t.Errorf("List(corrupt index) = %v, want ErrCorrupt", err)
	}
	if err := b.Put(ctx, "b.example", e); err != nil {
		t.Fatal(err)
	}
	if m, err := b.List(ctx); err != nil || len(m) != 1 {
		t.Errorf("List after Put over corrupt index = %v, %v", m, err)
	}
}

func TestBackend_contextCanceled(t *testing.T) {
	kr := newLimitedKeyring(100)
	b := newOn(t, "ctx", kr, 100)
	e := store.Entry{ServerURL: "a.example", Username: "a", Secret: strings.Repeat("x", 1000)}
	if err := b.Put(context.Background(), "a.example", e); err != nil {
		t.Fatal(err)
	}
	before := kr.clone().items
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Put(ctx, "a.example", store.Entry{Username: "b", Secret: "y"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put(canceled) = %v", err)
	}
	if _, err := b.Get(ctx, "a.example"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get(canceled) = %v", err)
	}
	if err := b.Delete(ctx, "a.example"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete(canceled) = %v", err)
	}
	if _, err := b.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List(canceled) = %v", err)
	}
	if after := kr.clone().items; len(after) != len(before) {
		t.Errorf("canceled calls changed the keyring: %d items, was %d", len(after), len(before))
	}
	if got, err := b.Get(context.Background(), "a.example"); err != nil || !same(got, e) {
		t.Errorf("Get after canceled calls = %s, %v", show(got), err)
	}
}

// TestBackend_Put_indexTrouble: once an entry is committed, neither a ctx
// ending nor a failing index read may wipe the other keys' listing.
func TestBackend_Put_indexTrouble(t *testing.T) {
	kr := newLimitedKeyring(100)
	b := newOn(t, "index-trouble", kr, 100)
	e := store.Entry{ServerURL: "a.example", Username: "a", Secret: "sa"}
	if err := b.Put(context.Background(), "a.example", e); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	kr.onGet = func(_, user string) error {
		if user == indexAccount {
			cancel()
		}
		return nil
	}
	if err := b.Put(ctx, "b.example", e); err != nil {
		t.Errorf("Put canceled after its commit = %v, want nil", err)
	}
	kr.onGet = func(_, user string) error {
		if user == indexAccount {
			return errors.New("keychain locked")
		}
		return nil
	}
	if err := b.Put(context.Background(), "c.example", e); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Put with an unreadable index = %v, want ErrUnavailable", err)
	}
	kr.onGet = nil
	m, err := b.List(context.Background())
	if err != nil || len(m) != 2 || !hasKey(m, "a.example") || !hasKey(m, "b.example") {
		t.Errorf("List = %v, %v; want a.example and b.example", m, err)
	}
	if _, err := b.Get(context.Background(), "c.example"); err != nil {
		t.Errorf("Get(c.example), stored but unlisted = %v", err)
	}
}

func TestBackend_errors(t *testing.T) {
	ctx := context.Background()
	cause := errors.New("exit status 36")
	cases := []struct {
		err  error
		want error
	}{
		{gokeyring.ErrSetDataTooBig, store.ErrTooLarge},
		{gokeyring.ErrUnsupportedPlatform, store.ErrUnsupportedPlatform},
		{cause, store.ErrUnavailable},
	}
	for _, c := range cases {
		gokeyring.MockInitWithError(c.err)
		b := newOn(t, "errors", OS{}, 2560)
		err := b.Put(ctx, "a.example", store.Entry{Username: "u", Secret: "topsecret"})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.err.Error()) || strings.Contains(err.Error(), "topsecret") {
			t.Errorf("Put with keyring error %q = %v, want %v", c.err, err, c.want)
		}
		if _, err := b.Get(ctx, "a.example"); !errors.Is(err, c.want) {
			t.Errorf("Get with keyring error %q = %v, want %v", c.err, err, c.want)
		}
		if _, err := b.List(ctx); !errors.Is(err, c.want) {
			t.Errorf("List with keyring error %q = %v, want %v", c.err, err, c.want)
		}
	}
	gokeyring.MockInit()
}

func TestBackend_ItemSize_tooSmall(t *testing.T) {
	b := newOn(t, "small", newLimitedKeyring(100), MinItemSize-1)
	if err := b.Put(context.Background(), "a.example", store.Entry{Username: "u"}); err == nil {
		t.Error("Put with ItemSize below MinItemSize succeeded")
	}
}

func TestNew(t *testing.T) {
	for ns, want := range map[string]string{
		"":                                     "docker-credential-mint",
		"tokens":                               "docker-credential-mint/tokens",
		"a/b c":                                "docker-credential-mint/a/b c",
		"bad\nname":                            "error",
		strings.Repeat("n", maxNamespaceLen+1): "error",
	} {
		b, err := New(ns, Options{})
		if want == "error" {
			if err == nil {
				t.Errorf("New(%q) succeeded, want an error", ns)
			}
			continue
		}
		if err != nil || b.service != want || b.ItemSize < MinItemSize {
			t.Errorf("New(%q) = service %q, ItemSize %d, %v; want %q", ns, b.service, b.ItemSize, err, want)
		}
	}
	if b, err := New("tokens", Options{}); err != nil || b.lockDir != lockfile.DefaultDir() {
		t.Errorf("New(Options{}).lockDir = %q, %v; want lockfile.DefaultDir() %q", b.lockDir, err, lockfile.DefaultDir())
	}
	if b, err := New("tokens", Options{LockDir: "/locks"}); err != nil || b.lockDir != "/locks" {
		t.Errorf("New(Options{LockDir}).lockDir = %q, %v", b.lockDir, err)
	}
}

func TestAccount(t *testing.T) {
	for key, want := range map[string]string{
		"example.com":     "example.com",
		"[::1]:5000":      "[::1]:5000",
		"quay.io/org":     "quay.io/org",
		"bücher.example":  "bücher.example",
		"a#b":             "a%23b",
		"100%":            "100%25",
		"line\nbreak\x7f": "line%0Abreak%7F",
		"#index":          "%23index",
		"":                "",
	} {
		got, ok := account(key)
		if got != want || ok != (want != "") {
			t.Errorf("account(%q) = %q, %v; want %q", key, got, ok, want)
		}
		if strings.Contains(got, "#") {
			t.Errorf("account(%q) = %q contains '#'", key, got)
		}
	}
}
