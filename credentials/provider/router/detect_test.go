// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package router

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/store"
)

const ecrHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

// fakeFactory makes providers that answer "<provider>-<profile>-<n>" and
// records the entries it was given.
type fakeFactory struct {
	mu    sync.Mutex
	regs  []credentials.Registry
	calls int
}

func (f *fakeFactory) make(reg credentials.Registry, _ store.Backend, _ func() time.Time) (provider.Provider, error) {
	f.mu.Lock()
	f.regs = append(f.regs, reg)
	f.mu.Unlock()
	return provider.Func(func(context.Context, credentials.Host, *store.Entry) (*provider.Token, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls++
		return &provider.Token{Username: "AWS", Secret: reg.Provider + "-" + reg.AWSProfile + "-" + string(rune('0'+f.calls)), Expiry: time.Now().Add(12 * time.Hour)}, nil
	}), nil
}

func detectRouter(t *testing.T, config string, f *fakeFactory) *Router {
	t.Helper()
	cfg, err := credentials.LoadConfig(strings.NewReader(config), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Tokens: store.NewMemory(), Roots: store.NewMemory(), LockDir: t.TempDir()}
	if f != nil {
		opts.Providers = f.make
	}
	rt, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestRouter_detect: with no entry, an ECR host is claimed by an implicit
// ecr entry and minted once; other hosts (public.ecr.aws included) are not
// claimed; list names no detected registry and says AWS for stored ones.
func TestRouter_detect(t *testing.T) {
	f := &fakeFactory{}
	rt := detectRouter(t, "", f)
	for h, want := range map[string]bool{
		ecrHost:                                 true,
		ecrHost + "/team/app":                   true,
		"123456789012.dkr-ecr.eu-west-1.on.aws": true,
		"public.ecr.aws":                        false,
		"quay.io":                               false,
		"dkr.ecr.us-east-1.amazonaws.com":       false,
	} {
		if got := rt.Claims(host(t, h)); got != want {
			t.Errorf("Claims(%q) = %v, want %v", h, got, want)
		}
	}
	ctx := context.Background()
	for range 3 {
		a, err := rt.Mint(ctx, host(t, ecrHost), nil)
		if err != nil || a.Username != "AWS" || a.Secret != "ecr--1" {
			t.Fatalf("Mint = %+v, %v", a, err)
		}
	}
	if f.calls != 1 || len(f.regs) != 1 || f.regs[0].Provider != credentials.ProviderECR {
		t.Errorf("provider made for %+v, asked %d times; want one ecr entry asked once", f.regs, f.calls)
	}
	if u := rt.ListedUsername(ctx, host(t, ecrHost), store.Entry{Username: "stored"}); u != "AWS" {
		t.Errorf("ListedUsername = %q, want AWS", u)
	}
	if u := rt.Unstored(ctx); len(u) != 0 {
		t.Errorf("Unstored = %v, want nothing (a detected entry names no one registry)", u)
	}
}

// TestRouter_detect_overridden: an explicit entry wins over detection
// (static: the stored credential is served; ecr: with its options), and
// detect_clouds: false turns detection off.
func TestRouter_detect_overridden(t *testing.T) {
	h := host(t, ecrHost)
	if detectRouter(t, "registries:\n  - match: \"*.dkr.ecr.*.amazonaws.com\"\n    provider: static\n", &fakeFactory{}).Claims(h) {
		t.Error("a static entry does not override detection")
	}
	if detectRouter(t, "detect_clouds: false\n", &fakeFactory{}).Claims(h) {
		t.Error("detect_clouds: false does not turn detection off")
	}
	f := &fakeFactory{}
	rt := detectRouter(t, "registries:\n  - match: \"*.dkr.ecr.us-east-1.amazonaws.com\"\n    provider: ecr\n    aws_profile: prod\n", f)
	a, err := rt.Mint(context.Background(), h, nil)
	if err != nil || a.Secret != "ecr-prod-1" {
		t.Errorf("Mint = %+v, %v; want the explicit entry's token", a, err)
	}
	// Its neighbour in another region is still detected.
	a, err = rt.Mint(context.Background(), host(t, "123456789012.dkr.ecr.eu-west-1.amazonaws.com"), nil)
	if err != nil || a.Secret != "ecr--2" {
		t.Errorf("Mint(eu-west-1) = %+v, %v; want the detected entry's token", a, err)
	}
}

// TestRouter_detect_cacheOnly: a router that cannot mint (the protocol
// binary's) still claims a detected host and serves its cached token.
func TestRouter_detect_cacheOnly(t *testing.T) {
	tokens, lock := store.NewMemory(), t.TempDir()
	full, err := New(&credentials.Config{}, Options{Tokens: tokens, LockDir: lock, Providers: (&fakeFactory{}).make})
	if err != nil {
		t.Fatal(err)
	}
	lean, err := New(&credentials.Config{}, Options{Tokens: tokens, LockDir: lock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, h := context.Background(), host(t, ecrHost)
	if _, ok, err := lean.Fresh(ctx, h, nil); ok || err != nil {
		t.Fatalf("Fresh before a mint = %v, %v", ok, err)
	}
	if _, err := full.Mint(ctx, h, nil); err != nil {
		t.Fatal(err)
	}
	if a, ok, err := lean.Fresh(ctx, h, nil); !ok || err != nil || a.Secret != "ecr--1" {
		t.Errorf("Fresh after a mint = %+v, %v, %v", a, ok, err)
	}
}

// TestRouter_detectGCR: with no entry, Google's registries are claimed by
// one implicit gcr entry (one token per registry host); a stored login is
// answered as it is (an explicit gcr entry mints, and list says
// oauth2accesstoken for it); a static entry and detect_clouds: false win
// as for ECR.
func TestRouter_detectGCR(t *testing.T) {
	f := &fakeFactory{}
	rt := detectRouter(t, "", f)
	for h, want := range map[string]bool{
		"gcr.io":                         true,
		"eu.gcr.io/proj/app":             true,
		"us-central1-docker.pkg.dev/p/r": true,
		"gcr.io:5000":                    false,
		"docker.pkg.dev":                 false,
	} {
		if got := rt.Claims(host(t, h)); got != want {
			t.Errorf("Claims(%q) = %v, want %v", h, got, want)
		}
	}
	ctx := context.Background()
	for range 2 {
		if a, err := rt.Mint(ctx, host(t, "gcr.io/proj/app"), nil); err != nil || a.Secret != "gcr--1" {
			t.Fatalf("Mint = %+v, %v", a, err)
		}
	}
	if len(f.regs) != 1 || f.regs[0].Provider != credentials.ProviderGCR {
		t.Errorf("provider made for %+v", f.regs)
	}
	explicit := detectRouter(t, "registries:\n  - match: gcr.io\n    provider: gcr\n", &fakeFactory{})
	if u := explicit.ListedUsername(ctx, host(t, "gcr.io"), store.Entry{Username: "stored"}); u != "oauth2accesstoken" {
		t.Errorf("ListedUsername of an explicit entry = %q", u)
	}
	if !rt.MayClaimKey("us-docker.pkg.dev/p/r") || rt.MayClaimKey("quay.io") {
		t.Error("MayClaimKey does not tell Google keys from others")
	}
	// A stored login (docker login -u _json_key) is answered as stored, a
	// repository under it is not found (the client then asks the registry,
	// as before detection), and list shows its user.
	login := store.Entry{ServerURL: "eu.gcr.io", Username: "_json_key", Secret: "{\"type\":\"service_account\"}"}
	if err := rt.opts.Roots.Put(ctx, "eu.gcr.io", login); err != nil {
		t.Fatal(err)
	}
	if a, err := rt.Mint(ctx, host(t, "eu.gcr.io"), &login); err != nil || a.Username != "_json_key" || a.Secret != login.Secret || a.Minted {
		t.Errorf("Mint with a stored login = %+v, %v", a, err)
	}
	if a, ok, err := rt.Fresh(ctx, host(t, "eu.gcr.io/proj/app"), nil); !errors.Is(err, provider.ErrNotFound) || ok || a.Secret != "" {
		t.Errorf("Fresh under a stored login = %+v, %v, %v", a, ok, err)
	}
	if u := rt.ListedUsername(ctx, host(t, "eu.gcr.io"), store.Entry{ServerURL: "eu.gcr.io", Username: "_json_key"}); u != "_json_key" {
		t.Errorf("ListedUsername of a stored login = %q", u)
	}
	if len(f.regs) != 1 || f.calls != 1 {
		t.Errorf("a stored login minted: %d providers, %d calls", len(f.regs), f.calls)
	}
	if detectRouter(t, "registries:\n  - match: gcr.io\n    provider: static\n", &fakeFactory{}).Claims(host(t, "gcr.io")) {
		t.Error("a static entry does not override detection")
	}
	if detectRouter(t, "detect_clouds: false\n", &fakeFactory{}).Claims(host(t, "gcr.io")) {
		t.Error("detect_clouds: false does not turn detection off")
	}
}
