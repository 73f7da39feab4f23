// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package secretservice

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"math/big"
)

// The dh-ietf1024-sha256-aes128-cbc-pkcs7 algorithm of the Secret Service
// specification ("Transfer of Secrets"): Diffie-Hellman over the second
// Oakley group (RFC 2409 §6.2, generator 2), the shared secret padded to 128
// bytes and run through HKDF-SHA256 (no salt, no info) to a 16-byte AES key,
// each secret encrypted with AES-128-CBC, PKCS#7 padding, the IV in the
// Secret's parameters. libsecret, gnome-keyring, KeePassXC and Python's
// secretstorage agree on these details.
const algDH = "dh-ietf1024-sha256-aes128-cbc-pkcs7"

var (
	dhPrime, _ = new(big.Int).SetString(""+
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"+
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"+
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"+
		"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"+
		"FFFFFFFFFFFFFFFF", 16)
	dhPrimeMinus1 = new(big.Int).Sub(dhPrime, big.NewInt(1))
	dhGenerator   = big.NewInt(2)
	one           = big.NewInt(1)
)

const dhPrimeBytes = 128

// dhExponentBytes is the size of our private exponent: 256 bits, twice
// the security the 1024-bit group itself offers and the full strength of
// the AES-128 key (RFC 3526 §8, NIST SP 800-56A), at a quarter of the
// cost of a 1024-bit exponent. The peer cannot tell the difference.
const dhExponentBytes = 32

// dhKeyPair is our half of the key exchange.
type dhKeyPair struct {
	priv, pub *big.Int
}

func newDHKeyPair() (*dhKeyPair, error) {
	b := make([]byte, dhExponentBytes)
	priv := new(big.Int)
	// Keep 2 <= priv (so far below p-2 that the top is no concern).
	for priv.Cmp(one) <= 0 {
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		priv.SetBytes(b)
	}
	return &dhKeyPair{priv: priv, pub: new(big.Int).Exp(dhGenerator, priv, dhPrime)}, nil
}

// publicBytes is our public value as the big-endian bytes OpenSession takes.
func (k *dhKeyPair) publicBytes() []byte { return k.pub.FillBytes(make([]byte, dhPrimeBytes)) }

// aesKey derives the session key from the service's public value.
func (k *dhKeyPair) aesKey(peer []byte) ([]byte, error) {
	y := new(big.Int).SetBytes(peer)
	// Reject the degenerate values 0, 1 and p-1 (and anything out of range).
	if y.Cmp(one) <= 0 || y.Cmp(dhPrimeMinus1) >= 0 {
		return nil, errors.New("invalid Diffie-Hellman public value from the Secret Service")
	}
	shared := y.Exp(y, k.priv, dhPrime).FillBytes(make([]byte, dhPrimeBytes))
	return hkdf.Key(sha256.New, shared, nil, "", 16)
}

// encrypt returns the IV and the AES-128-CBC/PKCS#7 ciphertext of plain.
func encrypt(key, plain []byte) (iv, ct []byte, err error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := make([]byte, len(plain)+pad)
	copy(buf, plain)
	copy(buf[len(plain):], bytes.Repeat([]byte{byte(pad)}, pad))
	iv = make([]byte, aes.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return nil, nil, err
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return iv, buf, nil
}

// decrypt reverses encrypt.
func decrypt(key, iv, ct []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, errors.New("malformed encrypted secret")
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ct)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(out) {
		return nil, errors.New("malformed encrypted secret padding")
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errors.New("malformed encrypted secret padding")
		}
	}
	return out[:len(out)-pad], nil
}
