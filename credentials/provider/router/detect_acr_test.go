// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package router

import (
	"context"
	"errors"
	"fmt"
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
	if u := rt.ListedUsername(ctx, host(t, acrHost), store.Entry{Username: "stored"}); u != credentials.ACRUsername {
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
