// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

// The tests below re-run the test binary as child processes; the child's
// role, store directory and number come in these variables.
const (
	envRole = "MINT_FILE_TEST_ROLE"
	envDir  = "MINT_FILE_TEST_DIR"
	envID   = "MINT_FILE_TEST_ID"
)

var (
	childOnce sync.Once
	childPath string
)

// childBinary returns the test binary the children run. Under the race
// detector a child takes ~10 times longer to start, too slow to kill a
// hundred of them in seconds (and a child has one goroutine: the detector
// finds nothing there), so a binary without it is built once when the go
// command is at hand.
func childBinary(t *testing.T) string {
	childOnce.Do(func() {
		childPath = os.Args[0]
		if !raceEnabled {
			return
		}
		gocmd, err := exec.LookPath("go")
		if err != nil {
			return
		}
		dir, err := os.MkdirTemp("", "mint-file-child-")
		if err != nil {
			return
		}
		out := filepath.Join(dir, "child.test")
		if b, err := exec.Command(gocmd, "test", "-c", "-race=false", "-o", out, ".").CombinedOutput(); err != nil {
			t.Logf("building a child without -race: %v\n%s", err, b)
			return
		}
		childPath = out
	})
	return childPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if childPath != "" && childPath != os.Args[0] {
		os.RemoveAll(filepath.Dir(childPath))
	}
	os.Exit(code)
}

// child starts the test binary as a child process in role.
func child(t *testing.T, role, dir string, id int) *exec.Cmd {
	cmd := exec.Command(childBinary(t), "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envRole+"="+role, envDir+"="+dir, envID+"="+strconv.Itoa(id))
	return cmd
}

// TestChildProcess is the body of the child processes; it does nothing in
// an ordinary run.
func TestChildProcess(t *testing.T) {
	role := os.Getenv(envRole)
	if role == "" {
		t.Skip("child process of TestStore_processes and TestStore_kill9")
	}
	id, _ := strconv.Atoi(os.Getenv(envID))
	s := newStore(t, os.Getenv(envDir), "ns")
	var err error
	switch role {
	case "worker":
		err = worker(s, id)
	case "churn":
		err = churn(s, id)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "child %d: %v\n", id, err)
		os.Exit(3)
	}
}

const (
	workers    = 20
	iterations = 6
)

func ownKey(i int) string { return fmt.Sprintf("own-%d.example", i) }

// consistent checks that an entry read under key was written for it, by
// one writer: ServerURL names the key, and the secret names the user.
func consistent(key string, e store.Entry, withSecret bool) error {
	if e.ServerURL != "https://"+key {
		return fmt.Errorf("Get(%q) returned the entry of %q", key, e.ServerURL)
	}
	if withSecret && !strings.HasPrefix(e.Secret, key+"|"+e.Username+"|") {
		return fmt.Errorf("Get(%q): user %q has a secret that is not theirs", key, e.Username)
	}
	return nil
}

func entry(key string, writer, n int) store.Entry {
	user := fmt.Sprintf("user-%d", writer)
	return store.Entry{ServerURL: "https://" + key, Username: user, Secret: fmt.Sprintf("%s|%s|%d", key, user, n)}
}

