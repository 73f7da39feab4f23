// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package wire builds the helper from the process environment: which
// keychain (auto's probes, DESIGN §4), its store namespaces, the config
// file, and the router when a provider mints. The protocol binary, the full
// build and every operator command build the helper here, the same way.
package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/router"
	"github.com/docker-credential-mint/mint/credentials/provider/static"
	"github.com/docker-credential-mint/mint/store"
)

// Environment variables that steer the helper. None of them holds a secret.
const (
	EnvKeychain = "DOCKER_CREDENTIAL_MINT_KEYCHAIN" // overrides the config's keychain:
	EnvDataDir  = "DOCKER_CREDENTIAL_MINT_DATA_DIR" // the file store's directory
	EnvKeyFile  = "DOCKER_CREDENTIAL_MINT_FILE_KEY_FILE"
	EnvTimeout  = "DOCKER_CREDENTIAL_MINT_TIMEOUT"
	EnvDebug    = "DOCKER_CREDENTIAL_MINT_DEBUG"
)

// DefaultTimeout bounds a whole protocol invocation: a hung keychain or
// token endpoint must fail the pull, not hang it (clients such as the
// Docker CLI run the helper with no timeout of their own).
const DefaultTimeout = 30 * time.Second

// FullBuildName is the full build's file name: make install puts it next
// to the protocol binary (build tag lean), which hands it minting and the
// operator commands.
const FullBuildName = "docker-credential-mint-full"

// Namespaces of the store: root credentials, and the provider token cache.
const (
	NSCredentials = "credentials"
	NSTokens      = "tokens"
)

// Env is the process environment as the helper reads it; tests substitute
// Getenv and Stderr.
type Env struct {
	// Getenv reads an environment variable (os.Getenv).
	Getenv func(string) string
	// Stderr is the user's terminal: warnings and debug lines.
	Stderr io.Writer
	// Providers makes the providers of minting config entries; nil (the
	// protocol binary) builds a router that only reads the token cache.
	Providers provider.Factory
	// Minter, when set, wraps the router that the helper mints through
	// (the protocol binary hands what the cache cannot answer on).
	Minter func(*router.Router) credentials.Minter
}

// New returns the Env of getenv and stderr.
func New(getenv func(string) string, stderr io.Writer) *Env {
	return &Env{Getenv: getenv, Stderr: stderr}
}

// Debugf prints a line on stderr when DOCKER_CREDENTIAL_MINT_DEBUG is set.
func (e *Env) Debugf(format string, args ...any) {
	if e.Getenv(EnvDebug) != "" {
		fmt.Fprintf(e.Stderr, "docker-credential-mint: "+format+"\n", args...)
	}
}

// Warn prints a provider's one-line warning ("warning: …") to the user's terminal.
func (e *Env) Warn(msg string) {
	fmt.Fprintln(e.Stderr, "docker-credential-mint: "+msg)
}

// Timeout reads DOCKER_CREDENTIAL_MINT_TIMEOUT (a Go duration), else def.
func (e *Env) Timeout(def time.Duration) time.Duration {
	if v := e.Getenv(EnvTimeout); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return def
}

// Home is $HOME, else the OS's idea of it.
func (e *Env) Home() string {
	if h := e.Getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// DataDir is where the file store lives: $DOCKER_CREDENTIAL_MINT_DATA_DIR,
// else $XDG_DATA_HOME/docker-credential-mint, else the OS's per-user data
// directory (~/.local/share on Linux).
func (e *Env) DataDir() (string, error) {
	if d := e.Getenv(EnvDataDir); d != "" {
		return d, nil
	}
	if d := e.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
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
	home := e.Getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("no home directory for the file store: set %s", EnvDataDir)
		}
	}
	return filepath.Join(home, ".local", "share", "docker-credential-mint"), nil
}

// ConfigPath is credentials.ConfigPathFrom read through e.Getenv.
func (e *Env) ConfigPath() (path string, explicit bool) {
	return credentials.ConfigPathFrom(e.Getenv)
}

// LoadConfig is credentials.LoadDefaultConfig read through e.Getenv.
func (e *Env) LoadConfig() (*credentials.Config, error) {
	path, explicit := e.ConfigPath()
	if path == "" {
		return &credentials.Config{Keychain: credentials.KeychainAuto}, nil
	}
	c, err := credentials.LoadConfigFile(path)
	if err != nil && !explicit && errors.Is(err, fs.ErrNotExist) {
		return &credentials.Config{File: path, Keychain: credentials.KeychainAuto}, nil
	}
	return c, err
}

