// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecr

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/ecr/ecrtest"
)

// The integration tests run the real SDK (credential chain, signing,
// endpoint resolution) against local servers only: an egress guard
// (HTTPS_PROXY to a closed port) makes any request to a real AWS endpoint
// fail, and moto (ECR, STS) or ecrtest.Server (ECR Public) answer.

var moto struct {
	once sync.Once
	m    *ecrtest.Moto
	err  error
}

func TestMain(m *testing.M) {
	// Set before any HTTP request: net/http reads the proxy variables once.
	home, err := os.MkdirTemp("", "ecr-home-")
	if err != nil {
		panic(err)
	}
	for k, v := range map[string]string{
		"HOME": home, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"NO_PROXY", "no_proxy", "https_proxy", "http_proxy", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		os.Unsetenv(k)
	}
	code := m.Run()
	moto.m.Stop()
	os.RemoveAll(home)
	os.Exit(code)
}

// startMoto returns the package's moto server behind a fresh recorder,
// with AWS_ENDPOINT_URL_ECR and AWS_ENDPOINT_URL_STS pointing at it (the
// STS one always: without it the SDK's STS client goes to the real STS).
// It skips when moto is missing, unless CI is set.
func startMoto(t *testing.T) *ecrtest.Recorder {
	t.Helper()
	moto.once.Do(func() { moto.m, moto.err = ecrtest.StartMoto() })
	if moto.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("moto: %v", moto.err)
		}
		t.Skipf("moto: %v", moto.err)
	}
	rec := ecrtest.NewRecorder(t, moto.m.URL)
	t.Setenv("AWS_ENDPOINT_URL_ECR", rec.URL)
	t.Setenv("AWS_ENDPOINT_URL_STS", rec.URL)
	return rec
}

