// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package secretservice

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/docker-credential-mint/mint/store"
	"github.com/godbus/dbus/v5"
)

// Backend is a store.Backend kept in the default collection of a Secret
// Service. It is safe for concurrent use; concurrent Puts of one key from
// several processes leave exactly one of the written entries.
//
// A Backend opens one D-Bus connection on first use and keeps it (with one
// Secret Service session) until Close.
type Backend struct {
	ns       string
	opts     Options
	cacheDir string // of List's cache (see listcache_linux.go); "" for none

	mu      sync.Mutex // guards the fields below
	conn    *dbus.Conn
	addr    string          // the address conn was dialled at
	refused func() error    // see dial
	coll    dbus.ObjectPath // the collection when its alias path does not work ("" until then)
	sess    *session        // opened at most once per connection
}

var _ store.Backend = (*Backend)(nil)

// New returns a Backend for namespace. It does no I/O: the bus is dialled on
// first use.
func New(namespace string, opts Options) *Backend {
	return &Backend{ns: namespace, opts: opts, cacheDir: cacheDirOf(os.Getenv)}
}

// Close closes the D-Bus connection, if any. The Backend may be used again:
// the next call reconnects.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conn == nil {
		return nil
	}
	err := b.conn.Close()
	b.conn, b.coll, b.sess = nil, "", nil
	return err
}

// Get implements store.Backend. It takes two round trips on an open
// connection: the search, then the attributes and secrets of what it
// found; three on a new one, whose session opens with the attributes.
func (b *Backend) Get(ctx context.Context, key string) (store.Entry, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	q := b.keyQuery(key)
	c, paths, err := b.start(ctx, "get", q, nil)
	if err != nil {
		return store.Entry{}, err
	}
	if len(paths) == 0 {
		return store.Entry{}, fmt.Errorf("secretservice: get: %w", store.ErrNotFound)
	}
	opening, err := c.beginSession(ctx)
	if err != nil {
		return store.Entry{}, b.fail("get", err)
	}
	var secretsCall *dbus.Call
	if opening == nil {
		secretsCall = c.sendGetSecrets(ctx, paths)
	}
	items, err := c.items(ctx, paths, q)
	if err != nil {
		return store.Entry{}, b.fail("get", err)
	}
	if secretsCall == nil {
		if _, err := c.session(ctx, opening); err != nil {
			return store.Entry{}, b.fail("get", err)
		}
		secretsCall = c.sendGetSecrets(ctx, paths)
	}
	secrets, err := c.secrets(secretsCall)
	bulk := !isDBusError(err, errUnknownMethod) // else ask the item itself, below
	if err != nil && bulk {
		return store.Entry{}, b.fail("get", err)
	}
	// The newest item of key whose secret could be read: an item deleted
	// between the search and now is passed over.
	var w *item
	var sec secret
	for {
		w = nil
		for _, it := range items {
			if it.key == key && (w == nil || w.less(&it)) {
				w = &it
			}
		}
		if w == nil {
			return store.Entry{}, fmt.Errorf("secretservice: get: %w", store.ErrNotFound)
		}
		var ok bool
		if bulk {
			sec, ok = secrets[w.path]
		} else if sec, err = c.getSecret(ctx, w.path); err == nil {
			ok = true
		} else if !isDBusError(err, gone...) {
			return store.Entry{}, b.fail("get", err)
		}
		if ok {
			break
		}
		delete(items, w.path)
	}
	plain, err := c.open(sec)
	if err != nil {
		return store.Entry{}, b.fail("get", err)
	}
	e := w.entry
	e.Secret = string(plain)
	return e, nil
}

