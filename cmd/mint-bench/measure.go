// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// subject is one helper on one backend: mint on the file store, the
// reference docker-credential-secretservice on gnome-keyring, …
type subject struct {
	name    string // the program, as the tables name it
	backend string
	bin     string
	mint    bool     // the targets apply
	verbs   []string // the operations it supports (opNames)
	seqRuns int      // samples of list-then-get-all
	// setup stores n registries and returns the environment to run the
	// program in, the server URL of entry i, and what to call when done.
	setup func(n int) (env []string, url func(int) string, done func(), err error)
	// note is printed under the tables (how the subject was set up).
	note string
	// failures are the sizes whose measurement stopped on an error.
	failures []string

	instr []instrRow
}

// Operation names, as the tables print them.
const (
	opGet   = "get (hit)"
	opMiss  = "get (miss)"
	opList  = "list"
	opStore = "store"
	opErase = "erase"
	opSeq   = "list + get all"
)

var allVerbs = []string{opGet, opMiss, opList, opStore, opErase}

// sample is one timed run.
type sample struct{ wall time.Duration }

// row is one paired measurement.
type row struct {
	s               *subject
	size            int
	op              string
	helper, trivial []sample
	rss, trivialRSS int64 // KiB, peak over rssRuns untimed runs; 0: not measured
}

// rssRuns is how many untimed runs measure each operation's peak RSS.
const rssRuns = 3

// measureSubject runs every operation s supports at every size. A failing
// run stops that size (it is reported) but not the bench.
func measureSubject(c *config, s *subject) []row {
	var rows []row
	for _, n := range c.sizes {
		fmt.Fprintf(os.Stderr, "mint-bench: %s (%s), %d registries\n", s.name, s.backend, n)
		if err := guard(func() { measureSize(c, s, n, &rows) }); err != nil {
			fmt.Fprintf(os.Stderr, "mint-bench: %s (%s) at %d registries: %v\n", s.name, s.backend, n, err)
			s.failures = append(s.failures, fmt.Sprintf("%s (%s) at %d registries: %v", s.name, s.backend, n, err))
		}
	}
	return rows
}

// benchFailure is what mustExe panics with; guard turns it into an error.
type benchFailure struct{ err error }

func guard(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			bf, ok := r.(benchFailure)
			if !ok {
				panic(r)
			}
			err = bf.err
		}
	}()
	f()
	return nil
}

func measureSize(c *config, s *subject, n int, rows *[]row) {
	env, url, done, err := s.setup(n)
	if err != nil {
		panic(benchFailure{err})
	}
	defer done()
	key := url(n / 2)
	storeIn := func(secret string) string {
		b, _ := json.Marshal(map[string]string{"ServerURL": key, "Username": "user-b", "Secret": secret})
		return string(b)
	}
	ops := []struct {
		name, action, in string
		before           func()
	}{
		{opGet, "get", key, nil},
		{opMiss, "get", "nothere.example", nil},
		{opList, "list", "unused", nil},
		{opStore, "store", storeIn("secret-b"), nil},
		{opErase, "erase", key, func() { mustExe(s.bin, env, "store", storeIn("secret-e")) }},
	}
	for _, op := range ops {
		if !slices.Contains(s.verbs, op.name) {
			continue
		}
		// A failing operation is reported; the others are still measured.
		err := guard(func() {
			r := row{s: s, size: n, op: op.name}
			for range c.runs {
				if op.before != nil {
					op.before()
				}
				r.trivial = append(r.trivial, mustExe(c.trivial, env, op.action, op.in))
				r.helper = append(r.helper, mustExe(s.bin, env, op.action, op.in))
			}
			for range rssRuns {
				if op.before != nil {
					op.before()
				}
				r.rss = max(r.rss, peakRSS(s.bin, env, op.action, op.in))
				r.trivialRSS = max(r.trivialRSS, peakRSS(c.trivial, env, op.action, op.in))
			}
			*rows = append(*rows, r)
			if op.name == opGet && c.callgrind {
				s.instr = append(s.instr, instrRow{name: s.name, backend: s.backend, size: n, mint: s.mint, n: instructions(s.bin, env, "get", key)})
			}
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "mint-bench: %s (%s) %s at %d registries: %v\n", s.name, s.backend, op.name, n, err)
			s.failures = append(s.failures, fmt.Sprintf("%s (%s) %s at %d registries: %v", s.name, s.backend, op.name, n, err))
		}
	}
	if slices.Contains(s.verbs, opStore) {
		mustExe(s.bin, env, "store", storeIn("secret-b"))
	}
	if n <= c.seqMax && s.seqRuns > 0 {
		// docker build's classic builder: list, then get every listed key.
		r := row{s: s, size: n, op: opSeq}
		for range s.seqRuns {
			var h, t sample
			for i := range n + 1 {
				act, in := "list", "unused"
				if i > 0 {
					act, in = "get", url(i-1)
				}
				t.wall += mustExe(c.trivial, env, act, in).wall
				h.wall += mustExe(s.bin, env, act, in).wall
			}
			r.helper, r.trivial = append(r.helper, h), append(r.trivial, t)
		}
		*rows = append(*rows, r)
	}
}

