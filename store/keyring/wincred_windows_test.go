// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keyring

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/danieljoos/wincred"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/storetest"
)

// realEnv, set in the environment of a test process, makes TestMain leave
// go-keyring's real provider in place (no MockInit): the process is the
// child TestWincred starts to test the real Credential Manager.
const realEnv = "MINT_KEYRING_REAL"

// wincredEnv opts in to writing to this user's real Credential Manager.
// .ci/wine.sh sets it: there the Credential Manager is Wine's, in a
// throw-away prefix. On a Windows machine the tests add and then remove
// items under "docker-credential-mint/storetest-…" and
// "docker-credential-mint/wincred-…".
const wincredEnv = "MINT_WINCRED_TEST"

// TestWincred runs, in a child process without go-keyring's mock, the
// conformance suite and the chunking checks against the real Credential
// Manager (CredWriteW, CredReadW, CredEnumerateW, CredDeleteW through
// go-keyring's wincred provider).
func TestWincred(t *testing.T) {
	if os.Getenv(realEnv) != "" {
		t.Run("conformance", wincredConformance)
		t.Run("sizes", wincredSizes)
		t.Run("list50", wincredList50)
		return
	}
	if os.Getenv(wincredEnv) != "1" {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is not: run the Windows tests with %s=1 (.ci/wine.sh sets it) so they use the real Credential Manager", wincredEnv, wincredEnv)
		}
		t.Skipf("set %s=1 to test against this user's real Credential Manager (.ci/wine.sh does, in a throw-away Wine prefix)", wincredEnv)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWincred$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), realEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tests against the real Credential Manager: %v\n%s", err, out)
	}
	t.Logf("tests against the real Credential Manager:\n%s", out)
}

// newReal returns a Backend for ns in the real Credential Manager that
// removes what it listed at the end of the test.
func newReal(t *testing.T, ns string) *Backend {
	t.Helper()
	b, err := New(ns, Options{})
	if err != nil {
		t.Fatalf("New(%q) = %v", ns, err)
	}
	if b.ItemSize != 2560 {
		t.Fatalf("ItemSize = %d on Windows, want 2560 (CRED_MAX_CREDENTIAL_BLOB_SIZE)", b.ItemSize)
	}
	t.Cleanup(func() {
		m, _ := b.List(context.Background())
		for k := range m {
			_ = b.Delete(context.Background(), k)
		}
	})
	return b
}

func wincredConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ns string) store.Backend { return newReal(t, ns) })
}

// credentials returns the Credential Manager's generic credentials whose
// target name starts with prefix (CredEnumerateW with a filter; none is an
// empty list).
func credentials(t *testing.T, prefix string) []*wincred.Credential {
	t.Helper()
	creds, err := wincred.FilteredList(prefix + "*")
	if err != nil {
		t.Fatalf("CredEnumerateW(%q) = %v", prefix+"*", err)
	}
	return creds
}

// wincredSizes stores secrets around the 2,560-byte blob limit and well
// past it, overwrites and erases them, and checks the items the Credential
// Manager holds: as many as the chunking needs, none over 2,560 bytes, none
// left behind.
func wincredSizes(t *testing.T) {
	ctx := context.Background()
	b := newReal(t, "wincred-sizes")
	const key = "big.example"
	prefix := b.service + ":" + key
	check := func(what string, e store.Entry) {
		t.Helper()
		got, err := b.Get(ctx, key)
		if err != nil || !same(got, e) {
			t.Fatalf("%s: Get = %s, %v; want %s", what, show(got), err, show(e))
		}
		creds := credentials(t, prefix)
		if want := itemsFor(len(encodeEntry(e)), 2560); len(creds) != want {
			t.Errorf("%s: %d credentials for the key, want %d", what, len(creds), want)
		}
		for _, c := range creds {
			if len(c.CredentialBlob) > 2560 {
				t.Errorf("%s: credential %q holds %d bytes, over 2560", what, c.TargetName, len(c.CredentialBlob))
			}
			if !strings.HasPrefix(c.TargetName, b.service+":"+c.UserName) {
				t.Errorf("%s: credential %q has user name %q", what, c.TargetName, c.UserName)
			}
		}
	}
	var last store.Entry
	for _, n := range []int{1, 2560, 2561, 5000, 20000, 300, store.MaxSecretSize} {
		e := store.Entry{ServerURL: "https://big.example", Username: fmt.Sprint("u", n), Secret: pattern(n)}
		if err := b.Put(ctx, key, e); err != nil {
			t.Fatalf("Put(%d-byte secret) = %v", n, err)
		}
		check(fmt.Sprintf("%d-byte secret", n), e)
		last = e
	}
	// A refused Put leaves the stored entry and its items as they were.
	if err := b.Put(ctx, key, store.Entry{Username: "u", Secret: pattern(store.MaxSecretSize + 1)}); err == nil {
		t.Fatal("Put(MaxSecretSize+1) succeeded")
	}
	check("after a refused Put", last)
	if err := b.Delete(ctx, key); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	if creds := credentials(t, prefix); len(creds) != 0 {
		t.Errorf("after Delete %d credentials remain for the key, first %q", len(creds), creds[0].TargetName)
	}
	if m, err := b.List(ctx); err != nil || len(m) != 0 {
		t.Errorf("List after Delete = %v, %v; want empty", keys(m), err)
	}
}

// wincredList50 stores 50 keys, lists them, reads each back and erases
// them all.
func wincredList50(t *testing.T) {
	ctx := context.Background()
	b := newReal(t, "wincred-list50")
	const n = 50
	for i := range n {
		k := fmt.Sprintf("reg%02d.example", i)
		if err := b.Put(ctx, k, store.Entry{ServerURL: "https://" + k, Username: "user" + k, Secret: "secret-" + k}); err != nil {
			t.Fatalf("Put(%q) = %v", k, err)
		}
	}
	m, err := b.List(ctx)
	if err != nil || len(m) != n {
		t.Fatalf("List = %d keys, %v; want %d", len(m), err, n)
	}
	for k, e := range m {
		if e.Secret != "" || e.Username != "user"+k || e.ServerURL != "https://"+k {
			t.Errorf("List()[%q] = %s", k, show(e))
		}
		got, err := b.Get(ctx, k)
		if err != nil || got.Secret != "secret-"+k {
			t.Errorf("Get(%q) = %s, %v", k, show(got), err)
		}
		if err := b.Delete(ctx, k); err != nil {
			t.Errorf("Delete(%q) = %v", k, err)
		}
	}
	if m, err := b.List(ctx); err != nil || len(m) != 0 {
		t.Errorf("List after erasing all = %v, %v; want empty", keys(m), err)
	}
	if creds := credentials(t, b.service+":reg"); len(creds) != 0 {
		t.Errorf("after erasing all, %d credentials remain, first %q", len(creds), creds[0].TargetName)
	}
}

func keys(m map[string]store.Entry) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
