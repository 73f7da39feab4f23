// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keyring

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

// Payloads are binary so that any bytes in any field round-trip (JSON would
// replace invalid UTF-8); the blob layer base64-encodes them before they
// reach the keyring. Every payload starts with a format version byte, then
// fields as uvarint length + bytes.
const (
	entryVersion = 1
	indexVersion = 1
)

// errDecode is wrapped by every decoding failure; callers turn it into ErrCorrupt.
var errDecode = errors.New("malformed payload")

type encoder struct{ b []byte }

func (e *encoder) field(p []byte) {
	e.b = binary.AppendUvarint(e.b, uint64(len(p)))
	e.b = append(e.b, p...)
}

func (e *encoder) str(s string) { e.field([]byte(s)) }

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.field(nil)
		return
	}
	p, err := t.MarshalBinary()
	if err != nil {
		// Only years outside [-32768, 32767] or odd zone offsets fail;
		// store what survives: the instant in UTC.
		p, _ = t.UTC().MarshalBinary()
	}
	e.field(p)
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) field() []byte {
	if d.err != nil {
		return nil
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) { //nolint:gosec // G115: a length is never negative
		d.err = errDecode
		return nil
	}
	end := k + int(n) //nolint:gosec // G115: n is at most len(d.b), checked above
	p := d.b[k:end]
	d.b = d.b[end:]
	return p
}

func (d *decoder) str() string { return string(d.field()) }

func (d *decoder) time() time.Time {
	p := d.field()
	if d.err != nil || len(p) == 0 {
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalBinary(p); err != nil {
		d.err = errDecode
	}
	return t
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errDecode
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *decoder) version(want byte) {
	if len(d.b) == 0 || d.b[0] != want {
		d.err = errDecode
		return
	}
	d.b = d.b[1:]
}

func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errDecode
	}
	return d.err
}

// encodeEntry serialises a whole entry, secret included: it is what the
// entry's items hold.
func encodeEntry(e store.Entry) []byte {
	enc := encoder{b: make([]byte, 0, len(e.ServerURL)+len(e.Username)+len(e.Secret)+32)}
	enc.b = append(enc.b, entryVersion)
	enc.str(e.ServerURL)
	enc.str(e.Username)
	enc.str(e.Secret)
	enc.time(e.Expiry)
	return enc.b
}

func decodeEntry(p []byte) (store.Entry, error) {
	d := decoder{b: p}
	d.version(entryVersion)
	e := store.Entry{ServerURL: d.str(), Username: d.str(), Secret: d.str(), Expiry: d.time()}
	if err := d.done(); err != nil {
		return store.Entry{}, err
	}
	return e, nil
}

// encodeIndex serialises a namespace's index: key → entry metadata, secrets
// left out. Keys are sorted so equal indexes encode equally.
func encodeIndex(idx map[string]store.Entry) []byte {
	keys := make([]string, 0, len(idx))
	for k := range idx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	enc := encoder{b: []byte{indexVersion}}
	enc.b = binary.AppendUvarint(enc.b, uint64(len(keys)))
	for _, k := range keys {
		e := idx[k]
		enc.str(k)
		enc.str(e.ServerURL)
		enc.str(e.Username)
		enc.time(e.Expiry)
	}
	return enc.b
}

func decodeIndex(p []byte) (map[string]store.Entry, error) {
	d := decoder{b: p}
	d.version(indexVersion)
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) { // every record takes at least one byte
		return nil, fmt.Errorf("index of %d records in %d bytes: %w", n, len(d.b), errDecode)
	}
	idx := make(map[string]store.Entry, n)
	for range n {
		k := d.str()
		idx[k] = store.Entry{ServerURL: d.str(), Username: d.str(), Expiry: d.time()}
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return idx, nil
}
