// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecr

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/ecr/ecrtest"
)

// The rest of aws-sdk-go-v2's default chain, through the provider: the EC2
// instance metadata service, the ECS/EKS container credentials endpoint and
// IAM Identity Center (SSO) profiles, each at a local stand-in reached
// through the SDK's own override, then GetAuthorizationToken at
// ecrtest.Server, which checks the SigV4 signature of the key the source
// handed out (with its session token). The egress guard of TestMain stays
// on: a request to a real AWS endpoint fails.

// mintAt mints for an ECR host in eu-central-1 (ecrtest.Server answers
// any account) through the real SDK.
func mintAt(t *testing.T, reg credentials.Registry) error {
	t.Helper()
	tok, err := New(reg, Options{}).Token(context.Background(), host(t, "123456789012.dkr.ecr.eu-central-1.amazonaws.com"), nil)
	if err != nil {
		return err
	}
	if tok.Username != "AWS" || !strings.HasPrefix(tok.Secret, "ecr-password-") {
		t.Errorf("Token = %q, %q", tok.Username, tok.Secret)
	}
	return nil
}

// ecrStandIn starts ecrtest.Server as the SDK's ECR endpoint.
func ecrStandIn(t *testing.T) *ecrtest.Server {
	t.Helper()
	srv := ecrtest.NewServer(t)
	t.Setenv("AWS_ENDPOINT_URL_ECR", srv.URL)
	return srv
}

// TestChain_imdsV2: with no other credentials, the instance role's keys
// come from IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT at a stand-in that
// refuses every GET without a session token): every GET carried the
// token, none fell back to IMDSv1. The region is the host's, not the
// instance's: the ECR host names it, so the SDK is not asked to read it
// from IMDS. A slow instance (100 ms per answer) is still within the
// metadata client's bounds.
func TestChain_imdsV2(t *testing.T) {
	for _, delay := range []time.Duration{0, 100 * time.Millisecond} {
		t.Run(fmt.Sprint("delay ", delay), func(t *testing.T) {
			srv := ecrStandIn(t)
			m := ecrtest.NewIMDS(t)
			m.Delay = delay
			t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
			t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", m.URL)
			if err := mintAt(t, credentials.Registry{}); err != nil {
				t.Fatal(err)
			}
			if tokens, authorized, refused := m.Counts(); tokens < 1 || authorized < 2 || refused != 0 {
				t.Errorf("IMDS: %d session tokens, %d GETs with one, %d without; want IMDSv2 only", tokens, authorized, refused)
			}
			if r := srv.Regions(); len(r) != 1 || r[0] != "eu-central-1" {
				t.Errorf("signing regions = %v, want the host's [eu-central-1]", r)
			}
		})
	}
	// The stand-in does refuse IMDSv1: the mint above used the token.
	m := ecrtest.NewIMDS(t)
	resp, err := (&http.Client{Transport: &http.Transport{}}).Get(m.URL + "/latest/meta-data/iam/security-credentials/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("IMDSv1 GET: %s, want 401", resp.Status)
	}
}

// TestChain_podIdentity: AWS_CONTAINER_CREDENTIALS_FULL_URI with
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (what EKS Pod Identity sets in a
// pod; ECS sets the same pair): the file's token is the Authorization
// header, read afresh at each mint, and a token the endpoint refuses fails
// the mint in one line that does not show it.
func TestChain_podIdentity(t *testing.T) {
	ecrStandIn(t)
	c := ecrtest.NewContainer(t, "pod-token-1")
	file := writeFile(t, "eks-pod-identity-token", "pod-token-1")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", c.URL)
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file)
	if err := mintAt(t, credentials.Registry{}); err != nil {
		t.Fatal(err)
	}
	if served, refused := c.Counts(); served != 1 || refused != 0 {
		t.Errorf("container endpoint: %d served, %d refused; want 1, 0", served, refused)
	}
	// The kubelet rotated the file; the endpoint now wants the new token.
	c.AuthToken = "pod-token-2"
	writeTo(t, file, "pod-token-2")
	if err := mintAt(t, credentials.Registry{}); err != nil {
		t.Fatal(err)
	}
	writeTo(t, file, "stale-pod-token")
	err := mintAt(t, credentials.Registry{})
	if err == nil || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "stale-pod-token") {
		t.Errorf("mint with a refused token = %v, want one line without the token", err)
	}
	if served, refused := c.Counts(); served != 2 || refused < 1 {
		t.Errorf("container endpoint: %d served, %d refused; want 2, ≥1", served, refused)
	}
}

