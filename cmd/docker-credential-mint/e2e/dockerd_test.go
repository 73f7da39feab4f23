// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// httpStatus GETs url (no proxy, short timeout) and returns the status code.
func httpStatus(url string) (int, error) {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// daemon is the one dockerd of the package: started on first use, stopped by
// TestMain.
var daemon struct {
	once sync.Once
	dir  string
	host string // unix://…/docker.sock
	proc *proc
	err  error
}

// needDockerd starts dockerd on first use and sets DOCKER_HOST in e.
func needDockerd(t *testing.T, e *env) {
	t.Helper()
	needTools(t, "docker", "dockerd", "containerd", "runc")
	daemon.once.Do(func() { daemon.err = startDockerd() })
	require(t, "dockerd", daemon.err)
	e.setenv("DOCKER_HOST", daemon.host)
}

// startDockerd runs dockerd (docker.io) with everything under one temp
// directory, vfs storage and no networking of its own: no iptables, no bridge,
// no TCP listener. 127.0.0.0/8 is an insecure registry by default, so
// 127.0.0.1:PORT works over plain HTTP.
func startDockerd() error {
	d := filepath.Join(pkgState.root, "d")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	daemon.dir = d
	sock := filepath.Join(d, "docker.sock")
	env := []string{"PATH=" + pkgState.path, "HOME=" + d, "XDG_RUNTIME_DIR=" + d, "LANG=C.UTF-8"}
	p, err := startProc(env, d, filepath.Join(d, "dockerd.log"), "dockerd",
		"--data-root", filepath.Join(d, "root"),
		"--exec-root", filepath.Join(d, "exec"),
		"-H", "unix://"+sock,
		"--pidfile", filepath.Join(d, "docker.pid"),
		"--config-file", writeDaemonJSON(d),
		"--storage-driver", "vfs",
		"--iptables=false", "--ip6tables=false", "--bridge=none", "--ip-masq=false",
		"--userland-proxy=false")
	if err != nil {
		return err
	}
	daemon.proc = p
	daemon.host = "unix://" + sock
	deadline := time.Now().Add(90 * time.Second)
	for {
		if p.exited() {
			return fmt.Errorf("dockerd exited: %v\n%s", p.err, p.logTail(30))
		}
		if pingUnix(sock) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			stopDockerd()
			return fmt.Errorf("dockerd did not answer /_ping in 90s\n%s", p.logTail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeDaemonJSON writes an empty daemon.json, so that dockerd never reads
// /etc/docker/daemon.json.
func writeDaemonJSON(dir string) string {
	f := filepath.Join(dir, "daemon.json")
	_ = os.WriteFile(f, []byte("{}\n"), 0o600)
	return f
}

func pingUnix(sock string) error {
	c := &http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}},
	}
	resp, err := c.Get("http://docker/_ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/_ping: %s", resp.Status)
	}
	return nil
}

// stopDockerd stops dockerd by PID (it stops its containerd child), then
// kills by PID whatever process is still running from its directory and
// unmounts what it left mounted there.
func stopDockerd() {
	if daemon.proc == nil {
		return
	}
	daemon.proc.stop(30 * time.Second)
	for _, pid := range pidsUsing(daemon.dir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, m := range mountsUnder(daemon.dir) {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	daemon.proc = nil
}

// pidsUsing returns the processes whose command line mentions dir.
func pidsUsing(dir string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mountsUnder returns the mount points below dir, deepest first.
func mountsUnder(dir string) []string {
	b, _ := os.ReadFile("/proc/self/mounts")
	var ms []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			ms = append([]string{f[1]}, ms...)
		}
	}
	return ms
}

// TestHarness_Dockerd checks the daemon the Docker tests use: up, reachable
// only through its socket, and answering the CLI.
func TestHarness_Dockerd(t *testing.T) {
	e := newEnv(t)
	needDockerd(t, e)
	out := e.run("", "docker", "version", "--format", "{{.Server.Version}}")
	if strings.TrimSpace(out) == "" {
		t.Errorf("docker version: empty server version")
	}
}
