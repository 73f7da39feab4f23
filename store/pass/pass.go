// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package pass is a store.Backend kept in the standard Unix password manager
// pass (https://www.passwordstore.org/), which encrypts each entry with gpg.
//
// The Backend runs the real pass program (through a Runner) to encrypt and
// decrypt, and reads the store's directory itself to list, so that List
// never decrypts anything (one gpg decryption may mean one passphrase
// prompt). Layout under the password store ($PASSWORD_STORE_DIR, default
// ~/.password-store):
//
//	docker-credential-mint/<ns>/<base64url(key)>/<gen>.gpg    the Secret, nothing else (pass insert)
//	docker-credential-mint/<ns>/<base64url(key)>/.<gen>.meta  key, ServerURL, Username, Expiry in plain text
//
// <ns> is the namespace when it is made of [A-Za-z0-9._-] (and does not start
// with a dot), else "~" and its base64url; a key whose base64url would be
// longer than a file name may be (255 bytes) is "~" and the SHA-256 of the
// key in hex (the .meta file keeps the key itself). <gen> is a 20-digit
// generation, the write time in Unix nanoseconds, made larger than any
// generation already there.
//
// The .meta file is hidden, so that `pass ls` shows the entries only; it is
// not secret (pass keeps file names, which hold the same kind of data, in
// clear too). An entry is visible once both files of a generation exist;
// Put writes the .gpg, then the .meta (atomically, by rename), then removes
// older generations, so a kill at any point leaves the previous entry or the
// new one, never neither. Concurrent writers all keep the newest generation.
//
// In a store kept in git (pass git init), pass commits the .gpg files and
// the Backend commits the .meta files and removals with `pass git`, so that
// a clone sees the same entries.
//
// Secrets reach pass on stdin only (`pass insert -m -f`), never in its
// arguments or environment. Unless Options.AllowPrompt is set, gpg runs with
// --batch --pinentry-mode error, so a key whose passphrase is not cached in
// gpg-agent fails at once with an error wrapping store.ErrUnavailable
// instead of waiting on a pinentry nobody sees.
package pass

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/atomicfile"
)

// Prefix is the folder of the password store that holds our entries.
const Prefix = "docker-credential-mint"

// DefaultTimeout bounds every operation whose context has no deadline. A
// pass run is a shell script, a gpg and possibly a gpg-agent start: well
// under a second; the margin covers a loaded machine, and a wedged agent
// becomes an error instead of a hang.
const DefaultTimeout = 15 * time.Second

// NonInteractiveGPGOpts are the gpg options added to PASSWORD_STORE_GPG_OPTS
// unless Options.AllowPrompt: gpg-agent must answer from its cache or fail,
// never start a pinentry.
const NonInteractiveGPGOpts = "--batch --pinentry-mode error"

// Options configures a Backend. The zero value is the user's password store
// and the pass on PATH, without prompts.
type Options struct {
	// Dir is the password store. Empty means $PASSWORD_STORE_DIR, else
	// ~/.password-store.
	Dir string
	// Program is the pass executable; empty means "pass" on PATH.
	Program string
	// Env is added to pass's environment (e.g. GNUPGHOME). The Backend adds
	// PASSWORD_STORE_DIR and PASSWORD_STORE_GPG_OPTS itself.
	Env []string
	// Runner runs pass; nil means ExecRunner with the environment above. A
	// custom Runner must provide that environment itself (see Backend.Env).
	Runner Runner
	// AllowPrompt lets gpg ask for a passphrase through pinentry. Leave it
	// false whenever nobody may be watching: Docker runs helpers without a TTY.
	AllowPrompt bool
}

// Backend is a store.Backend kept in a pass password store. It is safe for
// concurrent use by goroutines and processes.
type Backend struct {
	ns      string
	dir     string // the password store
	program string
	env     []string
	run     Runner
}

var _ store.Backend = (*Backend)(nil)

