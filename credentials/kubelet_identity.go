// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// The kubelet's service-account token (KEP-4412, kubelet 1.33+): with
// tokenAttributes in its CredentialProviderConfig, the kubelet puts a token
// of the pulling pod's service account, bound to the pod and to the
// configured audience, in the CredentialProviderRequest. An entry whose
// identity source is kubelet exchanges that token, so a pod pulls with its
// own identity. The kubelet mode puts it in the context of the get it runs
// (WithServiceAccountToken); the router keys the token cache by its
// identity (ServiceAccountIdentity) and the identity source hands it to the
// exchange.

// maxServiceAccountToken bounds the token parsed here (real ones are about
// 1 KB).
const maxServiceAccountToken = 16 << 10

type saTokenKey struct{}

// WithServiceAccountToken returns ctx carrying the service-account token of
// a kubelet CredentialProviderRequest; "" returns ctx unchanged.
func WithServiceAccountToken(ctx context.Context, token string) context.Context {
	if token == "" {
		return ctx
	}
	return context.WithValue(ctx, saTokenKey{}, token)
}

// ServiceAccountToken returns the token that WithServiceAccountToken put in
// ctx; ok is false when there is none (any get but the kubelet mode's).
func ServiceAccountToken(ctx context.Context) (token string, ok bool) {
	token, ok = ctx.Value(saTokenKey{}).(string)
	return token, ok && token != ""
}

// ServiceAccountID is what ServiceAccountIdentity reads from a token.
type ServiceAccountID struct {
	// Key identifies the identity, never the token: a hex SHA-256 prefix of
	// the issuer, the subject and the service account's UID. Two tokens of
	// one service account (two pods, or one pod's token renewed) have the
	// same Key; tokens of different service accounts (or clusters) never.
	Key string
	// Subject is the token's sub (system:serviceaccount:NAMESPACE:NAME),
	// for messages: it is not secret.
	Subject string
	// Expiry is the token's exp; zero when it has none.
	Expiry time.Time
}

// ServiceAccountIdentity reads the claims of a service-account token
// without verifying it (the token endpoint does that; the kubelet, which
// got the token from the API server, is the only caller of the kubelet
// mode). It refuses, in one line that never holds the token, what is not a
// JWT, one without sub, and one whose exp has passed at now.
func ServiceAccountIdentity(token string, now time.Time) (ServiceAccountID, error) {
	token = strings.TrimSpace(token)
	if len(token) > maxServiceAccountToken {
		return ServiceAccountID{}, fmt.Errorf("the service account token is larger than %d bytes", maxServiceAccountToken)
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return ServiceAccountID{}, errors.New("the service account token is not a JWT")
	}
	var claims struct {
		Iss string       `json:"iss"`
		Sub string       `json:"sub"`
		Exp *json.Number `json:"exp"`
		K8s struct {
			ServiceAccount struct {
				UID string `json:"uid"`
			} `json:"serviceaccount"`
		} `json:"kubernetes.io"`
	}
	switch err := JWTClaims(token, &claims); {
	case errors.Is(err, errJWTParts):
		return ServiceAccountID{}, errors.New("the service account token is not a JWT")
	case err != nil:
		return ServiceAccountID{}, fmt.Errorf("the service account token is not a JWT (%v)", err)
	}
	if claims.Sub == "" {
		return ServiceAccountID{}, errors.New("the service account token has no sub claim")
	}
	id := ServiceAccountID{Subject: OneLine(claims.Sub)}
	if len(id.Subject) > 256 {
		id.Subject = strings.ToValidUTF8(id.Subject[:256], "") + "…"
	}
	if claims.Exp != nil {
		f, err := claims.Exp.Float64()
		if err != nil || math.IsNaN(f) || f <= 0 || f > math.MaxInt64/2 {
			return ServiceAccountID{}, errors.New("the service account token's exp is not a time")
		}
		id.Expiry = time.Unix(int64(f), 0).UTC()
		if !id.Expiry.After(now) {
			return ServiceAccountID{}, fmt.Errorf("the service account token of %s expired at %s", id.Subject, id.Expiry.Format(time.RFC3339))
		}
	}
	h := sha256.New()
	for _, s := range []string{"mint-kubelet-identity", claims.Iss, claims.Sub, claims.K8s.ServiceAccount.UID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	id.Key = hex.EncodeToString(h.Sum(nil)[:16])
	return id, nil
}
