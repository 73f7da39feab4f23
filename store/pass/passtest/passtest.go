// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package passtest makes a throwaway gpg home with a fresh key and a pass
// store initialised for it, for tests of the pass backend and end-to-end
// tests of the helper. Nothing touches the user's own ~/.gnupg or
// ~/.password-store.
//
//	env := passtest.Start(t, passtest.Options{})
//	b := pass.New("ns", pass.Options{Dir: env.StoreDir, Env: env.Environ()})
//
// A child process gets the same with cmd.Env = append(os.Environ(), env.Environ()...).
package passtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store/storetest"
)

// Programs are the programs Start runs (Debian packages pass, gpg, gpg-agent, gpgconf).
var Programs = []string{"pass", "gpg", "gpg-agent", "gpgconf"}

// Options configures Start.
type Options struct {
	// Passphrase protects the key; empty means an unprotected key.
	Passphrase string
	// NoInit leaves the store uninitialised (no `pass init`).
	NoInit bool
}

// Env is a gpg home with one key (primary ed25519 for certification, a
// cv25519 subkey for encryption) and a pass store initialised for it.
type Env struct {
	// GNUPGHOME is the gpg home directory.
	GNUPGHOME string
	// StoreDir is the password store, the value for PASSWORD_STORE_DIR.
	StoreDir string
	// Fingerprint is the key's fingerprint, as given to pass init.
	Fingerprint string
	// Passphrase is the key's passphrase ("" for none).
	Passphrase string

	dir string
}

// Require is storetest.Require: skip, or fail under CI, when one of
// programs is missing.
func Require(t testing.TB, programs ...string) {
	t.Helper()
	storetest.Require(t, programs...)
}

// Start makes an Env for t (see Require for missing programs) and removes
// it, stopping its gpg-agent, when t ends.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	Require(t, Programs...)
	e, err := New(opts)
	if err != nil {
		t.Fatalf("passtest: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("passtest: %v", err)
		}
	})
	return e
}

// New makes an Env outside a test (for TestMain). The caller must Close it.
func New(opts Options) (*Env, error) {
	// Short path: gpg-agent's socket lives in GNUPGHOME when /run/user/<uid>
	// does not exist, and a unix socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "passtest")
	if err != nil {
		return nil, err
	}
	e := &Env{dir: dir, GNUPGHOME: filepath.Join(dir, "g"), StoreDir: filepath.Join(dir, "s"), Passphrase: opts.Passphrase}
	if err := e.setup(opts); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Env) setup(opts Options) error {
	if err := os.Mkdir(e.GNUPGHOME, 0o700); err != nil {
		return err
	}
	// The agent calibrates its passphrase hashing to 100ms of CPU, which
	// takes seconds on small VMs; a throwaway key needs no such strength.
	// allow-loopback-pinentry lets this package (never the backend) unlock
	// the key with a passphrase on the command line.
	conf := "s2k-count 65536\nallow-loopback-pinentry\n"
	if err := os.WriteFile(filepath.Join(e.GNUPGHOME, "gpg-agent.conf"), []byte(conf), 0o600); err != nil {
		return err
	}
	pp := []string{"--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0"}
	if _, err := e.gpg(opts.Passphrase, append(pp, "--quick-gen-key", "docker-credential-mint test <test@mint.invalid>", "ed25519", "cert,sign", "never")...); err != nil {
		return err
	}
	out, err := e.gpg("", "--batch", "--with-colons", "--list-keys")
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(out)) {
		if f := strings.Split(line, ":"); f[0] == "fpr" && len(f) > 9 {
			e.Fingerprint = f[9]
			break
		}
	}
	if e.Fingerprint == "" {
		return errors.New("no fingerprint in gpg --list-keys")
	}
	if _, err := e.gpg(opts.Passphrase, append(pp, "--quick-add-key", e.Fingerprint, "cv25519", "encr", "never")...); err != nil {
		return err
	}
	if opts.NoInit {
		return nil
	}
	cmd := exec.Command("pass", "init", e.Fingerprint)
	cmd.Env = append(os.Environ(), e.Environ()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pass init: %v: %s", err, out)
	}
	return e.ForgetPassphrase()
}

// gpg runs gpg in this home with stdin (the passphrase, if any).
func (e *Env) gpg(stdin string, args ...string) ([]byte, error) {
	cmd := exec.Command("gpg", args...)
	cmd.Env = append(os.Environ(), e.Environ()...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("gpg %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// Environ is the environment for pass (or the helper) to use this Env:
// GNUPGHOME and PASSWORD_STORE_DIR.
func (e *Env) Environ() []string {
	return []string{"GNUPGHOME=" + e.GNUPGHOME, "PASSWORD_STORE_DIR=" + e.StoreDir}
}

// Unlock caches the key's passphrase in gpg-agent, as a `pass show` in a
// terminal would, by decrypting a message once with the passphrase given on
// stdin (loopback pinentry).
func (e *Env) Unlock() error {
	msg := filepath.Join(e.dir, "unlock.gpg")
	if _, err := e.gpg("unlock", "--batch", "--yes", "--trust-model", "always", "-o", msg, "-r", e.Fingerprint, "--encrypt"); err != nil {
		return err
	}
	defer os.Remove(msg)
	_, err := e.gpg(e.Passphrase, "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--decrypt", msg)
	return err
}

// ForgetPassphrase stops the gpg-agent of this home, so that no passphrase
// is cached; the next gpg starts a fresh agent.
func (e *Env) ForgetPassphrase() error {
	cmd := exec.Command("gpgconf", "--kill", "gpg-agent")
	cmd.Env = append(os.Environ(), e.Environ()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("gpgconf --kill gpg-agent: %v: %s", err, out)
	}
	return nil
}

// Close stops this home's gpg daemons and removes everything.
func (e *Env) Close() error {
	var errs []error
	if _, err := os.Stat(e.GNUPGHOME); err == nil {
		cmd := exec.Command("gpgconf", "--kill", "all")
		cmd.Env = append(os.Environ(), e.Environ()...)
		if out, err := cmd.CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("gpgconf --kill all: %v: %s", err, out))
		}
	}
	if err := os.RemoveAll(e.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
