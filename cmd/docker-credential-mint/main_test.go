// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/client"
	dch "github.com/docker/docker-credential-helpers/credentials"
)

// The test binary doubles as the helper: with MINT_TEST_MAIN=1 it runs main,
// so these tests exec the real program without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("MINT_TEST_MAIN") == "1" {
		os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// sandbox is a hermetic HOME with the file store.
type sandbox struct {
	t    *testing.T
	home string
	env  []string
}

func newSandbox(t *testing.T, extra ...string) *sandbox {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "cover"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"MINT_TEST_MAIN=1",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(home, "run"),
		"DOCKER_CONFIG=" + filepath.Join(home, "docker"),
		"DOCKER_CREDENTIAL_MINT_KEYCHAIN=file",
		// Under -coverprofile the re-executed test binary wants somewhere
		// to write coverage, or it warns on stderr.
		"GOCOVERDIR=" + filepath.Join(home, "cover"),
		// A -race child otherwise sleeps 1 s before every exit.
		"GORACE=atexit_sleep_ms=50",
	}
	return &sandbox{t: t, home: home, env: append(env, extra...)}
}

// withoutVar returns env minus the variable name.
func withoutVar(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// exec runs the helper with one action and returns stdout, stderr and the exit status.
func (s *sandbox) exec(stdin string, args ...string) (string, string, int) {
	s.t.Helper()
	return s.execProgram(os.Args[0], stdin, args...)
}

// execProgram runs program (a helper build) in the sandbox.
func (s *sandbox) execProgram(program, stdin string, args ...string) (string, string, int) {
	s.t.Helper()
	cmd := exec.Command(program, args...)
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("run helper: %v", err)
	}
	return out.String(), errb.String(), code
}

func (s *sandbox) must(stdin string, args ...string) string {
	s.t.Helper()
	out, errs, code := s.exec(stdin, args...)
	if code != 0 || errs != "" {
		s.t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
	}
	return out
}

func (s *sandbox) store(url, user, secret string) {
	s.t.Helper()
	b, _ := json.Marshal(dch.Credentials{ServerURL: url, Username: user, Secret: secret})
	s.must(string(b), "store")
}

// snapshot is list plus every stored secret: what must not change.
func (s *sandbox) snapshot() string {
	s.t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(s.must("unused", "list")), &m); err != nil {
		s.t.Fatal(err)
	}
	var b strings.Builder
	for url := range m {
		b.WriteString(s.must(url, "get"))
	}
	lines := strings.Split(b.String(), "\n")
	return fmt.Sprint(len(m), sortStrings(lines))
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestBinary_dockerClient(t *testing.T) {
	s := newSandbox(t)
	p := func(args ...string) client.Program {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = s.env
		return &execProgram{cmd}
	}
	if _, err := client.Get(p, "registry.example"); !dch.IsErrCredentialsNotFound(err) {
		t.Fatalf("Get(missing) = %v, want not found", err)
	}
	if err := client.Store(p, &dch.Credentials{ServerURL: "https://registry.example", Username: "alice", Secret: "pw"}); err != nil {
		t.Fatal(err)
	}
	if c, err := client.Get(p, "registry.example:443"); err != nil || c.Secret != "pw" {
		t.Fatalf("Get = %+v, %v", c, err)
	}
	if m, err := client.List(p); err != nil || m["https://registry.example"] != "alice" {
		t.Fatalf("List = %v, %v", m, err)
	}
	for _, url := range []string{"registry.example", "http://registry.example", "https://registry.example", "registry.example"} {
		if err := client.Erase(p, url); err != nil {
			t.Fatalf("Erase(%q) = %v", url, err)
		}
	}
	if m, err := client.List(p); err != nil || len(m) != 0 {
		t.Fatalf("List after logout = %v, %v", m, err)
	}
}

type execProgram struct{ cmd *exec.Cmd }

func (p *execProgram) Output() ([]byte, error) { return p.cmd.Output() }

func (p *execProgram) Input(in io.Reader) { p.cmd.Stdin = in }

