// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docker-credential-mint/mint/credentials/provider/ecr/ecrtest"
)

// ECR figures: the cached get of a detected ECR registry (no config) and
// one mint (a cold cache) against ecrtest's GetAuthorizationToken stand-in
// served by this process on loopback, for mint and for
// docker-credential-ecr-login with the same credentials and endpoint.
const (
	ecrBenchHost   = "123456789012.dkr.ecr." + ecrRegion + ".amazonaws.com"
	ecrBenchKeyID  = "AKIDMINTBENCH"
	ecrBenchSecret = "bench-aws-secret-key"
)

// ecrStandIn is the stand-in and a count of every request it got.
type ecrStandIn struct {
	srv  *ecrtest.Server
	url  string
	reqs atomic.Int64
}

func startECR() *ecrStandIn {
	e := &ecrStandIn{srv: ecrtest.New(ecrBenchKeyID, ecrBenchSecret, "bench-ecr-password")}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	e.url = "http://" + l.Addr().String()
	go func() {
		_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.reqs.Add(1)
			e.srv.ServeHTTP(w, r)
		}))
	}()
	return e
}

// env is a fresh hermetic HOME (empty token cache) whose AWS credentials
// and ECR endpoint are the stand-in's; no mint config.
func (e *ecrStandIn) env(c *config) []string {
	_, env := homeEnv(c, "DOCKER_CREDENTIAL_MINT_KEYCHAIN=file",
		"AWS_ACCESS_KEY_ID="+ecrBenchKeyID, "AWS_SECRET_ACCESS_KEY="+ecrBenchSecret,
		"AWS_ENDPOINT_URL_ECR="+e.url, "AWS_ENDPOINT_URL_STS=http://127.0.0.1:9",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	return env
}

// mintECRSubject is bin (the protocol binary or the full build) answering
// get of a detected ECR registry from its token cache, n other registries
// stored beside it. The cache is filled by one get first; a get that
// reaches the stand-in after that is a failure.
func mintECRSubject(c *config, e *ecrStandIn, name, bin string, targets bool) *subject {
	s := &subject{name: name, backend: "ecr cache", bin: bin, mint: targets, verbs: []string{opGet},
		note: "mint (ecr cache): " + ecrBenchHost + " with no config (detected by its host name), its token cached by one get through the stand-in; the other registries are static logins in the file store. The protocol binary answers from the cache with no AWS SDK (it does not link it) and no hand-off."}
	s.setup = func(n int) ([]string, func(int) string, func(), error) {
		env := e.env(c)
		populate(c.helper, env, n)
		before := e.srv.Calls()
		if _, _, err := exe(c.helper, env, "get", ecrBenchHost); err != nil {
			return nil, nil, nil, err
		}
		if e.srv.Calls() != before+1 {
			return nil, nil, nil, fmt.Errorf("filling the cache made %d GetAuthorizationToken calls, want 1", e.srv.Calls()-before)
		}
		url := func(int) string { return ecrBenchHost }
		done := func() {
			if got := e.srv.Calls(); got != before+1 {
				s.failures = append(s.failures, fmt.Sprintf("%s: %d cached gets of %s called GetAuthorizationToken", name, got-before-1, ecrBenchHost))
			}
		}
		return env, url, done, nil
	}
	return s
}

// ecrMintRow is one helper's cost of one mint.
type ecrMintRow struct {
	name     string
	wall     time.Duration // median
	trivial  time.Duration // the trivial binary, paired
	rss      int64         // KiB, peak
	instr    int64         // callgrind, 0 when not measured
	requests []int64       // requests at the stand-in per get (distinct values)
	fails    int
}

// ecrMinter is a helper whose mint is measured.
type ecrMinter struct {
	name, bin string
	mint      bool // docker-credential-mint: its store is set up first
}

// prepared is a fresh HOME for one mint: for mint, its file store already
// holds one static login (the store's key exists, as on any machine that
// uses the helper) and its token cache is empty; ecr-login has no set-up.
func (w ecrMinter) prepared(c *config, e *ecrStandIn) []string {
	env := e.env(c)
	if w.mint {
		populate(c.helper, env, 1)
	}
	return env
}

// measureECRMints runs get of the ECR host on an empty token cache (a
// fresh HOME each time, see prepared): mint's full build, the protocol
// binary handing it on, and docker-credential-ecr-login (its file cache
// starts empty too).
func measureECRMints(c *config, e *ecrStandIn, ecrLogin string) []ecrMintRow {
	list := []ecrMinter{{"mint full build (get → mint)", c.helper + "-full", true}, {"mint protocol binary → full build", c.helper, true}}
	if ecrLogin != "" {
		list = append(list, ecrMinter{"docker-credential-ecr-login " + ecrVersion, ecrLogin, false})
	}
	runs := max(c.runs/2, 5)
	var rows []ecrMintRow
	for _, w := range list {
		fmt.Fprintf(os.Stderr, "mint-bench: one ECR mint, %s\n", w.name)
		r := ecrMintRow{name: w.name}
		var walls, trivials []sample
		for range runs {
			env := w.prepared(c, e)
			trivials = append(trivials, mustExe(c.trivial, env, "get", ecrBenchHost))
			before := e.reqs.Load()
			smp, out, err := exe(w.bin, env, "get", ecrBenchHost)
			if err != nil || !strings.Contains(out, `"Secret"`) {
				r.fails++
				continue
			}
			walls = append(walls, smp)
			if d := e.reqs.Load() - before; !slices.Contains(r.requests, d) {
				r.requests = append(r.requests, d)
			}
		}
		if len(walls) > 0 {
			r.wall, r.trivial = median(walls), median(trivials)
		}
		for range rssRuns {
			r.rss = max(r.rss, peakRSS(w.bin, w.prepared(c, e), "get", ecrBenchHost))
		}
		// Not the protocol binary's: callgrind does not count across its
		// exec of the full build.
		if c.callgrind && w.bin != c.helper {
			if _, err := exec.LookPath("valgrind"); err == nil {
				r.instr = instructionsIn(w.bin, func() []string { return w.prepared(c, e) }, "get", ecrBenchHost)
			}
		}
		rows = append(rows, r)
	}
	return rows
}
