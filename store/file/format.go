// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package file

// The on-disk format, version 1. All integers are little-endian.
//
//	header  36 bytes
//	  [0:6]   magic "MINTFS"
//	  [6]     version (1)
//	  [7]     flags (0)
//	  [8:24]  key check: HMAC-SHA256(key, "check")[:16], tells a wrong key from damage
//	  [24:28] count: number of entries
//	  [28:32] dataLen: bytes of the data section
//	  [32:36] CRC-32 (IEEE) of header[0:32] and the index
//	index   count × 28 bytes, sorted by hash (ties allowed)
//	  [0:16]  hash: HMAC-SHA256(index key, entry key)[:16]
//	  [16:20] off: offset of the record in the data section
//	  [20:24] metaLen: length of the sealed metadata, tag included
//	  [24:28] secretLen: length of the sealed secret, tag included
//	data    dataLen bytes: one record per index entry, in index order
//	  nonce(12) ‖ seal(meta, AD "m") ‖ nonce(12) ‖ seal(secret, AD "s"‖meta nonce‖key)
//
// meta is uvarint-prefixed key, ServerURL and Username, then a byte saying
// whether an expiry follows as int64 seconds and uint32 nanoseconds.
//
// A Get reads the header and the index, binary-searches the hash and opens one
// record; a List opens every metadata seal but no secret. The CRC catches
// accidental damage of the header and index; GCM authenticates each record.
// The metadata names the record's key, which must match the key looked up
// (and, on a full read, the index hash); the secret's seal binds that key and
// the metadata's nonce, so records cannot be swapped or cut and spliced.

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
	"time"

	"github.com/docker-credential-mint/mint/store"
)

const (
	magic        = "MINTFS"
	version      = 1
	headerSize   = 36
	indexSize    = 28
	hashSize     = 16
	nonceSize    = 12
	tagSize      = 16
	maxMetaPlain = 3*(store.MaxFieldSize+binary.MaxVarintLen64) + 1 + 12
	// maxFile bounds the offsets the 32-bit index can express.
	maxFile = 1<<32 - 1
)

// metaAD is the additional data of every metadata seal.
var metaAD = []byte{'m'}

// checksum is the CRC of a header (all but its last 4 bytes) and an index.
// It is IEEE's, not Castagnoli's: on amd64, building the Castagnoli tables
// costs about 1.3 M instructions, twice what a whole helper process
// otherwise spends on a get; IEEE's cost a few thousand.
func checksum(hdr, idx []byte) uint32 {
	return crc32.Update(crc32.ChecksumIEEE(hdr), crc32.IEEETable, idx)
}

// damagedError reports a store file that cannot be trusted. Its text is one
// line: "file: <path>: damaged store: <why>; <remedy>". Nothing is
// repaired or replaced without the user: the file may be the only copy of
// their credentials.
type damagedError struct {
	path, why string
}

func (e *damagedError) Error() string {
	return "file: " + e.path + ": damaged store: " + e.why +
		"; restore the file (and its key file, if that changed) from a backup, or move it aside to start an empty store (its credentials are then lost: log in again)"
}

func damaged(path, format string, args ...any) error {
	return &damagedError{path: path, why: fmt.Sprintf(format, args...)}
}

// header is the decoded fixed header of a store file.
type header struct {
	check   [hashSize]byte
	count   int
	dataLen int64
	crc     uint32
}

// parseHeader decodes and checks the header against the file size. It does
// not check the CRC, which needs the index too.
func parseHeader(path string, b []byte, size int64) (header, error) {
	var h header
	if size < headerSize || len(b) < headerSize {
		if size >= int64(len(magic)) && len(b) >= len(magic) && string(b[:len(magic)]) != magic {
			return h, damaged(path, "not a mint file store")
		}
		return h, damaged(path, "truncated header (%d bytes)", size)
	}
	if string(b[:len(magic)]) != magic {
		return h, damaged(path, "not a mint file store")
	}
	if b[6] != version {
		if b[6] > version {
			return h, fmt.Errorf("file: %s: store format version %d is newer than this program's (%d): upgrade docker-credential-mint", path, b[6], version)
		}
		return h, damaged(path, "unknown format version %d", b[6])
	}
	if b[7] != 0 {
		return h, damaged(path, "unknown flags %#x", b[7])
	}
	copy(h.check[:], b[8:24])
	count := binary.LittleEndian.Uint32(b[24:28])
	h.dataLen = int64(binary.LittleEndian.Uint32(b[28:32]))
	h.crc = binary.LittleEndian.Uint32(b[32:36])
	want := int64(headerSize) + int64(count)*indexSize + h.dataLen
	if want != size {
		return h, damaged(path, "size %d bytes, header says %d", size, want)
	}
	h.count = int(count)
	return h, nil
}

