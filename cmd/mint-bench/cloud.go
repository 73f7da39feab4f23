// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Cloud figures, one stand-in per cloud served by this process on
// loopback: the cached get of a detected registry (no config) through the
// protocol binary and the full build, and one mint (a cold cache) through
// mint beside the cloud's own helper where one builds and can be pointed
// at the stand-in.

// cloudStandIn is one cloud's stand-in as the bench uses it.
type cloudStandIn struct {
	cloud string        // ecr, gcr, acr
	host  string        // the registry host detection serves
	title string        // the mint table's heading
	note  string        // the cached get's note
	after string        // the mint table's closing note
	mints func() int    // tokens it minted (ACR: exchanges)
	reqs  func() int64  // every request it got
	extra []string      // a helper's credentials and endpoints for it
	stop  func()        // nil, or what ends it
	refs  []cloudMinter // the single-cloud helpers measured beside mint's mint
	skips []string      // single-cloud helpers not measured, and why
	own   []cloudMinter // more of mint's own mint rows (another credential source)
}

// env is a fresh hermetic HOME (empty token cache, file store) with the
// stand-in's credentials, or extra instead when it is not nil; no mint
// config.
func (s *cloudStandIn) env(c *config, extra []string) []string {
	if extra == nil {
		extra = s.extra
	}
	_, env := homeEnv(c, append([]string{"DOCKER_CREDENTIAL_MINT_KEYCHAIN=file"}, extra...)...)
	return env
}

// mintCloudSubject is bin (the protocol binary or the full build)
// answering get of the detected registry from its token cache, n other
// registries stored beside it. The cache is filled by one get first; a
// get that reaches the stand-in after that is a failure.
func mintCloudSubject(c *config, s *cloudStandIn, name, bin string, targets bool) *subject {
	sub := &subject{name: name, backend: s.cloud + " cache", bin: bin, mint: targets, verbs: []string{opGet}, note: s.note}
	sub.setup = func(n int) ([]string, func(int) string, func(), error) {
		env := s.env(c, nil)
		populate(c.helper, env, n)
		before := s.mints()
		if _, _, err := exe(c.helper, env, "get", s.host); err != nil {
			return nil, nil, nil, err
		}
		if s.mints() != before+1 {
			return nil, nil, nil, fmt.Errorf("filling the cache minted %d tokens, want 1", s.mints()-before)
		}
		url := func(int) string { return s.host }
		done := func() {
			if got := s.mints(); got != before+1 {
				sub.failures = append(sub.failures, fmt.Sprintf("%s: %d cached gets of %s minted", name, got-before-1, s.host))
			}
		}
		return env, url, done, nil
	}
	return sub
}

// cloudMintTable is one cloud's mint figures.
type cloudMintTable struct {
	title, after string
	rows         []cloudMintRow
	skips        []string
}

// cloudMintRow is one helper's cost of one mint.
type cloudMintRow struct {
	name     string
	wall     time.Duration // median
	trivial  time.Duration // the trivial binary, paired
	rss      int64         // KiB, peak
	instr    int64         // callgrind, 0 when not measured
	requests []int64       // requests at the stand-in per get (distinct values)
	fails    int
}

// cloudMinter is a helper whose mint is measured.
type cloudMinter struct {
	name, bin string
	mint      bool     // docker-credential-mint: its store is set up first
	extra     []string // the environment's credentials, when not the stand-in's default
	host      string   // the host asked, when not the stand-in's
}

// prepared is a fresh HOME for one mint: for mint, its file store already
// holds one static login (the store's key exists, as on any machine that
// uses the helper) and its token cache is empty; the others have no
// set-up.
func (w cloudMinter) prepared(c *config, s *cloudStandIn) []string {
	env := s.env(c, w.extra)
	if w.mint {
		populate(c.helper, env, 1)
	}
	return env
}