func TestBinary_badInput(t *testing.T) {
	s := newSandbox(t)
	s.store("registry.example", "alice", "alicepw")
	s.store("quay.io/org-a", "robot", "robotpw")
	before := s.snapshot()
	huge := strings.Repeat("A", 2<<20)
	binary := string([]byte{0, 1, 2, 0xff, 0xfe, '\n', 0x80})
	cases := []struct {
		args []string
		in   string
	}{
		{[]string{"store"}, ""},
		{[]string{"store"}, "{"},
		{[]string{"store"}, `{"ServerURL":"registry.example","Username":"mallory","Secret":`},
		{[]string{"store"}, `{"ServerURL":"registry.example","Username":"","Secret":"x"}`},
		{[]string{"store"}, `{"ServerURL":"","Username":"u","Secret":"x"}`},
		{[]string{"store"}, `{"ServerURL":"ftp://registry.example","Username":"u","Secret":"x"}`},
		{[]string{"store"}, `{"ServerURL":"registry.example","Username":"u","Secret":"` + strings.Repeat("x", 70<<10) + `"}`},
		{[]string{"store"}, huge},
		{[]string{"store"}, binary},
		{[]string{"get"}, ""},
		{[]string{"get"}, huge},
		{[]string{"get"}, binary},
		{[]string{"get"}, "user:pw@registry.example"},
		{[]string{"erase"}, ""},
		{[]string{"erase"}, binary},
		{[]string{"erase"}, "ftp://registry.example"},
		{[]string{"erase"}, huge},
		{[]string{"bogus"}, "registry.example"},
		{[]string{"get", "extra"}, "registry.example"},
		{nil, ""},
	}
	for _, c := range cases {
		out, errs, code := s.exec(c.in, c.args...)
		name := fmt.Sprintf("%v with %d bytes", c.args, len(c.in))
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", name, code)
		}
		if strings.Count(out, "\n") != 1 || len(out) > 200 {
			t.Errorf("%s: stdout %q is not one short line", name, out)
		}
		if errs != "" {
			t.Errorf("%s: stderr %q, want silence", name, errs)
		}
		if strings.Contains(out, "alicepw") || strings.Contains(out, "robotpw") {
			t.Errorf("%s: stdout leaks a stored secret: %q", name, out)
		}
	}
	if after := s.snapshot(); after != before {
		t.Errorf("bad input changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

func TestBinary_brokenKeychain(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"bogus", "unknown keychain"},
	} {
		s := newSandbox(t, "DOCKER_CREDENTIAL_MINT_KEYCHAIN="+tc.name)
		out, _, code := s.exec("registry.example", "get")
		if code != 1 || !strings.Contains(out, tc.want) || strings.Count(out, "\n") != 1 {
			t.Errorf("keychain %s: get = %q (exit %d), want one line containing %q", tc.name, out, code, tc.want)
		}
	}
}

