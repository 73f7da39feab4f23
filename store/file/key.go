// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package file

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// KeySize is the size of the store key: 32 bytes for AES-256.
const KeySize = 32

// keys holds what is derived from one store key.
type keys struct {
	raw   [KeySize]byte
	check [hashSize]byte // written in the header to tell a wrong key from damage
	index []byte         // HMAC key for index hashes
	aead  cipher.AEAD    // AES-256-GCM

	// mac is HMAC-SHA256 keyed with index, set up once: a full read or
	// a write hashes every entry key, and keying an HMAC costs two
	// SHA-256 blocks each time.
	macMu sync.Mutex
	mac   hash.Hash
}

// derive computes HMAC-SHA256(raw, label): independent subkeys for the
// cipher, the index and the key check, so none reveals another.
func derive(raw []byte, label string) []byte {
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("docker-credential-mint file store v1 " + label))
	return m.Sum(nil)
}

func newKeys(raw []byte) (*keys, error) {
	k := &keys{index: derive(raw, "index")}
	copy(k.raw[:], raw)
	copy(k.check[:], derive(raw, "check"))
	block, err := aes.NewCipher(derive(raw, "encrypt"))
	if err != nil {
		return nil, err
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return k, nil
}

// hash is an entry key's index hash. Safe for concurrent use.
func (k *keys) hash(key string) []byte {
	k.macMu.Lock()
	defer k.macMu.Unlock()
	if k.mac == nil {
		k.mac = hmac.New(sha256.New, k.index)
	}
	k.mac.Reset()
	k.mac.Write([]byte(key))
	return k.mac.Sum(make([]byte, 0, sha256.Size))[:hashSize]
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// parseKey accepts what a key file may hold: 32 raw bytes, or 64 hex digits
// or standard base64 of 32 bytes with surrounding white space (as
// `openssl rand -hex 32` or a CI secret holds it). The error never quotes
// the file's content.
func parseKey(path string, b []byte) ([]byte, error) {
	if len(b) == KeySize {
		return b, nil
	}
	t := bytes.TrimSpace(b)
	switch len(t) {
	case 2 * KeySize:
		k := make([]byte, KeySize)
		if _, err := hex.Decode(k, t); err == nil {
			return k, nil
		}
	case base64.StdEncoding.EncodedLen(KeySize):
		k := make([]byte, base64.StdEncoding.DecodedLen(len(t)))
		if n, err := base64.StdEncoding.Decode(k, t); err == nil && n == KeySize {
			return k[:n], nil
		}
	}
	return nil, fmt.Errorf("file: key file %s: holds %d bytes, want %d random bytes, %d hex digits or their base64 (e.g. openssl rand -hex 32)", path, len(b), KeySize, 2*KeySize)
}

// readKey reads and parses the key file.
func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseKey(path, b)
}

// createKey makes a new random key file at path, or, when another process
// got there first, returns the key it made: the new key is written to a
// temporary file and linked into place, so the key file is never seen
// half-written and two processes racing end up with the same key.
func createKey(ctx context.Context, path string) ([]byte, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("file: make key: %w", err)
	}
	text := []byte(hex.EncodeToString(raw) + "\n")
	dir := filepath.Dir(path)
	// On Windows a hard link shares the file's sharing mode: removing the
	// temporary name while another process opens the key file fails with a
	// sharing violation (seen under Wine in TestStore_keyRace), so Windows
	// takes the exclusive-create path below.
	if runtime.GOOS != "windows" {
		tmp, err := writeTemp(dir, "."+filepath.Base(path)+".tmp-", text)
		if err != nil {
			return nil, fmt.Errorf("file: create key file %s: %w", path, err)
		}
		err = os.Link(tmp, path)
		os.Remove(tmp)
		switch {
		case err == nil:
			if err := syncDir(dir); err != nil {
				return nil, fmt.Errorf("file: create key file %s: %w", path, err)
			}
			return raw, nil
		case errors.Is(err, fs.ErrExist):
			return readKey(path)
		}
	}
	// No hard links here (Windows; some network and FUSE file systems):
	// create the file exclusively instead. A racing process may then see it
	// short for a moment, so the loser waits for a whole key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return waitKey(ctx, path)
	}
	if err != nil {
		return nil, fmt.Errorf("file: create key file %s: %w", path, err)
	}
	_, err = f.Write(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("file: create key file %s: %w", path, err)
	}
	return raw, nil
}

// waitKey reads a key file another process is writing, for up to a second.
func waitKey(ctx context.Context, path string) ([]byte, error) {
	deadline := time.Now().Add(time.Second)
	for {
		raw, err := readKey(path)
		if err == nil || time.Now().After(deadline) {
			return raw, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("file: read key file %s: %w", path, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// writeTemp writes b to a new 0600 file in dir whose name starts with prefix,
// syncs it and returns its path.
func writeTemp(dir, prefix string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, prefix)
	if err != nil {
		return "", err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