// indexEntry is one decoded index record.
type indexEntry struct {
	hash                    []byte
	off, metaLen, secretLen int64
}

func entryAt(idx []byte, i int) indexEntry {
	r := idx[i*indexSize : (i+1)*indexSize]
	return indexEntry{
		hash:      r[:hashSize],
		off:       int64(binary.LittleEndian.Uint32(r[16:20])),
		metaLen:   int64(binary.LittleEndian.Uint32(r[20:24])),
		secretLen: int64(binary.LittleEndian.Uint32(r[24:28])),
	}
}

// size is the record's length in the data section.
func (e indexEntry) size() int64 { return 2*nonceSize + e.metaLen + e.secretLen }

// check reports whether the record lies inside the data section.
func (e indexEntry) check(path string, i int, dataLen int64) error {
	if e.metaLen < tagSize || e.metaLen > maxMetaPlain+tagSize ||
		e.secretLen < tagSize || e.secretLen > store.MaxSecretSize+tagSize ||
		e.off+e.size() > dataLen {
		return damaged(path, "index entry %d out of bounds", i)
	}
	return nil
}

// file is an open store file: its header and index in memory, records read
// on demand.
type file struct {
	path    string
	r       io.ReaderAt
	hdr     header
	idx     []byte // count × indexSize
	dataOff int64  // where the data section starts
	k       *keys
	have    []byte // the file's first bytes, already read
}

// openFile reads and checks the header and index of a store of the given
// size, then loads the key and checks it matches. prefix holds the file's
// first bytes, as many as the caller has (it saves a read when the index
// fits); r reads the rest.
func openFile(path string, r io.ReaderAt, prefix []byte, size int64, loadKeys func() (*keys, error), keyFile string) (*file, error) {
	hdr, err := parseHeader(path, prefix, size)
	if err != nil {
		return nil, err
	}
	end := int64(headerSize) + int64(hdr.count)*indexSize
	if have := int64(len(prefix)); have < end {
		b := make([]byte, end)
		copy(b, prefix)
		if err := readAt(r, b[have:], have); err != nil {
			return nil, fmt.Errorf("file: read %s: %w", path, err)
		}
		prefix = b
	}
	if checksum(prefix[:32], prefix[headerSize:end]) != hdr.crc {
		return nil, damaged(path, "header or index checksum mismatch")
	}
	k, err := loadKeys()
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(hdr.check[:], k.check[:]) {
		return nil, fmt.Errorf("file: %s: key file %s does not match this store (was the key file replaced? set %s to the key it was made with, or move the store away)", path, keyFile, EnvKeyFile)
	}
	return &file{path: path, r: r, hdr: hdr, idx: prefix[headerSize:end], dataOff: end, k: k, have: prefix}, nil
}

// readAt fills b from r at off. A file that shrank under us is replaced by
// a writer's rename, never truncated in place, so a short read is an error.
func readAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// find returns the index range whose hash equals h.
func (f *file) find(h []byte) (lo, hi int) {
	n := f.hdr.count
	lo = sort.Search(n, func(i int) bool {
		return bytes.Compare(f.idx[i*indexSize:i*indexSize+hashSize], h) >= 0
	})
	hi = lo
	for hi < n && bytes.Equal(f.idx[hi*indexSize:hi*indexSize+hashSize], h) {
		hi++
	}
	return lo, hi
}

// readRecord returns record i's bytes.
func (f *file) readRecord(i int) (indexEntry, []byte, error) {
	e := entryAt(f.idx, i)
	if err := e.check(f.path, i, f.hdr.dataLen); err != nil {
		return e, nil, err
	}
	start, end := f.dataOff+e.off, f.dataOff+e.off+e.size()
	if end <= int64(len(f.have)) {
		return e, f.have[start:end], nil
	}
	b := make([]byte, e.size())
	if err := readAt(f.r, b, start); err != nil {
		return e, nil, fmt.Errorf("file: read %s: %w", f.path, err)
	}
	return e, b, nil
}

// get returns the entry stored under key, or an error wrapping store.ErrNotFound.
func (f *file) get(key string) (store.Entry, error) {
	lo, hi := f.find(f.k.hash(key))
	for i := lo; i < hi; i++ {
		e, rec, err := f.readRecord(i)
		if err != nil {
			return store.Entry{}, err
		}
		m, ok := f.k.openMeta(rec[:nonceSize+e.metaLen])
		if !ok {
			return store.Entry{}, damaged(f.path, "record %d: metadata fails authentication", i)
		}
		gotKey, ent, err := decodeMeta(m)
		if err != nil {
			return store.Entry{}, damaged(f.path, "record %d: bad metadata", i)
		}
		if gotKey != key {
			continue // another key with the same truncated hash
		}
		s, ok := f.k.openSecret(rec[nonceSize+e.metaLen:], rec[:nonceSize], key)
		if !ok {
			return store.Entry{}, damaged(f.path, "record %d: secret fails authentication", i)
		}
		ent.Secret = string(s)
		return ent, nil
	}
	return store.Entry{}, fmt.Errorf("file: get %s: %w", key, store.ErrNotFound)
}

