// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package identity

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
)

// Claims are the registered claims of an identity token (RFC 7519 §4.1)
// that decide whether a token endpoint takes it, for doctor: decoded, not
// verified. Times are zero where the claim is absent.
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	Expiry    time.Time
	NotBefore time.Time
	IssuedAt  time.Time
}

// ErrNotJWT is returned by Decode for a token that is not a JWS compact
// serialisation with a JSON object as payload.
var ErrNotJWT = errors.New("the identity token is not a JWT")

// Decode returns tok's claims without verifying its signature (the token
// endpoint does that). The error never holds the token.
func Decode(tok string) (Claims, error) {
	var raw struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp *float64        `json:"exp"`
		Nbf *float64        `json:"nbf"`
		Iat *float64        `json:"iat"`
	}
	if credentials.JWTClaims(tok, &raw) != nil {
		return Claims{}, ErrNotJWT
	}
	c := Claims{Issuer: raw.Iss, Subject: raw.Sub, Expiry: unix(raw.Exp), NotBefore: unix(raw.Nbf), IssuedAt: unix(raw.Iat)}
	var one string
	if json.Unmarshal(raw.Aud, &one) == nil {
		if one != "" {
			c.Audience = []string{one}
		}
	} else {
		_ = json.Unmarshal(raw.Aud, &c.Audience)
	}
	return c, nil
}

// unix turns a NumericDate into a time; nil or out of range is zero.
func unix(v *float64) time.Time {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) || math.Abs(*v) > 1e12 {
		return time.Time{}
	}
	return time.Unix(int64(*v), 0)
}

// Fetch fetches id's identity token as get would (the file, the variable,
// GitHub Actions' endpoint, the command), but hands back an expired or
// malformed one too, so that doctor can say what it holds. The error never
// holds the token.
func Fetch(ctx context.Context, id credentials.Identity, opts Options) (string, error) {
	s, err := New(id, opts)
	if err != nil {
		return "", err
	}
	if c, ok := s.(checked); ok {
		s = c.s
	}
	tok, err := s.Token(ctx)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(tok), nil
}
