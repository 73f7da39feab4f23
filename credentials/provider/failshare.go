// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/atomicfile"
)

// DefaultShareFailure is how long a failed mint is answered to the other
// gets of the same registry without a new request. Fifty parallel docker
// pulls start within a second or two on a loaded machine and queue for the
// refresh lock; each would otherwise ask a failing endpoint again (and wait
// for its timeout again). Five seconds covers such a herd, and is short
// enough that a person who reads the error and retries gets a fresh try.
const DefaultShareFailure = 5 * time.Second

// DefaultShareNotFound is how long a "no credentials here" of a
// MissKeyer (a cloud provider that found no cloud credentials on the
// machine) is answered without a new look: off the cloud, each look may
// probe a metadata address and run a cloud CLI, and a burst of anonymous
// pulls then pays once. The miss is dropped sooner when its MissKey
// changes (a login, a variable set).
const DefaultShareNotFound = 30 * time.Second

// MissKeyer is a Provider whose not-found (an error wrapping ErrNotFound:
// no credentials on this machine) ShareFailures shares as it shares
// failures, while MissKey stays the same.
type MissKeyer interface {
	// MissKey identifies what the provider looks at to find credentials
	// (which variables are set, the times of the files it reads), cheaply
	// and without I/O beyond a stat: a login or a variable set changes it.
	// It never holds a secret, nor a hash of one.
	MissKey() string
}

// ErrSharedFailure is wrapped by the error that ShareFailures answers in
// place of a request: the same mint failed moments ago.
var ErrSharedFailure = errors.New("shared from a refresh")

// maxShared bounds a recorded failure's message (and the file it is read
// from): errors are one line.
const maxShared = 2 << 10

