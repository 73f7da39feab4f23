// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func claimsJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + ".sig"
}

// TestServiceAccountIdentity: the key is one per issuer, subject and
// service account UID (not per token: another pod's token of the same
// service account has the same key), holds none of them, and bad tokens
// are refused in one line that does not show them.
func TestServiceAccountIdentity(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	sa := func(iss, sub, uid, pod string) string {
		return claimsJWT(`{"iss":"` + iss + `","sub":"` + sub + `","exp":1800000600,"jti":"` + pod + `","kubernetes.io":{"serviceaccount":{"name":"x","uid":"` + uid + `"},"pod":{"name":"` + pod + `"}}}`)
	}
	a1, err := ServiceAccountIdentity(sa("https://k8s", "system:serviceaccount:a:x", "u1", "p1"), now)
	if err != nil {
		t.Fatal(err)
	}
	if a1.Subject != "system:serviceaccount:a:x" || !a1.Expiry.Equal(time.Unix(1_800_000_600, 0)) || len(a1.Key) != 32 || strings.Contains(a1.Key, "u1") {
		t.Errorf("identity = %+v", a1)
	}
	a2, _ := ServiceAccountIdentity(sa("https://k8s", "system:serviceaccount:a:x", "u1", "p2"), now)
	if a2.Key != a1.Key {
		t.Errorf("two pods of one service account: keys %s and %s", a1.Key, a2.Key)
	}
	for _, other := range []string{
		sa("https://k8s", "system:serviceaccount:b:x", "u1", "p1"),
		sa("https://k8s", "system:serviceaccount:a:x", "u2", "p1"),
		sa("https://other", "system:serviceaccount:a:x", "u1", "p1"),
	} {
		if o, err := ServiceAccountIdentity(other, now); err != nil || o.Key == a1.Key {
			t.Errorf("another identity has the same key (%v)", err)
		}
	}
	for _, c := range []struct{ tok, want string }{
		{"", "not a JWT"},
		{"a.b", "not a JWT"},
		{"a.!!.c", "not base64url"},
		{claimsJWT(`[1]`), "not a JSON object"},
		{claimsJWT(`{"exp":1800000600,"secret":"hush"}`), "no sub claim"},
		{claimsJWT(`{"sub":"s","exp":-5}`), "exp is not a time"},
		{claimsJWT(`{"sub":"system:serviceaccount:a:x","exp":1799999999}`), "of system:serviceaccount:a:x expired at"},
		{strings.Repeat("a", 17<<10), "larger than"},
	} {
		_, err := ServiceAccountIdentity(c.tok, now)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "hush") || strings.Contains(err.Error(), "\n") {
			t.Errorf("ServiceAccountIdentity(%.30q) = %v, want one line about %q", c.tok, err, c.want)
		}
	}
}

func TestServiceAccountToken_context(t *testing.T) {
	if _, ok := ServiceAccountToken(context.Background()); ok {
		t.Error("a background context has a token")
	}
	if ctx := WithServiceAccountToken(context.Background(), ""); ctx != context.Background() {
		t.Error(`WithServiceAccountToken("") changed the context`)
	}
	if tok, ok := ServiceAccountToken(WithServiceAccountToken(context.Background(), "a.b.c")); !ok || tok != "a.b.c" {
		t.Errorf("ServiceAccountToken = %q, %v", tok, ok)
	}
}
