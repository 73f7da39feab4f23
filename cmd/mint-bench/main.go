// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Command mint-bench measures docker-credential-mint as clients run it: one
// process per request. Every figure is paired with a trivial Go binary (it
// reads stdin and prints a fixed JSON answer) run in the same loop, so the
// ratios hold on any machine. It prints a Markdown table.
//
//	go run ./cmd/mint-bench -sizes 1,100,1000 -runs 31
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

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

type sample struct {
	wall time.Duration
	rss  int64 // KiB
}

type result struct {
	backend, op string
	size        int
	helper      []sample
	trivial     []sample
	instr       int64
}

func main() {
	helper := flag.String("helper", "", "helper binary (default: build ./cmd/docker-credential-mint)")
	runs := flag.Int("runs", 31, "runs per measurement (median)")
	sizes := flag.String("sizes", "1,100,1000", "stored registries")
	backends := flag.String("backends", "file", "backends to measure (file, secretservice, pass)")
	callgrind := flag.Bool("callgrind", true, "count instructions of get with valgrind when available")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "mint-bench-")
	check(err)
	defer os.RemoveAll(tmp)
	if *helper == "" {
		*helper = filepath.Join(tmp, "docker-credential-mint")
		run("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", *helper, "./cmd/docker-credential-mint")
	}
	trivial := buildTrivial(tmp)
	fmt.Printf("helper %s (%d KiB), trivial Go binary (%d KiB), %d runs each, medians\n\n", *helper, size(*helper)/1024, size(trivial)/1024, *runs)

	var results []result
	for _, be := range strings.Split(*backends, ",") {
		for _, s := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(s)
			check(err)
			results = append(results, measure(*helper, trivial, be, n, *runs, *callgrind, tmp)...)
		}
	}
	printTable(results)
}

func measure(helper, trivial, backend string, n, runs int, callgrind bool, tmp string) []result {
	home, err := os.MkdirTemp(tmp, "home-")
	check(err)
	env := append(os.Environ(),
		"HOME="+home, "XDG_DATA_HOME="+home+"/data", "XDG_CONFIG_HOME="+home+"/config",
		"XDG_CACHE_HOME="+home+"/cache", "DOCKER_CREDENTIAL_MINT_KEYCHAIN="+backend)
	for i := range n {
		exe(helper, env, "store", fmt.Sprintf(`{"ServerURL":"host%d.example","Username":"user%d","Secret":"secret-%d-%s"}`, i, i, i, strings.Repeat("x", 64)))
	}
	key := fmt.Sprintf("host%d.example", n/2)
	ops := []struct {
		name  string
		setup func()
		args  []string
		in    string
	}{
		{"get (hit)", nil, []string{"get"}, key},
		{"get (miss)", nil, []string{"get"}, "nothere.example"},
		{"list", nil, []string{"list"}, "unused"},
		{"store", nil, []string{"store"}, fmt.Sprintf(`{"ServerURL":"%s","Username":"u","Secret":"s2"}`, key)},
		{"erase", func() {
			exe(helper, env, "store", fmt.Sprintf(`{"ServerURL":"%s","Username":"u","Secret":"s"}`, key))
		}, []string{"erase"}, key},
	}
	var out []result
	for _, op := range ops {
		r := result{backend: backend, op: op.name, size: n}
		for range runs {
			if op.setup != nil {
				op.setup()
			}
			r.trivial = append(r.trivial, exe(trivial, env, op.args[0], op.in))
			r.helper = append(r.helper, exe(helper, env, op.args[0], op.in))
		}
		if callgrind && op.name == "get (hit)" {
			r.instr = instructions(helper, env, op.args[0], op.in)
		}
		out = append(out, r)
	}
	exe(helper, env, "store", fmt.Sprintf(`{"ServerURL":"%s","Username":"u","Secret":"s"}`, key))
	if n <= 100 {
		// docker build's classic builder: list, then get every listed key.
		r := result{backend: backend, op: "list + get all", size: n}
		for range max(runs/3, 5) {
			var h, t sample
			for i := range n + 1 {
				in, act := "unused", "list"
				if i > 0 {
					in, act = fmt.Sprintf("host%d.example", i-1), "get"
				}
				st := exe(trivial, env, act, in)
				sh := exe(helper, env, act, in)
				t.wall += st.wall
				h.wall += sh.wall
				t.rss, h.rss = max(t.rss, st.rss), max(h.rss, sh.rss)
			}
			r.helper, r.trivial = append(r.helper, h), append(r.trivial, t)
		}
		out = append(out, r)
	}
	return out
}

func exe(bin string, env []string, action, in string) sample {
	cmd := exec.Command(bin, action)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(in)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil && !(action == "get" && strings.Contains(stdout.String(), "not found")) {
		fmt.Fprintf(os.Stderr, "%s %s: %v: %s\n", filepath.Base(bin), action, err, strings.TrimSpace(stdout.String()))
		os.Exit(1)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return sample{wall: d, rss: rss}
}

var collected = regexp.MustCompile(`Collected : (\d+)`)

func instructions(bin string, env []string, action, in string) int64 {
	if _, err := exec.LookPath("valgrind"); err != nil {
		return 0
	}
	cmd := exec.Command("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", bin, action)
	cmd.Env = append(env, "GODEBUG=asyncpreemptoff=1", "GOMAXPROCS=1")
	cmd.Stdin = strings.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	m := collected.FindStringSubmatch(stderr.String())
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func median(s []sample) (time.Duration, int64) {
	w := make([]time.Duration, len(s))
	var rss int64
	for i, x := range s {
		w[i] = x.wall
		rss = max(rss, x.rss)
	}
	slices.Sort(w)
	return w[len(w)/2], rss
}

func printTable(rs []result) {
	fmt.Println("| backend | registries | operation | helper | trivial | ratio | peak RSS | get instructions |")
	fmt.Println("|---|---:|---|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		h, hr := median(r.helper)
		t, _ := median(r.trivial)
		instr := ""
		if r.instr > 0 {
			instr = fmt.Sprintf("%.2f M", float64(r.instr)/1e6)
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %.2f× | %.1f MiB | %s |\n", r.backend, r.size, r.op,
			round(h), round(t), float64(h)/float64(t), float64(hr)/1024, instr)
	}
}

func round(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func buildTrivial(tmp string) string {
	dir := filepath.Join(tmp, "trivial")
	check(os.MkdirAll(dir, 0o755))
	check(os.WriteFile(filepath.Join(dir, "main.go"), []byte(trivialSource), 0o644))
	check(os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module trivial\n\ngo 1.26\n"), 0o644))
	bin := filepath.Join(tmp, "trivial-bin")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	check(cmd.Run())
	return bin
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	check(cmd.Run())
}

func size(path string) int64 {
	fi, err := os.Stat(path)
	check(err)
	return fi.Size()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "mint-bench:", err)
		os.Exit(1)
	}
}