// New returns a Backend for namespace. It does no I/O.
func New(namespace string, opts Options) *Backend {
	b := &Backend{ns: namespace, dir: opts.Dir, program: opts.Program, run: opts.Runner}
	if b.dir == "" {
		b.dir = DefaultDir()
	}
	if b.program == "" {
		b.program = "pass"
	}
	b.env = append(b.env, opts.Env...)
	b.env = append(b.env, "PASSWORD_STORE_DIR="+b.dir)
	if !opts.AllowPrompt {
		b.env = append(b.env, "PASSWORD_STORE_GPG_OPTS="+strings.TrimSpace(os.Getenv("PASSWORD_STORE_GPG_OPTS")+" "+NonInteractiveGPGOpts))
	}
	if b.run == nil {
		b.run = ExecRunner{Env: b.env}
	}
	return b
}

// DefaultDir is the password store pass uses: $PASSWORD_STORE_DIR, else
// ~/.password-store ("" when there is no home directory either).
func DefaultDir() string {
	if d := os.Getenv("PASSWORD_STORE_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".password-store")
}

// Env is the environment the Backend's default Runner adds for pass:
// Options.Env, PASSWORD_STORE_DIR and, unless AllowPrompt,
// PASSWORD_STORE_GPG_OPTS. No secret is ever in it.
func (b *Backend) Env() []string { return append([]string(nil), b.env...) }

// Dir is the password store the Backend uses.
func (b *Backend) Dir() string { return b.dir }

// Available reports, cheaply and without running gpg, whether a pass store
// is usable: the pass program (and gpg) on PATH and the store initialised
// (a .gpg-id file). It returns nil or an error wrapping store.ErrUnavailable
// that names the fix. It cannot tell whether the gpg key is unlocked:
// operations report that.
func Available(ctx context.Context) error {
	return New("", Options{}).Available(ctx)
}

// Available is the package's Available for this Backend's program and store.
func (b *Backend) Available(ctx context.Context) error {
	if _, err := exec.LookPath(b.program); err != nil {
		return fmt.Errorf("pass: %w: %s not found on PATH (install the pass package)", store.ErrUnavailable, b.program)
	}
	if _, err := exec.LookPath("gpg"); err != nil {
		if _, err2 := exec.LookPath("gpg2"); err2 != nil {
			return fmt.Errorf("pass: %w: gpg not found on PATH (install gnupg)", store.ErrUnavailable)
		}
	}
	if err := b.initialised(); err != nil {
		return fmt.Errorf("pass: %w", err)
	}
	return nil
}

// initialised checks for a .gpg-id from our namespace's folder up to the
// store's root, as pass looks for one.
func (b *Backend) initialised() error {
	if b.dir == "" {
		return fmt.Errorf("%w: no password store (set PASSWORD_STORE_DIR or HOME)", store.ErrUnavailable)
	}
	for d := b.nsDir(); ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".gpg-id")); err == nil {
			return nil
		}
		if d == b.dir || len(d) <= len(b.dir) {
			break
		}
	}
	return fmt.Errorf("%w: password store %s is not initialised (run `pass init <your-gpg-key-id>`)", store.ErrUnavailable, b.dir)
}

// Get implements store.Backend. It decrypts one file with pass show.
func (b *Backend) Get(ctx context.Context, key string) (store.Entry, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	g, err := b.current(key)
	if err != nil {
		return store.Entry{}, fmt.Errorf("pass: get: %w", err)
	}
	out, err := b.run.Run(ctx, nil, b.program, "show", b.entryName(key, g.gen))
	if err != nil {
		return store.Entry{}, b.fail("get", err)
	}
	e := g.entry
	e.Secret = string(out)
	return e, nil
}

