// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package store defines Backend, the one interface every credential store
// (OS keychain, Secret Service, pass, the encrypted file) implements, and a
// memory Backend for tests.
//
// A Backend keeps one Entry per key in one namespace. Keys are canonical
// registry keys made by credentials.ParseHost (host[:port][/path]); a backend
// treats them as opaque strings. Entry metadata (ServerURL, Username, Expiry)
// is not secret and may be listed without decrypting secrets; Secret must
// never be written anywhere in plain text.
package store

import (
	"context"
	"errors"
	"time"
)

// Entry is one stored credential.
type Entry struct {
	// ServerURL is the server URL exactly as the client sent it to store.
	ServerURL string
	// Username is the user name, or "<token>" for an identity token.
	Username string
	// Secret is the password or token. Never logged, never in plain text on disk.
	Secret string
	// Expiry is when Secret stops working; the zero time means unknown or never.
	Expiry time.Time
}

// Backend is a credential store. Implementations are safe for concurrent use
// by goroutines and by processes: a Put or Delete from another process is
// either fully visible or not at all, and a crash in the middle of a write
// leaves the previous contents intact. Every method honours ctx's deadline.
type Backend interface {
	// Get returns the entry stored under key, or an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) (Entry, error)
	// Put stores e under key, replacing whatever was there.
	Put(ctx context.Context, key string, e Entry) error
	// Delete removes key. It returns an error wrapping ErrNotFound when key is absent.
	Delete(ctx context.Context, key string) error
	// List returns every entry of this namespace by key, with Secret left empty:
	// listing never needs to decrypt a secret. An empty store is not an error.
	List(ctx context.Context) (map[string]Entry, error)
}

// Sentinel errors shared by every backend.
var (
	// ErrNotFound means the key is not stored.
	ErrNotFound = errors.New("credentials not found")
	// ErrTooLarge means the entry exceeds what the backend can hold.
	ErrTooLarge = errors.New("entry too large")
	// ErrUnsupportedPlatform means the backend does not exist on this OS.
	ErrUnsupportedPlatform = errors.New("backend not supported on this platform")
	// ErrUnavailable means the backend exists but cannot be used now (no D-Bus,
	// locked keyring, pass not initialised, ...). The wrapping error says why.
	ErrUnavailable = errors.New("keychain unavailable")
)

// MaxSecretSize is the largest Secret any backend must accept (a few large
// JWTs); larger secrets get ErrTooLarge, never a truncation.
const MaxSecretSize = 64 << 10

// MaxFieldSize is the largest ServerURL or Username accepted.
const MaxFieldSize = 4 << 10

// Check reports ErrTooLarge for entries no backend must be asked to keep.
func Check(e Entry) error {
	if len(e.Secret) > MaxSecretSize || len(e.ServerURL) > MaxFieldSize || len(e.Username) > MaxFieldSize {
		return ErrTooLarge
	}
	return nil
}