// mint mints for an ECR host of moto's account through the real SDK.
func mint(t *testing.T, reg credentials.Registry) (string, time.Time, error) {
	t.Helper()
	tok, err := New(reg, Options{}).Token(context.Background(), host(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com"), nil)
	if err != nil {
		return "", time.Time{}, err
	}
	if tok.Username != "AWS" {
		t.Errorf("Username = %q", tok.Username)
	}
	return tok.Secret, tok.Expiry, nil
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// ops formats calls as "Op by KeyID" lines, with assumed-role keys
// (moto's ASIA…) shown as ASIA.
func ops(calls []ecrtest.Call) string {
	var b []string
	for _, c := range calls {
		k := c.KeyID
		if strings.HasPrefix(k, "ASIA") {
			k = "ASIA"
		}
		b = append(b, c.Op+" by "+k)
	}
	return strings.Join(b, "; ")
}

// TestMoto_envCredentials: keys from the environment sign ECR's call;
// moto's token decodes to its password, with moto's expiry (2015) kept.
func TestMoto_envCredentials(t *testing.T) {
	rec := startMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	secret, exp, err := mint(t, credentials.Registry{})
	if err != nil {
		t.Fatal(err)
	}
	if secret != "123456789012-auth-token" || exp.Year() != 2015 {
		t.Errorf("token = %q, expiry %v", secret, exp)
	}
	if got, want := ops(rec.Calls()), ecrtest.TargetECR+" by AKIDENV"; got != want {
		t.Errorf("calls = %s, want %s", got, want)
	}
}

// TestMoto_profileAssumeRole: aws_profile names a shared-config profile
// that assumes a role from another profile's keys: STS AssumeRole signed
// with the source keys, then ECR with the role's.
func TestMoto_profileAssumeRole(t *testing.T) {
	rec := startMoto(t)
	t.Setenv("AWS_CONFIG_FILE", writeFile(t, "config", `[profile src]
aws_access_key_id = AKIDSOURCE
aws_secret_access_key = srcsecret
region = us-east-1
[profile pull]
role_arn = arn:aws:iam::123456789012:role/ecr-pull
source_profile = src
`))
	if _, _, err := mint(t, credentials.Registry{AWSProfile: "pull"}); err != nil {
		t.Fatal(err)
	}
	calls := rec.Calls()
	if got, want := ops(calls), "AssumeRole by AKIDSOURCE; "+ecrtest.TargetECR+" by ASIA"; got != want {
		t.Errorf("calls = %s, want %s", got, want)
	}
	if len(calls) > 0 && calls[0].Form.Get("RoleArn") != "arn:aws:iam::123456789012:role/ecr-pull" {
		t.Errorf("AssumeRole form = %v", calls[0].Form)
	}
	// A profile that does not exist is the SDK's error, in one line.
	_, _, err := mint(t, credentials.Registry{AWSProfile: "nope"})
	if err == nil || !strings.Contains(err.Error(), "nope") || strings.Contains(err.Error(), "\n") {
		t.Errorf("mint(profile nope) = %v", err)
	}
}

// TestMoto_roleARN: aws_role_arn assumes the role with the keys the chain
// finds (here the environment's).
func TestMoto_roleARN(t *testing.T) {
	rec := startMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	if _, _, err := mint(t, credentials.Registry{AWSRoleARN: "arn:aws:iam::123456789012:role/other"}); err != nil {
		t.Fatal(err)
	}
	calls := rec.Calls()
	if got, want := ops(calls), "AssumeRole by AKIDENV; "+ecrtest.TargetECR+" by ASIA"; got != want {
		t.Errorf("calls = %s, want %s", got, want)
	}
	if len(calls) > 0 && (calls[0].Form.Get("RoleArn") != "arn:aws:iam::123456789012:role/other" || calls[0].Form.Get("RoleSessionName") != "docker-credential-mint") {
		t.Errorf("AssumeRole form = %v", calls[0].Form)
	}
}

// TestMoto_webIdentity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (what
// EKS and CI set) make the SDK exchange the file's JWT at STS.
func TestMoto_webIdentity(t *testing.T) {
	rec := startMoto(t)
	jwt := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9."
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", writeFile(t, "token", jwt))
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci")
	t.Setenv("AWS_ROLE_SESSION_NAME", "ci")
	if _, _, err := mint(t, credentials.Registry{}); err != nil {
		t.Fatal(err)
	}
	calls := rec.Calls()
	if got, want := ops(calls), "AssumeRoleWithWebIdentity by ; "+ecrtest.TargetECR+" by ASIA"; got != want {
		t.Errorf("calls = %s, want %s", got, want)
	}
	if len(calls) > 0 && calls[0].Form.Get("WebIdentityToken") != jwt {
		t.Errorf("AssumeRoleWithWebIdentity form = %v", calls[0].Form)
	}
}

// TestMoto_egressGuard: without the endpoint overrides the SDK goes to
// the real ECR, which the guard refuses: the tests above reached moto, not
// AWS. The error names the endpoint and does not hold the keys.
func TestMoto_egressGuard(t *testing.T) {
	startMoto(t)
	os.Unsetenv("AWS_ENDPOINT_URL_ECR") // t.Setenv restores it
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	_, _, err := mint(t, credentials.Registry{})
	if err == nil || !strings.Contains(err.Error(), "api.ecr.us-east-1.amazonaws.com") || !strings.Contains(err.Error(), "127.0.0.1:9") || strings.Contains(err.Error(), "envsecret") {
		t.Errorf("mint without an endpoint override = %v", err)
	}
}

// TestStandIn_public: ECR Public is asked in us-east-1 through
// AWS_ENDPOINT_URL_ECR_PUBLIC (moto has no ECR Public; the stand-in checks
// the signature of the keys it knows).
func TestStandIn_public(t *testing.T) {
	srv := ecrtest.NewServer(t)
	t.Setenv("AWS_ENDPOINT_URL_ECR_PUBLIC", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testsecret")
	tok, err := New(credentials.Registry{AWSRegion: "eu-west-1"}, Options{}).Token(context.Background(), host(t, "public.ecr.aws/acme/app"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "AWS" || tok.Secret != "ecr-password-1" || time.Until(tok.Expiry) < 11*time.Hour {
		t.Errorf("Token = %+v", tok)
	}
	if r := srv.Regions(); len(r) != 1 || r[0] != "us-east-1" {
		t.Errorf("signing regions = %v, want [us-east-1]", r)
	}
	// A wrong secret is refused by the stand-in's signature check.
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if _, err := New(credentials.Registry{}, Options{}).Token(context.Background(), host(t, "public.ecr.aws"), nil); err == nil || !strings.Contains(err.Error(), "signature does not match") {
		t.Errorf("Token(wrong secret) = %v", err)
	}
}

// TestStandIn_private: the stand-in's ECR answers the SDK too, with a
// real expiry, signed in the host's region.
func TestStandIn_private(t *testing.T) {
	srv := ecrtest.NewServer(t)
	t.Setenv("AWS_ENDPOINT_URL_ECR", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testsecret")
	tok, err := New(credentials.Registry{}, Options{}).Token(context.Background(), host(t, "123456789012.dkr.ecr.eu-central-1.amazonaws.com"), nil)
	if err != nil || tok.Secret != "ecr-password-1" || time.Until(tok.Expiry) < 11*time.Hour {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	if r := srv.Regions(); len(r) != 1 || r[0] != "eu-central-1" {
		t.Errorf("signing regions = %v, want [eu-central-1]", r)
	}
}
