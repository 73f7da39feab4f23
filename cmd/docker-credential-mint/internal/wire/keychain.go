// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package wire

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/file"
)

// KeychainName returns the backend to use: the environment, then the
// config file, then "auto".
func (e *Env) KeychainName(configured string) string {
	if v := strings.TrimSpace(e.Getenv(EnvKeychain)); v != "" {
		return v
	}
	if configured != "" {
		return configured
	}
	return "auto"
}

// ResolveKeychain turns "auto" into the first usable backend's name (see
// AutoKeychain); any other name is returned as is.
func (e *Env) ResolveKeychain(ctx context.Context, name string) (string, error) {
	if name != "auto" {
		return name, nil
	}
	name, _ = e.AutoKeychain(ctx)
	return name, nil
}

// AutoKeychain returns the first usable backend in DESIGN §4's order (the
// OS keychain, Secret Service, pass, and the encrypted file where none of
// those is reachable: servers, CI, containers) and, by name, why each one
// before it was skipped. The get path only keeps the name: nothing is
// formatted here.
func (e *Env) AutoKeychain(ctx context.Context) (name string, skipped map[string]error) {
	for _, n := range PlatformBackends {
		if probe := platformProbes[n]; probe != nil {
			if err := probe(ctx); err != nil {
				e.Debugf("keychain: %s not usable: %v", n, err)
				if skipped == nil {
					skipped = map[string]error{}
				}
				skipped[n] = err
				continue
			}
		}
		e.Debugf("keychain: using %s", n)
		return n, skipped
	}
	return "file", skipped
}

// OpenBackend opens the named backend (not "auto") for namespace ns.
func (e *Env) OpenBackend(ctx context.Context, name, ns string) (store.Backend, error) {
	if name == "file" {
		return e.openFile(ns)
	}
	if open, ok := platformOpen[name]; ok {
		return open(ctx, ns)
	}
	switch name {
	case "keychain", "wincred", "secretservice", "pass":
		return nil, fmt.Errorf("keychain %q is not available on %s: want auto, %s or file", name, runtime.GOOS, strings.Join(PlatformBackends, ", "))
	}
	return nil, fmt.Errorf("unknown keychain %q: want auto, %s or file", name, strings.Join(PlatformBackends, ", "))
}

func (e *Env) openFile(ns string) (store.Backend, error) {
	dir, err := e.DataDir()
	if err != nil {
		return nil, err
	}
	e.Debugf("keychain: file store in %s", dir)
	// The token cache holds what a mint makes again: its writes skip the
	// directory sync (file.Options.Cache).
	return file.New(dir, ns, file.Options{KeyFile: e.Getenv(EnvKeyFile), Cache: ns == NSTokens})
}

type (
	openFunc  func(ctx context.Context, ns string) (store.Backend, error)
	probeFunc func(ctx context.Context) error
)
