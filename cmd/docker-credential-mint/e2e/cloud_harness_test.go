// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Cloud registries end to end. A cloud registry is reached by its real host
// name on the default port (zero-config detection goes by the host name,
// e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com), which a test cannot
// have on the machine's network. So such a test runs in a private network
// and mount namespace (inCloudNamespace): only a loopback interface, and an
// /etc/hosts of its own that names the cloud hosts 127.0.0.1. There
// cloudlab (package e2e/cloudlab) serves the cloud's token API, a registry
// token service that accepts exactly what that API minted, and Debian's
// docker-registry over TLS on port 443 with a throw-away CA. Clients and
// the helper are the real programs; nothing can leave the namespace.
//
// To add a cloud: a -cloud stand-in in cloudlab, then a test that calls
// inCloudNamespace(t, host), startCloudLab(t, cloud, env, host) and
// lab.useIn(e).

const (
	// envNetns marks a test binary re-run inside the namespace.
	envNetns       = "MINT_E2E_NETNS"
	envCloudlabBin = "MINT_E2E_CLOUDLAB"
	cloudlabPkg    = "github.com/docker-credential-mint/mint/cmd/docker-credential-mint/e2e/cloudlab"
)

// inCloudNamespace returns true when the test runs in a private network and
// mount namespace whose /etc/hosts names hosts 127.0.0.1: the test goes on.
// Otherwise it re-runs this test (its own binary, -test.run for its name
// alone) in such a namespace made with unshare, reports the outcome (the
// inner test's failures fail t, its skip skips t) and returns false: the
// caller returns at once. Without unshare or the right to use it, t skips
// with the reason, or fails when CI is set.
func inCloudNamespace(t *testing.T, hosts ...string) bool {
	t.Helper()
	if os.Getenv(envNetns) != "" {
		needHelper(t) // the outer build, linked
		return true
	}
	helper := needHelper(t)
	needCloudlab(t)
	unshare, err := lookPath("unshare")
	require(t, "unshare (util-linux)", err)
	ip, err := lookPath("ip")
	require(t, "ip (iproute2)", err)
	if out, err := exec.Command(unshare, "-n", "-m", "--propagation", "private", "true").CombinedOutput(); err != nil {
		require(t, "a private network namespace (unshare -n -m, as root)", fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out))))
	}

	dir := t.TempDir()
	hostsFile := filepath.Join(dir, "hosts")
	lines := "127.0.0.1 localhost " + strings.Join(hosts, " ") + "\n::1 localhost\n"
	if err := os.WriteFile(hostsFile, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// sh brings loopback up and mounts the hosts file (both only in the new
	// namespaces), then execs the test binary: one PID throughout.
	script := `"$1" link set lo up && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"`
	args := []string{"-n", "-m", "--propagation", "private", "sh", "-c", script, "sh", ip, hostsFile, self,
		"-test.run=^" + regexp.QuoteMeta(t.Name()) + "$", "-test.count=1", "-test.v=true", "-test.timeout=9m"}
	cmd := exec.CommandContext(ctx, unshare, args...)
	cmd.Env = append(os.Environ(), envNetns+"=1", "MINT_E2E_HELPER="+helper, envCloudlabBin+"="+cloudlabBin(), "GOCOVERDIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	text := redact(string(out))
	switch {
	case err != nil || strings.Contains(text, "--- FAIL"):
		t.Fatalf("in the namespace (unshare -n -m; /etc/hosts: %s): %v\n%s", strings.TrimSpace(lines), err, text)
	case strings.Contains(text, "--- SKIP") && inCI():
		t.Fatalf("in the namespace the test skipped, which CI does not allow:\n%s", text)
	case strings.Contains(text, "--- SKIP"):
		t.Skipf("in the namespace:\n%s", text)
	case !strings.Contains(text, "--- PASS: "+t.Name()):
		t.Fatalf("in the namespace: the test did not run:\n%s", text)
	}
	if testing.Verbose() {
		t.Logf("in the namespace (unshare -n -m; /etc/hosts: %s):\n%s", strings.TrimSpace(lines), text)
	}
	return false
}

var cloudlabOnce struct {
	sync.Once
	err error
}

// cloudlabBin is where needCloudlab puts the cloud side's program (on the
// children's PATH as mint-cloudlab).
func cloudlabBin() string { return filepath.Join(pkgState.binDir, "mint-cloudlab") }

// needCloudlab builds cloudlab once per run; the namespace's run links the
// outer build ($MINT_E2E_CLOUDLAB) instead.
func needCloudlab(t testing.TB) {
	t.Helper()
	cloudlabOnce.Do(func() {
		if outer := os.Getenv(envCloudlabBin); outer != "" {
			cloudlabOnce.err = os.Symlink(outer, cloudlabBin())
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, pkgState.goBin, "build", "-o", cloudlabBin(), cloudlabPkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			cloudlabOnce.err = fmt.Errorf("go build %s: %v\n%s", cloudlabPkg, err, out)
		}
	})
	require(t, "cloudlab", cloudlabOnce.err)
}

// cloudLab is one test's cloud side (see cloudlab's doc): its endpoints as
// cloudlab printed them.
type cloudLab struct {
	dir      string
	cloudURL string // the cloud API stand-in (http://127.0.0.1:PORT)
	tokenURL string // the registry's realm
	host     string // the registry's host (default port 443)
	statsURL string
	caFile   string // the throw-away CA
	certsDir string // certs.d/HOST/ca.crt, for containers/image and dockerd
	credFile string // gcr: the service account key file it wrote
}

// cloudStats is cloudlab's GET /stats.
type cloudStats struct {
	CloudCalls    int `json:"cloud_calls"`
	Exchanges     int `json:"exchanges"`
	TokenRequests int `json:"token_requests"`
	Issued        int `json:"issued"`
	Denied        int `json:"denied"`
	Passwords     int `json:"passwords"`
	Unminted      int `json:"unminted"`
	SecretKeySeen int `json:"secret_key_seen"`
}

// startCloudLab starts cloudlab for cloud with env (its credentials: never
// argv) serving hosts (the first is the registry's), waits for "ready" and
// stops it by its PID when t ends. It must run in the namespace.
func startCloudLab(t *testing.T, cloud string, env []string, hosts ...string) *cloudLab {
	t.Helper()
	if os.Getenv(envNetns) == "" {
		t.Fatal("startCloudLab outside the namespace: call inCloudNamespace first")
	}
	needTools(t, "docker-registry")
	needCloudlab(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "cloudlab.log")
	p, err := startProc(append([]string{"PATH=" + pkgState.path, "HOME=" + dir}, env...), dir, logFile,
		"mint-cloudlab", "-cloud", cloud, "-dir", filepath.Join(dir, "lab"), "-host", strings.Join(hosts, ","))
	if err != nil {
		t.Fatalf("start cloudlab: %v", err)
	}
	t.Cleanup(func() {
		p.stop(10 * time.Second)
		if t.Failed() {
			t.Logf("cloudlab log:\n%s", p.logTail(30))
			b, _ := os.ReadFile(filepath.Join(dir, "lab", "registry.log"))
			t.Logf("registry log (tail):\n%s", tail(redact(string(b)), 15))
		}
	})
	lab := &cloudLab{dir: dir, host: hosts[0], certsDir: filepath.Join(dir, "lab", "certs.d")}
	for deadline := time.Now().Add(serverStartup); ; time.Sleep(50 * time.Millisecond) {
		if lab.parse(logFile) {
			return lab
		}
		if p.exited() {
			t.Fatalf("cloudlab exited: %v\n%s", p.err, p.logTail(30))
		}
		if time.Now().After(deadline) {
			t.Fatalf("cloudlab: no \"ready\" after %v\n%s", serverStartup, p.logTail(30))
		}
	}
}

// parse reads cloudlab's "NAME VALUE" lines; true once "ready" is among them.
func (c *cloudLab) parse(logFile string) bool {
	f, err := os.Open(logFile)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), " ")
		switch name {
		case "cloud":
			c.cloudURL = value
		case "token":
			c.tokenURL = value
		case "stats":
			c.statsURL = value
		case "ca":
			c.caFile = value
		case "credentials":
			c.credFile = value
		case "ready":
			return c.cloudURL != "" && c.statsURL != "" && c.caFile != ""
		}
	}
	return false
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// stats returns cloudlab's counters.
func (c *cloudLab) stats(t testing.TB) (s cloudStats) {
	t.Helper()
	getJSON(t, c.statsURL, &s)
	return s
}

