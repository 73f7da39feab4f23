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
	"github.com/docker-credential-mint/mint/credentials/provider/router"
	"github.com/docker-credential-mint/mint/credentials/provider/static"
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

// fullBuildName is the full build's file name: make install puts it next
// to the protocol binary (build tag lean), which hands it minting and the
// operator commands.
const fullBuildName = "docker-credential-mint-full"

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

// warn prints a provider's one-line warning ("warning: …") to the user's terminal.
func (e *env) warn(msg string) {
	fmt.Fprintln(e.stderr, "docker-credential-mint: "+msg)
}

func (e *env) newHelper(ctx context.Context) (credentials.Helper, error) {
	cfg, err := credentials.LoadDefaultConfig()
	if err != nil {
		return nil, err
	}
	w, err := e.wire(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return protocolHelper(e, w.helper), nil
}

// wiring is what the helper is built from. The protocol keeps only the
// helper; the operator commands (login, status, doctor, import) also report
// or reuse the keychain, its namespaces and the router.
type wiring struct {
	cfg      *credentials.Config
	keychain string         // the resolved backend name, never "auto"
	roots    store.Backend  // root credentials
	tokens   store.Backend  // the token cache; nil unless a provider mints
	router   *router.Router // nil unless a provider mints
	helper   credentials.Helper
}

// wire builds the helper for cfg: it resolves the keychain, opens its
// namespaces and, when a provider mints, the router. It is the get path's
// work, unchanged; nothing here may grow for the operator commands' sake.
func (e *env) wire(ctx context.Context, cfg *credentials.Config) (*wiring, error) {
	name, roots, tokens, err := e.openStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	w, err := assemble(cfg, roots, tokens, router.Options{Warn: e.warn})
	if err != nil {
		return nil, err
	}
	w.keychain = name
	return w, nil
}

// openStores resolves cfg's keychain and opens its namespaces: the root
// credentials, and the token cache when a provider mints (else nil).
func (e *env) openStores(ctx context.Context, cfg *credentials.Config) (name string, roots, tokens store.Backend, err error) {
	if name, err = e.resolveKeychain(ctx, e.keychainName(cfg.Keychain)); err != nil {
		return "", nil, nil, err
	}
	if roots, err = e.openBackend(ctx, name, nsCredentials); err != nil {
		return "", nil, nil, err
	}
	if minting(cfg) {
		if tokens, err = e.openBackend(ctx, name, nsTokens); err != nil {
			return "", nil, nil, err
		}
	}
	return name, roots, tokens, nil
}

// assemble builds the helper over roots and, when a provider mints, the
// router over tokens; opts wire the router (Tokens and Roots are set here,
// and Providers when nil: this build's providers).
// It does no I/O.
func assemble(cfg *credentials.Config, roots, tokens store.Backend, opts router.Options) (*wiring, error) {
	w := &wiring{cfg: cfg, roots: roots, tokens: tokens}
	hopts := []credentials.Option{credentials.WithStaticCheck(staticCheck), credentials.WithSecretExpiry(static.JWTExpiry)}
	if minting(cfg) {
		opts.Tokens, opts.Roots = tokens, roots
		if opts.Providers == nil {
			opts.Providers = providers
		}
		var err error
		if w.router, err = router.New(cfg, opts); err != nil {
			return nil, err
		}
		hopts = append(hopts, credentials.WithMinter(w.router))
	}
	w.helper = credentials.NewHelper(roots, hopts...)
	return w, nil
}

// minting reports whether any config entry names a provider other than static.
func minting(cfg *credentials.Config) bool {
	for _, r := range cfg.Registries {
		if r.Provider != credentials.ProviderStatic {
			return true
		}
	}
	return false
}

// staticCheck refuses a stored credential that has visibly expired (a JWT
// past its exp), so that the user reads why instead of a bare 401. Docker
// Hub's access-token and refresh-token entries belong to the Docker CLI,
// which refreshes them itself: they are returned untouched.
func staticCheck(h credentials.Host, e store.Entry) error {
	if h.Registry() == credentials.DockerHub && strings.HasPrefix(h.Path, "v1/") {
		return nil
	}
	return static.Check(h, e)
}

// resolveKeychain turns "auto" into the first usable backend's name (see
// autoKeychain); any other name is returned as is.
func (e *env) resolveKeychain(ctx context.Context, name string) (string, error) {
	if name != "auto" {
		return name, nil
	}
	name, _ = e.autoKeychain(ctx)
	return name, nil
}

// autoKeychain returns the first usable backend in DESIGN §4's order (the
// OS keychain, Secret Service, pass, and the encrypted file where none of
// those is reachable: servers, CI, containers) and, by name, why each one
// before it was skipped. The get path only keeps the name: nothing is
// formatted here.
func (e *env) autoKeychain(ctx context.Context) (name string, skipped map[string]error) {
	for _, n := range platformBackendNames {
		if probe := platformProbes[n]; probe != nil {
			if err := probe(ctx, e); err != nil {
				e.debugf("keychain: %s not usable: %v", n, err)
				if skipped == nil {
					skipped = map[string]error{}
				}
				skipped[n] = err
				continue
			}
		}
		e.debugf("keychain: using %s", n)
		return n, skipped
	}
	return "file", skipped
}

// openBackend opens the named backend (not "auto") for namespace ns.
func (e *env) openBackend(ctx context.Context, name, ns string) (store.Backend, error) {
	if name == "file" {
		return e.openFile(ns)
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

type (
	openFunc  func(ctx context.Context, e *env, ns string) (store.Backend, error)
	probeFunc func(ctx context.Context, e *env) error
)

// oneLine squeezes s onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// lookPath finds a program on e's $PATH, as exec.LookPath does on os's.
func (e *env) lookPath(name string) (string, bool) {
	for _, dir := range filepath.SplitList(e.getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		if p, ok := lookIn(dir, name); ok {
			return p, true
		}
	}
	return "", false
}

// lookIn finds the program name in dir: an executable file (on Windows,
// with one of the usual extensions).
func lookIn(dir, name string) (string, bool) {
	exts := []string{""}
	if runtime.GOOS == "windows" {
		exts = []string{".exe", ".bat", ".cmd", ""}
	}
	for _, ext := range exts {
		p := filepath.Join(dir, name+ext)
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			continue
		}
		if runtime.GOOS == "windows" || fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}
