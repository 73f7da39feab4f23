// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package file is an encrypted credential store in ordinary files: the
// embedded default where no keychain is reachable (servers, CI, containers,
// SSH sessions without D-Bus). It never prompts and never waits longer than
// its lock timeout or the caller's deadline.
//
// Each namespace is one file, <dir>/<namespace>.mint (bytes other than
// lower-case letters, digits, '-', '_' and inner '.' escaped as %XX),
// encrypted with AES-256-GCM under a 32-byte random key kept in a key file
// (<dir>/key by default, or the file named by Options.KeyFile, e.g. a CI
// secret mounted into the container and named by
// DOCKER_CREDENTIAL_MINT_FILE_KEY_FILE). The directory is created 0700 and
// every file 0600. The key is never rotated.
//
// What this protects against: a copy of the data file alone (a backup, a
// synced or shared folder, a file accidentally committed or attached to a
// bug report, a layer of a container image built without the key) reveals
// no secret, user name or registry; grep and cat of the store show no plain
// text; a modified or swapped record is detected, not used. When the key is
// kept apart from the data (a mounted secret, another volume), the data
// file may travel freely.
//
// What it does not protect against: anyone who can read the user's files
// can read the key file next to the data and decrypt everything, as they
// could read ~/.docker/config.json; root, a debugger attached to the helper
// and malware running as the user all see the secrets. It is obfuscation
// with integrity, not a vault: use an OS keychain where there is one.
//
// Concurrency: readers take no lock and see either the old file or the new
// one, never a mix, because writers replace the file with rename(2). Writers
// serialise on an flock(2) (LockFileEx on Windows) of <file>.lock, read the
// current file, write a complete new one to a temporary file in the same
// directory, fsync it, rename it over the old one and fsync the directory.
// A writer killed at any point leaves the previous file intact; its
// temporary file is removed by the next writer. On platforms without file
// locking (not Linux, macOS, the BSDs or Windows) the store is read-only.
//
// A damaged, truncated or foreign file gives a one-line error,
// "file: <path>: damaged store: <why>; <remedy>" (restore it or its key
// file, or move it aside); writes then refuse rather than
// replace it. A key file that does not match the store gives an error naming
// the key file, never "not found".
//
// A Get reads the header and the index (28 bytes an entry), binary-searches
// it and decrypts one record: about 0.1 M instructions at 1000 entries, and
// under 0.7 M for a whole helper process. List decrypts every record's
// metadata and no secret. The file format is described in format.go.
package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

// EnvKeyFile is the environment variable the command maps to Options.KeyFile.
const EnvKeyFile = "DOCKER_CREDENTIAL_MINT_FILE_KEY_FILE"

// Ext is the file name extension of a namespace's store file.
const Ext = ".mint"

// DefaultLockTimeout is how long a write waits for other writers when
// Options.LockTimeout is zero. A write holds the lock for milliseconds, so
// waiting longer than this means a writer is stuck (stopped, or on a hung
// network file system), and failing beats hanging docker pull.
const DefaultLockTimeout = 10 * time.Second

// prefixRead is how much of a store file a read takes first: a small
// store whole, the header and index of 145 entries. A larger index is read
// in a second call.
const prefixRead = 4 << 10

// Options tunes a Store. The zero value is the default.
type Options struct {
	// KeyFile is the key file's path; default <dir>/key. It is created
	// (0600) by the first write when missing, unless a store file already
	// exists, in which case the key is reported missing instead.
	KeyFile string
	// LockTimeout bounds how long a write waits for another writer; zero
	// means DefaultLockTimeout. The context's deadline also applies.
	LockTimeout time.Duration
	// Cache marks a store of what can be made again (the token cache): a
	// write does not sync the directory after its rename. The new file is
	// still synced before the rename, so a kill or a crash never leaves a
	// damaged or partial file; a power loss right after a write may bring
	// back the previous file, and with it a token minted again.
	Cache bool
}

// Store is an encrypted file store for one namespace. It is safe for
// concurrent use by goroutines and processes.
type Store struct {
	dir, path, keyFile string
	tmpPrefix          string
	lockTimeout        time.Duration
	cache              bool                 // Options.Cache
	sem                chan struct{}        // one writer per Store at a time
	cur                atomic.Pointer[keys] // derived from the last key read
}

var _ store.Backend = (*Store)(nil)

// New returns the Store of namespace in dir. It does no I/O: the directory,
// key file and store file are created by the first write, and reads of a
// store never written find nothing.
func New(dir, namespace string, opts ...Options) (*Store, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if dir == "" {
		return nil, errors.New("file: no directory")
	}
	name, err := fileName(namespace)
	if err != nil {
		return nil, err
	}
	dir = filepath.Clean(dir)
	s := &Store{
		dir:         dir,
		path:        filepath.Join(dir, name),
		keyFile:     o.KeyFile,
		tmpPrefix:   "." + name + ".tmp-",
		lockTimeout: o.LockTimeout,
		cache:       o.Cache,
		sem:         make(chan struct{}, 1),
	}
	if s.keyFile == "" {
		s.keyFile = filepath.Join(dir, "key")
	}
	if s.lockTimeout <= 0 {
		s.lockTimeout = DefaultLockTimeout
	}
	return s, nil
}

