// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package sstest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/docker-credential-mint/mint/store/storetest"
)

// Options configures Start.
type Options struct {
	// NoKeyring starts the bus alone, with no Secret Service on it (and none
	// activatable).
	NoKeyring bool
	// Password is the login keyring's password; empty means "sstest".
	Password string
}

// Env is a running private session bus and, unless Options.NoKeyring, a
// gnome-keyring-daemon on it whose "login" collection is the default one,
// created and unlocked.
type Env struct {
	// Address is the bus address, the value for DBUS_SESSION_BUS_ADDRESS.
	Address string
	// Dir is the temporary directory holding HOME, XDG_* and the bus socket.
	Dir string
	// Password is the login keyring's password.
	Password string

	bus, keyring *exec.Cmd
	logs         []*os.File
}

// Programs are the programs Start runs (Debian packages dbus-daemon and
// gnome-keyring).
var Programs = []string{"dbus-daemon", "gnome-keyring-daemon"}

// Require is storetest.Require: skip, or fail under CI, when one of
// programs is missing.
func Require(t testing.TB, programs ...string) {
	t.Helper()
	storetest.Require(t, programs...)
}

// Start starts an Env for t (see Require for missing programs) and stops it
// when t ends.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	Require(t, Programs...)
	e, err := New(opts)
	if err != nil {
		t.Fatalf("sstest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			e.logTails(t)
		}
		if err := e.Close(); err != nil {
			t.Errorf("sstest: %v", err)
		}
	})
	return e
}

// New starts an Env outside a test (for TestMain). The caller must Close it.
func New(opts Options) (*Env, error) {
	if opts.Password == "" {
		opts.Password = "sstest"
	}
	// Short path: a unix socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "sstest")
	if err != nil {
		return nil, err
	}
	e := &Env{Dir: dir, Password: opts.Password}
	if err := e.start(opts); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// busConfig is a session bus with no service directories, so that nothing
// is activated behind the test's back, and the usual session policy.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

func (e *Env) start(opts Options) error {
	for _, d := range []string{"home", "data", "config", "cache", "run"} {
		if err := os.MkdirAll(filepath.Join(e.Dir, d), 0o700); err != nil {
			return err
		}
	}
	conf := filepath.Join(e.Dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, filepath.Join(e.Dir, "run")), 0o600); err != nil {
		return err
	}
	e.bus = exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1")
	e.bus.Env = e.baseEnv()
	out, err := e.bus.StdoutPipe()
	if err != nil {
		return err
	}
	e.bus.Stderr = e.logFile("dbus-daemon.log")
	if err := e.bus.Start(); err != nil {
		return fmt.Errorf("start dbus-daemon: %w", err)
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case e.Address = <-addr:
	case <-time.After(10 * time.Second):
		return errors.New("dbus-daemon printed no address within 10s")
	}
	if e.Address == "" {
		return fmt.Errorf("dbus-daemon printed no address (see %s)", filepath.Join(e.Dir, "dbus-daemon.log"))
	}
	if opts.NoKeyring {
		return nil
	}
	e.keyring = exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	e.keyring.Env = e.Environ()
	e.keyring.Stdin = strings.NewReader(e.Password)
	e.keyring.Stdout = e.logFile("gnome-keyring.log")
	e.keyring.Stderr = e.keyring.Stdout
	if err := e.keyring.Start(); err != nil {
		return fmt.Errorf("start gnome-keyring-daemon: %w", err)
	}
	return e.waitReady(10 * time.Second)
}

