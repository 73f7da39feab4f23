// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/credentials/provider/acr/acrtest"
)

// acrHost is an Azure Container Registry host: its own /oauth2/exchange
// and /oauth2/token are on it, on 443 in the test's own namespace.
const acrHost = "myreg.azurecr.io"

// acrLab starts the Azure side (acrtest's Entra ID authority over TLS,
// ACR's /oauth2/exchange and /oauth2/token in front of the registry at
// acrHost) and points e's helper at it the zero-config way: a client
// secret in the environment (azidentity's EnvironmentCredential), the
// authority at AZURE_AUTHORITY_HOST, no mint config file at all.
func acrLab(t *testing.T, e *env) *cloudLab {
	t.Helper()
	addSecret(t, acrtest.ClientSecret)
	lab := startCloudLab(t, "acr", nil, acrHost)
	lab.useIn(e)
	for k, v := range map[string]string{
		"AZURE_TENANT_ID":      acrtest.Tenant,
		"AZURE_CLIENT_ID":      acrtest.ClientID,
		"AZURE_CLIENT_SECRET":  acrtest.ClientSecret,
		"AZURE_AUTHORITY_HOST": lab.cloudURL,
	} {
		e.setenv(k, v)
	}
	return lab
}

// TestACR_realRegistry: an ACR-shaped registry (myreg.azurecr.io, TLS on
// 443) whose own /oauth2/exchange trades an Entra ID access token for an
// ACR refresh token, and whose /oauth2/token (the realm) accepts only the
// nil UUID with a refresh token that exchange issued. With no mint config
// at all, crane pushes and pulls and regctl and skopeo read through the
// helper (protocol binary handing the mint to the full build, azidentity
// with a client secret against the TLS authority): one Entra ID token
// request and one exchange for all of them, the realm saw that one refresh
// token and never the client secret, and a refresh token the exchange did
// not issue and a client without the helper are refused.
func TestACR_realRegistry(t *testing.T) {
	t.Parallel()
	if !inCloudNamespace(t, acrHost) {
		return
	}
	needTools(t, "crane", "regctl", "skopeo")
	e := newEnv(t)
	lab := acrLab(t, e)
	ref := acrHost + "/team/app:1"
	lab.readZeroConfig(t, e, acrHost, ref, 1)

	c, ok := e.get(acrHost)
	if !ok || c.Username != acrtest.Username || strings.Count(c.Secret, ".") != 2 {
		t.Errorf("get %s: username %q (found %v), want the nil UUID and a refresh token (JWT)", acrHost, c.Username, ok)
	}
	if ok {
		addSecret(t, c.Secret)
	}
	wantDetectedRow(t, e, acrHost, "acr")
	st := lab.stats(t)
	if st.CloudCalls != 1 || st.Exchanges != 1 {
		t.Errorf("a push, 2 pulls and 3 reads made %d Entra ID token requests and %d exchanges, want 1 and 1", st.CloudCalls, st.Exchanges)
	}
	if st.Issued < 5 || st.Denied != 0 {
		t.Errorf("realm: %+v, want at least 5 tokens issued and none denied", st)
	}
	if st.Passwords != 1 || st.Unminted != 0 || st.SecretKeySeen != 0 {
		t.Errorf("realm saw %d passwords (%d not issued by the exchange), the client secret %d times; want only the refresh token", st.Passwords, st.Unminted, st.SecretKeySeen)
	}

	// A refresh token the exchange did not issue, and a client without the
	// helper, are refused.
	req, err := http.NewRequest(http.MethodGet, lab.tokenURL+"?service="+acrHost+"&scope=repository:team/app:pull", nil)
	if err != nil {
		t.Fatal(err)
	}
	forged := acrtest.UnsignedJWT(map[string]any{"grant_type": "refresh_token", "aud": acrHost, "tenant": acrtest.Tenant})
	req.SetBasicAuth(acrtest.Username, forged)
	if code := tlsStatus(t, lab.caFile, req); code != http.StatusUnauthorized {
		t.Errorf("realm answered %d to a refresh token the exchange did not issue, want 401", code)
	}
	// The realm does notice the client secret when it comes (so its 0
	// above means something).
	req = req.Clone(req.Context())
	req.SetBasicAuth(acrtest.ClientID, acrtest.ClientSecret)
	if code := tlsStatus(t, lab.caFile, req); code != http.StatusUnauthorized {
		t.Errorf("realm answered %d to the client secret, want 401", code)
	}
	bare := newEnv(t)
	lab.useIn(bare)
	bare.writeDockerConfig("", nil)
	if out := bare.fail("", "crane", "digest", ref); !strings.Contains(strings.ToUpper(out), "UNAUTHORIZED") {
		t.Errorf("crane without the helper: %s, want unauthorized", out)
	}
	if st := lab.stats(t); st.CloudCalls != 1 || st.Exchanges != 1 || st.SecretKeySeen != 1 {
		t.Errorf("%d Entra ID token requests and %d exchanges in all, want 1 and 1; the client secret seen %d times, want once (sent on purpose)", st.CloudCalls, st.Exchanges, st.SecretKeySeen)
	}
}
