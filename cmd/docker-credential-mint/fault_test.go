// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dch "github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
	"github.com/docker-credential-mint/mint/store/secretservice/sstest"
)

// faultTimeout is DOCKER_CREDENTIAL_MINT_TIMEOUT in the fault tests, and
// faultSlack what a loaded machine may add to it: a helper that has not
// answered by then hangs.
const (
	faultTimeout = 3 * time.Second
	faultSlack   = 12 * time.Second
)

// quickSandbox is newSandbox whose helper processes, when built with -race,
// exit without the race runtime's default 1 s pause (GORACE
// atexit_sleep_ms=1000, a sleep before every exit so that other threads
// can finish a report): these tests run hundreds of processes. 50 ms is
// left for a report in flight; GORACE options already set are kept.
func quickSandbox(t *testing.T, extra ...string) *sandbox {
	t.Helper()
	s := newSandbox(t, extra...)
	s.Env = setVar(s.Env, "GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=50"))
	return s
}

// setVar returns env with name set to value (replacing any earlier value).
func setVar(env []string, name, value string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}

// oneLineError fails t unless a verb failed (exit 1) with a single short
// line on stdout and nothing on stderr.
func oneLineError(t *testing.T, what, out, errs string, code int) {
	t.Helper()
	if code != 1 || strings.Count(out, "\n") != 1 || len(out) > 300 || errs != "" {
		t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and one short line", what, code, out, errs)
		return
	}
	t.Logf("%s: %s", what, strings.TrimSpace(out))
}

// timed runs the helper and fails t when it took longer than the deadline
// plus slack.
func (s *sandbox) timed(stdin string, args ...string) (string, string, int) {
	s.T.Helper()
	start := time.Now()
	out, errs, code := s.Exec(stdin, args...)
	if d := time.Since(start); d > faultTimeout+faultSlack {
		s.T.Errorf("%v took %v with a %v deadline", args, d.Round(time.Millisecond), faultTimeout)
	}
	return out, errs, code
}

// mountTmpfs mounts a tmpfs of size bytes on dir, or skips t (fails it
// when CI is set) where this process may not mount.
func mountTmpfs(t *testing.T, dir string, size int) {
	t.Helper()
	var prefix []string
	if os.Geteuid() != 0 {
		if exec.Command("sudo", "-n", "true").Run() != nil {
			requireOrSkip(t, "mounting a tmpfs needs root or passwordless sudo")
		}
		prefix = []string{"sudo", "-n"}
	}
	opts := fmt.Sprintf("size=%d,mode=0700,uid=%d,gid=%d", size, os.Getuid(), os.Getgid())
	args := append(prefix, "mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir)
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		requireOrSkip(t, fmt.Sprintf("mount -t tmpfs: %v: %s", err, bytes.TrimSpace(out)))
	}
	t.Cleanup(func() {
		args := append(prefix, "umount", dir)
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// remount remounts the tmpfs on dir with opts (e.g. "remount,ro").
func remount(t *testing.T, dir, opts string) {
	t.Helper()
	args := []string{"mount", "-o", opts, dir}
	if os.Geteuid() != 0 {
		args = append([]string{"sudo", "-n"}, args...)
	}
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("mount -o %s: %v: %s", opts, err, out)
	}
}

// requireOrSkip skips t with why, or fails it when CI is set: CI must
// never skip silently.
func requireOrSkip(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set)", why)
	}
	t.Skipf("%s (set CI=1 to make this a failure)", why)
}

// fileSandbox is a sandbox whose file store lives in a tmpfs of size bytes.
func fileSandbox(t *testing.T, size int) (*sandbox, string) {
	t.Helper()
	s := quickSandbox(t)
	data := filepath.Join(s.Home, "tmpfs")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	mountTmpfs(t, data, size)
	s.Env = setVar(s.Env, wire.EnvDataDir, data)
	return s, data
}

