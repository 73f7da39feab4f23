// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package e2e

import (
	"net/http"
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
