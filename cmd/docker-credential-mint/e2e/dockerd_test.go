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
	"strings"
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

// dockerd is the one dockerd of the package: started on first use, stopped
// by TestMain. It stops its containerd child itself.
var dockerd = &sharedDaemon{name: "dockerd", sub: "d", wait: 90 * time.Second, grace: 30 * time.Second}

// needDockerd starts dockerd on first use and sets DOCKER_HOST in e.
func needDockerd(t *testing.T, e *env) {
	t.Helper()
	needTools(t, "docker", "dockerd", "containerd", "runc")
	require(t, "dockerd", dockerd.need(startDockerd))
	e.setenv("DOCKER_HOST", "unix://"+dockerSock())
}

// dockerSock is dockerd's API socket.
func dockerSock() string { return filepath.Join(dockerd.dir, "docker.sock") }

// startDockerd runs dockerd (docker.io) with everything under one temp
// directory, vfs storage and no networking of its own: no iptables, no bridge,
// no TCP listener. 127.0.0.0/8 is an insecure registry by default, so
// 127.0.0.1:PORT works over plain HTTP.
func startDockerd() error {
	d, err := dockerd.makeDir()
	if err != nil {
		return err
	}
	sock := dockerSock()
	return dockerd.start(dockerd.env("XDG_RUNTIME_DIR="+d), []string{
		"--data-root", filepath.Join(d, "root"),
		"--exec-root", filepath.Join(d, "exec"),
		"-H", "unix://" + sock,
		"--pidfile", filepath.Join(d, "docker.pid"),
		"--config-file", writeDaemonJSON(d),
		"--storage-driver", "vfs",
		"--iptables=false", "--ip6tables=false", "--bridge=none", "--ip-masq=false",
		"--userland-proxy=false",
	}, func() error { return pingUnix(sock) })
}

// writeDaemonJSON writes an empty daemon.json, so that dockerd never reads
// /etc/docker/daemon.json.
func writeDaemonJSON(dir string) string {
	f := filepath.Join(dir, "daemon.json")
	_ = os.WriteFile(f, []byte("{}\n"), 0o600)
	return f
}

// pingUnix asks the Docker API on sock for /_ping.
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