// TestFault_fullDisk fills the file store's file system: store fails with
// one line, and every entry stored before is intact, before and after the
// space comes back.
func TestFault_fullDisk(t *testing.T) {
	s, data := fileSandbox(t, 256<<10)
	for i := range 3 {
		s.Store(fmt.Sprintf("keep%d.example", i), "u", fmt.Sprintf("keep-secret-%d", i))
	}
	before := s.Snapshot()
	filler := filepath.Join(data, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the tmpfs: %v", err)
			}
			break
		}
	}
	f.Close()

	big := strings.Repeat("s", 16<<10)
	for _, url := range []string{"new.example", "keep2.example"} {
		b, _ := json.Marshal(dch.Credentials{ServerURL: url, Username: "v", Secret: big})
		out, errs, code := s.timed(string(b), "store")
		oneLineError(t, "store "+url+" on a full disk", out, errs, code)
	}
	out, errs, code := s.timed("keep1.example", "erase")
	if code != 0 {
		// Erasing needs a new file too; failing is fine, failing badly is not.
		oneLineError(t, "erase on a full disk", out, errs, code)
	}
	if code == 0 {
		// It found room after all: the rest must be intact.
		s.Store("keep1.example", "u", "keep-secret-1")
	}
	if after := s.Snapshot(); after != before {
		t.Errorf("a full disk changed the store:\nbefore %s\nafter  %s", before, after)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s.Store("new.example", "v", big)
	if out := s.Must("new.example", "get"); !strings.Contains(out, big) {
		t.Errorf("store after the disk was freed did not take")
	}
	if out := s.Must("keep2.example", "get"); !strings.Contains(out, `"Secret":"keep-secret-2"`) {
		t.Errorf("keep2.example = %q after the disk was freed", out)
	}
}

// TestFault_readOnlyDir makes the data directory read-only (a read-only
// mount as root, for whom permission bits do not count; mode 0500
// otherwise): writes fail with one line, reads still answer.
func TestFault_readOnlyDir(t *testing.T) {
	s := quickSandbox(t)
	data := filepath.Join(s.Home, "ro")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	s.Env = setVar(s.Env, wire.EnvDataDir, data)
	root := os.Geteuid() == 0
	if root {
		mountTmpfs(t, data, 1<<20)
	}
	s.Store("keep.example", "u", "keep-secret")
	before := s.Snapshot()
	if root {
		remount(t, data, "remount,ro")
	} else {
		if err := os.Chmod(data, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(data, 0o700) })
	}
	b, _ := json.Marshal(dch.Credentials{ServerURL: "new.example", Username: "v", Secret: "w"})
	out, errs, code := s.timed(string(b), "store")
	oneLineError(t, "store in a read-only directory", out, errs, code)
	out, errs, code = s.timed("keep.example", "erase")
	oneLineError(t, "erase in a read-only directory", out, errs, code)
	if got := s.Must("keep.example", "get"); !strings.Contains(got, `"Secret":"keep-secret"`) {
		t.Errorf("get from a read-only directory = %q", got)
	}
	if after := s.Snapshot(); after != before {
		t.Errorf("read-only directory: store changed:\nbefore %s\nafter  %s", before, after)
	}
	if root {
		remount(t, data, "remount,rw") // so that cleanup can remove the files
	}
}

// TestFault_stoppedKeyring stops gnome-keyring-daemon (and then the bus)
// with SIGSTOP: every verb fails within DOCKER_CREDENTIAL_MINT_TIMEOUT
// with one line instead of hanging the client.
func TestFault_stoppedKeyring(t *testing.T) {
	ss := sstest.Start(t, sstest.Options{})
	s := quickSandbox(t, "DBUS_SESSION_BUS_ADDRESS="+ss.Address)
	s.Env = setVar(s.Env, wire.EnvKeychain, "secretservice")
	s.Env = setVar(s.Env, wire.EnvTimeout, faultTimeout.String())
	s.Store("keep.example", "u", "keep-secret")
	for _, p := range []struct {
		name          string
		pause, resume func() error
	}{
		{"gnome-keyring-daemon", ss.PauseKeyring, ss.ResumeKeyring},
		{"dbus-daemon", ss.PauseBus, ss.ResumeBus},
	} {
		if err := p.pause(); err != nil {
			t.Fatal(err)
		}
		// The four verbs at once: each must give up within the deadline.
		b, _ := json.Marshal(dch.Credentials{ServerURL: "new.example", Username: "v", Secret: "w"})
		verbs := []struct{ verb, in string }{{"get", "keep.example"}, {"store", string(b)}, {"list", "unused"}, {"erase", "keep.example"}}
		type result struct {
			out, errs string
			code      int
			took      time.Duration
		}
		results := make([]result, len(verbs))
		var wg sync.WaitGroup
		for i, v := range verbs {
			wg.Go(func() {
				start := time.Now()
				cmd := exec.Command(os.Args[0], v.verb)
				cmd.Env = s.Env
				cmd.Stdin = strings.NewReader(v.in)
				var out, errs bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errs
				err := cmd.Run()
				code := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				} else if err != nil {
					code = -1
				}
				results[i] = result{out.String(), errs.String(), code, time.Since(start)}
			})
		}
		wg.Wait()
		for i, v := range verbs {
			r := results[i]
			if r.took > faultTimeout+faultSlack {
				t.Errorf("%s with a stopped %s took %v with a %v deadline", v.verb, p.name, r.took.Round(time.Millisecond), faultTimeout)
			}
			oneLineError(t, v.verb+" with a stopped "+p.name, r.out, r.errs, r.code)
		}
		if err := p.resume(); err != nil {
			t.Fatal(err)
		}
	}
	// Whatever the stopped daemon received late, keep.example is still
	// there or erased by the erase above; the keyring answers again.
	if out, _, code := s.Exec("keep.example", "get"); code != 0 && !strings.Contains(out, "not found") {
		t.Errorf("get after the daemons resumed = %q (exit %d)", out, code)
	}
}

