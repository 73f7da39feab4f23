// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package secretservice

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/docker-credential-mint/mint/store/atomicfile"
	"github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"
)

// The list cache.
//
// The Secret Service has no call that returns the attributes of many items:
// a search returns object paths, and each item's attributes are one
// Properties.Get, which gnome-keyring answers in about 0.4 ms of its own
// time at a thousand items (it looks the item up among all of them). A list
// of 1000 spent 300 ms there. So List remembers what it read: a file in
// the user's runtime directory maps each item path it has seen to that
// item's attributes (key, server URL, username, expiry: no secret, nothing
// that List does not print). A List searches as before, takes the
// attributes of the paths it knows from the file and reads only the others.
//
// What makes a remembered path safe to trust:
//   - this package never changes an existing item's attributes (Put's
//     in-place write keeps them as they are; any other change is a new
//     item, at a new path), nor does any other client of ours;
//   - a service does not give a path to a new item while the daemon lives
//     once it has given it to another (gnome-keyring numbers the items of
//     a collection from a counter; KeePassXC names them by UUID), and a
//     new daemon, or a new bus, is a new stamp (the bus's ID and the
//     service's unique name, read with the search) which voids the file;
//   - paths the search no longer returns are dropped.
//
// What it does not see: another program rewriting the attributes of one of
// our items in place (Properties.Set, or a CreateItem with replace whose
// attributes are a subset of ours); List shows the attributes as they were
// until the file is voided. Get, Put and Delete never use the file.
//
// The file is written only when something changed, atomically; a damaged
// or foreign file is ignored and replaced. Without $XDG_RUNTIME_DIR, or
// where it cannot be used, List reads every item as before.

// listCacheMagic starts the file; a new layout gets a new magic.
const listCacheMagic = "docker-credential-mint secretservice list 1\n"

// cached is one remembered path: our item, or (ours false) a path that
// matched the search but is not a well-formed item of ours.
type cached struct {
	item
	ours bool
}

// stampCalls are the calls that read the stamp, sent with List's search.
type stampCalls struct{ id, owner *dbus.Call }

func sendStamp(ctx context.Context, c *client) stampCalls {
	bus := c.conn.BusObject()
	return stampCalls{
		id:    bus.GoWithContext(ctx, "org.freedesktop.DBus.GetId", 0, nil),
		owner: bus.GoWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, nil, busName),
	}
}

// wait returns the stamp, or "" when it cannot be read (then the file is
// neither used nor written).
func (s stampCalls) wait() string {
	var id, owner string
	if err := (<-s.id.Done).Store(&id); err != nil || id == "" {
		return ""
	}
	if err := (<-s.owner.Done).Store(&owner); err != nil || owner == "" {
		return ""
	}
	return id + " " + owner
}

// listCacheFile is the file for the Backend's bus and namespace, or "".
func (b *Backend) listCacheFile() string {
	if b.cacheDir == "" {
		return ""
	}
	h := sha256.Sum256([]byte(b.address() + "\x00" + b.ns))
	return filepath.Join(b.cacheDir, "secretservice-list-"+hex.EncodeToString(h[:12]))
}

// cacheDirOf is the directory of the list cache files: in
// $XDG_RUNTIME_DIR (per user, 0700, tmpfs, emptied at logout), or "".
func cacheDirOf(getenv func(string) string) string {
	d := getenv("XDG_RUNTIME_DIR")
	if !filepath.IsAbs(d) {
		return ""
	}
	return filepath.Join(d, "docker-credential-mint")
}

// readListCache returns the remembered paths of file under stamp; nil when
// there are none (no file, another stamp, a damaged file).
func readListCache(file, stamp string) map[dbus.ObjectPath]cached {
	if file == "" || stamp == "" {
		return nil
	}
	if err := checkCacheDir(filepath.Dir(file), false); err != nil {
		return nil
	}
	f, err := os.OpenFile(file, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() > maxListCache {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, maxListCache))
	if err != nil {
		return nil
	}
	m, err := decodeListCache(data, stamp)
	if err != nil {
		return nil
	}
	return m
}

