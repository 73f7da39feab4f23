// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecr

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	sdkecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	sdkecrpublic "github.com/aws/aws-sdk-go-v2/service/ecrpublic"

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

// TestEndpoint_public: ECR Public's endpoint as service/ecrpublic's rules
// (v1.47) give it, from the environment and the shared config.
func TestEndpoint_public(t *testing.T) {
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
			got, err := endpoint(context.Background(), cfg, serviceECRPublic, PublicRegion)
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

// TestAPI_public: the token and its expiry from the stand-in, which checks
// the SigV4 signature for ecr-public in us-east-1; a server error is
// retried as the SDK's retryer says, a refused signature is not, and no
// error holds the secret.
func TestAPI_public(t *testing.T) {
	ctx := context.Background()
	srv := ecrtest.New(ecrtest.KeyID, ecrtest.Secret, "public-password")
	url, n := counted(t, srv, func(int64) {})

	raw, exp, err := newAPI(publicConfig(url, ecrtest.Secret, 3), serviceECRPublic, PublicRegion).GetAuthorizationToken(ctx)
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
	_, _, err = newAPI(publicConfig(furl, ecrtest.Secret, 3), serviceECRPublic, PublicRegion).GetAuthorizationToken(ctx)
	if err == nil || !strings.Contains(err.Error(), "StatusCode: 500") || !strings.Contains(err.Error(), "ServerException") || fn.Load() != 3 {
		t.Errorf("failing server: %v after %d requests; want ServerException after 3", err, fn.Load())
	}

	// One server error, then the token.
	flaky := ecrtest.New(ecrtest.KeyID, ecrtest.Secret, "public-password")
	flaky.Fail.Store(true)
	furl, fn = counted(t, flaky, func(i int64) { flaky.Fail.Store(i == 1) })
	if _, _, err := newAPI(publicConfig(furl, ecrtest.Secret, 3), serviceECRPublic, PublicRegion).GetAuthorizationToken(ctx); err != nil || fn.Load() != 2 {
		t.Errorf("flaky server: %v after %d requests; want the token after 2", err, fn.Load())
	}

	// A refused signature is not retried, and the error does not hold
	// the secret used.
	before := n.Load()
	_, _, err = newAPI(publicConfig(url, "wrong-secret-value", 3), serviceECRPublic, PublicRegion).GetAuthorizationToken(ctx)
	if err == nil || !strings.Contains(err.Error(), "StatusCode: 403") || !strings.Contains(err.Error(), "InvalidSignatureException") || n.Load()-before != 1 {
		t.Errorf("wrong secret: %v after %d requests; want InvalidSignatureException after 1", err, n.Load()-before)
	}
	if err != nil && strings.Contains(err.Error(), "wrong-secret-value") {
		t.Error("the error holds the secret")
	}
}

// TestEndpoint_sdkParity: the endpoints are the ones the SDK's own
// resolvers (service/ecr, service/ecrpublic, linked by this test only)
// give, in every partition, with FIPS and dual-stack on and off.
func TestEndpoint_sdkParity(t *testing.T) {
	ctx := context.Background()
	regions := []string{"us-east-1", "eu-central-1", "ap-southeast-7", "mx-central-1", "aws-global", "cn-north-1", "cn-northwest-1", "aws-cn-global",
		"us-gov-west-1", "us-gov-east-1", "aws-us-gov-global", "us-iso-east-1", "aws-iso-global", "us-isob-east-1", "aws-iso-b-global",
		"eu-isoe-west-1", "aws-iso-e-global", "us-isof-south-1", "aws-iso-f-global", "eusc-de-east-1", "eusc-fr-east-1",
		"xx-foo-1", "us-east-1-fips", "mars-east-1", "us-gov-1", "cn-x-y-1"}
	private, public := sdkecr.NewDefaultEndpointResolverV2(), sdkecrpublic.NewDefaultEndpointResolverV2()
	for _, fips := range []bool{false, true} {
		for _, dual := range []bool{false, true} {
			hermeticAWS(t, "")
			if fips {
				t.Setenv("AWS_USE_FIPS_ENDPOINT", "true")
			}
			if dual {
				t.Setenv("AWS_USE_DUALSTACK_ENDPOINT", "true")
			}
			cfg, err := awsconfig.LoadDefaultConfig(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range regions {
				want, err := private.ResolveEndpoint(ctx, sdkecr.EndpointParameters{Region: aws.String(r), UseFIPS: aws.Bool(fips), UseDualStack: aws.Bool(dual)})
				got, gerr := endpoint(ctx, cfg, serviceECR, r)
				if err != nil || gerr != nil || got != want.URI.String() {
					t.Errorf("ECR %s fips=%v dual-stack=%v: %q, %v; the SDK: %q, %v", r, fips, dual, got, gerr, want.URI.String(), err)
				}
			}
			want, err := public.ResolveEndpoint(ctx, sdkecrpublic.EndpointParameters{Region: aws.String(PublicRegion), UseFIPS: aws.Bool(fips), UseDualStack: aws.Bool(dual)})
			got, gerr := endpoint(ctx, cfg, serviceECRPublic, PublicRegion)
			if err != nil || gerr != nil || got != want.URI.String() {
				t.Errorf("ECR Public fips=%v dual-stack=%v: %q, %v; the SDK: %q, %v", fips, dual, got, gerr, want.URI.String(), err)
			}
		}
	}
}

// TestEndpoint_private: ECR's configured endpoints, as the SDK's client
// takes them: its own variable, not ECR Public's.
func TestEndpoint_private(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"service variable", map[string]string{"AWS_ENDPOINT_URL_ECR": "http://127.0.0.1:1"}, "http://127.0.0.1:1"},
		{"ECR Public's variable", map[string]string{"AWS_ENDPOINT_URL_ECR_PUBLIC": "http://127.0.0.1:1"}, "https://api.ecr.eu-west-1.amazonaws.com"},
		{"global variable", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:2"}, "http://127.0.0.1:2"},
		{"service over global", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:2", "AWS_ENDPOINT_URL_ECR": "http://127.0.0.1:1"}, "http://127.0.0.1:1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hermeticAWS(t, "")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, err := awsconfig.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got, err := endpoint(context.Background(), cfg, serviceECR, "eu-west-1"); err != nil || got != c.want {
				t.Fatalf("endpoint = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	if _, err := endpoint(context.Background(), aws.Config{}, serviceECR, "bad_region!"); err == nil {
		t.Error("an invalid region gave an endpoint")
	}
}

// TestAPI_private: ECR's answer (a list) from the stand-in, signed for
// ecr in the region asked.
func TestAPI_private(t *testing.T) {
	srv := ecrtest.New(ecrtest.KeyID, ecrtest.Secret, "private-password")
	url, _ := counted(t, srv, func(int64) {})
	raw, exp, err := newAPI(publicConfig(url, ecrtest.Secret, 1), serviceECR, "eu-central-1").GetAuthorizationToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if pass, err := decode(raw); err != nil || !strings.HasPrefix(pass, "private-password") || time.Until(exp) < 11*time.Hour {
		t.Errorf("token = %q, %v, expires %s", pass, err, exp)
	}
}

// goEnv is the environment before TestMain's (HOME, proxies): go list
// needs the user's module cache.
var goEnv = os.Environ()

// TestDeps_noServiceClients: the package (and so the full build) does not
// link the SDK's ECR and ECR Public clients, whose package initialisation
// every start of the full build would pay; only this test's parity check
// uses them.
func TestDeps_noServiceClients(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = goEnv
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v: %s", err, stderr.String())
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2/service/ecr") {
			t.Errorf("the ecr provider links %s", pkg)
		}
	}
}

// TestAPI_clockSkew: a client clock an hour behind gets its signature
// refused as expired; the call is signed again at the server's time (its
// Date header), as the SDK's retry loop does, and succeeds.
func TestAPI_clockSkew(t *testing.T) {
	srv := ecrtest.New(ecrtest.KeyID, ecrtest.Secret, "skewed-password")
	var n atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		signed, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil || time.Since(signed).Abs() > 5*time.Minute {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"InvalidSignatureException","message":"Signature expired"}`))
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	old := now
	now = func() time.Time { return time.Now().Add(-time.Hour) }
	t.Cleanup(func() { now = old })

	if _, _, err := newAPI(publicConfig(hs.URL, ecrtest.Secret, 1), serviceECR, "eu-west-1").GetAuthorizationToken(context.Background()); err == nil || !strings.Contains(err.Error(), "Signature expired") || n.Load() != 1 {
		t.Errorf("one attempt allowed: %v after %d requests; want the refusal after 1", err, n.Load())
	}
	n.Store(0)
	raw, _, err := newAPI(publicConfig(hs.URL, ecrtest.Secret, 3), serviceECR, "eu-west-1").GetAuthorizationToken(context.Background())
	if err != nil || n.Load() != 2 {
		t.Fatalf("skewed clock: %v after %d requests; want the token after 2", err, n.Load())
	}
	if pass, err := decode(raw); err != nil || !strings.HasPrefix(pass, "skewed-password") {
		t.Errorf("token = %q, %v", pass, err)
	}
}
