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
	"testing"
	"time"
)

// containerd is the package's own containerd (for nerdctl): started on
// first use, stopped by TestMain.
var containerd = &sharedDaemon{name: "containerd", sub: "c", wait: 60 * time.Second, grace: 20 * time.Second}

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
	require(t, "containerd", containerd.need(startContainerd))
}

// containerdSock is containerd's gRPC socket.
func containerdSock() string { return filepath.Join(containerd.dir, "containerd.sock") }

// startContainerd runs containerd with its root, state and sockets in a temp
// directory and the CRI plugin disabled (no CNI, no streaming server); it is
// ready when ctr version answers.
func startContainerd() error {
	d, err := containerd.makeDir()
	if err != nil {
		return err
	}
	sock := containerdSock()
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
`, filepath.Join(d, "root"), filepath.Join(d, "state"), sock)
	cfgFile := filepath.Join(d, "config.toml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return err
	}
	ctr, err := lookPath("ctr")
	if err != nil {
		return err
	}
	return containerd.start(containerd.env(), []string{"--config", cfgFile}, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return exec.CommandContext(ctx, ctr, "--address", sock, "version").Run()
	})
}

// TestNerdctl_LoginPullPushLogout: nerdctl (containerd) logs in through
// credsStore, pulls, pushes and logs out.
func TestNerdctl_LoginPullPushLogout(t *testing.T) {
	t.Parallel()
	needNerdctl(t)
	e, r := registrySetup(t, map[string]string{"alice": alicePW}, "crane")
	e.writeDockerConfig(configName+"log", nil)
	data := filepath.Join(e.root, "nerdctl")
	nerdctl := func(args ...string) []string {
		return append([]string{
			"--address", containerdSock(), "--namespace", "mint-e2e",
			"--snapshotter", "native", "--data-root", data,
		}, args...)
	}

	e.run(alicePW+"\n", "nerdctl", nerdctl("login", "--insecure-registry", "-u", "alice", "--password-stdin", r.host)...)
	e.wantLoggedIn(r.host, "alice", alicePW)

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
