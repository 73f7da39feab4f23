// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
)

// Issue 6's targets.
const (
	targetGetFile     = 1.3 // get, file store, every size up to 1000
	targetGetInstr    = 2e6 // instructions of get, file store
	targetList1000    = 2.0 // list of 1000, file store
	targetStoreErase  = 2.5 // store and erase at 100, file store
	targetSeq100      = 1.5 // list then get all of 100, file store
	targetGetSS       = 2.5 // get, Secret Service
	targetRSSKiB      = 8 << 10
	targetRefreshReqs = 1 // token requests of 50 parallel stale gets
)

type binSize struct{ name, path string }

// report is everything measured, printed as Markdown tables.
type report struct {
	rows       []row
	instr      []instrRow
	sizes      []binSize
	refresh    []refreshRow
	herds      []herdRow
	cloudMints []cloudMintTable
	failures   []string // measurements that stopped on an error
	met        []string
	missed     []string
}

// verdict records a target's outcome and returns its table cell.
func (rp *report) verdict(what, limit string, ok bool) string {
	if ok {
		rp.met = append(rp.met, what)
		return limit + " ✓"
	}
	rp.missed = append(rp.missed, what)
	return limit + " ✗"
}

// ratioTarget is the target ratio that applies to r, or 0.
func ratioTarget(r row) float64 {
	if !r.s.mint {
		return 0
	}
	switch r.s.backend {
	case "file":
		switch {
		case r.op == opGet || r.op == opMiss:
			return targetGetFile
		case r.op == opList && r.size == 1000:
			return targetList1000
		case (r.op == opStore || r.op == opErase) && r.size == 100:
			return targetStoreErase
		case r.op == opSeq && r.size == 100:
			return targetSeq100
		}
	case "secretservice":
		if r.op == opGet || r.op == opMiss {
			return targetGetSS
		}
	}
	return 0
}