// exe runs bin with one action and stdin, and returns its wall time, its
// stdout, and whether it succeeded.
func exe(bin string, env []string, action, in string) (sample, string, error) {
	cmd := exec.Command(bin, action)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		err = fmt.Errorf("%s %s: %v: %s %s", filepath.Base(bin), action, err, strings.TrimSpace(stdout.String()), strings.TrimSpace(stderr.String()))
	}
	return sample{wall: d}, stdout.String(), err
}

// mustExe is exe where only "not found" from get may fail; another
// failure stops the measurement under way (see guard).
func mustExe(bin string, env []string, action, in string) sample {
	s, out, err := exe(bin, env, action, in)
	if err != nil && !(action == "get" && strings.Contains(out, "credentials not found")) {
		panic(benchFailure{err})
	}
	return s
}

// instrRow is the instruction count of one get.
type instrRow struct {
	name, backend string
	size          int
	mint          bool
	n             int64
}

var collected = regexp.MustCompile(`Collected : (\d+)`)

// instructions counts the instructions of one run under callgrind, with
// the scheduler made deterministic (one P, no async preemption): the
// median of callgrindRuns runs that exited 0. Only the helper's own process
// is counted (not a keyring daemon, not gpg).
//
// Runs that fail are retried: valgrind 3.19 cannot decode RDTSCP, which
// the Go runtime executes when a lock is contended (runtime.cputicks in
// lock2), and it asserts on some SIGCHLDs; the crashed run's count
// includes the runtime's crash dump and means nothing.
func instructions(bin string, env []string, action, in string) int64 {
	if env == nil {
		env = os.Environ()
	}
	return instructionsIn(bin, func() []string { return env }, action, in)
}

// instructionsIn is instructions with the environment of each run from
// envOf: a fresh one each time measures a cold cache.
func instructionsIn(bin string, envOf func() []string, action, in string) int64 {
	var counts []int64
	var last string
	for try := 0; try < 4*callgrindRuns && len(counts) < callgrindRuns; try++ {
		cmd := exec.Command("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", bin, action)
		cmd.Env = append(slices.Clip(envOf()), "GODEBUG=asyncpreemptoff=1", "GOMAXPROCS=1")
		cmd.Stdin = strings.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		m := collected.FindStringSubmatch(stderr.String())
		if err == nil && m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			counts = append(counts, n)
			continue
		}
		last = fmt.Sprint(err)
		for _, marker := range []string{"unhandled instruction", "Assertion", "SIGILL"} {
			if i := strings.Index(stderr.String(), marker); i >= 0 {
				last, _, _ = strings.Cut(stderr.String()[i:], "\n")
				break
			}
		}
	}
	if len(counts) == 0 {
		fmt.Fprintf(os.Stderr, "mint-bench: callgrind of %s gave no count: %s\n", filepath.Base(bin), strings.TrimSpace(last))
		return 0
	}
	slices.Sort(counts)
	return counts[len(counts)/2]
}

