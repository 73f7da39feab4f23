// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package gcr

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/gcr/gcrtest"
	"github.com/docker-credential-mint/mint/store"
)

// The tests reach the real golang.org/x/oauth2/google against the local
// stand-in (gcrtest). Every request for a real Google endpoint hits the
// egress guard (a proxy at a closed port; the metadata server is never
// proxied, so no test here runs without GCE_METADATA_HOST in a process
// that could reach one: those run in a child, with the network cut off
// where the machine allows it).

const childEnv = "GCR_TEST_CHILD"

func TestMain(m *testing.M) {
	// Set before any HTTP request: net/http reads the proxy variables once.
	if os.Getenv(childEnv) == "" {
		home, err := os.MkdirTemp("", "gcr-home-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(home)
		os.Setenv("HOME", home)
		os.Setenv("HTTPS_PROXY", "http://127.0.0.1:9")
		os.Setenv("HTTP_PROXY", "http://127.0.0.1:9")
		for _, k := range []string{"NO_PROXY", "no_proxy", "https_proxy", "http_proxy", EnvCredentials, "GCE_METADATA_HOST", "CLOUDSDK_CONFIG", "APPDATA"} {
			os.Unsetenv(k)
		}
	}
	code := m.Run()
	if os.Getenv(childEnv) == "" {
		os.RemoveAll(os.Getenv("HOME"))
	}
	os.Exit(code)
}

// inChild runs the calling test again in a child process with env added
// (metadata.OnGCE decides once per process); with cutOff, the child has no
// network (unshare -n) where that works. It returns true in the parent,
// which then returns, and false in the child, which runs the test's body.
func inChild(t *testing.T, cutOff bool, env ...string) bool {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		return false
	}
	args := []string{os.Args[0], "-test.run=^" + t.Name() + "$", "-test.count=1", "-test.v"}
	if !cutOff {
		// GCE_METADATA_HOST is set: the SDK probes nothing else.
	} else if exec.Command("unshare", "-n", "true").Run() == nil {
		args = append([]string{"unshare", "-n"}, args...)
	} else if product, _ := os.ReadFile("/sys/class/dmi/id/product_name"); strings.HasPrefix(string(product), "Google") {
		t.Skip("on Google's cloud without unshare -n: the real metadata server would answer")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), append(env, childEnv+"="+t.Name())...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "--- PASS: "+t.Name()) {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	return true
}

