// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keyring

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/docker-credential-mint/mint/store"
)

// A blob is a byte string spread over items of at most ItemSize bytes:
//
//	<account>               "m1 <gen> <n> <sum>\n" + text[:headCap]
//	<account>#<gen>#1       next ItemSize bytes of text
//	...
//	<account>#<gen>#<n-1>   the rest
//
// where text is the base64 (standard, padded) of the blob, n the number of
// items including the head, gen 12 random hex digits naming this write, and
// sum the first 16 bytes of SHA-256(text), in hex.
//
// A write puts the chunks of a fresh generation first, then the head, which
// is the commit point (one Set), then deletes the previous generation's
// chunks. A kill before the head is written leaves the old head pointing at
// old, untouched chunks; a kill after it leaves unreferenced old chunks, never
// a wrong value. A reader that finds a chunk missing or a checksum wrong
// re-reads the head (another process may have just committed) and otherwise
// reports ErrCorrupt.
const (
	headMagic = "m1"
	genLen    = 12 // hex digits: 48 random bits
	sumLen    = 32 // hex digits: 128 bits of SHA-256
	maxChunks = 100000
	// MinItemSize is the smallest ItemSize the Backend accepts: a head must
	// hold its header and at least a few bytes of data.
	MinItemSize = 64
	// readAttempts bounds how often a read restarts because the head changed
	// under it (a writer in another process committing).
	readAttempts = 3
)

// head is a parsed head item.
type head struct {
	gen   string
	n     int
	sum   string
	first string
}

func header(gen string, n int, sum string) string {
	return headMagic + " " + gen + " " + strconv.Itoa(n) + " " + sum + "\n"
}

func parseHead(v string) (head, error) {
	hdr, first, ok := strings.Cut(v, "\n")
	if !ok {
		return head{}, errors.New("head has no header")
	}
	f := strings.Split(hdr, " ")
	if len(f) != 4 || f[0] != headMagic || !isHex(f[1], genLen) || !isHex(f[3], sumLen) {
		return head{}, errors.New("head has a malformed header")
	}
	n, err := strconv.Atoi(f[2])
	if err != nil || n < 1 || n > maxChunks {
		return head{}, errors.New("head has a malformed chunk count")
	}
	return head{gen: f[1], n: n, sum: f[3], first: first}, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checksum(text string) string {
	s := sha256.Sum256([]byte(text))
	return hex.EncodeToString(s[:sumLen/2])
}

func chunkAccount(account, gen string, i int) string {
	return account + "#" + gen + "#" + strconv.Itoa(i)
}

func newGen(avoid string) (string, error) {
	for {
		var b [genLen / 2]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		if g := hex.EncodeToString(b[:]); g != avoid {
			return g, nil
		}
	}
}

// layout splits text into a head part and chunks of at most size bytes, the
// head part leaving room for the header (whose length depends on n).
func layout(text string, size int, gen, sum string) (n, headCap int) {
	n = 1
	for {
		headCap = size - len(header(gen, n, sum))
		need := 1
		if rest := len(text) - headCap; rest > 0 {
			need += (rest + size - 1) / size
		}
		if need <= n {
			return n, headCap
		}
		n = need
	}
}

// getHead reads and parses the head item of account. It returns the raw value
// too, so a reader can tell whether the head changed. Errors wrap
// store.ErrNotFound, ErrCorrupt or a mapped keyring error.
func (b *Backend) getHead(ctx context.Context, account string) (head, string, error) {
	if err := ctx.Err(); err != nil {
		return head{}, "", err
	}
	v, err := b.getItem(account)
	if err != nil {
		return head{}, "", mapErr(err)
	}
	h, err := parseHead(v)
	if err != nil {
		return head{}, v, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return h, v, nil
}

// readBlob returns the blob stored under account.
func (b *Backend) readBlob(ctx context.Context, account string) ([]byte, error) {
	var lastErr error
	for range readAttempts {
		h, raw, err := b.getHead(ctx, account)
		if err != nil {
			return nil, err
		}
		data, err := b.readChunks(ctx, account, h)
		if err == nil || !errors.Is(err, ErrCorrupt) {
			return data, err
		}
		lastErr = err
		// A chunk was missing or did not match: was a write committed
		// meanwhile? Then read again; otherwise the blob is corrupt.
		if _, raw2, err := b.getHead(ctx, account); errors.Is(err, store.ErrNotFound) {
			return nil, err
		} else if raw2 == raw {
			return nil, lastErr
		}
	}
	return nil, lastErr
}

func (b *Backend) readChunks(ctx context.Context, account string, h head) ([]byte, error) {
	var sb strings.Builder
	sb.WriteString(h.first)
	for i := 1; i < h.n; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := b.getItem(chunkAccount(account, h.gen, i))
		if err != nil {
			err = mapErr(err)
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("%w: chunk %d of %d is missing", ErrCorrupt, i, h.n-1)
			}
			return nil, err
		}
		sb.WriteString(c)
	}
	text := sb.String()
	if checksum(text) != h.sum {
		return nil, fmt.Errorf("%w: checksum mismatch over %d items", ErrCorrupt, h.n)
	}
	data, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("%w: bad encoding", ErrCorrupt)
	}
	return data, nil
}

