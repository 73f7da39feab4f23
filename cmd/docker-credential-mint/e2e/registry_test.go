// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestHarness_Registry checks the registry the tests use: it refuses
// anonymous and wrong-password requests and accepts its users.
func TestHarness_Registry(t *testing.T) {
	t.Parallel()
	r := startRegistry(t, map[string]string{"alice": alicePW})
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
	for _, tc := range []struct {
		user, pw string
		want     int
	}{
		{"", "", http.StatusUnauthorized},
		{"alice", "wrong", http.StatusUnauthorized},
		{"alice", alicePW, http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+r.host+"/v2/", nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pw)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET /v2/ as %q: %d, want %d", tc.user, resp.StatusCode, tc.want)
		}
	}
}

// errorRecorder is a stand-in for testing.T that keeps what Errorf reports.
type errorRecorder struct{ errs []string }

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestHarness_SecretsScan checks the scan itself: it finds a password in plain
// text and as base64 of user:password, deep in a tree, and nothing in a clean
// tree.
func TestHarness_SecretsScan(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"plain":  "password=" + bobPW + "\n",
		"base64": `{"auths":{"h":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("alice:"+alicePW)) + `"}}}`,
	} {
		dir := t.TempDir()
		f := filepath.Join(dir, "a", "b", "c.json")
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		var rec errorRecorder
		scanForSecrets(&rec, dir)
		if len(rec.errs) != 1 {
			t.Errorf("%s: scan reported %q, want one finding", name, rec.errs)
		}
	}
	var rec errorRecorder
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "clean"), []byte("nothing here"), 0o600); err != nil {
		t.Fatal(err)
	}
	scanForSecrets(&rec, dir)
	if len(rec.errs) != 0 {
		t.Errorf("clean tree: scan reported %q", rec.errs)
	}
}