func (rp *report) print(w io.Writer) {
	var backends []string
	for _, r := range rp.rows {
		if !slices.Contains(backends, r.s.backend) {
			backends = append(backends, r.s.backend)
		}
	}
	for _, b := range backends {
		fmt.Fprintf(w, "## Protocol verbs: %s\n\n", backendTitle(b))
		fmt.Fprintln(w, "| helper | registries | operation | runs | helper | trivial | ratio | target |")
		fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---|")
		for _, r := range rp.rows {
			if r.s.backend != b {
				continue
			}
			h, t := median(r.helper), median(r.trivial)
			ratio := float64(h) / float64(t)
			cell := ""
			if lim := ratioTarget(r); lim > 0 {
				cell = rp.verdict(fmt.Sprintf("%s %s %s at %d: %.2f× (≤ %.1f×)", r.s.name, b, r.op, r.size, ratio, lim), fmt.Sprintf("≤ %.1f×", lim), ratio <= lim)
			}
			fmt.Fprintf(w, "| %s | %d | %s | %d | %s | %s | %.2f× | %s |\n", r.s.name, r.size, r.op, len(r.helper), ms(h), ms(t), ratio, cell)
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "## Peak RSS per verb (GNU time, largest of %d runs at each size)\n", rssRuns)
	fmt.Fprintln(w)
	verbs := allVerbs
	fmt.Fprintf(w, "| helper | backend | %s | target |\n", strings.Join(verbs, " | "))
	fmt.Fprintf(w, "|---|---|%s---|\n", strings.Repeat("---:|", len(verbs)))
	var order []*subject
	peak := map[*subject]map[string]int64{}
	for _, r := range rp.rows {
		if peak[r.s] == nil {
			peak[r.s] = map[string]int64{}
			order = append(order, r.s)
		}
		if r.rss > 0 {
			peak[r.s][r.op] = max(peak[r.s][r.op], r.rss)
		}
	}
	var trivialRSS int64
	for _, r := range rp.rows {
		trivialRSS = max(trivialRSS, r.trivialRSS)
	}
	for _, s := range order {
		var cells []string
		var top int64
		for _, v := range verbs {
			if kib, ok := peak[s][v]; ok {
				cells = append(cells, mib(kib))
				top = max(top, kib)
			} else {
				cells = append(cells, "—")
			}
		}
		target := ""
		if s.mint {
			target = rp.verdict(fmt.Sprintf("%s %s peak RSS %s (≤ 8 MiB)", s.name, s.backend, mib(top)), "≤ 8 MiB", top <= targetRSSKiB)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", s.name, s.backend, strings.Join(cells, " | "), target)
	}
	fmt.Fprintf(w, "| trivial Go binary | — |%s |\n", strings.Repeat(" "+mib(trivialRSS)+" |", len(verbs)))
	if trivialRSS == 0 {
		fmt.Fprintf(w, "\n%s not found (Debian package time): no peak RSS.\n", gnuTime)
	}
	fmt.Fprintln(w)

	if len(rp.instr) > 0 {
		fmt.Fprintln(w, "## Instructions of one get (hit), callgrind, GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| binary | backend | registries | instructions | × trivial | target |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---|")
		base := rp.instr[0].n
		for _, r := range rp.instr {
			target := ""
			if r.mint && (r.backend == "file" || strings.HasSuffix(r.backend, " cache")) {
				target = rp.verdict(fmt.Sprintf("%s %s get at %d: %.2f M instructions (≤ 2 M)", r.name, r.backend, r.size, float64(r.n)/1e6), "≤ 2 M", r.n > 0 && r.n <= targetGetInstr)
			}
			backend, size := r.backend, fmt.Sprint(r.size)
			if r.backend == "" {
				backend, size = "—", "—"
			}
			if r.n == 0 {
				fmt.Fprintf(w, "| %s | %s | %s | failed | | %s |\n", r.name, backend, size, target)
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %s | %.2f M | %.1f× | %s |\n", r.name, backend, size, float64(r.n)/1e6, float64(r.n)/float64(max(base, 1)), target)
		}
		fmt.Fprintln(w, "\nOnly the helper's process is counted: a keyring daemon's or gpg's work is not.")
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "## Binary size")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| binary | size | × trivial |")
	fmt.Fprintln(w, "|---|---:|---:|")
	var seen []string
	base := fileSize(rp.sizes[0].path)
	for _, b := range rp.sizes {
		if slices.Contains(seen, b.path) {
			continue
		}
		seen = append(seen, b.path)
		n := fileSize(b.path)
		fmt.Fprintf(w, "| %s | %.1f MiB | %.1f× |\n", b.name, float64(n)/(1<<20), float64(n)/float64(max(base, 1)))
	}
	fmt.Fprintln(w)

	if len(rp.refresh) > 0 {
		fmt.Fprintf(w, "## Token refresh: parallel gets on a stale cache (oauth2 client_credentials, endpoint answers in %s; %d trials)\n\n", tokenDelay, refreshTrials)
		fmt.Fprintln(w, "| parallel gets | token requests per trial | failed gets | wall (median) | trivial ×N | ratio | target |")
		fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---|")
		for _, r := range rp.refresh {
			var reqs []string
			most := int64(0)
			for _, q := range r.requests {
				reqs = append(reqs, fmt.Sprint(q))
				most = max(most, q)
			}
			target := ""
			if r.parallel == 50 {
				target = rp.verdict(fmt.Sprintf("50 parallel stale gets: %s token requests, %d failed (1 request, 0 failures)", strings.Join(reqs, ","), r.failures), "1 request", most == targetRefreshReqs && r.failures == 0)
			}
			fmt.Fprintf(w, "| %d | %s | %d | %s | %s | %.2f× | %s |\n", r.parallel, strings.Join(reqs, ", "), r.failures, ms(r.wall), ms(r.trivial), float64(r.wall)/float64(r.trivial), target)
		}
		fmt.Fprintln(w)
	}

	if len(rp.herds) > 0 {
		fmt.Fprintf(w, "## Token requests of %d parallel gets on an empty cache (endpoint answers in %s; %d trials)\n\n", herdGets, tokenDelay, refreshTrials)
		fmt.Fprintln(w, "| endpoint | token requests per trial | failed gets | target |")
		fmt.Fprintln(w, "|---|---|---:|---|")
		for _, r := range rp.herds {
			var reqs []string
			most := int64(0)
			for _, q := range r.requests {
				reqs = append(reqs, fmt.Sprint(q))
				most = max(most, q)
			}
			target := rp.verdict(fmt.Sprintf("%d parallel gets, %s: %s token requests (1 request)", herdGets, r.what, strings.Join(reqs, ",")), "1 request", most == targetRefreshReqs)
			fmt.Fprintf(w, "| %s | %s | %d | %s |\n", r.what, strings.Join(reqs, ", "), r.failures, target)
		}
		fmt.Fprintln(w)
	}

	for _, t := range rp.cloudMints {
		printCloudMints(w, t)
	}

	var notes []string
	for _, s := range order {
		if s.note != "" && !slices.Contains(notes, s.note) {
			notes = append(notes, s.note)
		}
	}
	for _, n := range notes {
		fmt.Fprintln(w, "- "+n)
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
	}

	if len(rp.failures) > 0 {
		fmt.Fprintln(w, "## Failed measurements")
		fmt.Fprintln(w)
		for _, f := range rp.failures {
			fmt.Fprintln(w, "- "+credentials.OneLine(f))
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "## Targets: %d met, %d missed\n\n", len(rp.met), len(rp.missed))
	for _, m := range rp.missed {
		fmt.Fprintln(w, "- ✗ "+m)
	}
	for _, m := range rp.met {
		fmt.Fprintln(w, "- ✓ "+m)
	}
}

func backendTitle(b string) string {
	switch b {
	case "file":
		return "file store"
	case "secretservice":
		return "Secret Service (gnome-keyring on a private D-Bus)"
	case "pass":
		return "pass (gpg)"
	}
	return b
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
