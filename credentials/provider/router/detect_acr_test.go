// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package router

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/store"
)

const acrHost = "myreg.azurecr.io"

// TestRouter_detectACR: with no entry, an ACR host (each cloud's suffix)
// is claimed by an implicit acr entry, listed under the nil UUID; an
// explicit static entry and detect_clouds: false give it back to the
// store; list may claim its key.
func TestRouter_detectACR(t *testing.T) {
	f := &fakeFactory{}
	rt := detectRouter(t, "", f)
	for h, want := range map[string]bool{
		acrHost:                 true,
		acrHost + "/team/app":   true,
		"myreg.azurecr.cn":      true,
		"myreg.azurecr.us":      true,
		"myreg.azurecr.io:5000": false,
		"azurecr.io":            false,
	} {
		if got := rt.Claims(host(t, h)); got != want {
			t.Errorf("Claims(%q) = %v, want %v", h, got, want)
		}
	}
	ctx := context.Background()
	if _, err := rt.Mint(ctx, host(t, acrHost), nil); err != nil {
		t.Fatal(err)
	}
	if len(f.regs) != 1 || f.regs[0].Provider != credentials.ProviderACR || f.regs[0].Line != 0 {
		t.Errorf("provider made for %+v; want the implicit acr entry", f.regs)
	}
	if u := rt.ListedUsername(ctx, host(t, acrHost), store.Entry{}); u != credentials.ACRUsername {
		t.Errorf("ListedUsername = %q", u)
	}
	if !rt.MayClaimKey(acrHost) || rt.MayClaimKey("quay.io") {
		t.Error("MayClaimKey does not single out the ACR key")
	}
	if detectRouter(t, "registries:\n  - match: \"*.azurecr.io\"\n    provider: static\n", &fakeFactory{}).Claims(host(t, acrHost)) {
		t.Error("a static entry does not override detection")
	}
	if detectRouter(t, "detect_clouds: false\n", &fakeFactory{}).Claims(host(t, acrHost)) {
		t.Error("detect_clouds: false does not turn detection off")
	}
}