// Put implements store.Backend. The new item is written before any previous
// one is removed, so a crash in between leaves both, and the newer wins.
func (b *Backend) Put(ctx context.Context, key string, e store.Entry) error {
	if err := store.Check(e); err != nil {
		return fmt.Errorf("secretservice: put: %w", err)
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	q := b.keyQuery(key)
	c, paths, err := b.start(ctx, "put", q, nil)
	if err != nil {
		return err
	}
	opening, err := c.beginSession(ctx)
	if err != nil {
		return b.fail("put", err)
	}
	before, err := c.items(ctx, paths, q)
	if err != nil {
		return b.fail("put", err)
	}
	if _, err := c.session(ctx, opening); err != nil {
		return b.fail("put", err)
	}
	// The common case, a new secret for the same server URL and username:
	// the one item is replaced in place, its attributes (mtime included)
	// unchanged. The keyring rewrites its file once (a second time for a
	// removal would double the cost of a store). An item written in place
	// keeps its rank among the key's items, which is right: concurrent Puts
	// that each create a newer item win over it, as if it came first.
	if w := sameEntry(before, key, e); w != nil {
		p, err := c.createItem(ctx, label(e), b.attributes(key, e, w.mtime), []byte(e.Secret))
		if err != nil {
			return b.fail("put", err)
		}
		if p == w.path {
			return nil
		}
		// The service made a new item instead (it ignores replace): tidy
		// up below, as after any new item.
	} else {
		// mtime orders the items of one key: ours must be newer than any we
		// can see, even if the clock went backwards since they were written.
		mtime := time.Now().UnixNano()
		for _, it := range before {
			if it.mtime >= mtime {
				mtime = it.mtime + 1
			}
		}
		if _, err := c.createItem(ctx, label(e), b.attributes(key, e, mtime), []byte(e.Secret)); err != nil {
			return b.fail("put", err)
		}
	}
	if paths, err = c.search(ctx, q); err != nil {
		return b.fail("put", err)
	}
	after, err := c.items(ctx, paths, q)
	if err != nil {
		return b.fail("put", err)
	}
	// Keep the newest item and remove the rest. Every writer applies the same
	// rule to what it sees, so concurrent Puts never remove the last one.
	var w *item
	for _, it := range after {
		if w == nil || w.less(&it) {
			w = &it
		}
	}
	var old []dbus.ObjectPath
	for p := range after {
		if p != w.path {
			old = append(old, p)
		}
	}
	// Best effort: a left-over item loses to the newest one on every read,
	// and the next Put or Delete removes it.
	_, _ = c.deleteItems(ctx, old)
	return nil
}

// Delete implements store.Backend. It removes every item of key.
func (b *Backend) Delete(ctx context.Context, key string) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	q := b.keyQuery(key)
	c, paths, err := b.start(ctx, "delete", q, nil)
	if err != nil {
		return err
	}
	items, err := c.items(ctx, paths, q)
	if err != nil {
		return b.fail("delete", err)
	}
	var ours []dbus.ObjectPath
	for p, it := range items {
		if it.key == key {
			ours = append(ours, p)
		}
	}
	n, err := c.deleteItems(ctx, ours)
	if err != nil {
		return b.fail("delete", err)
	}
	if n == 0 {
		return fmt.Errorf("secretservice: delete: %w", store.ErrNotFound)
	}
	return nil
}

// List implements store.Backend. It reads item attributes only: no secret
// crosses the bus. It reads only the attributes of items it has not seen
// before (see listcache_linux.go): one round trip, however many items.
func (b *Backend) List(ctx context.Context) (map[string]store.Entry, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	q := map[string]string{attrService: Service, attrNamespace: b.ns}
	var stamp stampCalls
	c, paths, err := b.start(ctx, "list", q, func(c *client) { stamp = sendStamp(ctx, c) })
	if err != nil {
		return nil, err
	}
	file, st := b.listCacheFile(), stamp.wait()
	seen := readListCache(file, st)
	known := make(map[dbus.ObjectPath]cached, len(paths))
	var unknown []dbus.ObjectPath
	for _, p := range paths {
		if it, ok := seen[p]; ok {
			known[p] = it
		} else {
			unknown = append(unknown, p)
		}
	}
	items, err := c.itemsOr(ctx, unknown, q, func(p dbus.ObjectPath) { known[p] = cached{item: item{path: p}} })
	if err != nil {
		return nil, b.fail("list", err)
	}
	if len(unknown) > 0 || len(known) != len(seen) {
		for p, it := range items {
			known[p] = cached{item: it, ours: true}
		}
		_ = writeListCache(file, st, known) // only a cache: List is right without it
	}
	newest := make(map[string]item, len(known))
	for _, it := range known {
		if !it.ours {
			continue
		}
		if w, ok := newest[it.key]; !ok || w.less(&it.item) {
			newest[it.key] = it.item
		}
	}
	out := make(map[string]store.Entry, len(newest))
	for k, it := range newest {
		out[k] = it.entry
	}
	return out, nil
}

// sameEntry returns the only item of before when it is key's and keeps
// e's server URL, username and expiry: the item that Put can rewrite in
// place. It returns nil otherwise (no item, duplicates, another entry).
func sameEntry(before map[dbus.ObjectPath]item, key string, e store.Entry) *item {
	if len(before) != 1 {
		return nil
	}
	for _, it := range before {
		if it.key != key || it.entry.ServerURL != e.ServerURL || it.entry.Username != e.Username ||
			it.entry.Expiry.IsZero() != e.Expiry.IsZero() || it.entry.Expiry.Unix() != e.Expiry.Unix() {
			return nil
		}
		return &it
	}
	return nil
}

// keyQuery is the attribute set that finds the items of key.
func (b *Backend) keyQuery(key string) map[string]string {
	q := map[string]string{attrService: Service, attrNamespace: b.ns}
	name, v := encodeAttr(attrKey, key)
	q[name] = v
	return q
}

