// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build !linux

package secretservice

import (
	"context"
	"fmt"

	"github.com/docker-credential-mint/mint/store"
)

// Backend is the Secret Service backend; on this operating system every
// method fails with store.ErrUnsupportedPlatform.
type Backend struct{}

var _ store.Backend = (*Backend)(nil)

var errUnsupported = fmt.Errorf("secretservice: %w", store.ErrUnsupportedPlatform)

// New returns a Backend that fails with store.ErrUnsupportedPlatform.
func New(namespace string, opts Options) *Backend { return &Backend{} }

// Available returns an error wrapping store.ErrUnsupportedPlatform.
func Available(ctx context.Context) error { return errUnsupported }

// Available returns an error wrapping store.ErrUnsupportedPlatform.
func (b *Backend) Available(ctx context.Context) error { return errUnsupported }

// Close does nothing.
func (b *Backend) Close() error { return nil }

// Get implements store.Backend; it fails with store.ErrUnsupportedPlatform.
func (b *Backend) Get(ctx context.Context, key string) (store.Entry, error) {
	return store.Entry{}, errUnsupported
}

// Put implements store.Backend; it fails with store.ErrUnsupportedPlatform.
func (b *Backend) Put(ctx context.Context, key string, e store.Entry) error { return errUnsupported }

// Delete implements store.Backend; it fails with store.ErrUnsupportedPlatform.
func (b *Backend) Delete(ctx context.Context, key string) error { return errUnsupported }

// List implements store.Backend; it fails with store.ErrUnsupportedPlatform.
func (b *Backend) List(ctx context.Context) (map[string]store.Entry, error) {
	return nil, errUnsupported
}
