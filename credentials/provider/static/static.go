// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package static holds the rules of the static provider, which the helper
// applies itself (credentials.WithStaticCheck, WithSecretExpiry): the stored
// root credential is answered as docker login stored it, unchanged, except
// that an expired one is a clear error instead of a silent 401 from the
// registry.
package static

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

// ErrExpired is wrapped by the error for a stored credential that has expired.
var ErrExpired = errors.New("stored credential has expired")

// maxJWT bounds what CheckExpired decodes; a stored secret is at most
// store.MaxSecretSize anyway.
const maxJWT = store.MaxSecretSize

// CheckExpired returns an error wrapping ErrExpired when e has expired at
// now: its Expiry has passed, or its Secret is a JWT whose exp claim has
// passed. The error is one line naming the registry, the expiry and the fix
// (`docker login <registry>`), and never the secret. A secret that is not a
// JWT, or a JWT without exp, never expires as far as this check knows.
//
// The helper calls this for every static entry before get returns it.
func CheckExpired(host credentials.Host, e store.Entry, now time.Time) error {
	exp := e.Expiry
	if exp.IsZero() {
		exp, _ = JWTExpiry(e.Secret)
	}
	if exp.IsZero() || now.Before(exp) {
		return nil
	}
	login := "docker login " + host.Registry()
	if host.Registry() == credentials.DockerHub {
		login = "docker login"
	}
	return fmt.Errorf("static: %s: %w at %s; run `%s` to store a new one",
		host.Key(), ErrExpired, exp.UTC().Format(time.RFC3339), login)
}

// Check is CheckExpired at the current time, in the shape of
// credentials.WithStaticCheck.
func Check(host credentials.Host, e store.Entry) error {
	return CheckExpired(host, e, time.Now())
}

// JWTExpiry returns the exp claim of s when s is a JWT (three base64url
// parts, a JSON header and a JSON payload); ok is false otherwise or when
// there is no numeric exp.
func JWTExpiry(s string) (exp time.Time, ok bool) {
	if len(s) > maxJWT || strings.Count(s, ".") != 2 {
		return time.Time{}, false
	}
	parts := strings.Split(strings.TrimSpace(s), ".")
	header, err := decodeSegment(parts[0])
	if err != nil || !isJSONObject(header) {
		return time.Time{}, false
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if credentials.JWTClaims(s, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	f, err := claims.Exp.Float64()
	if err != nil || f <= 0 || f > math.MaxInt64/2 || math.IsNaN(f) {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

func decodeSegment(seg string) ([]byte, error) {
	seg = strings.TrimRight(seg, "=")
	if seg == "" {
		return nil, errors.New("empty")
	}
	return base64.RawURLEncoding.DecodeString(seg)
}

func isJSONObject(b []byte) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil
}