// Put implements store.Backend.
func (b *Backend) Put(ctx context.Context, key string, e store.Entry) error {
	if err := store.Check(e); err != nil {
		return fmt.Errorf("pass: put: %w", err)
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if err := b.initialised(); err != nil {
		return fmt.Errorf("pass: put: %w", err)
	}
	before, err := b.generations(key)
	if err != nil {
		return fmt.Errorf("pass: put: %w", err)
	}
	gen := uint64(time.Now().UnixNano())
	for _, g := range before {
		if g.gen >= gen {
			gen = g.gen + 1
		}
	}
	if _, err := b.run.Run(ctx, strings.NewReader(e.Secret), b.program, "insert", "-m", "-f", b.entryName(key, gen)); err != nil {
		return b.fail("put", err)
	}
	if err := writeMeta(b.metaPath(key, gen), key, e); err != nil {
		return fmt.Errorf("pass: put: %w", err)
	}
	// Remove the generations older than the newest complete one. Every writer
	// applies this rule, so concurrent Puts never remove the last entry, and
	// an incomplete newer generation (a writer between its two files) stays.
	after, err := b.generations(key)
	if err != nil {
		return nil // ours is written; the next Put tidies up
	}
	var newest uint64
	for _, g := range after {
		if g.complete() && g.gen > newest {
			newest = g.gen
		}
	}
	for _, g := range after {
		if g.gen >= newest {
			continue
		}
		// Best effort, like the cleanup itself: the entry is the newest
		// generation whatever is left over.
		_ = os.Remove(b.metaPath(key, g.gen))
		if g.hasGPG {
			_ = os.Remove(filepath.Join(b.keyDir(key), genString(g.gen)+".gpg"))
		}
	}
	if b.inGit() {
		// pass insert committed the .gpg; commit the .meta and the removals
		// too, so that a clone of the store sees the entry. Best effort: on
		// failure (another writer holds git's lock) the next Put commits.
		name := b.keyName(key)
		if _, err := b.run.Run(ctx, nil, b.program, "git", "add", "-A", "--", name); err == nil {
			_, _ = b.run.Run(ctx, nil, b.program, "git", "commit", "-q", "-m", "docker-credential-mint: update "+name, "--", name)
		}
	}
	return nil
}

// inGit reports whether the store is kept in git (pass git init), where
// pass commits every change.
func (b *Backend) inGit() bool {
	_, err := os.Stat(filepath.Join(b.dir, ".git"))
	return err == nil
}

// remove deletes a key's folder: with pass rm in a store kept in git (pass
// commits the removal), else itself, sparing a pass run (a shell script
// starting a dozen processes).
func (b *Backend) remove(ctx context.Context, name string) error {
	if b.inGit() {
		_, err := b.run.Run(ctx, nil, b.program, "rm", "-r", "-f", name)
		return err
	}
	path := filepath.Join(b.dir, filepath.FromSlash(name))
	// The .meta files first: the entry disappears at once, whatever is left.
	gens, err := readGenerations(path)
	if err != nil {
		return err
	}
	for _, g := range gens {
		if err := os.Remove(filepath.Join(path, metaFile(g.gen))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return os.RemoveAll(path)
}

// Delete implements store.Backend. It removes the key's folder.
func (b *Backend) Delete(ctx context.Context, key string) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if _, err := b.current(key); err != nil {
		return fmt.Errorf("pass: delete: %w", err)
	}
	if err := b.remove(ctx, b.keyName(key)); err != nil {
		return b.fail("delete", err)
	}
	return nil
}

// List implements store.Backend. It reads the .meta files only.
func (b *Backend) List(ctx context.Context) (map[string]store.Entry, error) {
	des, err := os.ReadDir(b.nsDir())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]store.Entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pass: list: %w: %v", store.ErrUnavailable, err)
	}
	out := make(map[string]store.Entry, len(des))
	for _, de := range des {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("pass: list: %w", err)
		}
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		g, ok := b.newestIn(filepath.Join(b.nsDir(), de.Name()), "")
		if !ok {
			continue
		}
		// The folder must be the key's: a stray or copied folder is ignored.
		if keyDirName(g.key) != de.Name() {
			continue
		}
		out[g.key] = g.entry
	}
	return out, nil
}