// ssoHome writes a shared config with an sso-session profile "sso" and a
// legacy SSO profile "legacy", and the access tokens `aws sso login`
// caches for both, under a fresh HOME.
func ssoHome(t *testing.T, accessToken string, expires time.Time) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	const start = "https://d-1234567890.awsapps.com/start"
	cache := filepath.Join(home, ".aws", "sso", "cache")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"corp", start} { // the session's name, the legacy start URL
		sum := sha1.Sum([]byte(key))
		body := fmt.Sprintf(`{"accessToken":%q,"expiresAt":%q,"region":"us-east-1","startUrl":%q}`, accessToken, expires.UTC().Format(time.RFC3339), start)
		if err := os.WriteFile(filepath.Join(cache, hex.EncodeToString(sum[:])+".json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", writeFile(t, "config", `[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = ECRPull
region = us-east-1
[sso-session corp]
sso_start_url = `+start+`
sso_region = us-east-1
sso_registration_scopes = sso:account:access
[profile legacy]
sso_start_url = `+start+`
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = ECRPull
`))
}

// TestChain_sso: an IAM Identity Center profile (sso_session, and the
// legacy sso_start_url form) gets the role's keys from the portal's
// GetRoleCredentials with the access token `aws sso login` cached;
// AWS_ENDPOINT_URL_SSO redirects the portal (the SDK honours it). Without
// that override the SDK goes to the real portal, which the guard refuses.
func TestChain_sso(t *testing.T) {
	ecrStandIn(t)
	portal := ecrtest.NewSSOPortal(t, "sso-access-token", "ECRPull")
	ssoHome(t, "sso-access-token", time.Now().Add(time.Hour))
	t.Setenv("AWS_ENDPOINT_URL_SSO", portal.URL)
	for _, profile := range []string{"sso", "legacy"} {
		if err := mintAt(t, credentials.Registry{AWSProfile: profile}); err != nil {
			t.Fatalf("profile %s: %v", profile, err)
		}
	}
	want := "GET /federation/credentials?123456789012&ECRPull 200"
	if calls := portal.Calls(); len(calls) != 2 || calls[0] != want || calls[1] != want {
		t.Errorf("portal calls = %q, want 2 × %q", calls, want)
	}
	// AWS_PROFILE names it as well as the entry's aws_profile.
	t.Setenv("AWS_PROFILE", "sso")
	if err := mintAt(t, credentials.Registry{}); err != nil {
		t.Fatal(err)
	}

	// An expired cached token: the SDK says to log in again (the legacy
	// form cannot refresh), without calling the portal or showing it.
	ssoHome(t, "old-sso-token", time.Now().Add(-time.Hour))
	err := mintAt(t, credentials.Registry{AWSProfile: "legacy"})
	if err == nil || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "old-sso-token") {
		t.Errorf("mint with an expired SSO token = %v", err)
	}
	if calls := portal.Calls(); len(calls) != 3 {
		t.Errorf("portal calls = %q, want none more", calls)
	}

	ssoHome(t, "sso-access-token", time.Now().Add(time.Hour))
	os.Unsetenv("AWS_ENDPOINT_URL_SSO") // t.Setenv restores it
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	err = mintAt(t, credentials.Registry{AWSProfile: "sso"})
	if err == nil || !strings.Contains(err.Error(), "portal.sso.us-east-1.amazonaws.com") || !strings.Contains(err.Error(), "127.0.0.1:9") {
		t.Errorf("mint without AWS_ENDPOINT_URL_SSO = %v, want the guard's refusal", err)
	}
}

// TestMoto_imdsRoleARN: on EC2, aws_role_arn is assumed with the instance
// role's keys (IMDSv2, bounded as the chain's only source): STS AssumeRole
// signed by them, ECR by the assumed role's.
func TestMoto_imdsRoleARN(t *testing.T) {
	rec := startMoto(t)
	m := ecrtest.NewIMDS(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", m.URL)
	if _, _, err := mint(t, credentials.Registry{AWSRoleARN: "arn:aws:iam::123456789012:role/other"}); err != nil {
		t.Fatal(err)
	}
	if got, want := ops(rec.Calls()), "AssumeRole by "+ecrtest.KeyID+"; "+ecrtest.TargetECR+" by ASIA"; got != want {
		t.Errorf("calls = %s, want %s", got, want)
	}
	if _, _, refused := m.Counts(); refused != 0 {
		t.Errorf("IMDS refused %d GETs without a token", refused)
	}
}
