// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package static

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func jwt(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + ".c2lnbmF0dXJl"
}

func TestJWTExpiry(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{jwt(`{"alg":"ES256"}`, `{"exp":1772366400}`), time.Unix(1772366400, 0)},
		{jwt(`{"alg":"ES256"}`, `{"exp":1772366400.5,"sub":"x"}`), time.Unix(1772366400, 5e8)},
		{jwt(`{"alg":"ES256"}`, `{"sub":"no exp"}`), time.Time{}},
		{jwt(`{"alg":"ES256"}`, `{"exp":"soon"}`), time.Time{}},
		{jwt(`{"alg":"ES256"}`, `{"exp":-5}`), time.Time{}},
		{jwt(`{"alg":"ES256"}`, `{"exp":1e300}`), time.Time{}},
		{jwt(`not json`, `{"exp":1772366400}`), time.Time{}},
		{jwt(`{"alg":"ES256"}`, `[1]`), time.Time{}},
		{"a.b.c", time.Time{}},
		{"plain-password", time.Time{}},
		{"dckr_pat_abc.def", time.Time{}},
		{"..", time.Time{}},
		{jwt(`{"alg":"ES256"}`, `{"exp":1772366400}`) + ".extra", time.Time{}},
	} {
		got, ok := JWTExpiry(tc.in)
		if !got.Equal(tc.want) || ok != !tc.want.IsZero() {
			t.Errorf("JWTExpiry(%.40q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}

func TestCheckExpired(t *testing.T) {
	h := credentials.Host{Name: "quay.io", Path: "org-a"}
	secret := jwt(`{"alg":"RS256","typ":"JWT"}`, `{"exp":`+itoa(t0.Unix())+`}`)
	e := store.Entry{ServerURL: "quay.io/org-a", Username: "robot", Secret: secret}

	if err := CheckExpired(h, e, t0.Add(-time.Nanosecond)); err != nil {
		t.Errorf("1ns before exp: %v", err)
	}
	err := CheckExpired(h, e, t0)
	if !errors.Is(err, ErrExpired) {
		t.Fatalf("at exp: %v, want ErrExpired", err)
	}
	want := "static: quay.io/org-a: stored credential has expired at 2026-03-01T12:00:00Z; run `docker login quay.io` to store a new one"
	if err.Error() != want {
		t.Errorf("error\n got %q\nwant %q", err, want)
	}
	if strings.Contains(err.Error(), secret) {
		t.Error("error holds the secret")
	}

	// The entry's own Expiry wins over the JWT's.
	e.Expiry = t0.Add(time.Hour)
	if err := CheckExpired(h, e, t0.Add(30*time.Minute)); err != nil {
		t.Errorf("with a later entry Expiry: %v", err)
	}
	// A password never expires here.
	if err := CheckExpired(h, store.Entry{Secret: "hunter2"}, t0.Add(1e6*time.Hour)); err != nil {
		t.Errorf("password: %v", err)
	}
	// Docker Hub's fix is a bare docker login.
	err = CheckExpired(credentials.Host{Name: "docker.io"}, store.Entry{Secret: secret}, t0)
	if err == nil || !strings.Contains(err.Error(), "run `docker login` to") {
		t.Errorf("Docker Hub: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// FuzzJWTExpiry: any secret is safe to inspect.
func FuzzJWTExpiry(f *testing.F) {
	f.Add(jwt(`{"alg":"ES256"}`, `{"exp":1772366400}`))
	f.Add("a.b.c")
	f.Add("password")
	f.Fuzz(func(t *testing.T, s string) {
		if exp, ok := JWTExpiry(s); ok && exp.IsZero() {
			t.Fatalf("JWTExpiry(%q) = zero, true", s)
		}
		_ = CheckExpired(credentials.Host{Name: "h"}, store.Entry{Secret: s}, t0)
	})
}
