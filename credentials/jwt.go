// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// Errors of JWTClaims; none holds the token.
var (
	errJWTParts  = errors.New("not three dot-separated parts")
	errJWTBase64 = errors.New("its claims are not base64url")
	errJWTJSON   = errors.New("its claims are not a JSON object")
)

// JWTClaims decodes the claims (the payload) of tok, a JWS compact
// serialisation, into v without verifying anything: the helper reads a
// token's exp, sub or tid, and the issuer's side checks the signature.
// Numbers decode as json.Number where v holds an interface or a
// json.Number. The error says what is wrong, never what the token holds.
func JWTClaims(tok string, v any) error {
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return errJWTParts
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return errJWTBase64
	}
	d := json.NewDecoder(strings.NewReader(string(payload)))
	d.UseNumber()
	if d.Decode(v) != nil {
		return errJWTJSON
	}
	return nil
}