// callgrindRuns is how many clean callgrind runs give each count.
const callgrindRuns = 3

// median returns the median wall time of s.
func median(s []sample) time.Duration {
	w := make([]time.Duration, len(s))
	for i, x := range s {
		w[i] = x.wall
	}
	slices.Sort(w)
	return w[len(w)/2]
}

// peakRSS runs bin once under GNU time and returns its peak RSS in KiB (0
// when /usr/bin/time is missing). Not the rusage of our own child: Go
// starts children with vfork semantics (CLONE_VM), and Linux folds the
// address space left at exec, ours, into the child's maxrss.
func peakRSS(bin string, env []string, action, in string) int64 {
	out := filepath.Join(os.TempDir(), fmt.Sprintf("mint-bench-rss-%d", os.Getpid()))
	defer os.Remove(out)
	cmd := exec.Command(gnuTime, "-f", "%M", "-o", out, bin, action)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(in)
	_ = cmd.Run()
	b, err := os.ReadFile(out)
	if err != nil {
		return 0
	}
	lines := strings.Fields(string(b))
	if len(lines) == 0 {
		return 0
	}
	kib, _ := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	return kib
}

// gnuTime is GNU time (Debian package time), which forks (not vfork) a
// child from its own small address space.
const gnuTime = "/usr/bin/time"

// homeEnv makes a hermetic HOME under the bench's temporary directory and
// returns the environment for it plus extra.
func homeEnv(c *config, extra ...string) (string, []string) {
	home, err := os.MkdirTemp(c.tmp, "home-")
	check(err)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_DATA_HOME=" + home + "/data",
		"XDG_CONFIG_HOME=" + home + "/config",
		"XDG_CACHE_HOME=" + home + "/cache",
		"XDG_RUNTIME_DIR=" + home + "/run",
		"LANG=C.UTF-8",
	}
	return home, append(env, extra...)
}

// hostURL is the server URL of stored entry i.
func hostURL(i int) string { return fmt.Sprintf("host%d.example", i) }

// populate stores n entries with the program's own store.
func populate(bin string, env []string, n int) {
	for i := range n {
		b, _ := json.Marshal(map[string]string{"ServerURL": hostURL(i), "Username": fmt.Sprintf("user%d", i), "Secret": fmt.Sprintf("secret-%d-%s", i, strings.Repeat("x", 64))})
		mustExe(bin, env, "store", string(b))
	}
}

// mintSubject is docker-credential-mint on backend.
func mintSubject(c *config, backend string) *subject {
	s := &subject{name: "mint", backend: backend, bin: c.helper, mint: true, verbs: allVerbs, seqRuns: c.runs}
	s.setup = func(n int) ([]string, func(int) string, func(), error) {
		switch backend {
		case "secretservice":
			addr, stop, err := startKeyring()
			if err != nil {
				return nil, nil, nil, err
			}
			_, env := homeEnv(c, "DOCKER_CREDENTIAL_MINT_KEYCHAIN=secretservice", "DBUS_SESSION_BUS_ADDRESS="+addr)
			populate(s.bin, env, n)
			return env, hostURL, stop, nil
		case "pass":
			penv, stop, err := startPass()
			if err != nil {
				return nil, nil, nil, err
			}
			_, env := homeEnv(c, append(penv, "DOCKER_CREDENTIAL_MINT_KEYCHAIN=pass")...)
			populate(s.bin, env, n)
			return env, hostURL, stop, nil
		}
		_, env := homeEnv(c, "DOCKER_CREDENTIAL_MINT_KEYCHAIN="+backend)
		populate(s.bin, env, n)
		return env, hostURL, func() {}, nil
	}
	return s
}