// record is one entry of a store being rewritten: its sealed bytes are
// copied as they are.
type record struct {
	key       string
	hash      []byte
	sealed    []byte // nonce ‖ meta ‖ nonce ‖ secret
	metaLen   int64
	secretLen int64
	ent       store.Entry // without Secret
}

// records reads every record, opening each metadata seal; with secrets set
// it also opens every secret seal, so that a damaged record anywhere is
// found. strict also demands the layout the writer makes (sorted index,
// contiguous records, no duplicate keys).
func (f *file) records(secrets, strict bool) ([]record, error) {
	data := make([]byte, f.hdr.dataLen)
	if err := readAt(f.r, data, f.dataOff); err != nil {
		return nil, fmt.Errorf("file: read %s: %w", f.path, err)
	}
	out := make([]record, 0, f.hdr.count)
	var next int64
	var seen map[string]bool
	if strict {
		seen = make(map[string]bool, f.hdr.count)
	}
	for i := range f.hdr.count {
		e := entryAt(f.idx, i)
		if err := e.check(f.path, i, f.hdr.dataLen); err != nil {
			return nil, err
		}
		if strict {
			if e.off != next {
				return nil, damaged(f.path, "index entry %d at offset %d, want %d", i, e.off, next)
			}
			next += e.size()
			if i > 0 && bytes.Compare(entryAt(f.idx, i-1).hash, e.hash) > 0 {
				return nil, damaged(f.path, "index not sorted at entry %d", i)
			}
		}
		rec := data[e.off : e.off+e.size()]
		m, ok := f.k.openMeta(rec[:nonceSize+e.metaLen])
		if !ok {
			return nil, damaged(f.path, "record %d: metadata fails authentication", i)
		}
		key, ent, err := decodeMeta(m)
		if err != nil {
			return nil, damaged(f.path, "record %d: bad metadata", i)
		}
		// A listing takes each record's key from its authenticated
		// metadata, so it can skip this check; a rewrite cannot.
		if strict && !hmac.Equal(f.k.hash(key), e.hash) {
			return nil, damaged(f.path, "record %d: index hash mismatch", i)
		}
		if secrets {
			if _, ok := f.k.openSecret(rec[nonceSize+e.metaLen:], rec[:nonceSize], key); !ok {
				return nil, damaged(f.path, "record %d: secret fails authentication", i)
			}
		}
		if strict {
			if seen[key] {
				return nil, damaged(f.path, "record %d: duplicate key", i)
			}
			seen[key] = true
		}
		out = append(out, record{key: key, hash: e.hash, sealed: rec, metaLen: e.metaLen, secretLen: e.secretLen, ent: ent})
	}
	if strict && next != f.hdr.dataLen {
		return nil, damaged(f.path, "%d bytes of data after the last record", f.hdr.dataLen-next)
	}
	return out, nil
}

// seal makes the record for key and e.
func (k *keys) seal(key string, e store.Entry) (record, error) {
	meta := encodeMeta(key, e)
	ad := make([]byte, 0, 1+nonceSize+len(key))
	buf := make([]byte, 0, 2*nonceSize+len(meta)+len(e.Secret)+2*tagSize)
	buf = buf[:nonceSize]
	if _, err := rand.Read(buf); err != nil {
		return record{}, err
	}
	buf = k.aead.Seal(buf, buf[:nonceSize], meta, metaAD) //nolint:gosec // G407: the nonce is random (rand.Read above)
	metaLen := int64(len(buf) - nonceSize)
	start := len(buf)
	buf = buf[:start+nonceSize]
	if _, err := rand.Read(buf[start:]); err != nil {
		return record{}, err
	}
	ad = append(append(append(ad, 's'), buf[:nonceSize]...), key...)
	buf = k.aead.Seal(buf, buf[start:start+nonceSize], []byte(e.Secret), ad)
	e.Secret = ""
	return record{
		key:       key,
		hash:      k.hash(key),
		sealed:    buf,
		metaLen:   metaLen,
		secretLen: int64(len(buf)) - int64(start) - nonceSize,
		ent:       e,
	}, nil
}