// Helper builds the protocol's helper: the config file, the keychain and,
// when a provider mints, the router.
func (e *Env) Helper(ctx context.Context) (credentials.Helper, error) {
	cfg, err := credentials.LoadDefaultConfig()
	if err != nil {
		return nil, err
	}
	w, err := e.Wire(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return w.Helper, nil
}

// Wiring is what the helper is built from. The protocol keeps only the
// helper; the operator commands (login, status, doctor, import) also report
// or reuse the keychain, its namespaces and the router.
type Wiring struct {
	Cfg      *credentials.Config
	Keychain string         // the resolved backend name, never "auto"
	Roots    store.Backend  // root credentials
	Tokens   store.Backend  // the token cache; nil unless a provider mints or may (detection)
	Router   *router.Router // nil unless a provider mints or may (detection)
	Helper   credentials.Answerer
}

// Wire builds the helper for cfg: it resolves the keychain, opens its
// namespaces and, when a provider mints, the router. It is the get path's
// work, unchanged; nothing here may grow for the operator commands' sake.
func (e *Env) Wire(ctx context.Context, cfg *credentials.Config) (*Wiring, error) {
	name, roots, tokens, err := e.OpenStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	w, err := e.Assemble(cfg, roots, tokens, router.Options{Warn: e.Warn})
	if err != nil {
		return nil, err
	}
	w.Keychain = name
	return w, nil
}

// WireConfig loads the config file (through e.Getenv) and builds the
// helper as get would.
func (e *Env) WireConfig(ctx context.Context) (*Wiring, error) {
	cfg, err := e.LoadConfig()
	if err != nil {
		return nil, err
	}
	return e.Wire(ctx, cfg)
}

// OpenStores resolves cfg's keychain and opens its namespaces: the root
// credentials, and the token cache when a provider mints (else nil).
func (e *Env) OpenStores(ctx context.Context, cfg *credentials.Config) (name string, roots, tokens store.Backend, err error) {
	if name, err = e.ResolveKeychain(ctx, e.KeychainName(cfg.Keychain)); err != nil {
		return "", nil, nil, err
	}
	if roots, err = e.OpenBackend(ctx, name, NSCredentials); err != nil {
		return "", nil, nil, err
	}
	switch {
	case Minting(cfg):
		if tokens, err = e.OpenBackend(ctx, name, NSTokens); err != nil {
			return "", nil, nil, err
		}
	case cfg.Detects():
		// Only a detected cloud registry (an ECR host) uses the token
		// cache: the get of any other registry must not pay for opening it.
		tokens = &lazyBackend{open: func(ctx context.Context) (store.Backend, error) {
			return e.OpenBackend(ctx, name, NSTokens)
		}}
	}
	return name, roots, tokens, nil
}

// lazyBackend opens its backend on first use.
type lazyBackend struct {
	mu   sync.Mutex
	open func(context.Context) (store.Backend, error)
	b    store.Backend
}

func (l *lazyBackend) backend(ctx context.Context) (store.Backend, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b == nil {
		b, err := l.open(ctx)
		if err != nil {
			return nil, err
		}
		l.b = b
	}
	return l.b, nil
}

func (l *lazyBackend) Get(ctx context.Context, key string) (store.Entry, error) {
	b, err := l.backend(ctx)
	if err != nil {
		return store.Entry{}, err
	}
	return b.Get(ctx, key)
}

func (l *lazyBackend) Put(ctx context.Context, key string, e store.Entry) error {
	b, err := l.backend(ctx)
	if err != nil {
		return err
	}
	return b.Put(ctx, key, e)
}

func (l *lazyBackend) Delete(ctx context.Context, key string) error {
	b, err := l.backend(ctx)
	if err != nil {
		return err
	}
	return b.Delete(ctx, key)
}

func (l *lazyBackend) List(ctx context.Context) (map[string]store.Entry, error) {
	b, err := l.backend(ctx)
	if err != nil {
		return nil, err
	}
	return b.List(ctx)
}

// Assemble builds the helper over roots and, when a provider mints, the
// router over tokens; opts wire the router (Tokens and Roots are set here,
// and Providers when nil: e.Providers). It does no I/O.
func (e *Env) Assemble(cfg *credentials.Config, roots, tokens store.Backend, opts router.Options) (*Wiring, error) {
	w := &Wiring{Cfg: cfg, Roots: roots, Tokens: tokens}
	hopts := []credentials.Option{credentials.WithStaticCheck(staticCheck), credentials.WithSecretExpiry(static.JWTExpiry)}
	if Minting(cfg) || (tokens != nil && cfg.Detects()) {
		opts.Tokens, opts.Roots = tokens, roots
		if opts.Providers == nil {
			opts.Providers = e.Providers
		}
		var err error
		if w.Router, err = router.New(cfg, opts); err != nil {
			return nil, err
		}
		var m credentials.Minter = w.Router
		if e.Minter != nil {
			m = e.Minter(w.Router)
		}
		hopts = append(hopts, credentials.WithMinter(m))
	}
	w.Helper = credentials.NewHelper(roots, hopts...)
	return w, nil
}

// Minting reports whether any config entry names a provider other than static.
func Minting(cfg *credentials.Config) bool {
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
	if h.IsDockerHubToken() {
		return nil
	}
	return static.Check(h, e)
}

// LookPath finds a program on e's $PATH, as exec.LookPath does on os's,
// in absolute directories only: an empty or relative PATH element (the
// current directory, which another user may control) is skipped, never
// searched. os/exec refuses such a result too (exec.ErrDot), so Docker
// would not run a helper found there; and the hand-off gives the full
// build the request on stdin, a login's password included.
func (e *Env) LookPath(name string) (string, bool) {
	for _, dir := range filepath.SplitList(e.Getenv("PATH")) {
		if !filepath.IsAbs(dir) {
			continue
		}
		if p, ok := LookIn(dir, name); ok {
			return p, true
		}
	}
	return "", false
}

// LookIn finds the program name in dir: an executable file (on Windows,
// with one of the usual extensions).
func LookIn(dir, name string) (string, bool) {
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
