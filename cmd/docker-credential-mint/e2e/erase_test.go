// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"strings"
	"testing"
)

// TestHelper_EraseMissing: erasing what is not stored succeeds (exit 0,
// nothing printed), in an empty store, after the last entry was erased, and
// under every spelling of the key (DESIGN §2).
func TestHelper_EraseMissing(t *testing.T) {
	t.Parallel()
	needHelper(t)
	e := newEnv(t)
	host := "127.0.0.1:5999"
	erase := func(key, when string) {
		t.Helper()
		r := e.helper("erase", key)
		if r.code != 0 || strings.TrimSpace(r.out) != "" {
			t.Errorf("erase %q %s: want exit 0 and no output:\n%s", key, when, r)
		}
	}
	erase(host, "in a store that was never written")
	e.store(host, "alice", alicePW)
	erase("http://"+host, "of a stored key")
	e.wantNoCred(host)
	for _, key := range []string{host, "http://" + host, "https://" + host, "https://" + host + "/v2/"} {
		erase(key, "after the last entry was erased")
	}
	if got := e.list(); len(got) != 0 {
		t.Errorf("list = %v, want {}", got)
	}
}

// TestSkopeo_LogoutTwice: skopeo 1.9 overflows its stack on any failing
// erase, so a second logout is the sharpest test of "erase of a missing key
// succeeds"; the answer must be skopeo's own "not logged in".
func TestSkopeo_LogoutTwice(t *testing.T) {
	t.Parallel()
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "skopeo")
	containersSetup(t, e, r.host)

	skopeoLogin(t, e, r.host, "alice", alicePW)
	skopeoLogout(t, e, r.host)
	second := e.exec("", "", "skopeo", "logout", r.host)
	if second.code < 0 || second.code > 1 || strings.Contains(second.out, "goroutine ") {
		t.Errorf("second skopeo logout crashed:\n%s", second)
	}
	e.wantNoCred(r.host)
}
