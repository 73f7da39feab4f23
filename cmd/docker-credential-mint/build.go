// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/file"
)

// Environment variables that steer the helper. None of them holds a secret.
const (
	envKeychain = "DOCKER_CREDENTIAL_MINT_KEYCHAIN" // overrides the config's keychain:
	envDataDir  = "DOCKER_CREDENTIAL_MINT_DATA_DIR" // the file store's directory
	envKeyFile  = "DOCKER_CREDENTIAL_MINT_FILE_KEY_FILE"
	envTimeout  = "DOCKER_CREDENTIAL_MINT_TIMEOUT"
	envDebug    = "DOCKER_CREDENTIAL_MINT_DEBUG"
)

// Namespaces of the store: root credentials, and the provider token cache.
const (
	nsCredentials = "credentials"
	nsTokens      = "tokens"
)

// env is the process environment as the helper reads it; tests substitute it.
type env struct {
	getenv func(string) string
	stderr io.Writer
}

func newEnv(getenv func(string) string, stderr io.Writer) *env {
	return &env{getenv: getenv, stderr: stderr}
}

func (e *env) debugf(format string, args ...any) {
	if e.getenv(envDebug) != "" {
		fmt.Fprintf(e.stderr, "docker-credential-mint: "+format+"\n", args...)
	}
}

// timeout reads DOCKER_CREDENTIAL_MINT_TIMEOUT (a Go duration), else def.
func (e *env) timeout(def time.Duration) time.Duration {
	if v := e.getenv(envTimeout); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return def
}

// dataDir is where the file store lives: $DOCKER_CREDENTIAL_MINT_DATA_DIR,
// else $XDG_DATA_HOME/docker-credential-mint, else the OS's per-user data
// directory (~/.local/share on Linux).
func (e *env) dataDir() (string, error) {
	if d := e.getenv(envDataDir); d != "" {
		return d, nil
	}
	if d := e.getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "docker-credential-mint"), nil
	}
	switch runtime.GOOS {
	case "darwin", "windows":
		d, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(d, "docker-credential-mint"), nil
	}
	home := e.getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("no home directory for the file store: set %s", envDataDir)
		}
	}
	return filepath.Join(home, ".local", "share", "docker-credential-mint"), nil
}

// keychainName returns the backend to use: the environment, then the
// config file, then "auto".
func (e *env) keychainName(configured string) string {
	if v := strings.TrimSpace(e.getenv(envKeychain)); v != "" {
		return v
	}
	if configured != "" {
		return configured
	}
	return "auto"
}

func (e *env) newHelper(ctx context.Context) (credentials.Helper, error) {
	b, err := e.openBackend(ctx, e.keychainName(""), nsCredentials)
	if err != nil {
		return nil, err
	}
	return credentials.NewHelper(b), nil
}

// openBackend opens the named backend for namespace ns.
func (e *env) openBackend(ctx context.Context, name, ns string) (store.Backend, error) {
	switch name {
	case "file":
		return e.openFile(ns)
	case "auto":
		return e.openAuto(ctx, ns)
	}
	if open, ok := platformBackends[name]; ok {
		return open(ctx, e, ns)
	}
	switch name {
	case "keychain", "wincred", "secretservice", "pass":
		return nil, fmt.Errorf("keychain %q is not available on %s: want auto, %s or file", name, runtime.GOOS, strings.Join(platformBackendNames, ", "))
	}
	return nil, fmt.Errorf("unknown keychain %q: want auto, %s or file", name, strings.Join(platformBackendNames, ", "))
}

func (e *env) openFile(ns string) (store.Backend, error) {
	dir, err := e.dataDir()
	if err != nil {
		return nil, err
	}
	e.debugf("keychain: file store in %s", dir)
	return file.New(dir, ns, file.Options{KeyFile: e.getenv(envKeyFile)})
}

// openAuto picks the first usable backend in DESIGN §4's order: the OS
// keychain, Secret Service, pass, and the encrypted file where none of those
// is reachable (servers, CI, containers).
func (e *env) openAuto(ctx context.Context, ns string) (store.Backend, error) {
	for _, name := range platformBackendNames {
		probe := platformProbes[name]
		if probe == nil {
			continue
		}
		if err := probe(ctx, e); err != nil {
			e.debugf("keychain: %s not usable: %v", name, err)
			continue
		}
		e.debugf("keychain: using %s", name)
		return platformBackends[name](ctx, e, ns)
	}
	return e.openFile(ns)
}

type (
	openFunc  func(ctx context.Context, e *env, ns string) (store.Backend, error)
	probeFunc func(ctx context.Context, e *env) error
)