// generation is one generation of a key's folder.
type generation struct {
	gen             uint64
	hasGPG, hasMeta bool
	key             string
	entry           store.Entry // from .meta, Secret empty
}

func (g *generation) complete() bool { return g.hasGPG && g.hasMeta }

// genDigits returns the 20-digit generation that name holds between prefix
// and suffix ("<gen>.gpg", ".<gen>.meta"). Hand-written rather than a
// regexp: compiling regexps at package init costs every get, also with
// other keychains.
func genDigits(name, prefix, suffix string) (string, bool) {
	d, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return "", false
	}
	if d, ok = strings.CutSuffix(d, suffix); !ok || len(d) != 20 {
		return "", false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return "", false
		}
	}
	return d, true
}

// generations reads the key's folder; a missing folder has none.
func (b *Backend) generations(key string) (map[uint64]*generation, error) {
	return readGenerations(b.keyDir(key))
}

func readGenerations(dir string) (map[uint64]*generation, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	gens := map[uint64]*generation{}
	get := func(s string) *generation {
		n, _ := strconv.ParseUint(s, 10, 64)
		if gens[n] == nil {
			gens[n] = &generation{gen: n}
		}
		return gens[n]
	}
	for _, de := range des {
		if d, ok := genDigits(de.Name(), "", ".gpg"); ok {
			get(d).hasGPG = true
		} else if d, ok := genDigits(de.Name(), ".", ".meta"); ok {
			get(d).hasMeta = true
		}
	}
	return gens, nil
}

// newestIn returns the newest complete, readable generation of a folder
// whose key is want (any key when want is "").
func (b *Backend) newestIn(dir, want string) (*generation, bool) {
	gens, err := readGenerations(dir)
	if err != nil {
		return nil, false
	}
	var best *generation
	for _, g := range gens {
		if !g.complete() || (best != nil && g.gen < best.gen) {
			continue
		}
		key, e, err := readMeta(filepath.Join(dir, metaFile(g.gen)))
		if err != nil || (want != "" && key != want) {
			continue
		}
		g.key, g.entry = key, e
		best = g
	}
	return best, best != nil
}

// current is the key's entry (without secret), or ErrNotFound.
func (b *Backend) current(key string) (*generation, error) {
	if g, ok := b.newestIn(b.keyDir(key), key); ok {
		return g, nil
	}
	return nil, store.ErrNotFound
}

// Names inside the store.

func (b *Backend) nsDir() string { return filepath.Join(b.dir, Prefix, nsDirName(b.ns)) }

func (b *Backend) keyDir(key string) string { return filepath.Join(b.nsDir(), keyDirName(key)) }

func (b *Backend) metaPath(key string, gen uint64) string {
	return filepath.Join(b.keyDir(key), metaFile(gen))
}

// keyName is the key's folder as pass names it (relative, slash-separated).
func (b *Backend) keyName(key string) string {
	return Prefix + "/" + nsDirName(b.ns) + "/" + keyDirName(key)
}

// entryName is one generation's pass entry name.
func (b *Backend) entryName(key string, gen uint64) string {
	return b.keyName(key) + "/" + genString(gen)
}

func genString(gen uint64) string { return fmt.Sprintf("%020d", gen) }

func metaFile(gen uint64) string { return "." + genString(gen) + ".meta" }

