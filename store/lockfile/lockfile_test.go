// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package lockfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The cross-process children: when MINT_LOCKFILE_CHILD is set, TestMain runs
// childMain instead of the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("MINT_LOCKFILE_CHILD"); mode != "" {
		os.Exit(childMain(mode))
	}
	os.Exit(m.Run())
}

// childMain is one process using the lock in MINT_LOCKFILE_DIR:
//
//   - "hold": lock "k", print "locked", hold until stdin closes, unlock.
//   - "plant": lock "k", expecting a refusal: print it, exit 0 (3 when the
//     lock was granted).
//   - "defaultdir": print DefaultDir().
//   - "log": 50 times, lock "k", append "<pid> in" and "<pid> out" to
//     MINT_LOCKFILE_LOG in two separate writes, unlock.
func childMain(mode string) int {
	dir := os.Getenv("MINT_LOCKFILE_DIR")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	switch mode {
	case "hold":
		unlock, err := Lock(ctx, dir, "k")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("locked")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		unlock()
		return 0
	case "plant":
		// Lock must refuse the planted directory: exit 0 with the error
		// on stdout, 3 if it granted the lock.
		unlock, err := Lock(ctx, dir, "k")
		if err == nil {
			unlock()
			return 3
		}
		fmt.Println(err)
		return 0
	case "defaultdir":
		fmt.Println(DefaultDir())
		return 0
	case "log":
		for range 50 {
			unlock, err := Lock(ctx, dir, "k")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			for _, what := range []string{"in", "out"} {
				f, err := os.OpenFile(os.Getenv("MINT_LOCKFILE_LOG"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
				if err == nil {
					_, err = fmt.Fprintf(f, "%d %s\n", os.Getpid(), what)
					err = errors.Join(err, f.Close())
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					return 1
				}
			}
			unlock()
		}
		return 0
	}
	return 2
}

// child starts the test binary as a child in mode over dir.
func child(t *testing.T, mode, dir string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"MINT_LOCKFILE_CHILD=" + mode, "MINT_LOCKFILE_DIR=" + dir}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

// holder starts a "hold" child and returns once it holds the lock; closing
// the returned writer makes it unlock and exit.
func holder(t *testing.T, dir string) (*exec.Cmd, func()) {
	t.Helper()
	cmd := child(t, "hold", dir)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); _ = cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("child said %q, %v; want locked", line, err)
	}
	return cmd, func() { in.Close() }
}

// TestLock_excludes: many goroutines on one key never hold it together, and
// every one of them gets it.
func TestLock_excludes(t *testing.T) {
	for name, dir := range map[string]string{"inProcess": "", "file": t.TempDir()} {
		t.Run(name, func(t *testing.T) {
			var holders, total atomic.Int32
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					for range 20 {
						ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
						unlock, err := Lock(ctx, dir, t.Name())
						cancel()
						if err != nil {
							t.Error(err)
							return
						}
						if n := holders.Add(1); n != 1 {
							t.Errorf("%d holders at once", n)
						}
						runtime.Gosched()
						holders.Add(-1)
						total.Add(1)
						unlock()
					}
				})
			}
			wg.Wait()
			if total.Load() != 400 {
				t.Errorf("%d locks taken, want 400", total.Load())
			}
		})
	}
}

// TestLock_keys: distinct keys do not wait for each other.
func TestLock_keys(t *testing.T) {
	dir := t.TempDir()
	defer mustLock(t, dir, t.Name()+"a")()
	// b must not wait for a at all: any deadline passes.
	mustLock(t, dir, t.Name()+"b")()
}

// TestLock_contextDone: a waiter returns its context's error while another
// holder keeps the lock, in this process or (the file lock) another one,
// and gets the lock once it is free.
func TestLock_contextDone(t *testing.T) {
	dir := t.TempDir()
	unlock := mustLock(t, dir, "k")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	mustWait(t, ctx, dir, "k", context.DeadlineExceeded)
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	mustWait(t, canceled, dir, "k", context.Canceled)
	unlock()

	_, release := holder(t, dir)
	ctx3, cancel3 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel3()
	mustWait(t, ctx3, dir, "k", context.DeadlineExceeded)
	release()
	mustLock(t, dir, "k")()
}