// waitReady waits until the keyring owns its name and its default
// collection exists.
func (e *Env) waitReady(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	conn, err := e.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for {
		var p dbus.ObjectPath
		err := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
			CallWithContext(ctx, "org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&p)
		if err == nil && p != "/" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gnome-keyring-daemon not ready within %v (last error %v; see %s)", d, err, filepath.Join(e.Dir, "gnome-keyring.log"))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logTails logs the end of each daemon's output, for a failed test.
func (e *Env) logTails(t testing.TB) {
	t.Helper()
	for _, f := range e.logs {
		b, err := os.ReadFile(f.Name())
		if err != nil || len(b) == 0 {
			continue
		}
		if len(b) > 2000 {
			b = b[len(b)-2000:]
		}
		t.Logf("sstest: %s:\n%s", filepath.Base(f.Name()), b)
	}
}

// logFile is where a daemon's output goes, for a look when it fails.
func (e *Env) logFile(name string) *os.File {
	f, err := os.Create(filepath.Join(e.Dir, name))
	if err != nil {
		return nil
	}
	e.logs = append(e.logs, f)
	return f
}

// baseEnv is a hermetic environment: HOME and XDG directories inside Dir,
// no display (so nothing can show a prompt), PATH kept.
func (e *Env) baseEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(e.Dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(e.Dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(e.Dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(e.Dir, "cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(e.Dir, "run"),
		"LANG=C.UTF-8",
	}
}

// Environ is the environment for a child process that should use this bus:
// baseEnv plus DBUS_SESSION_BUS_ADDRESS.
func (e *Env) Environ() []string {
	return append(e.baseEnv(), "DBUS_SESSION_BUS_ADDRESS="+e.Address)
}

// Setenv points DBUS_SESSION_BUS_ADDRESS of the test process at this bus
// for the rest of t (so not in parallel tests).
func (e *Env) Setenv(t testing.TB) {
	t.Helper()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", e.Address)
}

// Conn opens a new connection to the bus; the caller closes it.
func (e *Env) Conn(ctx context.Context) (*dbus.Conn, error) {
	return dbus.Connect(e.Address, dbus.WithContext(ctx))
}

// BusPID is the process id of dbus-daemon.
func (e *Env) BusPID() int { return e.bus.Process.Pid }

// KeyringPID is the process id of gnome-keyring-daemon, or 0 with NoKeyring.
func (e *Env) KeyringPID() int {
	if e.keyring == nil {
		return 0
	}
	return e.keyring.Process.Pid
}

// PauseKeyring stops gnome-keyring-daemon with SIGSTOP: it keeps its bus
// name but answers nothing until ResumeKeyring.
func (e *Env) PauseKeyring() error { return e.keyring.Process.Signal(syscall.SIGSTOP) }

// ResumeKeyring continues a paused gnome-keyring-daemon.
func (e *Env) ResumeKeyring() error { return e.keyring.Process.Signal(syscall.SIGCONT) }

// PauseBus stops dbus-daemon with SIGSTOP until ResumeBus.
func (e *Env) PauseBus() error { return e.bus.Process.Signal(syscall.SIGSTOP) }

// ResumeBus continues a paused dbus-daemon.
func (e *Env) ResumeBus() error { return e.bus.Process.Signal(syscall.SIGCONT) }

const loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")

// Lock locks the login collection through the Secret Service API.
func (e *Env) Lock(ctx context.Context) error {
	conn, err := e.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err = conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
		CallWithContext(ctx, "org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{loginCollection}).Store(&locked, &prompt)
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if prompt != "/" {
		return fmt.Errorf("lock: gnome-keyring asked for a prompt (%s)", prompt)
	}
	return nil
}

// Unlock unlocks the login collection with its password, without a prompt,
// through gnome-keyring's private interface.
func (e *Env) Unlock(ctx context.Context) error {
	conn, err := e.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A first OpenSession from a new client can crash gnome-keyring 42 (see
	// greetService in package secretservice): a Ping goes first.
	if err := conn.Object("org.freedesktop.secrets", "/").CallWithContext(ctx, "org.freedesktop.DBus.Peer.Ping", 0).Err; err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	svc := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := svc.CallWithContext(ctx, "org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		return fmt.Errorf("unlock: open session: %w", err)
	}
	master := struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}{session, []byte{}, []byte(e.Password), "text/plain"}
	err = svc.CallWithContext(ctx, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword", 0, loginCollection, master).Err
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}

// Close stops every process Start started, by pid, and removes Dir.
func (e *Env) Close() error {
	var errs []error
	for _, c := range []*exec.Cmd{e.keyring, e.bus} {
		if c == nil || c.Process == nil {
			continue
		}
		_ = c.Process.Kill() // SIGKILL: works on a SIGSTOPped process too
		_ = c.Wait()
	}
	for _, f := range e.logs {
		_ = f.Close()
	}
	if err := os.RemoveAll(e.Dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
