// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ctrd is the package's own containerd (for nerdctl): started on first use,
// stopped by TestMain.
var ctrd struct {
	once sync.Once
	dir  string
	sock string
	proc *proc
	err  error
}

// needNerdctl requires nerdctl (built by .ci/install.sh, 5-7 minutes on 2
// cores on a fresh machine) and starts the package's containerd. Like every
// other tool, a missing nerdctl fails the test in CI; only an install
// explicitly told to leave it out (MINT_INSTALL_NERDCTL=0) skips it.
func needNerdctl(t *testing.T) {
	t.Helper()
	if _, err := lookPath("nerdctl"); err != nil && os.Getenv("MINT_INSTALL_NERDCTL") == "0" {
		t.Skip("nerdctl left out: MINT_INSTALL_NERDCTL=0")
	}
	needTools(t, "nerdctl", "containerd", "ctr")
	ctrd.once.Do(func() { ctrd.err = startContainerd() })
	require(t, "containerd", ctrd.err)
}

// startContainerd runs containerd with its root, state and sockets in a temp
// directory and the CRI plugin disabled (no CNI, no streaming server).
func startContainerd() error {
	d := filepath.Join(pkgState.root, "c")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	ctrd.dir = d
	ctrd.sock = filepath.Join(d, "containerd.sock")
	cfg := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[ttrpc]
  address = ""
[debug]
  address = ""
[metrics]
  address = ""
`, filepath.Join(d, "root"), filepath.Join(d, "state"), ctrd.sock)
	cfgFile := filepath.Join(d, "config.toml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return err
	}
	env := []string{"PATH=" + pkgState.path, "HOME=" + d, "LANG=C.UTF-8"}
	p, err := startProc(env, d, filepath.Join(d, "containerd.log"), "containerd", "--config", cfgFile)
	if err != nil {
		return err
	}
	ctrd.proc = p
	ctr, err := lookPath("ctr")
	if err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if p.exited() {
			return fmt.Errorf("containerd exited: %v\n%s", p.err, p.logTail(30))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := exec.CommandContext(ctx, ctr, "--address", ctrd.sock, "version").Run()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			stopContainerd()
			return fmt.Errorf("containerd did not answer in 60s: %v\n%s", err, p.logTail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopContainerd stops containerd by PID, then whatever still runs from its
// directory (shims), and unmounts what it left there.
func stopContainerd() {
	if ctrd.proc == nil {
		return
	}
	ctrd.proc.stop(20 * time.Second)
	for _, pid := range pidsUsing(ctrd.dir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, m := range mountsUnder(ctrd.dir) {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	ctrd.proc = nil
}

// TestNerdctl_LoginPullPushLogout: nerdctl (containerd) logs in through
// credsStore, pulls, pushes and logs out.
func TestNerdctl_LoginPullPushLogout(t *testing.T) {
	t.Parallel()
	needHelper(t)
	needNerdctl(t)
	needTools(t, "crane")
	e := newEnv(t)
	r := startRegistry(t, map[string]string{"alice": alicePW})
	e.writeDockerConfig(configName+"log", nil)
	data := filepath.Join(e.root, "nerdctl")
	nerdctl := func(args ...string) []string {
		return append([]string{
			"--address", ctrd.sock, "--namespace", "mint-e2e",
			"--snapshotter", "native", "--data-root", data,
		}, args...)
	}

	e.run(alicePW+"\n", "nerdctl", nerdctl("login", "--insecure-registry", "-u", "alice", "--password-stdin", r.host)...)
	e.wantCred(r.host, "alice", alicePW)
	e.wantNoAuthInDockerConfig()

	ref := r.host + "/alice/n:1"
	cranePush(t, e, ref)
	e.run("", "nerdctl", nerdctl("pull", "--insecure-registry", ref)...)
	e.run("", "nerdctl", nerdctl("tag", ref, r.host+"/alice/n:2")...)
	e.run("", "nerdctl", nerdctl("push", "--insecure-registry", r.host+"/alice/n:2")...)
	t.Cleanup(func() { e.exec("", "", "nerdctl", nerdctl("rmi", "-f", ref, r.host+"/alice/n:2")...) })

	e.run("", "nerdctl", nerdctl("logout", r.host)...)
	e.wantNoCred(r.host)
	t.Logf("helper calls: %q", e.calls())
}
