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

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker/docker-credential-helpers/client"
	dch "github.com/docker/docker-credential-helpers/credentials"
)

// The test binary doubles as the helper: with MINT_TEST_MAIN=1 it runs main,
// so these tests exec the real program without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("MINT_TEST_MAIN") == "1" {
		os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	code := m.Run()
	clitest.Cleanup()
	os.Exit(code)
}

// sandbox runs this test binary as the helper in a hermetic HOME.
type sandbox struct{ *clitest.Sandbox }

func newSandbox(t *testing.T, extra ...string) *sandbox {
	t.Helper()
	return &sandbox{clitest.New(t, os.Args[0], append([]string{"MINT_TEST_MAIN=1"}, extra...)...)}
}

// withoutVar returns env minus the variable name.
func withoutVar(env []string, name string) []string { return clitest.WithoutVar(env, name) }

func TestBinary_dockerClient(t *testing.T) {
	s := newSandbox(t)
	p := func(args ...string) client.Program {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = s.Env
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
	s.Store("registry.example", "alice", "alicepw")
	s.Store("quay.io/org-a", "robot", "robotpw")
	before := s.Snapshot()
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
		out, errs, code := s.Exec(c.in, c.args...)
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
	if after := s.Snapshot(); after != before {
		t.Errorf("bad input changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

func TestBinary_brokenKeychain(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"bogus", "unknown keychain"},
	} {
		s := newSandbox(t, "DOCKER_CREDENTIAL_MINT_KEYCHAIN="+tc.name)
		out, _, code := s.Exec("registry.example", "get")
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
			if out, _, code := s.Exec(string(b), "store"); code != 0 {
				errs <- fmt.Sprintf("store %s: %q", own, out)
			}
			shared, _ := json.Marshal(dch.Credentials{ServerURL: "shared.example", Username: fmt.Sprintf("u%d", i), Secret: fmt.Sprintf("shared-%d", i)})
			if out, _, code := s.Exec(string(shared), "store"); code != 0 {
				errs <- fmt.Sprintf("store shared: %q", out)
			}
			out, _, code := s.Exec(own, "get")
			if code != 0 || !strings.Contains(out, `"Secret":"`+secret+`"`) {
				errs <- fmt.Sprintf("get %s = %q", own, out)
			}
			if out, _, _ := s.Exec("shared.example", "get"); !strings.Contains(out, `"Secret":"shared-`) {
				errs <- fmt.Sprintf("get shared = %q", out)
			}
			tmp := fmt.Sprintf("tmp%d.example", i)
			b, _ = json.Marshal(dch.Credentials{ServerURL: tmp, Username: "t", Secret: "t"})
			s.Exec(string(b), "store")
			if out, _, code := s.Exec(tmp, "erase"); code != 0 {
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
	if err := json.Unmarshal([]byte(s.Must("", "list")), &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != procs+1 {
		t.Errorf("list has %d entries, want %d: %v", len(m), procs+1, m)
	}
	for i := range procs {
		own := fmt.Sprintf("own%d.example", i)
		if out := s.Must(own, "get"); !strings.Contains(out, "secret-of-"+own+`"`) {
			t.Errorf("get %s = %q", own, out)
		}
	}
}

// TestBinary_killDuringStore kills the helper with SIGKILL at random moments
// of store and erase; every entry stored before stays intact.
func TestBinary_killDuringStore(t *testing.T) {
	s := newSandbox(t)
	for i := range 20 {
		s.Store(fmt.Sprintf("keep%d.example", i), "u", fmt.Sprintf("keep-%d", i))
	}
	before := s.Snapshot()
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
		cmd.Env = s.Env
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
	out := s.Snapshot()
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
		out, errs, _ := s.Exec(st.in, st.args...)
		if strings.Contains(errs, canary) {
			t.Errorf("%v: stderr leaks the secret", st.args)
		}
		if st.args[0] != "get" && strings.Contains(out, canary) {
			t.Errorf("%v: stdout leaks the secret: %q", st.args, out)
		}
	}
	s.Exec(string(b), "store")
	err := filepath.WalkDir(s.Home, func(path string, d fs.DirEntry, err error) error {
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
