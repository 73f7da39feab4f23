// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecr

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/docker-credential-mint/mint/credentials/provider/ecr/ecrtest"
)

// hermeticAWS unsets every AWS_ variable for the test and points the
// shared files at an empty config (or the one given).
func hermeticAWS(t *testing.T, config string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", path)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
}

// TestPublicEndpoint: ECR Public's endpoint as service/ecrpublic's rules
// (v1.47) give it, from the environment and the shared config.
func TestPublicEndpoint(t *testing.T) {
	for _, c := range []struct {
		name, config string
		env          map[string]string
		want, err    string
	}{
		{name: "default", want: "https://api.ecr-public.us-east-1.amazonaws.com"},
		{name: "fips", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true"}, want: "https://api.ecr-public-fips.us-east-1.amazonaws.com"},
		{name: "dual-stack", env: map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "true"}, want: "https://ecr-public.us-east-1.api.aws"},
		{name: "fips and dual-stack", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"}, want: "https://api.ecr-public-fips.us-east-1.api.aws"},
		{name: "fips in the shared config", config: "[default]\nuse_fips_endpoint = true\n", want: "https://api.ecr-public-fips.us-east-1.amazonaws.com"},
		{name: "service variable", env: map[string]string{"AWS_ENDPOINT_URL_ECR_PUBLIC": "http://127.0.0.1:1"}, want: "http://127.0.0.1:1"},
		{name: "global variable", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:2"}, want: "http://127.0.0.1:2"},
		{name: "service over global", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:2", "AWS_ENDPOINT_URL_ECR_PUBLIC": "http://127.0.0.1:1"}, want: "http://127.0.0.1:1"},
		{name: "another service's variable", env: map[string]string{"AWS_ENDPOINT_URL_ECR": "http://127.0.0.1:3"}, want: "https://api.ecr-public.us-east-1.amazonaws.com"},
		{name: "services section", config: "[default]\nservices = local\n[services local]\necr_public =\n  endpoint_url = http://127.0.0.1:4\n", want: "http://127.0.0.1:4"},
		{name: "global variable over services section", config: "[default]\nservices = local\n[services local]\necr_public =\n  endpoint_url = http://127.0.0.1:4\n", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:2"}, want: "http://127.0.0.1:2"},
		{name: "configured endpoints ignored", env: map[string]string{"AWS_ENDPOINT_URL_ECR_PUBLIC": "http://127.0.0.1:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, want: "https://api.ecr-public.us-east-1.amazonaws.com"},
		{name: "fips and a custom endpoint", env: map[string]string{"AWS_ENDPOINT_URL_ECR_PUBLIC": "http://127.0.0.1:1", "AWS_USE_FIPS_ENDPOINT": "true"}, err: "FIPS and custom endpoint are not supported"},
		{name: "dual-stack and a custom endpoint", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:2", "AWS_USE_DUALSTACK_ENDPOINT": "true"}, err: "Dualstack and custom endpoint are not supported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hermeticAWS(t, c.config)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(PublicRegion))
			if err != nil {
				t.Fatal(err)
			}
			got, err := publicEndpoint(context.Background(), cfg)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("publicEndpoint = %q, %v; want error %q", got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("publicEndpoint = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

// publicConfig is an aws.Config for srv with static keys and a retryer of
// attempts tries and no backoff.
func publicConfig(url, secret string, attempts int) aws.Config {
	return aws.Config{
		Region:       PublicRegion,
		BaseEndpoint: aws.String(url),
		Credentials:  aws.NewCredentialsCache(awscreds.NewStaticCredentialsProvider(ecrtest.KeyID, secret, "")),
		HTTPClient:   http.DefaultClient,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	}
}

// counted serves srv and counts the requests.
func counted(t *testing.T, srv *ecrtest.Server, each func(n int64)) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		each(n.Add(1))
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs.URL, &n
}

// TestPublicAPI: the token and its expiry from the stand-in, which checks
// the SigV4 signature for ecr-public in us-east-1; a server error is
// retried as the SDK's retryer says, a refused signature is not, and no
// error holds the secret.
func TestPublicAPI(t *testing.T) {
	ctx := context.Background()
	srv := ecrtest.New(ecrtest.KeyID, ecrtest.Secret, "public-password")
	url, n := counted(t, srv, func(int64) {})

	raw, exp, err := publicAPI(publicConfig(url, ecrtest.Secret, 3)).GetAuthorizationToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pass, err := decode(raw); err != nil || !strings.HasPrefix(pass, "public-password") {
		t.Errorf("token = %q, %v", pass, err)
	}
	if d := time.Until(exp); d < 11*time.Hour || d > 13*time.Hour {
		t.Errorf("expiresAt in %s, want about 12h", d)
	}

	// A server error three times: three attempts, the code in the error.
	failing := ecrtest.New(ecrtest.KeyID, ecrtest.Secret, "public-password")
	failing.Fail.Store(true)
	furl, fn := counted(t, failing, func(int64) {})
	_, _, err = publicAPI(publicConfig(furl, ecrtest.Secret, 3)).GetAuthorizationToken(ctx)
	if err == nil || !strings.Contains(err.Error(), "StatusCode: 500") || !strings.Contains(err.Error(), "ServerException") || fn.Load() != 3 {
		t.Errorf("failing server: %v after %d requests; want ServerException after 3", err, fn.Load())
	}

	// One server error, then the token.
	flaky := ecrtest.New(ecrtest.KeyID, ecrtest.Secret, "public-password")
	flaky.Fail.Store(true)
	furl, fn = counted(t, flaky, func(i int64) { flaky.Fail.Store(i == 1) })
	if _, _, err := publicAPI(publicConfig(furl, ecrtest.Secret, 3)).GetAuthorizationToken(ctx); err != nil || fn.Load() != 2 {
		t.Errorf("flaky server: %v after %d requests; want the token after 2", err, fn.Load())
	}

	// A refused signature is not retried, and the error does not hold
	// the secret used.
	before := n.Load()
	_, _, err = publicAPI(publicConfig(url, "wrong-secret-value", 3)).GetAuthorizationToken(ctx)
	if err == nil || !strings.Contains(err.Error(), "StatusCode: 403") || !strings.Contains(err.Error(), "InvalidSignatureException") || n.Load()-before != 1 {
		t.Errorf("wrong secret: %v after %d requests; want InvalidSignatureException after 1", err, n.Load()-before)
	}
	if err != nil && strings.Contains(err.Error(), "wrong-secret-value") {
		t.Error("the error holds the secret")
	}
}