func host(t *testing.T, s string) credentials.Host {
	t.Helper()
	h, err := credentials.ParseHost(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mint(t *testing.T, reg credentials.Registry) (*provider.Token, error) {
	t.Helper()
	p, err := New(reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Token(context.Background(), host(t, "us-docker.pkg.dev/proj/repo/app"), nil)
}

// jwt is an unsigned JWT that lives an hour (the identity source checks exp).
func jwt(sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(fmt.Sprintf(`{"sub":%q,"exp":%d}`, sub, time.Now().Add(time.Hour).Unix()))) + ".sig"
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const puller = "puller@test-project.iam.gserviceaccount.com"

// TestSAKey_credentialsFile: gcp_credentials_file names a service account
// key; the SDK signs the assertion, which the stand-in verifies against the
// key's public half, and the answer is oauth2accesstoken with the token and
// its expiry.
func TestSAKey_credentialsFile(t *testing.T) {
	srv := gcrtest.NewServer(t)
	key := srv.NewServiceAccountKey(t, t.TempDir(), puller)
	before := time.Now()
	tok, err := mint(t, credentials.Registry{GCP: credentials.GCPOptions{CredentialsFile: key}})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "oauth2accesstoken" || tok.Secret != "ya29.sa-1" {
		t.Errorf("token = %+v", tok)
	}
	if life := tok.Expiry.Sub(before); life < 3590*time.Second || life > time.Hour {
		t.Errorf("expiry in %s, want about 3599 s", life)
	}
	if log := srv.Log(); len(log) != 1 || log[0] != "sa "+puller {
		t.Errorf("stand-in saw %q", log)
	}
}

// TestSAKey_ADC: the same key through $GOOGLE_APPLICATION_CREDENTIALS
// (Application Default Credentials, no option at all).
func TestSAKey_ADC(t *testing.T) {
	srv := gcrtest.NewServer(t)
	t.Setenv(EnvCredentials, srv.NewServiceAccountKey(t, t.TempDir(), puller))
	tok, err := mint(t, credentials.Registry{})
	if err != nil || tok.Secret != "ya29.sa-1" {
		t.Fatalf("token = %+v, %v", tok, err)
	}
}

// TestSAKey_wrongKey: an assertion signed by a key the stand-in does not
// know is refused; the error is one line naming the registry, without the
// key.
func TestSAKey_wrongKey(t *testing.T) {
	srv := gcrtest.NewServer(t)
	srv.NewServiceAccountKey(t, t.TempDir(), puller)
	other := gcrtest.NewServer(t)
	path := other.NewServiceAccountKey(t, t.TempDir(), puller)
	// The key file says srv's token URL, but srv knows another key of puller.
	data, _ := os.ReadFile(path)
	data = bytes.ReplaceAll(data, []byte(other.URL), []byte(srv.URL))
	os.WriteFile(path, data, 0o600)
	_, err := mint(t, credentials.Registry{GCP: credentials.GCPOptions{CredentialsFile: path}})
	if err == nil || !strings.HasPrefix(err.Error(), "gcr: us-docker.pkg.dev: ") || !strings.Contains(err.Error(), "invalid JWT signature") ||
		strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("mint = %v", err)
	}
}

// TestEgressGuard: a key without token_uri goes to Google's real token
// endpoint, which the guard refuses: the tests above reached the stand-in.
func TestEgressGuard(t *testing.T) {
	srv := gcrtest.NewServer(t)
	path := srv.NewServiceAccountKey(t, t.TempDir(), puller)
	var key map[string]string
	data, _ := os.ReadFile(path)
	json.Unmarshal(data, &key)
	delete(key, "token_uri")
	data, _ = json.Marshal(key)
	os.WriteFile(path, data, 0o600)
	_, err := mint(t, credentials.Registry{GCP: credentials.GCPOptions{CredentialsFile: path}})
	if err == nil || !strings.Contains(err.Error(), "oauth2.googleapis.com") || !strings.Contains(err.Error(), "127.0.0.1:9") {
		t.Errorf("mint without token_uri = %v", err)
	}
}

// TestImpersonate_credentialsFile: gcp_impersonate_service_account asks
// IAM Credentials for the service account's token with the key's token
// (the SDK's impersonated_service_account).
func TestImpersonate_credentialsFile(t *testing.T) {
	srv := gcrtest.NewServer(t)
	key := srv.NewServiceAccountKey(t, t.TempDir(), "source@test-project.iam.gserviceaccount.com")
	tok, err := mint(t, credentials.Registry{GCP: credentials.GCPOptions{CredentialsFile: key, ImpersonateServiceAccount: puller, ImpersonationURL: srv.URL}})
	if err != nil || tok.Secret != "ya29.impersonate-2" {
		t.Fatalf("token = %+v, %v", tok, err)
	}
	if log := srv.Log(); strings.Join(log, ",") != "sa source@test-project.iam.gserviceaccount.com,impersonate "+puller {
		t.Errorf("stand-in saw %q", log)
	}
}

// TestExternalAccount_file: an external_account file (workload identity
// federation with a file credential_source) through ADC reaches the
// local STS.
func TestExternalAccount_file(t *testing.T) {
	srv := gcrtest.NewServer(t)
	subject := jwt("ci")
	srv.AcceptSubject(subject)
	cred, _ := json.Marshal(map[string]any{
		"type":               "external_account",
		"audience":           "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/prov",
		"subject_token_type": gcrtest.TokenTypeJWT,
		"token_url":          srv.URL + "/v1/token",
		"credential_source":  map[string]string{"file": writeFile(t, "subject.jwt", subject)},
	})
	t.Setenv(EnvCredentials, writeFile(t, "wif.json", string(cred)))
	tok, err := mint(t, credentials.Registry{})
	if err != nil || tok.Secret != "ya29.sts-1" {
		t.Fatalf("token = %+v, %v", tok, err)
	}
}

const audience = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/github"

// TestIdentity: the entry's identity block hands its JWT to Google's
// external_account federation (SubjectTokenSupplier) at the entry's STS,
// then impersonates the service account.
func TestIdentity(t *testing.T) {
	srv := gcrtest.NewServer(t)
	subject := jwt("repo:org/app")
	srv.AcceptSubject(subject)
	reg := credentials.Registry{
		TokenURL: srv.URL + "/v1/token",
		Identity: &credentials.Identity{Source: credentials.IdentityFile, Path: writeFile(t, "id.jwt", subject+"\n")},
		GCP:      credentials.GCPOptions{Audience: audience},
	}
	tok, err := mint(t, reg)
	if err != nil || tok.Secret != "ya29.sts-1" {
		t.Fatalf("token = %+v, %v", tok, err)
	}
	reg.GCP.ImpersonateServiceAccount, reg.GCP.ImpersonationURL = puller, srv.URL
	tok, err = mint(t, reg)
	if err != nil || tok.Secret != "ya29.impersonate-3" {
		t.Fatalf("impersonated token = %+v, %v", tok, err)
	}
	if log := srv.Log(); strings.Join(log, ",") != "sts "+audience+",sts "+audience+",impersonate "+puller {
		t.Errorf("stand-in saw %q", log)
	}
}

// TestIdentity_refused: STS refusing the identity token is an error that
// names the registry and never holds the token.
func TestIdentity_refused(t *testing.T) {
	srv := gcrtest.NewServer(t)
	subject := jwt("intruder")
	_, err := mint(t, credentials.Registry{
		TokenURL: srv.URL + "/v1/token",
		Identity: &credentials.Identity{Source: credentials.IdentityFile, Path: writeFile(t, "id.jwt", subject)},
		GCP:      credentials.GCPOptions{Audience: audience},
	})
	if err == nil || !strings.Contains(err.Error(), "the subject token is not accepted") || strings.Contains(err.Error(), subject) || strings.Contains(err.Error(), "\n") {
		t.Errorf("mint = %v", err)
	}
}

// TestIdentity_kubelet: with source kubelet, the pod's service-account
// token that the kubelet's request carries (in the context) is the subject
// token STS gets; with none in the request, a one-line error.
func TestIdentity_kubelet(t *testing.T) {
	srv := gcrtest.NewServer(t)
	subject := jwt("system:serviceaccount:team:puller")
	srv.AcceptSubject(subject)
	p, err := New(credentials.Registry{
		TokenURL: srv.URL + "/v1/token",
		Identity: &credentials.Identity{Source: credentials.IdentityKubelet},
		GCP:      credentials.GCPOptions{Audience: audience},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := host(t, "us-docker.pkg.dev/proj/repo/app")
	tok, err := p.Token(credentials.WithServiceAccountToken(context.Background(), subject), h, nil)
	if err != nil || tok.Secret != "ya29.sts-1" {
		t.Fatalf("token = %+v, %v", tok, err)
	}
	if _, err := p.Token(context.Background(), h, nil); err == nil || !strings.Contains(err.Error(), "no service account token") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Token with no service account token = %v", err)
	}
}

// TestExpiryCap: a token that claims to live three hours is kept one.
func TestExpiryCap(t *testing.T) {
	srv := gcrtest.NewServer(t)
	srv.Life = 3 * time.Hour
	before := time.Now()
	tok, err := mint(t, credentials.Registry{GCP: credentials.GCPOptions{CredentialsFile: srv.NewServiceAccountKey(t, t.TempDir(), puller)}})
	if err != nil {
		t.Fatal(err)
	}
	if life := tok.Expiry.Sub(before); life < MaxLifetime-time.Minute || life > MaxLifetime+time.Minute {
		t.Errorf("expiry in %s, want %s", life, MaxLifetime)
	}
}

// TestStaleServed: when Google fails inside the refresh margin the cached
// token is served with one warning until it expires; then the error.
func TestStaleServed(t *testing.T) {
	srv := gcrtest.NewServer(t)
	clock := time.Now()
	now := func() time.Time { return clock }
	var warnings []string
	p, err := New(credentials.Registry{GCP: credentials.GCPOptions{CredentialsFile: srv.NewServiceAccountKey(t, t.TempDir(), puller)}}, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	c := provider.Cached(p, store.NewMemory(), provider.CacheOptions{LockDir: t.TempDir(), Now: now, Warn: func(s string) { warnings = append(warnings, s) }})
	h := host(t, "gcr.io")
	first, err := c.Token(context.Background(), h, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Fail.Store(true)
	clock = first.Expiry.Add(-time.Minute)
	if tok, err := c.Token(context.Background(), h, nil); err != nil || tok.Secret != first.Secret {
		t.Errorf("Token inside the margin = %+v, %v; want the cached token", tok, err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "token refresh failed") || strings.Contains(warnings[0], first.Secret) {
		t.Errorf("warnings = %q", warnings)
	}
	clock = first.Expiry
	if _, err := c.Token(context.Background(), h, nil); err == nil || !strings.Contains(err.Error(), "internal_failure") {
		t.Errorf("Token after expiry = %v, want the endpoint's error", err)
	}
}

// TestMetadata: on GCE/GKE (GCE_METADATA_HOST) the metadata server's
// default service account token, with the scope asked.
func TestMetadata(t *testing.T) {
	var srv *gcrtest.Server
	if os.Getenv(childEnv) == "" {
		srv = gcrtest.NewServer(t)
	}
	if srv != nil && inChild(t, false, "GCE_METADATA_HOST="+srv.Host) {
		if log := srv.Log(); len(log) != 1 || log[0] != "metadata default" {
			t.Errorf("stand-in saw %q", log)
		}
		return
	}
	tok, err := mint(t, credentials.Registry{})
	if err != nil || tok.Username != "oauth2accesstoken" || tok.Secret != "ya29.metadata-1" {
		t.Fatalf("token = %+v, %v", tok, err)
	}
}

// TestNoCredentials: no file, no gcloud credentials, no metadata server:
// "not found", so that the client pulls anonymously.
func TestNoCredentials(t *testing.T) {
	if inChild(t, true) {
		return
	}
	_, err := mint(t, credentials.Registry{})
	if !errors.Is(err, provider.ErrNotFound) || !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "no Google credentials") {
		t.Errorf("mint = %v, want not found", err)
	}
	// A file that is named but missing is a real error.
	_, err = mint(t, credentials.Registry{GCP: credentials.GCPOptions{CredentialsFile: "/nonexistent/key.json"}})
	if err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("mint with a missing credentials file = %v", err)
	}
}

// TestNoCredentials_missShared: the router's ShareFailures remembers the
// miss across processes: the next get in another process answers not
// found without looking again; after gcloud auth application-default
// login (its file written), the next get looks again.
func TestNoCredentials_missShared(t *testing.T) {
	if inChild(t, true) {
		return
	}
	dir := t.TempDir()
	h := host(t, "gcr.io/proj/app")
	get := func() error { // a process of its own
		p, err := New(credentials.Registry{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = provider.ShareFailures(p, provider.ShareOptions{Dir: dir}).Token(context.Background(), h, nil)
		if !errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "no Google credentials") {
			t.Errorf("get = %v, want not found", err)
		}
		return err
	}
	for i := range 3 {
		if err := get(); (i > 0) != errors.Is(err, provider.ErrSharedFailure) {
			t.Errorf("get %d: %v", i+1, err)
		}
	}
	wk := wellKnownFile(os.Getenv)
	if err := os.MkdirAll(filepath.Dir(wk), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(wk)) })
	if err := os.WriteFile(wk, []byte(`{"type":"unknown"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p, _ := New(credentials.Registry{}, Options{})
	if _, err := provider.ShareFailures(p, provider.ShareOptions{Dir: dir}).Token(context.Background(), h, nil); err == nil || errors.Is(err, provider.ErrSharedFailure) {
		t.Errorf("get after a login: %v, want a new look", err)
	}
}

// TestNoCredentials_metadataBounded: with no credentials file, the
// metadata server's address dropping connections and DNS not answering
// (both wait for their context), the mint dials that address once, under
// MetadataDialTimeout, and answers not found without the SDK's own probe
// (2 s there).
func TestNoCredentials_metadataBounded(t *testing.T) {
	if inChild(t, true) {
		return
	}
	oldDialer, oldLookup, oldGoogle := metadataDialer, metadataLookup, googleMachine
	t.Cleanup(func() { metadataDialer, metadataLookup, googleMachine = oldDialer, oldLookup, oldGoogle })
	googleMachine = func() bool { return false }
	metadataLookup = func(ctx context.Context, _ string) ([]string, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	var dials atomic.Int32
	var unbounded atomic.Bool
	metadataDialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		if dl, ok := ctx.Deadline(); !ok || dl.After(time.Now().Add(MetadataDialTimeout)) || addr != "169.254.169.254:80" {
			unbounded.Store(true)
		}
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}
	_, err := mint(t, credentials.Registry{})
	if !errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "no Google credentials") {
		t.Errorf("mint = %v, want not found", err)
	}
	if dials.Load() != 1 || unbounded.Load() {
		t.Errorf("%d dials of the metadata address (unbounded: %v), want 1 within %s", dials.Load(), unbounded.Load(), MetadataDialTimeout)
	}
}

// TestSilentMetadata: a metadata server that accepts and never answers
// holds the SDK about a minute; the entry's timeout bounds the mint.
func TestSilentMetadata(t *testing.T) {
	if os.Getenv(childEnv) == "" && inChild(t, false, "GCE_METADATA_HOST="+gcrtest.Silent(t)) {
		return
	}
	_, err := mint(t, credentials.Registry{Timeout: 500 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) && (err == nil || !strings.Contains(err.Error(), "no access token within 500ms")) {
		t.Errorf("mint = %v, want the deadline", err)
	}
}

// TestCredentialsFile_bad: a file that is no credentials file, or of a
// type the SDK does not read, is a one-line error that names the file and
// never holds its content.
func TestCredentialsFile_bad(t *testing.T) {
	for content, want := range map[string]string{
		"secret-looking garbage":                   "not a JSON credentials file",
		`{"private_key":"secret-looking garbage"}`: "no type in the credentials file",
		`{"type":"weird"}`:                         `unknown credentials type "weird"`,
	} {
		path := writeFile(t, "bad.json", content)
		_, err := mint(t, credentials.Registry{GCP: credentials.GCPOptions{CredentialsFile: path}})
		if err == nil || !strings.Contains(err.Error(), path+": "+want) || strings.Contains(err.Error(), "garbage") || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("mint with %q = %v", content, err)
		}
	}
}