// ShareOptions configures ShareFailures.
type ShareOptions struct {
	// Dir is where failures are recorded, one small file each, for every
	// process of the user: the cache's lock directory (DefaultLockDir).
	// Empty: failures are shared within this process only.
	Dir string
	// For is how long a failure is shared; zero means DefaultShareFailure.
	For time.Duration
	// NotFoundFor is how long a MissKeyer's not-found is shared; zero
	// means DefaultShareNotFound.
	NotFoundFor time.Duration
	// Fingerprint identifies the provider's configuration, as in
	// CacheOptions: a failure under another configuration is not shared.
	Fingerprint string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ShareFailures returns a Provider that asks p and, when p fails, answers
// that failure, without asking p, to the calls for the same host (in every
// process that shares opts.Dir) during the next opts.For. Under a Cache,
// which asks its provider only under the host's refresh lock, this makes a
// failing endpoint see one request per herd of gets instead of one per get:
// the waiters share the failure as they share a minted token. A Cache
// serves its still-valid cached token in place of the shared failure, as
// for any failure.
//
// Not shared: an error wrapping ErrNotFound (nothing to mint from), except
// a MissKeyer's, shared for opts.NotFoundFor while its MissKey is the same
// and answered still wrapping ErrNotFound; and a failure that came with
// the caller's own context ending (its deadline, not the endpoint's). A
// success clears the host's failure. The messages recorded are provider
// errors, which never hold a secret; they are kept in files of the user's
// own lock directory.
//
// Do not wrap Handoff: a Cache tells it apart by identity.
func ShareFailures(p Provider, opts ShareOptions) Provider {
	if opts.For <= 0 {
		opts.For = DefaultShareFailure
	}
	if opts.NotFoundFor <= 0 {
		opts.NotFoundFor = DefaultShareNotFound
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &sharing{p: p, opts: opts}
}

type sharing struct {
	p    Provider
	opts ShareOptions
}

// failure is a recorded failure, as kept in its file.
type failure struct {
	V           int       `json:"v"`
	Key         string    `json:"key"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	At          time.Time `json:"at"`
	Error       string    `json:"error"`
	// NotFound marks a MissKeyer's not-found (version 2), with its MissKey.
	NotFound bool   `json:"not_found,omitempty"`
	MissKey  string `json:"miss_key,omitempty"`
}

// local holds the failures of a sharing without a Dir: key → failure.
var local sync.Map

func (s *sharing) Token(ctx context.Context, host credentials.Host, root *store.Entry) (*Token, error) {
	key := host.Key()
	now := s.opts.Now()
	mk, misses := s.p.(MissKeyer)
	missKey := ""
	if misses {
		missKey = mk.MissKey()
	}
	if f, ok := s.load(key); ok && f.Fingerprint == s.opts.Fingerprint && !now.Before(f.At) {
		switch age := now.Sub(f.At); {
		case f.NotFound && f.MissKey == missKey && age < s.opts.NotFoundFor:
			return nil, fmt.Errorf("%s; %w %s ago, looked for again %s after it: %w", f.Error, ErrSharedFailure, age.Round(time.Millisecond), s.opts.NotFoundFor, ErrNotFound)
		case !f.NotFound && age < s.opts.For:
			return nil, fmt.Errorf("%s; %w %s ago, retried %s after it", f.Error, ErrSharedFailure, age.Round(time.Millisecond), s.opts.For)
		}
	}
	tok, err := s.p.Token(ctx, host, root)
	notFound := errors.Is(err, ErrNotFound)
	switch {
	case err == nil:
		s.clear(key)
	case notFound && !misses, ctx.Err() != nil:
	default:
		msg := credentials.OneLine(err.Error())
		if len(msg) > maxShared {
			msg = strings.ToValidUTF8(msg[:maxShared], "") + "…"
		}
		f := failure{V: 1, Key: key, Fingerprint: s.opts.Fingerprint, At: s.opts.Now(), Error: msg}
		if notFound {
			// Version 2: a reader that knows only failures skips it.
			f.V, f.NotFound, f.MissKey = 2, true, missKey
		}
		_ = s.save(f)
	}
	return tok, err
}

// failureFile is where key's failure is kept in dir: named by hashes of
// the registry and of the key, so ForgetFailures finds a registry's files.
func failureFile(dir, key string) string {
	return filepath.Join(dir, registryHash(registryOf(key))+"-"+shortHash(key)+".fail")
}

// registryOf returns the registry part of a host key (host[:port]).
func registryOf(key string) string {
	reg, _, _ := strings.Cut(key, "/")
	return reg
}

func registryHash(reg string) string { return "f" + shortHash(reg) }

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func (s *sharing) load(key string) (failure, bool) {
	if s.opts.Dir == "" {
		v, ok := local.Load(key)
		if !ok {
			return failure{}, false
		}
		return v.(failure), true
	}
	fh, err := os.Open(failureFile(s.opts.Dir, key))
	if err != nil {
		return failure{}, false
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, 2*maxShared))
	var f failure
	if err != nil || json.Unmarshal(b, &f) != nil || f.V != 1 && f.V != 2 || f.V == 2 != f.NotFound || f.Key != key || f.Error == "" {
		return failure{}, false
	}
	return f, true
}

// save writes f's file atomically (atomicfile), so a reader sees a whole
// record or none.
func (s *sharing) save(f failure) error {
	if s.opts.Dir == "" {
		local.Store(f.Key, f)
		return nil
	}
	if err := os.MkdirAll(s.opts.Dir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(failureFile(s.opts.Dir, f.Key), b, 0o600)
}

func (s *sharing) clear(key string) {
	if s.opts.Dir == "" {
		local.Delete(key)
		return
	}
	_ = os.Remove(failureFile(s.opts.Dir, key))
}

// ForgetFailures drops the failures shared in dir (the ShareOptions.Dir;
// "" for this process's) for registry (host[:port]) and every path scope
// of it. store and erase of a root credential must call it, beside
// dropping the cached tokens: a new credential (say the fix for a refused
// client secret) is tried at once, not answered with the old failure.
func ForgetFailures(dir, registry string) error {
	if dir == "" {
		local.Range(func(k, _ any) bool {
			if registryOf(k.(string)) == registry {
				local.Delete(k)
			}
			return true
		})
		return nil
	}
	files, err := filepath.Glob(filepath.Join(dir, registryHash(registry)+"-*.fail"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("provider: forget the failures of %s: %w", registry, err)
		}
	}
	return nil
}