// oauth2Config writes a config file making host an oauth2
// client_credentials registry served by tokenURL, and points the sandbox at it.
func (s *sandbox) oauth2Config(host, tokenURL, extra string) {
	s.T.Helper()
	cfg := fmt.Sprintf("registries:\n  - match: %s\n    provider: oauth2\n    token_url: %s\n    grant: client_credentials\n    username: oauth2accesstoken\n%s", host, tokenURL, extra)
	path := filepath.Join(s.Home, "mint.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		s.T.Fatal(err)
	}
	s.Env = setVar(s.Env, "DOCKER_CREDENTIAL_MINT_CONFIG", path)
}

// TestFault_stoppedTokenEndpoint points an oauth2 registry at a listener
// that accepts connections and never answers: get fails within the
// deadline, with one line.
func TestFault_stoppedTokenEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never read or answered
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	s := quickSandbox(t)
	s.Env = setVar(s.Env, wire.EnvTimeout, faultTimeout.String())
	s.oauth2Config("stuck.example", "http://"+ln.Addr().String()+"/token", "")
	s.Store("stuck.example", "client", "client-secret")
	out, errs, code := s.timed("stuck.example", "get")
	oneLineError(t, "get with a stopped token endpoint", out, errs, code)
	if strings.Contains(out, "client-secret") {
		t.Errorf("the error quotes the client secret: %q", out)
	}
	// A host that is not the provider's answers at once.
	s.Store("other.example", "u", "p")
	if got := s.Must("other.example", "get"); !strings.Contains(got, `"Secret":"p"`) {
		t.Errorf("get other.example = %q", got)
	}
}

// slowTokens is an OAuth2 client_credentials endpoint that answers after a
// random delay of up to maxDelay, counting requests.
type slowTokens struct {
	maxDelay time.Duration
	lifetime atomic.Int64
	requests atomic.Int64
	rng      atomic.Uint64
}

func (st *slowTokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := st.requests.Add(1)
	_ = r.ParseForm()
	if d := st.maxDelay; d > 0 {
		time.Sleep(time.Duration(st.rng.Add(7919)%uint64(d/time.Millisecond)) * time.Millisecond)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("access-%d", n), "token_type": "Bearer", "expires_in": st.lifetime.Load()})
}

// longestRun is the longest of n runs of a verb started at once (the
// load the kill loop puts on the machine).
func longestRun(s *sandbox, n int, stdin string, args ...string) time.Duration {
	s.T.Helper()
	var mu sync.Mutex
	var longest time.Duration
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			start := time.Now()
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = s.Env
			cmd.Stdin = strings.NewReader(stdin)
			_ = cmd.Run()
			mu.Lock()
			longest = max(longest, time.Since(start))
			mu.Unlock()
		})
	}
	wg.Wait()
	return longest
}

