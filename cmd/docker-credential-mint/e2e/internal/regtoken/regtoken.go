// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package regtoken signs the bearer tokens the test token services hand to
// Debian's docker-registry (distribution's token auth): compact ES256 JWS
// with the signing certificate in x5c, which the registry checks against
// its rootcertbundle.
package regtoken

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
)

// Sign returns the compact ES256 JWS of claims, signed by key, with
// certDER (key's certificate) in the header's x5c.
func Sign(key *ecdsa.PrivateKey, certDER []byte, claims any) (string, error) {
	header, err := json.Marshal(map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(certDER)}})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	b64 := base64.RawURLEncoding.EncodeToString
	input := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		return "", err
	}
	// R and S, each 32 bytes big-endian (RFC 7518 §3.4).
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig), nil
}
