// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Command mint-bench measures docker-credential-mint as clients run it: one
// process per request. Every figure is paired with a trivial Go binary (it
// reads stdin and prints a fixed JSON answer) run in the same loop, so the
// ratios hold on a loaded machine. It measures, for the file store and the
// Secret Service (a real gnome-keyring on a private D-Bus):
//
//   - get (hit and miss), list, store, erase and "list then get every key"
//     (docker build's classic builder) at each size, with peak RSS;
//   - the same for the reference helpers, built from the module proxy in a
//     scratch directory: docker-credential-secretservice and
//     docker-credential-pass (docker/docker-credential-helpers) and
//     docker-credential-ecr-login with a cached token;
//   - instructions of get with callgrind (load-independent), binary sizes;
//   - token refresh: requests to an OAuth2 endpoint and wall time of 1, 10
//     and 50 parallel gets on a stale cache; and requests of 50 parallel
//     gets on an empty cache against an endpoint that omits expires_in and
//     against one that fails (-refresh=false skips both; -backends "" -refs ""
//     -callgrind=false measures only them);
//   - the clouds with no config (-clouds ecr,gcr,acr): get of a detected
//     ECR, Artifact Registry and ACR registry served from the token cache
//     by the protocol binary (no cloud SDK on that path) and by the full
//     build, and one mint on a cold cache against the cloud's stand-in
//     (ecrtest, gcrtest, acrtest on loopback) beside the single-cloud
//     helpers' (docker-credential-ecr-login, docker-credential-gcr,
//     docker-credential-acr-env: -refs ecr-login,gcr,acr-env): instructions,
//     wall, peak RSS, requests. Only the clouds:
//     -backends "" -refs ecr-login,gcr,acr-env -refresh=false.
//
// It prints one Markdown table per group, each target of issue 6 beside the
// figure it applies to.
//
//	go run ./cmd/mint-bench -helper bin/docker-credential-mint -sizes 1,100,1000 -backends file,secretservice
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// config is the command line.
type config struct {
	helper    string
	runs      int
	sizes     []int
	backends  []string
	refs      []string
	seqMax    int
	callgrind bool
	refresh   bool
	ecr       bool
	clouds    []string
	scratch   string
	tmp       string
	trivial   string
}