// measureCloudMints runs get of the cloud's host on an empty token cache (a
// fresh HOME each time, see prepared): mint's full build, the protocol
// binary handing it on, mint's other rows, and the cloud's own helpers.
func measureCloudMints(c *config, s *cloudStandIn) cloudMintTable {
	list := []cloudMinter{{name: "mint full build (get → mint)", bin: c.helper + "-full", mint: true}, {name: "mint protocol binary → full build", bin: c.helper, mint: true}}
	list = append(append(list, s.own...), s.refs...)
	runs := max(c.runs/2, 5)
	t := cloudMintTable{title: s.title, after: s.after, skips: s.skips}
	for _, w := range list {
		host := w.host
		if host == "" {
			host = s.host
		}
		fmt.Fprintf(os.Stderr, "mint-bench: one %s mint, %s\n", s.cloud, w.name)
		r := cloudMintRow{name: w.name}
		var walls, trivials []sample
		for range runs {
			env := w.prepared(c, s)
			trivials = append(trivials, mustExe(c.trivial, env, "get", host))
			before := s.reqs()
			smp, out, err := exe(w.bin, env, "get", host)
			if err != nil || !strings.Contains(out, `"Secret"`) {
				if r.fails == 0 {
					fmt.Fprintf(os.Stderr, "mint-bench: %s: %v %s\n", w.name, err, firstLine(out))
				}
				r.fails++
				continue
			}
			walls = append(walls, smp)
			if d := s.reqs() - before; !slices.Contains(r.requests, d) {
				r.requests = append(r.requests, d)
			}
		}
		if len(walls) > 0 {
			r.wall, r.trivial = median(walls), median(trivials)
			for range rssRuns {
				r.rss = max(r.rss, peakRSS(w.bin, w.prepared(c, s), "get", host))
			}
			// Not the protocol binary's: callgrind does not count across
			// its exec of the full build.
			if c.callgrind && w.bin != c.helper {
				if _, err := exec.LookPath("valgrind"); err == nil {
					r.instr = instructionsIn(w.bin, func() []string { return w.prepared(c, s) }, "get", host)
				}
			}
		}
		t.rows = append(t.rows, r)
	}
	return t
}

// firstLine is s's first line, without secrets' room to spread: the
// answers measured here carry only the stand-ins' throw-away tokens.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(line) > 200 {
		line = line[:200] + "…"
	}
	return line
}

// startClouds starts the stand-ins c.clouds names.
func startClouds(c *config) []*cloudStandIn {
	var out []*cloudStandIn
	for _, name := range c.clouds {
		switch name {
		case "ecr":
			out = append(out, startECR(c))
		case "gcr":
			out = append(out, startGCR(c))
		case "acr":
			out = append(out, startACR(c))
		default:
			check(fmt.Errorf("-clouds: unknown cloud %q (ecr, gcr, acr)", name))
		}
	}
	return out
}

// printCloudMints prints one cloud's mint table.
func printCloudMints(w io.Writer, t cloudMintTable) {
	fmt.Fprintf(w, "## %s\n\n", t.title)
	fmt.Fprintln(w, "| helper | requests per get | failed | wall (median) | trivial | ratio | peak RSS | instructions |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range t.rows {
		var reqs []string
		for _, q := range r.requests {
			reqs = append(reqs, fmt.Sprint(q))
		}
		instr := "—"
		if r.instr > 0 {
			instr = fmt.Sprintf("%.2f M", float64(r.instr)/1e6)
		}
		ratio := 0.0
		if r.trivial > 0 {
			ratio = float64(r.wall) / float64(r.trivial)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %.1f× | %s | %s |\n", r.name, strings.Join(reqs, ", "), r.fails, ms(r.wall), ms(r.trivial), ratio, mib(r.rss), instr)
	}
	if t.after != "" {
		fmt.Fprintln(w, "\n"+t.after)
	}
	for _, s := range t.skips {
		fmt.Fprintln(w, "\nNot measured: "+s)
	}
	fmt.Fprintln(w)
}