// TestRouter_detectACR_noCredentials: when the acr provider finds no Azure
// credentials (not found), Mint is not found, so the helper answers "not
// found" and docker pulls anonymously; nothing is cached or shared, and
// the next get asks again.
func TestRouter_detectACR_noCredentials(t *testing.T) {
	calls := 0
	cfg := &credentials.Config{}
	rt, err := New(cfg, Options{Tokens: store.NewMemory(), LockDir: t.TempDir(), Providers: func(reg credentials.Registry, _ store.Backend, _ func() time.Time) (provider.Provider, error) {
		return provider.Func(func(context.Context, credentials.Host, *store.Entry) (*provider.Token, error) {
			calls++
			return nil, fmt.Errorf("acr: %s: no Azure credentials found: %w", acrHost, provider.ErrNotFound)
		}), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := rt.Mint(context.Background(), host(t, acrHost), nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Mint = %v, want not found", err)
		}
	}
	if calls != 2 {
		t.Errorf("provider asked %d times, want 2", calls)
	}
}

// TestRouter_detectACR_storedLogin: a detected host keeps serving a login
// of its own stored with docker login (an admin user, a repository token:
// another username than the nil UUID), by Mint, by Fresh (the protocol
// binary) and in list, without asking the provider; a stored login under
// the nil UUID (az acr login's) is minted afresh, and served as stored
// when the provider finds no Azure credentials.
func TestRouter_detectACR_storedLogin(t *testing.T) {
	calls := 0
	found := true
	rt, err := New(&credentials.Config{}, Options{Tokens: store.NewMemory(), LockDir: t.TempDir(), Providers: func(reg credentials.Registry, _ store.Backend, _ func() time.Time) (provider.Provider, error) {
		return provider.Func(func(context.Context, credentials.Host, *store.Entry) (*provider.Token, error) {
			calls++
			if !found {
				return nil, fmt.Errorf("acr: no Azure credentials found: %w", provider.ErrNotFound)
			}
			return &provider.Token{Username: credentials.ACRUsername, Secret: "minted", Expiry: time.Now().Add(3 * time.Hour)}, nil
		}), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, h := context.Background(), host(t, acrHost)
	admin := &store.Entry{ServerURL: acrHost, Username: "myreg", Secret: "admin-password"}
	if a, err := rt.Mint(ctx, h, admin); err != nil || a.Username != "myreg" || a.Secret != "admin-password" || a.Minted {
		t.Errorf("Mint with an admin login = %+v, %v", a, err)
	}
	if a, ok, err := rt.Fresh(ctx, h, admin); !ok || err != nil || a.Secret != "admin-password" {
		t.Errorf("Fresh with an admin login = %+v, %v, %v", a, ok, err)
	}
	if u := rt.ListedUsername(ctx, h, *admin); u != "myreg" {
		t.Errorf("ListedUsername = %q, want myreg", u)
	}
	if calls != 0 {
		t.Errorf("provider asked %d times for an admin login", calls)
	}
	azLogin := &store.Entry{ServerURL: acrHost, Username: credentials.ACRUsername, Secret: "old-refresh-token"}
	if a, err := rt.Mint(ctx, h, azLogin); err != nil || a.Secret != "minted" || calls != 1 {
		t.Errorf("Mint with az acr login's = %+v, %v (%d calls)", a, err, calls)
	}
	found = false
	h2 := host(t, "other.azurecr.io")
	if a, err := rt.Mint(ctx, h2, azLogin); err != nil || a.Secret != "old-refresh-token" {
		t.Errorf("Mint with no Azure credentials = %+v, %v; want the stored login", a, err)
	}
}

// TestRouter_detectACR_pathOwnLogin: a repository path of a detected ACR
// host whose bare registry has its own login stored is not found (the
// helper never falls back from a path to the registry, so the client asks
// the registry next, which is served that login), by Mint and Fresh,
// without asking the provider; under the nil UUID, the path is minted.
func TestRouter_detectACR_pathOwnLogin(t *testing.T) {
	calls := 0
	roots := store.NewMemory()
	rt, err := New(&credentials.Config{}, Options{Tokens: store.NewMemory(), Roots: roots, LockDir: t.TempDir(), Providers: func(reg credentials.Registry, _ store.Backend, _ func() time.Time) (provider.Provider, error) {
		return provider.Func(func(context.Context, credentials.Host, *store.Entry) (*provider.Token, error) {
			calls++
			return &provider.Token{Username: credentials.ACRUsername, Secret: "minted", Expiry: time.Now().Add(3 * time.Hour)}, nil
		}), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, h := context.Background(), host(t, acrHost+"/team/app")
	roots.Put(ctx, acrHost, store.Entry{ServerURL: acrHost, Username: "myreg", Secret: "admin-password"})
	if _, err := rt.Mint(ctx, h, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Mint of a path = %v, want not found", err)
	}
	if _, _, err := rt.Fresh(ctx, h, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Fresh of a path = %v, want not found", err)
	}
	if calls != 0 {
		t.Errorf("provider asked %d times", calls)
	}
	roots.Put(ctx, acrHost, store.Entry{ServerURL: acrHost, Username: credentials.ACRUsername, Secret: "old"})
	if a, err := rt.Mint(ctx, h, nil); err != nil || a.Secret != "minted" {
		t.Errorf("Mint of a path under az acr login = %+v, %v", a, err)
	}
}

// TestRouter_detectACR_credentialsGone: when the chain finds no credentials
// at a refresh (a managed identity probe that timed out once), a cached
// token that has not expired is served with a warning; once it has
// expired, the host is not found.
func TestRouter_detectACR_credentialsGone(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	clock := t0
	gone := false
	var warnings []string
	rt, err := New(&credentials.Config{}, Options{Tokens: store.NewMemory(), LockDir: t.TempDir(), Now: func() time.Time { return clock },
		Warn: func(s string) { warnings = append(warnings, s) },
		Providers: func(reg credentials.Registry, _ store.Backend, _ func() time.Time) (provider.Provider, error) {
			return provider.Func(func(context.Context, credentials.Host, *store.Entry) (*provider.Token, error) {
				if gone {
					return nil, fmt.Errorf("acr: no Azure credentials found: %w", provider.ErrNotFound)
				}
				return &provider.Token{Username: credentials.ACRUsername, Secret: "minted", Expiry: t0.Add(3 * time.Hour)}, nil
			}), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, h := context.Background(), host(t, acrHost)
	if _, err := rt.Mint(ctx, h, nil); err != nil {
		t.Fatal(err)
	}
	gone, clock = true, t0.Add(3*time.Hour-time.Minute)
	if a, err := rt.Mint(ctx, h, nil); err != nil || a.Secret != "minted" {
		t.Errorf("Mint inside the margin = %+v, %v; want the cached token", a, err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "no Azure credentials found") {
		t.Errorf("warnings = %q", warnings)
	}
	clock = t0.Add(3 * time.Hour)
	if _, err := rt.Mint(ctx, h, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Mint after expiry = %v, want not found", err)
	}
}