// mustLock takes key in dir within a generous deadline.
func mustLock(t *testing.T, dir, key string) (unlock func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	unlock, err := Lock(ctx, dir, key)
	if err != nil {
		t.Fatalf("Lock(%q) = %v", key, err)
	}
	return unlock
}

// mustWait checks that Lock(ctx, dir, key) fails with want (the lock is
// held elsewhere), releasing the lock if it was wrongly granted.
func mustWait(t *testing.T, ctx context.Context, dir, key string, want error) {
	t.Helper()
	unlock, err := Lock(ctx, dir, key)
	if err == nil {
		unlock()
		t.Errorf("Lock(%q) while held elsewhere succeeded", key)
	} else if !errors.Is(err, want) {
		t.Errorf("Lock(%q) while held elsewhere = %v, want %v", key, err, want)
	}
}

// TestLock_holderKilled: the lock of a killed process is free at once.
func TestLock_holderKilled(t *testing.T) {
	dir := t.TempDir()
	cmd, _ := holder(t, dir)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	mustLock(t, dir, "k")()
}

// TestLock_crossProcess: eight processes take turns 50 times each, logging
// entry and exit in separate writes; the log must never show two inside.
func TestLock_crossProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 8 processes")
	}
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "log")
	cmds := make([]*exec.Cmd, 8)
	for i := range cmds {
		cmds[i] = child(t, "log", dir, "MINT_LOCKFILE_LOG="+log)
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v", i, err)
		}
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2*50*len(cmds) {
		t.Fatalf("%d log lines, want %d", len(lines), 2*50*len(cmds))
	}
	for i := 0; i < len(lines); i += 2 {
		pid, _, _ := strings.Cut(lines[i], " ")
		if lines[i] != pid+" in" || lines[i+1] != pid+" out" {
			t.Fatalf("lines %d-%d: %q, %q: two processes held the lock at once", i+1, i+2, lines[i], lines[i+1])
		}
	}
}

// TestLock_files: the directory is created 0700, the lock file 0600, and it
// stays after unlock (removing it would race with the next locker); an
// empty dir means no file at all.
func TestLock_files(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	mustLock(t, dir, "registry.example")()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != lockName("registry.example") {
		t.Fatalf("lock dir holds %v, want one lock file", entries)
	}
	if strings.Contains(entries[0].Name(), "registry") {
		t.Errorf("lock file name %q shows the key", entries[0].Name())
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, lockName("registry.example")): 0o600} {
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: %v, %v; want mode %v", path, fi.Mode(), err, want)
			}
		}
	}

	cwd := t.TempDir()
	t.Chdir(cwd)
	mustLock(t, "", "registry.example")()
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Errorf("Lock with no dir created %v", entries)
	}
}

// TestLock_dirError: a lock directory that cannot be created is an error,
// and the key is not left locked in this process.
func TestLock_dirError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if unlock, err := Lock(ctx, filepath.Join(file, "locks"), t.Name()); err == nil {
		unlock()
		t.Fatal("Lock under a regular file succeeded")
	}
	mustLock(t, "", t.Name())()
}

func TestDefaultDir(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	t.Setenv("XDG_RUNTIME_DIR", run)
	if got, want := DefaultDir(), filepath.Join(run, "docker-credential-mint"); got != want {
		t.Errorf("DefaultDir() = %q, want %q", got, want)
	}
	// A relative XDG_RUNTIME_DIR is invalid (XDG Base Directory spec).
	t.Setenv("XDG_RUNTIME_DIR", "run")
	if got := DefaultDir(); !filepath.IsAbs(got) {
		t.Errorf("DefaultDir() with a relative XDG_RUNTIME_DIR = %q", got)
	}
}