// TestBinary_concurrent runs 24 processes at once storing, erasing and
// getting different and equal keys: no update is lost and no process ever
// reads another key's secret.
func TestBinary_concurrent(t *testing.T) {
	s := newSandbox(t)
	const procs = 24
	var wg sync.WaitGroup
	errs := make(chan string, procs*8)
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := fmt.Sprintf("own%d.example", i)
			secret := fmt.Sprintf("secret-of-%s", own)
			b, _ := json.Marshal(dch.Credentials{ServerURL: own, Username: "u", Secret: secret})
			if out, _, code := s.exec(string(b), "store"); code != 0 {
				errs <- fmt.Sprintf("store %s: %q", own, out)
			}
			shared, _ := json.Marshal(dch.Credentials{ServerURL: "shared.example", Username: fmt.Sprintf("u%d", i), Secret: fmt.Sprintf("shared-%d", i)})
			if out, _, code := s.exec(string(shared), "store"); code != 0 {
				errs <- fmt.Sprintf("store shared: %q", out)
			}
			out, _, code := s.exec(own, "get")
			if code != 0 || !strings.Contains(out, `"Secret":"`+secret+`"`) {
				errs <- fmt.Sprintf("get %s = %q", own, out)
			}
			if out, _, _ := s.exec("shared.example", "get"); !strings.Contains(out, `"Secret":"shared-`) {
				errs <- fmt.Sprintf("get shared = %q", out)
			}
			tmp := fmt.Sprintf("tmp%d.example", i)
			b, _ = json.Marshal(dch.Credentials{ServerURL: tmp, Username: "t", Secret: "t"})
			s.exec(string(b), "store")
			if out, _, code := s.exec(tmp, "erase"); code != 0 {
				errs <- fmt.Sprintf("erase %s: %q", tmp, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s.must("", "list")), &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != procs+1 {
		t.Errorf("list has %d entries, want %d: %v", len(m), procs+1, m)
	}
	for i := range procs {
		own := fmt.Sprintf("own%d.example", i)
		if out := s.must(own, "get"); !strings.Contains(out, "secret-of-"+own+`"`) {
			t.Errorf("get %s = %q", own, out)
		}
	}
}

// TestBinary_killDuringStore kills the helper with SIGKILL at random moments
// of store and erase; every entry stored before stays intact.
func TestBinary_killDuringStore(t *testing.T) {
	s := newSandbox(t)
	for i := range 20 {
		s.store(fmt.Sprintf("keep%d.example", i), "u", fmt.Sprintf("keep-%d", i))
	}
	before := s.snapshot()
	rng := rand.New(rand.NewPCG(1, 2))
	kills := 0
	for i := range 120 {
		var cmd *exec.Cmd
		if i%3 == 2 {
			cmd = exec.Command(os.Args[0], "erase")
			cmd.Stdin = strings.NewReader(fmt.Sprintf("churn%d.example", i%7))
		} else {
			cmd = exec.Command(os.Args[0], "store")
			b, _ := json.Marshal(dch.Credentials{ServerURL: fmt.Sprintf("churn%d.example", i%7), Username: "c", Secret: strings.Repeat("z", 1000+i)})
			cmd.Stdin = bytes.NewReader(b)
		}
		cmd.Env = s.env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(4000)) * time.Microsecond)
		if cmd.Process.Signal(syscall.SIGKILL) == nil {
			kills++
		}
		_ = cmd.Wait()
	}
	if kills < 50 {
		t.Logf("only %d of 120 processes were still running when killed", kills)
	}
	out := s.snapshot()
	for i := range 20 {
		want := fmt.Sprintf(`"Secret":"keep-%d"`, i)
		if !strings.Contains(out, want) {
			t.Errorf("after kills, keep%d.example lost its secret", i)
		}
	}
	if !strings.Contains(before, "keep-19") {
		t.Fatal("setup failed")
	}
}

// TestBinary_noSecretLeaks stores a canary and checks stdout of every verb
// but get, stderr of all, and every file under HOME.
func TestBinary_noSecretLeaks(t *testing.T) {
	const canary = "canary-7f1c2e-secret"
	s := newSandbox(t, "DOCKER_CREDENTIAL_MINT_DEBUG=1")
	b, _ := json.Marshal(dch.Credentials{ServerURL: "leak.example", Username: "canary-user", Secret: canary})
	steps := []struct {
		in   string
		args []string
	}{
		{string(b), []string{"store"}},
		{"leak.example", []string{"get"}},
		{"unused", []string{"list"}},
		{"", []string{"version"}},
		{`{"ServerURL":"leak.example","Username":"x","Secret":"` + canary, []string{"store"}},
		{"leak.example", []string{"erase"}},
	}
	for _, st := range steps {
		out, errs, _ := s.exec(st.in, st.args...)
		if strings.Contains(errs, canary) {
			t.Errorf("%v: stderr leaks the secret", st.args)
		}
		if st.args[0] != "get" && strings.Contains(out, canary) {
			t.Errorf("%v: stdout leaks the secret: %q", st.args, out)
		}
	}
	s.exec(string(b), "store")
	err := filepath.WalkDir(s.home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(canary)) || bytes.Contains(data, []byte("canary-user")) {
			t.Errorf("%s holds the secret or username in plain text", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
