// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Token refresh: an OAuth2 client_credentials endpoint answering after
// tokenDelay (a real endpoint is a network round trip away), so that
// parallel gets overlap the refresh.
const (
	tokenDelay     = 100 * time.Millisecond
	refreshHost    = "registry.bench.test"
	refreshUser    = "oauth2accesstoken"
	refreshTrials  = 3
	staleLifetime  = 2 // seconds: stale (less than half its life left) after 1 s
	freshLifetime  = 3600
	clientID       = "bench-client"
	clientSecret   = "bench-client-secret"
	refreshTimeout = 30 * time.Second
)

// Token server modes: answer with expires_in, answer without it (RFC 6749
// §5.1 makes it optional), or fail with HTTP 500.
const (
	modeExpiresIn int32 = iota
	modeNoExpiresIn
	modeFail
)

// tokenServer counts token requests.
type tokenServer struct {
	requests atomic.Int64
	lifetime atomic.Int64
	minted   atomic.Int64
	mode     atomic.Int32
}

func (ts *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ts.requests.Add(1)
	if ts.mode.Load() == modeFail {
		time.Sleep(tokenDelay)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"error":"server_error"}`)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != clientID || secret != clientSecret {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
		return
	}
	time.Sleep(tokenDelay)
	w.Header().Set("Content-Type", "application/json")
	answer := map[string]any{
		"access_token": fmt.Sprintf("tok-%d", ts.minted.Add(1)),
		"token_type":   "Bearer",
		"expires_in":   ts.lifetime.Load(),
	}
	if ts.mode.Load() == modeNoExpiresIn {
		delete(answer, "expires_in")
	}
	_ = json.NewEncoder(w).Encode(answer)
}

type refreshRow struct {
	parallel      int
	requests      []int64 // per trial
	wall, trivial time.Duration
	failures      int
}

// measureRefresh runs 1, 10 and 50 parallel gets of an oauth2 registry
// whose cached token is stale, refreshTrials times each.
func measureRefresh(c *config) []refreshRow {
	fmt.Fprintln(os.Stderr, "mint-bench: token refresh")
	ts := &tokenServer{}
	srv := httptest.NewServer(ts)
	defer srv.Close()
	env, b := refreshHome(c, srv.URL)

	var rows []refreshRow
	for _, n := range []int{1, 10, 50} {
		r := refreshRow{parallel: n}
		var walls, trivials []time.Duration
		for range refreshTrials {
			// A new root credential drops the cached token; the next get
			// mints one that lives 2 s, and 1.1 s later it has less than
			// half its life left: every get must refresh it (once).
			mustExe(c.helper, env, "store", string(b))
			ts.lifetime.Store(staleLifetime)
			if _, out, err := exe(c.helper, env, "get", refreshHost); err != nil || !strings.Contains(out, `"Username":"`+refreshUser+`"`) {
				check(fmt.Errorf("refresh setup: get %s = %q, %v", refreshHost, out, err))
			}
			time.Sleep(1100 * time.Millisecond)
			ts.lifetime.Store(freshLifetime)
			ts.requests.Store(0)
			w, fails := parallel(c.helper, env, n)
			r.requests = append(r.requests, ts.requests.Load())
			r.failures += fails
			walls = append(walls, w)
			tw, _ := parallel(c.trivial, env, n)
			trivials = append(trivials, tw)
		}
		slices.Sort(walls)
		slices.Sort(trivials)
		r.wall, r.trivial = walls[len(walls)/2], trivials[len(trivials)/2]
		rows = append(rows, r)
	}
	return rows
}

// refreshHome makes a home whose config has the oauth2 entry for
// refreshHost at tokenURL, with the client credential stored; it returns
// the environment and the store request.
func refreshHome(c *config, tokenURL string) ([]string, string) {
	home, env := homeEnv(c, "DOCKER_CREDENTIAL_MINT_KEYCHAIN=file")
	cfg := filepath.Join(home, "mint.yaml")
	check(os.WriteFile(cfg, fmt.Appendf(nil, `registries:
  - match: %s
    provider: oauth2
    token_url: %s/token
    grant: client_credentials
    username: %s
`, refreshHost, tokenURL, refreshUser), 0o600))
	env = append(env, "DOCKER_CREDENTIAL_MINT_CONFIG="+cfg)
	b, _ := json.Marshal(map[string]string{"ServerURL": refreshHost, "Username": clientID, "Secret": clientSecret})
	mustExe(c.helper, env, "store", string(b))
	return env, string(b)
}

// herdRow is the token requests that herdGets parallel gets made against
// an endpoint in one mode, per trial.
type herdRow struct {
	what     string
	requests []int64
	failures int // gets that failed, over all trials
}

// herdGets is the size of the herds of measureHerds.
const herdGets = 50

// measureHerds runs herdGets parallel gets on an empty cache against an
// endpoint that omits expires_in and against one that fails with HTTP 500,
// refreshTrials times each, each trial in a home of its own (no cached
// token, no failure remembered from the trial before). Goal: one request
// per herd.
func measureHerds(c *config) []herdRow {
	fmt.Fprintln(os.Stderr, "mint-bench: token endpoint without expires_in, and failing")
	ts := &tokenServer{}
	srv := httptest.NewServer(ts)
	defer srv.Close()
	var rows []herdRow
	for _, m := range []struct {
		what string
		mode int32
	}{
		{"endpoint without expires_in", modeNoExpiresIn},
		{"endpoint failing with HTTP 500", modeFail},
	} {
		r := herdRow{what: m.what}
		for range refreshTrials {
			ts.mode.Store(modeExpiresIn)
			env, _ := refreshHome(c, srv.URL)
			ts.mode.Store(m.mode)
			ts.requests.Store(0)
			_, fails := parallel(c.helper, env, herdGets)
			r.requests = append(r.requests, ts.requests.Load())
			r.failures += fails
		}
		rows = append(rows, r)
	}
	return rows
}

// parallel starts n gets at once and returns the time until the last one
// ended, and how many failed.
func parallel(bin string, env []string, n int) (time.Duration, int) {
	var wg sync.WaitGroup
	var fails atomic.Int64
	start := time.Now()
	for range n {
		wg.Go(func() {
			cmd := exec.Command(bin, "get")
			cmd.Env = append(slices.Clip(env), fmt.Sprintf("DOCKER_CREDENTIAL_MINT_TIMEOUT=%s", refreshTimeout))
			cmd.Stdin = strings.NewReader(refreshHost)
			out, err := cmd.Output()
			if err != nil || !strings.Contains(string(out), `"Secret":"`) {
				fails.Add(1)
			}
		})
	}
	wg.Wait()
	return time.Since(start), int(fails.Load())
}