func main() {
	var c config
	var sizes, backends, refs, clouds string
	flag.StringVar(&c.helper, "helper", "", "helper binary (default: build ./cmd/docker-credential-mint)")
	flag.IntVar(&c.runs, "runs", 31, "paired runs per measurement (median)")
	flag.StringVar(&sizes, "sizes", "1,100,1000", "stored registries")
	flag.StringVar(&backends, "backends", "file,secretservice", "mint backends to measure (file, secretservice, pass)")
	flag.StringVar(&refs, "refs", "secretservice,pass,ecr-login,gcr,acr-env", `reference helpers to build and measure ("" for none; gcr and acr-env are measured in the cloud mint tables only)`)
	flag.IntVar(&c.seqMax, "seq-max", 100, "largest size for list-then-get-all (it runs size+1 processes per sample)")
	flag.BoolVar(&c.callgrind, "callgrind", true, "count instructions of get with valgrind when available")
	flag.BoolVar(&c.refresh, "refresh", true, "measure token refresh on a stale cache (oauth2 provider)")
	flag.StringVar(&clouds, "clouds", "ecr,gcr,acr", `clouds measured with no config (stand-ins on loopback): a cached get, and one mint beside the single-cloud helper's ("" for none)`)
	flag.BoolVar(&c.ecr, "ecr", true, "with -ecr=false, ECR is left out of -clouds")
	flag.StringVar(&c.scratch, "scratch", "", "where reference helpers are built and kept (default: the user cache dir)/mint-bench")
	flag.Parse()
	for _, s := range splitList(sizes) {
		n, err := strconv.Atoi(s)
		check(err)
		c.sizes = append(c.sizes, n)
	}
	c.backends, c.refs, c.clouds = splitList(backends), splitList(refs), splitList(clouds)
	if !c.ecr {
		c.clouds = slices.DeleteFunc(c.clouds, func(s string) bool { return s == "ecr" })
	}
	if c.scratch == "" {
		d, err := os.UserCacheDir()
		check(err)
		c.scratch = filepath.Join(d, "mint-bench")
	}
	check(os.MkdirAll(c.scratch, 0o755))

	var err error
	c.tmp, err = os.MkdirTemp("", "mint-bench-")
	check(err)
	defer os.RemoveAll(c.tmp)
	stopOnSignal(c.tmp)
	if c.helper == "" {
		c.helper = filepath.Join(c.tmp, "docker-credential-mint")
		// As make install: the protocol binary, and the full build next to it.
		run("", "go", "build", "-trimpath", "-tags", "lean", "-ldflags", "-s -w", "-o", c.helper, "./cmd/docker-credential-mint")
		run("", "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", c.helper+"-full", "./cmd/docker-credential-mint")
	}
	c.helper, err = filepath.Abs(c.helper)
	check(err)
	c.trivial = buildTrivial(c.tmp)

	start := time.Now()
	fmt.Printf("# mint-bench\n\n%s, %d CPUs, load %s; %d paired runs per figure (medians), helper %s\n\n",
		runtime.Version(), runtime.NumCPU(), loadavg(), c.runs, c.helper)

	var subjects []*subject
	for _, b := range c.backends {
		subjects = append(subjects, mintSubject(&c, b))
	}
	standIns := startClouds(&c)
	for _, s := range standIns {
		if s.stop != nil {
			defer s.stop()
		}
		subjects = append(subjects, mintCloudSubject(&c, s, "mint", c.helper, true))
		if fi, err := os.Stat(c.helper + "-full"); err == nil && fi.Mode().IsRegular() {
			subjects = append(subjects, mintCloudSubject(&c, s, "mint full build", c.helper+"-full", false))
		}
	}
	for _, r := range c.refs {
		if s := refSubject(&c, r); s != nil {
			subjects = append(subjects, s)
		}
	}

	var rep report
	rep.sizes = append(rep.sizes, binSize{"trivial Go binary", c.trivial})
	if fi, err := os.Stat(c.helper + "-full"); err == nil && fi.Mode().IsRegular() {
		rep.sizes = append(rep.sizes, binSize{"mint full build (minting, operator commands)", c.helper + "-full"})
	}
	for _, s := range subjects {
		rep.sizes = append(rep.sizes, binSize{s.name, s.bin})
		rep.rows = append(rep.rows, measureSubject(&c, s)...)
	}
	if c.callgrind {
		if _, err := exec.LookPath("valgrind"); err != nil {
			fmt.Fprintln(os.Stderr, "mint-bench: valgrind not found (apt-get install valgrind): no instruction counts")
		} else {
			rep.instr = append(rep.instr, instrRow{name: "trivial Go binary", n: instructions(c.trivial, nil, "get", "x.example")})
			for _, s := range subjects {
				rep.instr = append(rep.instr, s.instr...)
			}
		}
	}
	if c.refresh {
		if err := guard(func() { rep.refresh = measureRefresh(&c) }); err != nil {
			fmt.Fprintln(os.Stderr, "mint-bench: token refresh:", err)
			rep.failures = append(rep.failures, "token refresh: "+err.Error())
		}
		if err := guard(func() { rep.herds = measureHerds(&c) }); err != nil {
			fmt.Fprintln(os.Stderr, "mint-bench: token endpoint herds:", err)
			rep.failures = append(rep.failures, "token endpoint herds: "+err.Error())
		}
	}
	for _, s := range standIns {
		if err := guard(func() { rep.cloudMints = append(rep.cloudMints, measureCloudMints(&c, s)) }); err != nil {
			fmt.Fprintf(os.Stderr, "mint-bench: %s mint: %v\n", s.cloud, err)
			rep.failures = append(rep.failures, s.cloud+" mint: "+err.Error())
		}
	}
	for _, s := range subjects {
		rep.failures = append(rep.failures, s.failures...)
	}
	rep.print(os.Stdout)
	fmt.Printf("\n%s in %s; load %s at the end.\n", os.Args[0], time.Since(start).Round(time.Second), loadavg())
}

// daemons are the stop functions of the keyrings and gpg homes running
// now, so that an interrupted bench leaves none behind.
var daemons sync.Map // *int → func()

// track registers stop and returns a func that stops it once and forgets it.
func track(stop func()) func() {
	key := new(int)
	daemons.Store(key, stop)
	return func() {
		if f, ok := daemons.LoadAndDelete(key); ok {
			f.(func())()
		}
	}
}

// stopOnSignal stops every tracked daemon and removes tmp on SIGINT or
// SIGTERM, then exits.
func stopOnSignal(tmp string) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		daemons.Range(func(k, f any) bool {
			f.(func())()
			return true
		})
		os.RemoveAll(tmp)
		fmt.Fprintln(os.Stderr, "mint-bench:", sig)
		os.Exit(1)
	}()
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

const trivialSource = `package main

import (
	"io"
	"os"
)

func main() {
	io.Copy(io.Discard, os.Stdin)
	os.Stdout.WriteString("{\"ServerURL\":\"x\",\"Username\":\"u\",\"Secret\":\"s\"}\n")
}
`

func buildTrivial(tmp string) string {
	dir := filepath.Join(tmp, "trivial")
	check(os.MkdirAll(dir, 0o755))
	check(os.WriteFile(filepath.Join(dir, "main.go"), []byte(trivialSource), 0o644))
	check(os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module trivial\n\ngo 1.26\n"), 0o644))
	bin := filepath.Join(tmp, "trivial-bin")
	run(dir, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	return bin
}

// run runs a command whose output only matters when it fails.
func run(dir, name string, args ...string) {
	check(runErr(dir, nil, name, args...))
}

func runErr(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "mint-bench:", err)
		os.Exit(1)
	}
}