// TestFault_killDuringRefresh kills the helper with SIGKILL at random
// moments of store, erase and token refreshes (a slow endpoint; every get
// refreshes and rewrites the token cache) hundreds of times. Every root
// credential stored before is intact, and the token cache still works.
func TestFault_killDuringRefresh(t *testing.T) {
	st := &slowTokens{maxDelay: 30 * time.Millisecond}
	st.lifetime.Store(3600)
	srv := httptest.NewServer(st)
	defer srv.Close()
	s := quickSandbox(t)
	// refresh_before longer than the token's life: every get refreshes.
	s.oauth2Config("tokens.example", srv.URL+"/token", "    refresh_before: 2h\n")
	s.Store("tokens.example", "client", "client-secret")
	for i := range 10 {
		s.Store(fmt.Sprintf("keep%d.example", i), "u", fmt.Sprintf("keep-%d", i))
	}
	if got := s.Must("tokens.example", "get"); !strings.Contains(got, `"Username":"oauth2accesstoken","Secret":"access-`) {
		t.Fatalf("get tokens.example = %q, want a minted token", got)
	}
	// Workers run at once (refreshes of one registry then also wait on
	// each other's lock when their holder is killed), which also keeps
	// the test short where each process is slow (-race, a loaded machine).
	// Kill moments spread over a whole run of each verb, as long as it
	// takes here with that many at once.
	const workers = 6
	storeIn, _ := json.Marshal(dch.Credentials{ServerURL: "churn0.example", Username: "c", Secret: "z"})
	lifetime := map[string]time.Duration{
		"store": longestRun(s, workers, string(storeIn), "store"),
		"erase": longestRun(s, workers, "churn0.example", "erase"),
		"get":   longestRun(s, workers, "tokens.example", "get"),
	}
	iterations := 240
	if testing.Short() {
		iterations = 60
	}
	var kills atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(6, uint64(w)))
			for i := w; i < iterations; i += workers {
				var cmd *exec.Cmd
				switch i % 3 {
				case 0:
					cmd = exec.Command(os.Args[0], "store")
					b, _ := json.Marshal(dch.Credentials{ServerURL: fmt.Sprintf("churn%d.example", i%5), Username: "c", Secret: strings.Repeat("z", 500+i)})
					cmd.Stdin = bytes.NewReader(b)
				case 1:
					cmd = exec.Command(os.Args[0], "erase")
					cmd.Stdin = strings.NewReader(fmt.Sprintf("churn%d.example", (i+2)%5))
				default:
					cmd = exec.Command(os.Args[0], "get")
					cmd.Stdin = strings.NewReader("tokens.example")
				}
				cmd.Env = s.Env
				if err := cmd.Start(); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Duration(rng.Int64N(int64(lifetime[cmd.Args[1]]) + 1)))
				_ = cmd.Process.Signal(syscall.SIGKILL)
				_ = cmd.Wait()
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					kills.Add(1)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d of %d processes killed while running; %d token requests", kills.Load(), iterations, st.requests.Load())
	// About half are killed on a steady machine; under a load that
	// changes during the run (CI's other packages), a quarter was seen.
	if kills.Load() < int64(iterations/8) {
		t.Errorf("only %d of %d processes were killed before they ended: the kill moments miss the work", kills.Load(), iterations)
	}
	for i := range 10 {
		url := fmt.Sprintf("keep%d.example", i)
		if out := s.Must(url, "get"); !strings.Contains(out, fmt.Sprintf(`"Secret":"keep-%d"`, i)) {
			t.Errorf("after the kills, get %s = %q", url, out)
		}
	}
	var list map[string]string
	if err := json.Unmarshal([]byte(s.Must("unused", "list")), &list); err != nil {
		t.Fatal(err)
	}
	if _, ok := list["tokens.example"]; !ok {
		t.Errorf("after the kills, list lost the oauth2 root credential: %v", list)
	}
	// The token cache works: with the default margin, one get mints a
	// token (the config changed, so the cached one is not reused) and the
	// next ones are answered from the cache.
	s.oauth2Config("tokens.example", srv.URL+"/token", "")
	first := s.Must("tokens.example", "get")
	n := st.requests.Load()
	for range 3 {
		if again := s.Must("tokens.example", "get"); again != first {
			t.Errorf("cached get = %q, want %q", again, first)
		}
	}
	if got := st.requests.Load(); got != n {
		t.Errorf("gets after the first made %d token requests, want 0 (the cache does not work)", got-n)
	}
}
