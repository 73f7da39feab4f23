// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package identity

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
)

func jwtWith(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(payload)) + ".c2ln"
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		payload string
		want    Claims
	}{
		{`{"iss":"https://k8s","sub":"system:serviceaccount:ci:puller","aud":"sts.example.com","exp":1772370000,"nbf":1772366400,"iat":1772366400}`,
			Claims{Issuer: "https://k8s", Subject: "system:serviceaccount:ci:puller", Audience: []string{"sts.example.com"},
				Expiry: time.Unix(1772370000, 0), NotBefore: time.Unix(1772366400, 0), IssuedAt: time.Unix(1772366400, 0)}},
		{`{"aud":["a","b"],"exp":1.5e9}`, Claims{Audience: []string{"a", "b"}, Expiry: time.Unix(1500000000, 0)}},
		{`{"aud":"","exp":1e300}`, Claims{}},
		{`{}`, Claims{}},
	} {
		got, err := Decode(jwtWith(tc.payload))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Decode(%s) = %+v, %v; want %+v", tc.payload, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", jwtWith(`[1]`), jwtWith(`not json`)} {
		if _, err := Decode(bad); !errors.Is(err, ErrNotJWT) {
			t.Errorf("Decode(%q) = %v, want ErrNotJWT", bad, err)
		}
	}
}

// TestFetch_expired: Fetch hands back an expired token that Token refuses.
func TestFetch_expired(t *testing.T) {
	tok := jwtWith(`{"exp":1000}`)
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	id := credentials.Identity{Source: credentials.IdentityFile, Path: path}
	got, err := Fetch(context.Background(), id, Options{})
	if err != nil || got != tok {
		t.Errorf("Fetch = %q, %v", got, err)
	}
	s, _ := New(id, Options{})
	if _, err := s.Token(context.Background()); err == nil {
		t.Error("Token took an expired token")
	}
}