// useIn makes e's clients trust the lab's CA: SSL_CERT_FILE for Go clients
// (crane, regctl, the helper); containers/image and dockerd take certsDir.
func (c *cloudLab) useIn(e *env) {
	e.setenv("SSL_CERT_FILE", c.caFile)
}

// caClient is an HTTP client (no proxy) that trusts only caFile.
func caClient(caFile string) (*http.Client, error) {
	b, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no certificate", caFile)
	}
	return &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}

// trustInDockerd makes dockerd trust the lab's CA for its registry: it
// mounts a directory holding certs.d/HOST/ca.crt over /etc/docker, in the
// test's mount namespace only (the machine's /etc/docker is untouched).
// Call it before the package's dockerd starts (needDockerd).
func (c *cloudLab) trustInDockerd(t *testing.T) {
	t.Helper()
	if os.Getenv(envNetns) == "" {
		t.Fatal("trustInDockerd outside the namespace")
	}
	etc := filepath.Join(c.dir, "etc-docker")
	ca, err := os.ReadFile(c.caFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(etc, "certs.d", c.host), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(etc, "certs.d", c.host, "ca.crt"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/etc/docker", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(etc, "/etc/docker", "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind-mount %s on /etc/docker: %v", etc, err)
	}
}

// readZeroConfig has e's clients ask the helper for host with no mint
// config at all: credHelpers names the host (regctl asks a credsStore only
// for the hosts its list names, and a detected registry is not listed).
// Then crane pushes ref and pulls it pulls times, and regctl and skopeo
// read it; it returns the digest they all agree on.
func (c *cloudLab) readZeroConfig(t *testing.T, e *env, host, ref string, pulls int) string {
	t.Helper()
	e.writeDockerConfig(configName, map[string]string{host: configName})
	e.setenv("REGCTL_CONFIG", filepath.Join(e.xdgConfig, "regctl", "config.json"))
	if _, err := os.Stat(filepath.Join(e.xdgConfig, "docker-credential-mint")); !os.IsNotExist(err) {
		t.Fatalf("a mint config directory exists: %v", err)
	}
	cranePush(t, e, ref)
	for i := range pulls {
		if fi, err := os.Stat(cranePull(t, e, ref, fmt.Sprintf("app-%d.tar", i))); err != nil || fi.Size() == 0 {
			t.Fatalf("crane pull wrote no image: %v", err)
		}
	}
	digest := strings.TrimSpace(e.run("", "crane", "digest", ref))
	if out := strings.TrimSpace(e.run("", "regctl", "image", "digest", ref)); out != digest {
		t.Errorf("regctl image digest = %q, crane digest = %q", out, digest)
	}
	if out := e.run("", "skopeo", "inspect", "--cert-dir", filepath.Join(c.certsDir, host), "--format", "{{.Digest}}", "docker://"+ref); strings.TrimSpace(out) != digest {
		t.Errorf("skopeo inspect digest = %q, want %q", out, digest)
	}
	return digest
}

// wantDetectedRow checks that status shows host as served by provider's
// detection.
func wantDetectedRow(t *testing.T, e *env, host, provider string) {
	t.Helper()
	if out := e.run("", helperName, "status"); !strings.Contains(out, host) || !strings.Contains(out, provider+" (detected)") {
		t.Errorf("status does not show the detected registry:\n%s", out)
	}
}