// writeBlob stores data under account, replacing what was there. It returns
// once the head is committed; the previous generation's chunks are removed
// best-effort (a failure leaves unreferenced items, not a wrong value).
// ctx is checked before every item written up to the commit.
func (b *Backend) writeBlob(ctx context.Context, account string, data []byte) error {
	size := b.ItemSize
	if size < MinItemSize {
		return fmt.Errorf("ItemSize %d is below the minimum %d", size, MinItemSize)
	}
	old, _, err := b.getHead(ctx, account)
	hasOld := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, ErrCorrupt) {
		return err
	}
	gen, err := newGen(old.gen)
	if err != nil {
		return fmt.Errorf("%w: random generation: %v", store.ErrUnavailable, err)
	}
	text := base64.StdEncoding.EncodeToString(data)
	sum := checksum(text)
	n, headCap := layout(text, size, gen, sum)
	if n > maxChunks {
		return fmt.Errorf("%w: %d items needed", store.ErrTooLarge, n)
	}
	if headCap > len(text) {
		headCap = len(text)
	}
	rest := text[headCap:]
	for i := 1; i < n; i++ {
		c := rest[:min(size, len(rest))]
		rest = rest[len(c):]
		err := ctx.Err()
		if err == nil {
			err = mapErr(b.setItem(chunkAccount(account, gen, i), c))
		}
		if err != nil {
			// Nothing refers to this generation yet: undo it
			// (chunk i included, in case it was half-written).
			b.dropChunks(account, gen, i+1)
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		b.dropChunks(account, gen, n)
		return err
	}
	if err := b.setItem(account, header(gen, n, sum)+text[:headCap]); err != nil {
		// The head may or may not have been written (a timed-out
		// `security`, say): keep the new chunks, they may be live.
		return mapErr(err)
	}
	if hasOld {
		b.dropChunks(account, old.gen, old.n)
	}
	return nil
}

// deleteBlob removes the blob under account whose head, already read, is h:
// the head first (the commit point), then its chunks, best-effort.
func (b *Backend) deleteBlob(ctx context.Context, account string, h head) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.deleteItem(account); err != nil {
		return mapErr(err)
	}
	b.dropChunks(account, h.gen, h.n)
	return nil
}

// dropChunks deletes chunks 1..n-1 of generation gen, ignoring errors: they
// are unreferenced, and missing ones are already gone.
func (b *Backend) dropChunks(account, gen string, n int) {
	for i := 1; i < n; i++ {
		_ = b.deleteItem(chunkAccount(account, gen, i))
	}
}
