// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package secretservice

import (
	"bytes"
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/secretservice/sstest"
)

func TestDH_agree(t *testing.T) {
	a, err := newDHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	b, err := newDHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	ka, err := a.aesKey(b.publicBytes())
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.aesKey(a.publicBytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ka, kb) || len(ka) != 16 {
		t.Fatalf("keys differ or are not 16 bytes: %x %x", ka, kb)
	}
	for _, bad := range [][]byte{{0}, {1}, new(big.Int).Sub(dhPrime, big.NewInt(1)).Bytes()} {
		if _, err := a.aesKey(bad); err == nil {
			t.Errorf("aesKey(%x...) accepted a degenerate public value", bad[:1])
		}
	}
}

func TestEncrypt_roundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 16)
	for n := range 40 {
		plain := bytes.Repeat([]byte{0xff}, n)
		iv, ct, err := encrypt(key, plain)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct)%16 != 0 || len(ct) <= n {
			t.Errorf("len %d: ciphertext of %d bytes", n, len(ct))
		}
		got, err := decrypt(key, iv, ct)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("len %d: decrypt = %x, %v", n, got, err)
		}
	}
	iv, ct, _ := encrypt(key, []byte("x"))
	ct[len(ct)-1] ^= 0x55 // garbles the last block, and so the padding
	if _, err := decrypt(key, iv, ct); err == nil {
		t.Errorf("decrypt accepted a garbled ciphertext")
	}
	if _, err := decrypt(key, iv[:8], ct); err == nil {
		t.Errorf("decrypt accepted a short IV")
	}
}

// TestBackend_plainSession: services without the encrypted algorithm still work.
func TestBackend_plainSession(t *testing.T) {
	env := sstest.Start(t, sstest.Options{})
	saved := sessionAlgorithms
	sessionAlgorithms = []string{"plain"}
	defer func() { sessionAlgorithms = saved }()
	b := New("plain", Options{Address: env.Address})
	defer b.Close()
	ctx := context.Background()
	secret := "bin\x00\xff" + strings.Repeat("x", 1000)
	if err := b.Put(ctx, "p.example", store.Entry{ServerURL: "p.example", Username: "u", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	if b.sess == nil || b.sess.key != nil {
		t.Fatalf("session = %+v, want plain", b.sess)
	}
	if e, err := b.Get(ctx, "p.example"); err != nil || e.Secret != secret {
		t.Errorf("Get = %d bytes, %v", len(e.Secret), err)
	}
}
