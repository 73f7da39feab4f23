// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package wire

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/router"
	"github.com/docker-credential-mint/mint/store"
)

// TestAssemble_detectOpensTokensLazily: with no config, cloud detection
// needs a router, but the token cache is opened only when a detected host
// is asked for: get and list of a static registry never open it.
func TestAssemble_detectOpensTokensLazily(t *testing.T) {
	ctx := context.Background()
	opened := 0
	tokens := &lazyBackend{open: func(context.Context) (store.Backend, error) {
		opened++
		return store.NewMemory(), nil
	}}
	roots := store.NewMemory()
	if err := roots.Put(ctx, "quay.io", store.Entry{ServerURL: "quay.io", Username: "u", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	w, err := New(os.Getenv, io.Discard).Assemble(&credentials.Config{}, roots, tokens, router.Options{})
	if err != nil || w.Router == nil {
		t.Fatalf("Assemble = %+v, %v; want a router", w, err)
	}
	if c, err := w.Helper.Get(ctx, "quay.io"); err != nil || c.Secret != "s" {
		t.Errorf("Get(quay.io) = %+v, %v", c, err)
	}
	if l, err := w.Helper.List(ctx); err != nil || len(l) != 1 {
		t.Errorf("List = %v, %v", l, err)
	}
	if opened != 0 {
		t.Fatalf("the token cache was opened for a static registry")
	}
	// This router cannot mint (no Providers): the get fails, after
	// looking in the token cache.
	if _, err := w.Helper.Get(ctx, "123456789012.dkr.ecr.us-east-1.amazonaws.com"); err == nil {
		t.Error("Get(ecr) succeeded without a provider")
	}
	if opened != 1 {
		t.Errorf("token cache opened %d times, want 1", opened)
	}
	// With detect_clouds: false there is no router at all.
	w, err = New(os.Getenv, io.Discard).Assemble(&credentials.Config{NoDetectClouds: true}, roots, nil, router.Options{})
	if err != nil || w.Router != nil {
		t.Errorf("Assemble(detect_clouds: false) = router %v, %v; want none", w.Router, err)
	}
}