// attributes are the attributes of a new item (see the package documentation).
func (b *Backend) attributes(key string, e store.Entry, mtime int64) map[string]string {
	a := b.keyQuery(key)
	for _, f := range []struct{ name, value string }{{attrServer, e.ServerURL}, {attrUsername, e.Username}} {
		name, v := encodeAttr(f.name, f.value)
		a[name] = v
	}
	if !e.Expiry.IsZero() {
		a[attrExpiry] = strconv.FormatInt(e.Expiry.Unix(), 10)
	}
	a[attrMtime] = strconv.FormatInt(mtime, 10)
	return a
}

// label is the item's label, as Seahorse shows it.
func label(e store.Entry) string {
	return labelPrefix + strings.ReplaceAll(strings.ToValidUTF8(e.ServerURL, "\uFFFD"), "\x00", "")
}

// encodeAttr returns the attribute that keeps value: name itself when value
// is a valid D-Bus string, else name-b64 with value base64url-encoded.
func encodeAttr(name, value string) (string, string) {
	if utf8.ValidString(value) && !strings.ContainsRune(value, 0) {
		return name, value
	}
	return name + b64Suffix, base64.RawURLEncoding.EncodeToString([]byte(value))
}

// decodeAttr reverses encodeAttr.
func decodeAttr(attrs map[string]string, name string) (string, bool) {
	if v, ok := attrs[name+b64Suffix]; ok {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		return string(raw), err == nil
	}
	v, ok := attrs[name]
	return v, ok
}

// item is one of our items, as found by a search.
type item struct {
	path  dbus.ObjectPath
	key   string
	mtime int64
	entry store.Entry // Secret empty
}

// less orders the items of one key: the greatest is the current one.
func (it *item) less(o *item) bool {
	if it.mtime != o.mtime {
		return it.mtime < o.mtime
	}
	return it.path < o.path
}

// parseItem reads an item's attributes; ok is false for items that are not
// well-formed items of ours.
func parseItem(path dbus.ObjectPath, attrs map[string]string) (item, bool) {
	it := item{path: path}
	var ok bool
	if it.key, ok = decodeAttr(attrs, attrKey); !ok {
		return item{}, false
	}
	if it.entry.ServerURL, ok = decodeAttr(attrs, attrServer); !ok {
		return item{}, false
	}
	if it.entry.Username, ok = decodeAttr(attrs, attrUsername); !ok {
		return item{}, false
	}
	if v, ok := attrs[attrExpiry]; ok {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return item{}, false
		}
		it.entry.Expiry = time.Unix(sec, 0)
	}
	// Items written by another tool may lack mtime: they sort first.
	it.mtime, _ = strconv.ParseInt(attrs[attrMtime], 10, 64)
	// godbus decodes a message's strings into one shared buffer per
	// message: a string kept from it keeps the whole buffer (4 KiB and
	// more) alive, which made a list of 1000 hold 4 MiB. Copy what is kept.
	it.key = strings.Clone(it.key)
	it.entry.ServerURL = strings.Clone(it.entry.ServerURL)
	it.entry.Username = strings.Clone(it.entry.Username)
	return it, true
}

// withTimeout gives ctx a deadline if it has none.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

// fail turns an error from the bus into a one-line error for op, wrapping
// store.ErrUnavailable where the service cannot be used right now.
func (b *Backend) fail(op string, err error) error {
	var derr dbus.Error
	var perr *dbus.Error
	switch {
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("secretservice: %s: %w", op, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("secretservice: %s: %w: the Secret Service did not answer in time (is the keyring daemon stopped or hung?): %w",
			op, store.ErrUnavailable, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("secretservice: %s: %w", op, err)
	case errors.As(err, &derr), errors.As(err, &perr):
		if perr != nil {
			derr = *perr
		}
		switch derr.Name {
		case errServiceUnknown, errNameHasNoOwner:
			return fmt.Errorf("secretservice: %s: %w: %s", op, store.ErrUnavailable, msgNoService)
		case errIsLocked:
			return fmt.Errorf("secretservice: %s: %w: %s", op, store.ErrUnavailable, msgLocked)
		case errNoReply, errTimeout, errDisconnected:
			return fmt.Errorf("secretservice: %s: %w: %s: %s", op, store.ErrUnavailable, derr.Name, firstLine(derr.Error()))
		}
		return fmt.Errorf("secretservice: %s: %s: %s", op, derr.Name, firstLine(derr.Error()))
	}
	// Anything else comes from the connection itself (closed, broken pipe).
	return fmt.Errorf("secretservice: %s: %w: %w", op, store.ErrUnavailable, err)
}

// firstLine keeps the first line of a message from another program.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

const (
	msgNoService = "no Secret Service on the session bus (install/start gnome-keyring or KeePassXC)"
	msgLocked    = "the keyring is locked and prompting is off (unlock it in your desktop session, e.g. with Seahorse, or choose another keychain)"
	msgNoDefault = "the Secret Service has no default collection (create a \"login\" keyring, e.g. with Seahorse, or choose another keychain)"
)
