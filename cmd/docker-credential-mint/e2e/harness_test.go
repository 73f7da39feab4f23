// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts for the commands the tests run. Client commands may pull or push
// (dockerd with vfs copies layers), the helper answers from a local file.
const (
	clientTimeout = 2 * time.Minute
	helperTimeout = 30 * time.Second
)

// env is one test's hermetic client environment: its own HOME, Docker config,
// XDG directories and containers auth file, all under root.
type env struct {
	t            *testing.T
	root         string
	home         string
	dockerConfig string // $DOCKER_CONFIG
	authFile     string // $REGISTRY_AUTH_FILE (containers/image)
	xdgConfig    string
	xdgData      string
	xdgRuntime   string
	xdgCache     string
	extra        map[string]string // more variables, e.g. DOCKER_HOST
}

// newEnv makes the directories of a fresh environment and arranges for the
// secrets scan to run over them when t ends.
func newEnv(t *testing.T) *env {
	t.Helper()
	root := t.TempDir()
	e := &env{
		t:            t,
		root:         root,
		home:         filepath.Join(root, "home"),
		dockerConfig: filepath.Join(root, "docker"),
		xdgConfig:    filepath.Join(root, "config"),
		xdgData:      filepath.Join(root, "data"),
		xdgRuntime:   filepath.Join(root, "run"),
		xdgCache:     filepath.Join(root, "cache"),
		extra:        map[string]string{"MINT_E2E_CALLS": filepath.Join(root, "calls.log")},
	}
	e.authFile = filepath.Join(e.xdgConfig, "containers", "auth.json")
	for _, d := range []string{e.home, e.dockerConfig, e.xdgConfig, e.xdgData, e.xdgCache, filepath.Dir(e.authFile)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(e.xdgRuntime, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { scanForSecrets(t, root) })
	return e
}

// environ is the complete environment of a child: nothing is inherited from
// the test process, so the caller's ~/.docker, PATH or CI variables never leak
// in.
func (e *env) environ() []string {
	vars := []string{
		"PATH=" + pkgState.path,
		"HOME=" + e.home,
		"USER=root",
		"LANG=C.UTF-8",
		"TMPDIR=" + os.TempDir(),
		"DOCKER_CONFIG=" + e.dockerConfig,
		"REGISTRY_AUTH_FILE=" + e.authFile,
		"XDG_CONFIG_HOME=" + e.xdgConfig,
		"XDG_DATA_HOME=" + e.xdgData,
		"XDG_RUNTIME_DIR=" + e.xdgRuntime,
		"XDG_CACHE_HOME=" + e.xdgCache,
		"DOCKER_CREDENTIAL_MINT_KEYCHAIN=file",
		"DOCKER_CLI_HINTS=false",
		"DOCKER_CLI_TELEMETRY_OPTOUT=1",
	}
	for k, v := range e.extra {
		vars = slices.DeleteFunc(vars, func(kv string) bool { return strings.HasPrefix(kv, k+"=") })
		if v != "" {
			vars = append(vars, k+"="+v)
		}
	}
	return vars
}

// setenv sets an extra variable for every later command of e; an empty value
// removes the variable.
func (e *env) setenv(k, v string) { e.extra[k] = v }

// result is what a finished command left.
type result struct {
	cmd    string // for messages
	out    string // stdout and stderr, combined (stdout only for the helper)
	stdout string // clients only: stdout alone
	stderr string // helper only
	code   int    // exit status; -1 when it did not run or was killed
	err    error
}

func (r result) String() string {
	return fmt.Sprintf("$ %s\nexit %d (%v)\n%s%s", r.cmd, r.code, r.err, redact(r.out), redact(r.stderr))
}

// redact replaces every test password in s by a placeholder, so that failure
// messages are safe to paste.
func redact(s string) string {
	for _, p := range allSecrets() {
		s = strings.ReplaceAll(s, p, "<password>")
	}
	return s
}

// containsSecret reports which test password s contains, if any.
func containsSecret(s string) (string, bool) {
	for _, p := range allSecretForms() {
		if strings.Contains(s, p) {
			return redact(p), true
		}
	}
	return "", false
}

// allSecretForms: each password as it is, and base64 of "user:password" as
// config.json's "auth" and HTTP Basic auth would carry it.
func allSecretForms() []string {
	var forms []string
	for _, p := range allSecrets() {
		forms = append(forms, p)
		for _, u := range []string{"alice", "bob", "carol"} {
			forms = append(forms, base64.StdEncoding.EncodeToString([]byte(u+":"+p)))
		}
	}
	return forms
}

// exec runs name with args and stdin, in dir (or e.root), with a timeout. It
// never fails the test by itself; the caller decides. A client's output must
// never show a password: that is checked here for every command.
func (e *env) exec(dir, stdin, name string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = e.environ()
	cmd.Dir = e.root
	if dir != "" {
		cmd.Dir = dir
	}
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 5 * time.Second
	if p, err := lookPath(name); err == nil {
		cmd.Path = p
		cmd.Err = nil
	}
	var combined, stdout bytes.Buffer
	var mu sync.Mutex // os/exec copies stdout and stderr in two goroutines
	cmd.Stdout = lockedWriter{&mu, io.MultiWriter(&combined, &stdout)}
	cmd.Stderr = lockedWriter{&mu, &combined}
	err := cmd.Run()
	r := result{cmd: strings.Join(append([]string{name}, args...), " "), out: combined.String(), stdout: stdout.String(), code: -1, err: err}
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
	}
	if ctx.Err() != nil {
		r.err = fmt.Errorf("timed out after %v: %w", clientTimeout, err)
	}
	if p, ok := containsSecret(r.out); ok {
		e.t.Errorf("output of %q shows the password %s:\n%s", r.cmd, p, redact(r.out))
	}
	return r
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// run runs a client command, fails the test if it does not exit 0, and
// returns its stdout.
func (e *env) run(stdin, name string, args ...string) string {
	e.t.Helper()
	r := e.exec("", stdin, name, args...)
	if r.code != 0 {
		e.t.Fatalf("command failed:\n%s", r)
	}
	return r.stdout
}

// runIn is run in directory dir.
func (e *env) runIn(dir, stdin, name string, args ...string) string {
	e.t.Helper()
	r := e.exec(dir, stdin, name, args...)
	if r.code != 0 {
		e.t.Fatalf("command failed:\n%s", r)
	}
	return r.stdout
}

// fail runs a client command that must fail (exit non-zero) and returns its
// output.
func (e *env) fail(stdin, name string, args ...string) string {
	e.t.Helper()
	r := e.exec("", stdin, name, args...)
	if r.code == 0 {
		e.t.Fatalf("command succeeded, want failure:\n%s", r)
	}
	if r.code < 0 {
		e.t.Fatalf("command did not finish:\n%s", r)
	}
	return r.out
}

// helper runs the credential helper itself (stdout and stderr apart).
func (e *env) helper(action, stdin string) result {
	e.t.Helper()
	return e.helpers(1, action, stdin)[0]
}

// helpers runs n helper processes at once, each with action and stdin, and
// returns their results when all have ended. Every result gets the checks of
// helper: stderr silent on success, no password in stdout (except get's) or
// stderr.
func (e *env) helpers(n int, action, stdin string) []result {
	e.t.Helper()
	bin := needHelper(e.t)
	ctx, cancel := context.WithTimeout(context.Background(), helperTimeout*time.Duration(1+n/10))
	defer cancel()
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	errs := make([]bytes.Buffer, n)
	for i := range cmds {
		cmd := exec.CommandContext(ctx, bin, action)
		cmd.Env = e.environ()
		cmd.Dir = e.root
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Stdout, cmd.Stderr = &outs[i], &errs[i]
		cmds[i] = cmd
	}
	started := make([]error, n)
	for i, cmd := range cmds {
		started[i] = cmd.Start()
	}
	rs := make([]result, n)
	for i, cmd := range cmds {
		err := started[i]
		if err == nil {
			err = cmd.Wait()
		}
		r := result{cmd: helperName + " " + action + " <<< " + redact(strings.TrimSpace(stdin)), out: outs[i].String(), stderr: errs[i].String(), code: -1, err: err}
		if cmd.ProcessState != nil {
			r.code = cmd.ProcessState.ExitCode()
		}
		// The helper's stderr goes straight to the user's terminal: silent
		// unless the user must act (DESIGN §2), so silent on success and on
		// "not found".
		if (r.code == 0 || strings.TrimSpace(r.out) == "credentials not found in native keychain") && r.stderr != "" {
			e.t.Errorf("%s: stderr not silent: %q", r.cmd, redact(r.stderr))
		}
		if action != "get" && action != "kubelet" { // their stdout is the answer
			if p, ok := containsSecret(r.out + r.stderr); ok {
				e.t.Errorf("output of %q shows the password %s", r.cmd, p)
			}
		} else if p, ok := containsSecret(r.stderr); ok {
			e.t.Errorf("stderr of %q shows the password %s", r.cmd, p)
		}
		rs[i] = r
	}
	return rs
}

// cred is the helper's wire format.
type cred struct {
	ServerURL string
	Username  string
	Secret    string
}

// store stores a credential through the helper.
func (e *env) store(serverURL, user, secret string) {
	e.t.Helper()
	in, _ := json.Marshal(cred{ServerURL: serverURL, Username: user, Secret: secret})
	if r := e.helper("store", string(in)); r.code != 0 {
		e.t.Fatalf("helper store failed:\n%s", r)
	}
}

// get asks the helper for serverURL; ok is false on "not found".
func (e *env) get(serverURL string) (c cred, ok bool) {
	e.t.Helper()
	r := e.helper("get", serverURL)
	if r.code != 0 {
		if strings.TrimSpace(r.out) == "credentials not found in native keychain" {
			return cred{}, false
		}
		e.t.Fatalf("helper get failed:\n%s", r)
	}
	if err := json.Unmarshal([]byte(r.out), &c); err != nil {
		e.t.Fatalf("helper get: %v:\n%s", err, r)
	}
	return c, true
}

// wantCred checks that get(serverURL) answers user and secret.
func (e *env) wantCred(serverURL, user, secret string) {
	e.t.Helper()
	c, ok := e.get(serverURL)
	if !ok {
		e.t.Errorf("get(%q): not found, want %s", serverURL, user)
		return
	}
	if c.Username != user || c.Secret != secret {
		e.t.Errorf("get(%q) = %s/%s, want %s/%s", serverURL, c.Username, redact(c.Secret), user, redact(secret))
	}
}

// wantNoCred checks that get(serverURL) is "not found".
func (e *env) wantNoCred(serverURL string) {
	e.t.Helper()
	if c, ok := e.get(serverURL); ok {
		e.t.Errorf("get(%q) = %s/%s, want not found", serverURL, c.Username, redact(c.Secret))
	}
}

// list returns the helper's list.
func (e *env) list() map[string]string {
	e.t.Helper()
	r := e.helper("list", "unused")
	if r.code != 0 {
		e.t.Fatalf("helper list failed:\n%s", r)
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(r.out), &m); err != nil {
		e.t.Fatalf("helper list: %v:\n%s", err, r)
	}
	return m
}

// calls returns the logging shim's record: one "action stdin" line per call.
func (e *env) calls() []string {
	b, err := os.ReadFile(e.extra["MINT_E2E_CALLS"])
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		e.t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// writeDockerConfig writes $DOCKER_CONFIG/config.json. credHelpers maps hosts
// to helper names; credsStore may be "".
func (e *env) writeDockerConfig(credsStore string, credHelpers map[string]string) {
	e.t.Helper()
	cfg := map[string]any{}
	if credsStore != "" {
		cfg["credsStore"] = credsStore
	}
	if len(credHelpers) > 0 {
		cfg["credHelpers"] = credHelpers
	}
	writeJSON(e.t, filepath.Join(e.dockerConfig, "config.json"), cfg)
}

// writeAuthFile writes the containers auth file ($REGISTRY_AUTH_FILE) with
// credHelpers only: containers/image ignores credsStore.
func (e *env) writeAuthFile(credHelpers map[string]string) {
	e.t.Helper()
	writeJSON(e.t, e.authFile, map[string]any{"auths": map[string]any{}, "credHelpers": credHelpers})
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
}

// readDockerConfig returns config.json as text.
func (e *env) readDockerConfig() string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dockerConfig, "config.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// wantNoAuthInDockerConfig checks that config.json keeps no credential: no
// "auth", "password" or "identitytoken" value and no password anywhere.
func (e *env) wantNoAuthInDockerConfig() {
	e.t.Helper()
	text := e.readDockerConfig()
	var cfg struct {
		Auths map[string]map[string]any `json:"auths"`
	}
	if err := json.Unmarshal([]byte(text), &cfg); err != nil {
		e.t.Fatalf("config.json: %v\n%s", err, redact(text))
	}
	for host, a := range cfg.Auths {
		for _, k := range []string{"auth", "password", "identitytoken", "registrytoken"} {
			if v, ok := a[k].(string); ok && v != "" {
				e.t.Errorf("config.json keeps %q for %s; want it in the helper only", k, host)
			}
		}
	}
	if p, ok := containsSecret(text); ok {
		e.t.Errorf("config.json contains the password %s", p)
	}
}

// wantLoggedIn checks that a client's login left the credential in the
// helper (get answers user and secret) and none in config.json.
func (e *env) wantLoggedIn(host, user, secret string) {
	e.t.Helper()
	e.wantCred(host, user, secret)
	e.wantNoAuthInDockerConfig()
}

// wantLoggedOut checks that a client's logout erased the credential from the
// helper and left none in config.json.
func (e *env) wantLoggedOut(host string) {
	e.t.Helper()
	e.wantNoCred(host)
	e.wantNoAuthInDockerConfig()
}

// writeMintConfig writes the helper's config file (DESIGN §5) with text
// under e.root and points DOCKER_CREDENTIAL_MINT_CONFIG at it.
func (e *env) writeMintConfig(text string) {
	e.t.Helper()
	f := filepath.Join(e.root, "mint.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.setenv("DOCKER_CREDENTIAL_MINT_CONFIG", f)
}

// writeDefaultMintConfig writes the helper's config file with text at its
// default place, $XDG_CONFIG_HOME/docker-credential-mint/config.yaml, with
// no DOCKER_CREDENTIAL_MINT_CONFIG to point at it.
func (e *env) writeDefaultMintConfig(text string) {
	e.t.Helper()
	f := filepath.Join(e.xdgConfig, helperName, "config.yaml")
	if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// scanForSecrets fails t if any regular file under root holds a test password
// in plain text (or as base64 of user:password).
func scanForSecrets(t interface{ Errorf(string, ...any) }, root string) {
	forms := allSecretForms()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil // gone or unreadable (sockets, races with cleanup)
		}
		for _, f := range forms {
			if bytes.Contains(b, []byte(f)) {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("secrets scan: %s holds the password %s in plain text", rel, redact(f))
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("secrets scan of %s: %v", root, err)
	}
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a background server process, stopped by PID.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startProc starts a server with its output in logFile. The caller arranges
// the stop (t.Cleanup or TestMain).
func startProc(env []string, dir, logFile, name string, args ...string) (*proc, error) {
	path, err := lookPath(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	// Own process group; SIGTERM from the kernel should the test binary die
	// without cleaning up (a test timeout panics past every t.Cleanup and
	// TestMain's stop of the shared daemons).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{name: name, cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process's PID, waits up to grace, then SIGKILLs
// it.
func (p *proc) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// logTail returns the last n lines of the process's log.
func (p *proc) logTail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return redact(strings.Join(lines, "\n"))
}

// sharedDaemon is a server the whole package shares (dockerd, containerd):
// started on first use with its state in a private directory under the
// package's temp dir, stopped by PID from TestMain.
type sharedDaemon struct {
	name  string        // the program, its log's name and the name in messages
	sub   string        // its directory under pkgState.root (short: it holds sockets)
	wait  time.Duration // how long it may take to answer after the start
	grace time.Duration // from SIGTERM to SIGKILL on stop

	once sync.Once
	dir  string
	proc *proc
	err  error
}

// need runs start once for the whole package and returns its error; every
// later call returns the same.
func (d *sharedDaemon) need(start func() error) error {
	d.once.Do(func() { d.err = start() })
	return d.err
}

// makeDir creates d's private directory and returns it.
func (d *sharedDaemon) makeDir() (string, error) {
	d.dir = filepath.Join(pkgState.root, d.sub)
	return d.dir, os.MkdirAll(d.dir, 0o700)
}

// env is the base environment of d's process: the children's PATH, HOME in
// its directory, and more variables.
func (d *sharedDaemon) env(more ...string) []string {
	return append([]string{"PATH=" + pkgState.path, "HOME=" + d.dir, "LANG=C.UTF-8"}, more...)
}

// start starts d's program with env and args in its directory (output in
// NAME.log there) and polls ready until it answers nil. When the process
// exits or d.wait passes first, the error holds the end of its log; on a
// timeout d is stopped.
func (d *sharedDaemon) start(env, args []string, ready func() error) error {
	p, err := startProc(env, d.dir, filepath.Join(d.dir, d.name+".log"), d.name, args...)
	if err != nil {
		return err
	}
	d.proc = p
	deadline := time.Now().Add(d.wait)
	for {
		if p.exited() {
			return fmt.Errorf("%s exited: %v\n%s", d.name, p.err, p.logTail(30))
		}
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			d.stop()
			return fmt.Errorf("%s did not answer in %v: %v\n%s", d.name, d.wait, err, p.logTail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop stops d by PID, then kills by PID whatever still runs from its
// directory (containerd and its shims) and unmounts what it left mounted
// there.
func (d *sharedDaemon) stop() {
	if d.proc == nil {
		return
	}
	d.proc.stop(d.grace)
	for _, pid := range pidsUsing(d.dir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, m := range mountsUnder(d.dir) {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	d.proc = nil
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

func mustLook(t testing.TB, name string) string {
	t.Helper()
	p, err := lookPath(name)
	require(t, "program "+name, err)
	return p
}

// waitHTTP polls url until it answers status (0: any), the process exits, or
// timeout.
func waitHTTP(p *proc, url string, status int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if p.exited() {
			return fmt.Errorf("%s exited: %v", p.name, p.err)
		}
		code, err := httpStatus(url)
		if err == nil && (code == status || status == 0) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no HTTP %d from %s after %v (last: %d, %v)", p.name, status, url, timeout, code, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// layerTar returns a one-file tar archive: the smallest image layer.
func layerTar(t testing.TB, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "layer.tar")
	if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}
