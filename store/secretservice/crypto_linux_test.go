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
	// The exponent is short (the exchange's cost), the public value full size.
	if n := a.priv.BitLen(); n > 8*dhExponentBytes || n < 2 {
		t.Errorf("private exponent of %d bits", n)
	}
	if len(a.publicBytes()) != dhPrimeBytes {
		t.Errorf("public value of %d bytes", len(a.publicBytes()))
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

// TestBackend_sessions: on a unix socket the session is plain; the
// encrypted algorithm, which a bus across a network gets first, works
// against gnome-keyring both ways (and with libsecret's secret-tool); a
// service without plain gets the encrypted one.
func TestBackend_sessions(t *testing.T) {
	env := sstest.Start(t, sstest.Options{})
	ctx := context.Background()
	secret := "bin\x00\xff" + strings.Repeat("x", 1000)
	for _, tc := range []struct {
		name  string
		algs  []string
		plain bool
	}{
		{"default", nil, true},
		{"dh", []string{algDH}, false},
		{"no plain", []string{"nonexistent-algorithm", algDH}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.algs != nil {
				saved := sessionAlgorithms
				sessionAlgorithms = func(string) []string { return tc.algs }
				defer func() { sessionAlgorithms = saved }()
			}
			b := New(tc.name, Options{Address: env.Address})
			defer b.Close()
			if err := b.Put(ctx, "p.example", store.Entry{ServerURL: "p.example", Username: "u", Secret: secret}); err != nil {
				t.Fatal(err)
			}
			if b.sess == nil || (b.sess.key == nil) != tc.plain {
				t.Fatalf("session key = %v, want plain %v", b.sess != nil && b.sess.key != nil, tc.plain)
			}
			if e, err := b.Get(ctx, "p.example"); err != nil || e.Secret != secret {
				t.Errorf("Get = %d bytes, %v", len(e.Secret), err)
			}
			// A fresh connection reads it (Get opens its own session).
			fresh := New(tc.name, Options{Address: env.Address})
			defer fresh.Close()
			if e, err := fresh.Get(ctx, "p.example"); err != nil || e.Secret != secret {
				t.Errorf("fresh Get = %d bytes, %v", len(e.Secret), err)
			}
		})
	}
}

func TestSessionAlgorithms(t *testing.T) {
	for addr, first := range map[string]string{
		"unix:path=/run/user/1000/bus":                   "plain",
		"unix:abstract=/tmp/dbus-x,guid=0123":            "plain",
		"unix:tmpdir=/tmp;unix:path=/x":                  "plain",
		"tcp:host=10.0.0.1,port=4000":                    algDH,
		"unix:path=/run/user/1000/bus;tcp:host=h,port=1": algDH,
		"nonce-tcp:host=localhost,port=1":                algDH,
	} {
		if got := sessionAlgorithms(addr); got[0] != first || len(got) != 2 {
			t.Errorf("sessionAlgorithms(%q) = %v, want %s first", addr, got, first)
		}
	}
}