// Path returns the store file's path.
func (s *Store) Path() string { return s.path }

// KeyFile returns the key file's path.
func (s *Store) KeyFile() string { return s.keyFile }

// IsCache reports whether the store was opened with Options.Cache.
func (s *Store) IsCache() bool { return s.cache }

// DefaultDir returns where the store lives by default:
// $XDG_DATA_HOME/docker-credential-mint, else ~/.local/share/docker-credential-mint
// on Unix and docker-credential-mint in os.UserConfigDir elsewhere.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "docker-credential-mint"), nil
	}
	switch filepath.Separator {
	case '/':
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("file: %w", err)
		}
		return filepath.Join(home, ".local", "share", "docker-credential-mint"), nil
	default:
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("file: %w", err)
		}
		return filepath.Join(d, "docker-credential-mint"), nil
	}
}

// Get implements store.Backend. It reads the header, the index and one
// record, and decrypts only that record.
func (s *Store) Get(ctx context.Context, key string) (store.Entry, error) {
	if err := ctx.Err(); err != nil {
		return store.Entry{}, fmt.Errorf("file: get %s: %w", key, err)
	}
	f, err := s.openForRead()
	if err != nil || f == nil {
		if err == nil {
			err = fmt.Errorf("file: get %s: %w", key, store.ErrNotFound)
		}
		return store.Entry{}, err
	}
	defer f.close()
	return f.get(key)
}

// List implements store.Backend. It decrypts every entry's metadata, never
// a secret.
func (s *Store) List(ctx context.Context) (map[string]store.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("file: list: %w", err)
	}
	f, err := s.openForRead()
	if err != nil {
		return nil, err
	}
	if f == nil {
		return map[string]store.Entry{}, nil
	}
	defer f.close()
	recs, err := f.records(false, false)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.Entry, len(recs))
	for _, r := range recs {
		out[r.key] = r.ent
	}
	return out, nil
}

// Put implements store.Backend.
func (s *Store) Put(ctx context.Context, key string, e store.Entry) error {
	if err := store.Check(e); err != nil {
		return fmt.Errorf("file: put %s: %w", key, err)
	}
	if len(key) > store.MaxFieldSize {
		return fmt.Errorf("file: put: key of %d bytes: %w", len(key), store.ErrTooLarge)
	}
	return s.update(ctx, "put "+key, func(k *keys, recs []record) ([]record, error) {
		r, err := k.seal(key, e)
		if err != nil {
			return nil, err
		}
		for i := range recs {
			if recs[i].key == key {
				recs[i] = r
				return recs, nil
			}
		}
		return append(recs, r), nil
	})
}

// Delete implements store.Backend.
func (s *Store) Delete(ctx context.Context, key string) error {
	if _, err := os.Lstat(s.path); errors.Is(err, fs.ErrNotExist) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("file: delete %s: %w", key, err)
		}
		return fmt.Errorf("file: delete %s: %w", key, store.ErrNotFound)
	}
	return s.update(ctx, "delete "+key, func(_ *keys, recs []record) ([]record, error) {
		for i := range recs {
			if recs[i].key == key {
				return append(recs[:i], recs[i+1:]...), nil
			}
		}
		return nil, store.ErrNotFound
	})
}

// readFile is an open store file being read.
type readFile struct {
	*file
	f *os.File
}

func (r *readFile) close() { r.f.Close() }

// openForRead opens the store file and checks its header and index. It
// returns nil, nil when the store does not exist.
func (s *Store) openForRead() (*readFile, error) {
	f, err := openRead(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("file: %w", err)
	}
	size := fi.Size()
	prefix := make([]byte, min(size, prefixRead))
	if err := readAt(f, prefix, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("file: read %s: %w", s.path, err)
	}
	sf, err := openFile(s.path, f, prefix, size, s.keys, s.keyFile)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &readFile{file: sf, f: f}, nil
}

// keys returns the keys derived from the key file, reusing the last
// derivation while the file holds the same key.
func (s *Store) keys() (*keys, error) {
	raw, err := readKey(s.keyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("file: %s: key file %s is missing: restore it (the store was encrypted with it) or move the store away", s.path, s.keyFile)
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "file: ") {
			return nil, err
		}
		return nil, fmt.Errorf("file: read key file: %w", err)
	}
	return s.derived(raw)
}