// openMeta opens the metadata seal of a record (nonce ‖ ciphertext). The
// plaintext names the record's key; callers compare it with the key they
// expect (and the index hash), so a record moved under another key's index
// entry is caught, and the secret's seal binds the key as well.
func (k *keys) openMeta(b []byte) ([]byte, bool) {
	if len(b) < nonceSize+tagSize {
		return nil, false
	}
	m, err := k.aead.Open(nil, b[:nonceSize], b[nonceSize:], metaAD)
	return m, err == nil
}

// openSecret opens a secret seal (nonce ‖ ciphertext) bound to the record's
// metadata nonce and key.
func (k *keys) openSecret(b, metaNonce []byte, key string) ([]byte, bool) {
	if len(b) < nonceSize+tagSize {
		return nil, false
	}
	ad := make([]byte, 0, 1+nonceSize+len(key))
	ad = append(append(append(ad, 's'), metaNonce...), key...)
	s, err := k.aead.Open(nil, b[:nonceSize], b[nonceSize:], ad)
	return s, err == nil
}

// encode writes a whole store file holding recs, sorted by hash.
func encode(k *keys, recs []record) ([]byte, error) {
	sort.SliceStable(recs, func(i, j int) bool { return bytes.Compare(recs[i].hash, recs[j].hash) < 0 })
	var dataLen int64
	for _, r := range recs {
		dataLen += int64(len(r.sealed))
	}
	total := int64(headerSize) + int64(len(recs))*indexSize + dataLen
	if total > maxFile {
		return nil, fmt.Errorf("store would exceed %d bytes: %w", int64(maxFile), store.ErrTooLarge)
	}
	out := make([]byte, headerSize+len(recs)*indexSize, total)
	copy(out, magic)
	out[6] = version
	copy(out[8:24], k.check[:])
	// Every count and offset below is bounded by maxFile (checked above),
	// far below 1<<32.
	binary.LittleEndian.PutUint32(out[24:28], uint32(len(recs))) //nolint:gosec // G115: bounded by maxFile
	binary.LittleEndian.PutUint32(out[28:32], uint32(dataLen))   //nolint:gosec // G115: bounded by maxFile
	var off int64
	for i, r := range recs {
		x := out[headerSize+i*indexSize:]
		copy(x[:hashSize], r.hash)
		binary.LittleEndian.PutUint32(x[16:20], uint32(off))         //nolint:gosec // G115: bounded by maxFile
		binary.LittleEndian.PutUint32(x[20:24], uint32(r.metaLen))   //nolint:gosec // G115: bounded by maxFile
		binary.LittleEndian.PutUint32(x[24:28], uint32(r.secretLen)) //nolint:gosec // G115: bounded by maxFile
		off += int64(len(r.sealed))
	}
	binary.LittleEndian.PutUint32(out[32:36], checksum(out[:32], out[headerSize:]))
	for _, r := range recs {
		out = append(out, r.sealed...)
	}
	return out, nil
}

func encodeMeta(key string, e store.Entry) []byte {
	b := make([]byte, 0, 3*binary.MaxVarintLen16+len(key)+len(e.ServerURL)+len(e.Username)+13)
	for _, s := range [...]string{key, e.ServerURL, e.Username} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	if e.Expiry.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	// Unix seconds are stored as their two's-complement bits (decodeMeta
	// reads them back as int64); nanoseconds are below 1e9.
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Expiry.Unix()))          //nolint:gosec // G115: bits kept, see above
	return binary.LittleEndian.AppendUint32(b, uint32(e.Expiry.Nanosecond())) //nolint:gosec // G115: below 1e9
}

var errMeta = errors.New("bad metadata")

func decodeMeta(b []byte) (key string, e store.Entry, err error) {
	var f [3]string
	for i := range f {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > store.MaxFieldSize || n > uint64(len(b)-w) { //nolint:gosec // G115: a length is never negative
			return "", e, errMeta
		}
		f[i] = string(b[w : w+int(n)])
		b = b[w+int(n):]
	}
	switch {
	case len(b) == 1 && b[0] == 0:
	case len(b) == 13 && b[0] == 1:
		sec := int64(binary.LittleEndian.Uint64(b[1:9])) //nolint:gosec // G115: the bits encodeMeta wrote
		nsec := binary.LittleEndian.Uint32(b[9:13])
		if nsec >= 1e9 {
			return "", e, errMeta
		}
		e.Expiry = time.Unix(sec, int64(nsec)).UTC()
		if e.Expiry.IsZero() {
			return "", e, errMeta
		}
	default:
		return "", e, errMeta
	}
	e.ServerURL, e.Username = f[1], f[2]
	return f[0], e, nil
}