// worker stores, reads and erases its own keys and a shared one, checking
// every answer, and ends with its own key holding its final entry.
func worker(s *Store, id int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	own, tmp := ownKey(id), fmt.Sprintf("tmp-%d.example", id)
	for n := range iterations {
		want := entry(own, id, n)
		if err := s.Put(ctx, own, want); err != nil {
			return err
		}
		if got, err := s.Get(ctx, own); err != nil || got != want {
			return fmt.Errorf("Get(%q) after Put = %v, %v (secret match %v)", own, got.Username, err, got.Secret == want.Secret)
		}
		if err := s.Put(ctx, "shared.example", entry("shared.example", id, n)); err != nil {
			return err
		}
		if got, err := s.Get(ctx, "shared.example"); err != nil {
			return err
		} else if err := consistent("shared.example", got, true); err != nil {
			return err
		}
		if n%2 == 0 {
			if err := s.Put(ctx, tmp, entry(tmp, id, n)); err != nil {
				return err
			}
		} else if err := s.Delete(ctx, tmp); err != nil {
			return fmt.Errorf("Delete(%q) = %w", tmp, err)
		}
		next := ownKey((id + 1) % workers)
		if got, err := s.Get(ctx, next); err == nil {
			if err := consistent(next, got, true); err != nil {
				return err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		list, err := s.List(ctx)
		if err != nil {
			return err
		}
		for k, e := range list {
			if e.Secret != "" {
				return fmt.Errorf("List carries a secret for %q", k)
			}
			if err := consistent(k, e, false); err != nil {
				return err
			}
		}
	}
	// iterations is even: the last round deleted tmp.
	return s.Put(ctx, own, entry(own, id, -1))
}

func TestStore_processes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 20 processes")
	}
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, workers)
	outs := make([][]byte, workers)
	for i := range workers {
		wg.Go(func() {
			outs[i], errs[i] = child(t, "worker", dir, i).CombinedOutput()
		})
	}
	wg.Wait()
	for i := range workers {
		if errs[i] != nil {
			t.Errorf("worker %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	s := newStore(t, dir, "ns")
	ctx := context.Background()
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != workers+1 {
		t.Errorf("List has %d entries, want %d", len(list), workers+1)
	}
	for i := range workers {
		k := ownKey(i)
		if got, err := s.Get(ctx, k); err != nil || got != entry(k, i, -1) {
			t.Errorf("Get(%q) = %v, %v; want worker %d's last entry", k, got.Username, err, i)
		}
	}
	if got, err := s.Get(ctx, "shared.example"); err != nil || consistent("shared.example", got, true) != nil {
		t.Errorf("Get(shared) = %v, %v", got.Username, err)
	}
}

// churn loops Put and Delete until killed. It rewrites the stable entries
// with what they already hold, so kills land in writes that touch them.
func churn(s *Store, id int) error {
	ctx := context.Background()
	fmt.Println("ready")
	for n := 0; ; n++ {
		k := fmt.Sprintf("churn-%d-%d.example", id, n)
		if err := s.Put(ctx, k, entry(k, id, n)); err != nil {
			return err
		}
		if n > 0 {
			prev := fmt.Sprintf("churn-%d-%d.example", id, n-1)
			if err := s.Delete(ctx, prev); err != nil {
				return err
			}
		}
		st := stableKey(n % stable)
		if err := s.Put(ctx, st, entry(st, 0, 0)); err != nil {
			return err
		}
	}
}

const stable = 30

func stableKey(i int) string { return fmt.Sprintf("stable-%d.example", i) }

func TestStore_kill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 100 processes")
	}
	dir := t.TempDir()
	ctx := context.Background()
	s := newStore(t, dir, "ns")
	for i := range stable {
		if err := s.Put(ctx, stableKey(i), entry(stableKey(i), 0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	const (
		kills    = 120
		parallel = 6
	)
	// 120 kills take 2–4 s; the deadline only matters on a badly overloaded machine.
	deadline := time.Now().Add(20 * time.Second)
	var (
		mu     sync.Mutex
		killed int
		wg     sync.WaitGroup
	)
	for p := range parallel {
		wg.Go(func() {
			for n := 0; ; n++ {
				mu.Lock()
				if killed >= kills || time.Now().After(deadline) {
					mu.Unlock()
					return
				}
				mu.Unlock()
				cmd := child(t, "churn", dir, p*10000+n)
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Error(err)
					return
				}
				var stderr strings.Builder
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Error(err)
					return
				}
				line, _ := bufio.NewReader(out).ReadString('\n')
				if line == "ready\n" {
					time.Sleep(time.Duration(rand.N(20000)) * time.Microsecond)
				}
				cmd.Process.Kill() // SIGKILL
				err = cmd.Wait()
				// On Unix a SIGKILLed child reports "signal: killed";
				// TerminateProcess on Windows leaves exit status 1.
				if line != "ready\n" || err == nil || runtime.GOOS != "windows" && !strings.Contains(err.Error(), "killed") {
					t.Errorf("churn child: %q, %v\n%s", line, err, stderr.String())
					return
				}
				mu.Lock()
				killed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if killed < 100 {
		t.Errorf("only %d kills in the time allowed", killed)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatalf("List after the kills: %v", err)
	}
	t.Logf("%d processes killed; %d entries of dead writers left", killed, len(list)-stable)
	for i := range stable {
		k := stableKey(i)
		if got, err := s.Get(ctx, k); err != nil || got != entry(k, 0, 0) {
			t.Errorf("Get(%q) after the kills = %v, %v", k, got.Username, err)
		}
	}
	for k := range list {
		got, err := s.Get(ctx, k)
		if err != nil {
			t.Errorf("Get(%q) of a listed key after the kills: %v", k, err)
		} else if err := consistent(k, got, true); err != nil {
			t.Error(err)
		}
	}
	// The lock is free and the next write cleans up after the dead.
	if err := s.Put(ctx, "after.example", entry("after.example", 0, 0)); err != nil {
		t.Fatalf("Put after the kills: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left after a write", e.Name())
		}
	}
}