// safeName reports whether ns can be a folder name as it is:
// [A-Za-z0-9_-][A-Za-z0-9._-]{0,254}.
func safeName(ns string) bool {
	if ns == "" || len(ns) > 255 || ns[0] == '.' {
		return false
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// nsDirName is the namespace's folder name.
func nsDirName(ns string) string {
	if safeName(ns) {
		return ns
	}
	return "~" + shortName(ns)
}

// keyDirName is the key's folder name: its base64url, or its SHA-256 when
// that would be too long for a file name.
func keyDirName(key string) string {
	if key == "" {
		return "~"
	}
	return shortName(key)
}

// shortName is base64url(s) if it fits in a file name, else "~" + hex(SHA-256(s)).
func shortName(s string) string {
	if base64.RawURLEncoding.EncodedLen(len(s)) <= 254 {
		return base64.RawURLEncoding.EncodeToString([]byte(s))
	}
	sum := sha256.Sum256([]byte(s))
	return "~" + hex.EncodeToString(sum[:])
}

// The .meta format: a header line, then "name value" lines, values quoted
// with strconv.Quote so that any bytes round-trip.
const metaHeader = "docker-credential-mint pass entry v1"

func writeMeta(path, key string, e store.Entry) error {
	var buf bytes.Buffer
	fmt.Fprintln(&buf, metaHeader)
	fmt.Fprintf(&buf, "key %s\n", strconv.Quote(key))
	fmt.Fprintf(&buf, "server %s\n", strconv.Quote(e.ServerURL))
	fmt.Fprintf(&buf, "username %s\n", strconv.Quote(e.Username))
	if !e.Expiry.IsZero() {
		fmt.Fprintf(&buf, "expiry %d\n", e.Expiry.Unix())
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o600)
}

func readMeta(path string) (string, store.Entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", store.Entry{}, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	if !sc.Scan() || sc.Text() != metaHeader {
		return "", store.Entry{}, errors.New("not a metadata file")
	}
	var key string
	var e store.Entry
	seen := map[string]bool{}
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			return "", store.Entry{}, errors.New("malformed metadata line")
		}
		seen[name] = true
		switch name {
		case "key", "server", "username":
			s, err := strconv.Unquote(value)
			if err != nil {
				return "", store.Entry{}, err
			}
			switch name {
			case "key":
				key = s
			case "server":
				e.ServerURL = s
			case "username":
				e.Username = s
			}
		case "expiry":
			sec, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return "", store.Entry{}, err
			}
			e.Expiry = time.Unix(sec, 0)
		}
	}
	if err := sc.Err(); err != nil {
		return "", store.Entry{}, err
	}
	if !seen["key"] {
		return "", store.Entry{}, errors.New("metadata without key")
	}
	return key, e, nil
}

// withTimeout gives ctx a deadline if it has none.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

// fail turns a failed pass run into a one-line error for op.
func (b *Backend) fail(op string, err error) error {
	msg := stderrOf(err)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("pass: %s: %w: pass did not finish in time (is gpg-agent waiting for a pinentry?): %w", op, store.ErrUnavailable, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("pass: %s: %w", op, err)
	case errors.Is(err, exec.ErrNotFound):
		return fmt.Errorf("pass: %s: %w: %s not found on PATH (install the pass package)", op, store.ErrUnavailable, b.program)
	case strings.Contains(msg, "is not in the password store"):
		return fmt.Errorf("pass: %s: %w", op, store.ErrNotFound)
	case strings.Contains(msg, "pass init"):
		return fmt.Errorf("pass: %s: %w: password store %s is not initialised (run `pass init <your-gpg-key-id>`)", op, store.ErrUnavailable, b.dir)
	case strings.Contains(msg, "decryption failed"), strings.Contains(msg, "No pinentry"),
		strings.Contains(msg, "Operation cancelled"), strings.Contains(msg, "No secret key"),
		strings.Contains(msg, "Bad passphrase"), strings.Contains(msg, "Inappropriate ioctl"):
		return fmt.Errorf("pass: %s: %w: gpg cannot decrypt without asking for a passphrase (unlock your gpg key with gpg-agent, e.g. run `pass show %s` once in a terminal): %v",
			op, store.ErrUnavailable, Prefix+"/...", err)
	case strings.Contains(msg, "encryption failed"), strings.Contains(msg, "Unusable public key"):
		return fmt.Errorf("pass: %s: %w: gpg cannot encrypt to the key in .gpg-id (check `gpg --list-keys` and its trust): %v", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("pass: %s: %w", op, err)
}