// maxListCache bounds the file: far above what a thousand registries need
// (about 100 bytes each).
const maxListCache = 64 << 20

// writeListCache replaces file with m under stamp. Errors are returned for
// tests; List ignores them (the file is only a cache).
func writeListCache(file, stamp string, m map[dbus.ObjectPath]cached) error {
	if file == "" || stamp == "" {
		return nil
	}
	if err := checkCacheDir(filepath.Dir(file), true); err != nil {
		return err
	}
	return atomicfile.WriteFile(file, encodeListCache(stamp, m), 0o600)
}

// checkCacheDir checks that dir is a directory of this user's that no
// other user can write (so that nobody else can plant or replace the
// file), creating it (0700) when create is set and it is missing.
func checkCacheDir(dir string, create bool) error {
	if create {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return err
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 {
		return fmt.Errorf("list cache directory %s is not a directory of this user's that only this user can write", dir)
	}
	return nil
}

func encodeListCache(stamp string, m map[dbus.ObjectPath]cached) []byte {
	var buf bytes.Buffer
	buf.WriteString(listCacheMagic)
	putString := func(s string) {
		buf.Write(binary.AppendUvarint(nil, uint64(len(s))))
		buf.WriteString(s)
	}
	putString(stamp)
	buf.Write(binary.AppendUvarint(nil, uint64(len(m))))
	for p, c := range m {
		putString(string(p))
		var flags byte
		if c.ours {
			flags |= 1
		}
		if !c.entry.Expiry.IsZero() {
			flags |= 2
		}
		buf.WriteByte(flags)
		if !c.ours {
			continue
		}
		putString(c.key)
		putString(c.entry.ServerURL)
		putString(c.entry.Username)
		buf.Write(binary.AppendVarint(nil, c.mtime))
		if flags&2 != 0 {
			buf.Write(binary.AppendVarint(nil, c.entry.Expiry.Unix()))
		}
	}
	return buf.Bytes()
}

var errBadCache = errors.New("damaged list cache")

func decodeListCache(data []byte, stamp string) (map[dbus.ObjectPath]cached, error) {
	rest, ok := bytes.CutPrefix(data, []byte(listCacheMagic))
	if !ok {
		return nil, errBadCache
	}
	uvarint := func() (uint64, error) {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			return 0, errBadCache
		}
		rest = rest[n:]
		return v, nil
	}
	varint := func() (int64, error) {
		v, n := binary.Varint(rest)
		if n <= 0 {
			return 0, errBadCache
		}
		rest = rest[n:]
		return v, nil
	}
	str := func() (string, error) {
		n, err := uvarint()
		if err != nil || n > uint64(len(rest)) {
			return "", errBadCache
		}
		s := string(rest[:n])
		rest = rest[n:]
		return s, nil
	}
	if s, err := str(); err != nil || s != stamp {
		return nil, errBadCache
	}
	n, err := uvarint()
	if err != nil || n > uint64(len(rest)) {
		return nil, errBadCache
	}
	m := make(map[dbus.ObjectPath]cached, n)
	for range n {
		p, err := str()
		if err != nil || len(rest) == 0 {
			return nil, errBadCache
		}
		flags := rest[0]
		rest = rest[1:]
		c := cached{item: item{path: dbus.ObjectPath(p)}, ours: flags&1 != 0}
		if c.ours {
			if c.key, err = str(); err != nil {
				return nil, err
			}
			if c.entry.ServerURL, err = str(); err != nil {
				return nil, err
			}
			if c.entry.Username, err = str(); err != nil {
				return nil, err
			}
			if c.mtime, err = varint(); err != nil {
				return nil, err
			}
			if flags&2 != 0 {
				sec, err := varint()
				if err != nil {
					return nil, err
				}
				c.entry.Expiry = time.Unix(sec, 0)
			}
		}
		m[c.path] = c
	}
	if len(rest) != 0 {
		return nil, errBadCache
	}
	return m, nil
}