func (s *Store) derived(raw []byte) (*keys, error) {
	if k := s.cur.Load(); k != nil && bytes.Equal(k.raw[:], raw) {
		return k, nil
	}
	if k := lastKeys.Load(); k != nil && bytes.Equal(k.raw[:], raw) {
		s.cur.Store(k)
		return k, nil
	}
	k, err := newKeys(raw)
	if err != nil {
		return nil, fmt.Errorf("file: key file %s: %w", s.keyFile, err)
	}
	s.cur.Store(k)
	lastKeys.Store(k)
	return k, nil
}

// lastKeys is the last key set derived in this process, whatever the
// store: the credential store and the token cache share one key file, and
// a get that mints reads the one and writes the other. keys are safe for
// concurrent use.
var lastKeys atomic.Pointer[keys]

// update runs one read-modify-write of the store under the writer lock.
// fn gets every record (all verified) and returns the new set; an error
// from fn leaves the store untouched.
func (s *Store) update(ctx context.Context, op string, fn func(*keys, []record) ([]record, error)) (err error) {
	defer func() {
		if err != nil && !strings.HasPrefix(err.Error(), "file: ") {
			err = fmt.Errorf("file: %s: %w", op, err)
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	release, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	s.removeStaleTemps()

	var (
		k    *keys
		recs []record
	)
	data, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		raw, err := readKey(s.keyFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			raw, err = createKey(ctx, s.keyFile)
		case err != nil:
			// Another store sharing the key file may be creating it this
			// moment (where it is created in place, as on Windows).
			raw, err = waitKey(ctx, s.keyFile)
		}
		if err != nil {
			return err
		}
		if k, err = s.derived(raw); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		f, err := openFile(s.path, bytes.NewReader(data), data, int64(len(data)), s.keys, s.keyFile)
		if err != nil {
			return err
		}
		if recs, err = f.records(true, true); err != nil {
			return err
		}
		k = f.k
	}
	if recs, err = fn(k, recs); err != nil {
		return err
	}
	out, err := encode(k, recs)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, err := writeTemp(s.dir, s.tmpPrefix, out)
	if err != nil {
		return err
	}
	if err := replace(tmp, s.path); err != nil {
		os.Remove(tmp)
		return err
	}
	if s.cache {
		return nil
	}
	return dirSync(s.dir)
}

// dirSync is syncDir, as update calls it (a test counts the calls).
var dirSync = syncDir

// lock takes the cross-process writer lock, polling until it is free, the
// lock timeout passes or ctx is done.
func (s *Store) lock(ctx context.Context) (release func(), err error) {
	path := s.path + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	timeout := time.NewTimer(s.lockTimeout)
	defer timeout.Stop()
	for delay := time.Millisecond; ; delay = min(2*delay, 25*time.Millisecond) {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			return func() { unlock(f); f.Close() }, nil
		}
		// Jitter keeps polling writers from moving in step.
		wait := time.NewTimer(delay/2 + rand.N(delay)) //nolint:gosec // G404: jitter, not a secret
		select {
		case <-ctx.Done():
			wait.Stop()
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-timeout.C:
			wait.Stop()
			f.Close()
			return nil, fmt.Errorf("lock %s: another writer still holds it after %v: %w", path, s.lockTimeout, store.ErrUnavailable)
		case <-wait.C:
		}
	}
}

// removeStaleTemps removes temporary files left by writers killed before
// their rename. It runs under the writer lock, when no other writer of this
// namespace can have a temporary file. Key files are made without that lock
// (every namespace shares one), so their temporary files go only when old.
func (s *Store) removeStaleTemps() {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	keyTmp := ""
	if filepath.Dir(s.keyFile) == s.dir {
		keyTmp = "." + filepath.Base(s.keyFile) + ".tmp-"
	}
	for _, e := range ents {
		if isTemp(e.Name(), s.tmpPrefix) {
			os.Remove(filepath.Join(s.dir, e.Name()))
		} else if keyTmp != "" && isTemp(e.Name(), keyTmp) {
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > time.Minute {
				os.Remove(filepath.Join(s.dir, e.Name()))
			}
		}
	}
}

// isTemp reports whether name is prefix followed by os.CreateTemp's digits.
func isTemp(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}

// fileName maps a namespace to a file name that is the same on every file
// system and different for every namespace: lower-case letters, digits, '-',
// '_' and inner '.' are kept, every other byte becomes %XX (so "Mint" and
// "mint" stay apart on case-insensitive file systems), Windows device names
// are escaped, and long names are shortened with a hash.
func fileName(ns string) (string, error) {
	if ns == "" {
		return "", errors.New("file: empty namespace")
	}
	var b strings.Builder
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	name := b.String()
	base, _, _ := strings.Cut(name, ".")
	switch base {
	case "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
		"lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9":
		name = fmt.Sprintf("%%%02X", name[0]) + name[1:]
	}
	if len(name) > 150 {
		sum := sha256Hex(ns)
		name = name[:100] + "~" + sum[:32]
	}
	return name + Ext, nil
}
