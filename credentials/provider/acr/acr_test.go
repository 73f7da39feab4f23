// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package acr

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/acr/acrtest"
)

// guard is the egress guard of these tests: every request (azidentity's
// and the exchange) goes through its transport, which dials 127.0.0.1
// only and records every other name it was asked for.
type guard struct {
	mu      sync.Mutex
	refused []string
}

func (g *guard) names() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.refused...)
}

// transport trusts srv's certificate and dials loopback only.
func (g *guard) transport(t *testing.T, srv *acrtest.Server) http.RoundTripper {
	t.Helper()
	pool := x509.NewCertPool()
	if srv != nil {
		pool.AddCert(srv.Certificate())
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			if host != "127.0.0.1" {
				g.mu.Lock()
				g.refused = append(g.refused, host)
				g.mu.Unlock()
				return nil, errors.New("egress guard: " + host + " is not 127.0.0.1")
			}
			return d.DialContext(ctx, network, addr)
		},
	}
}

// noEgress fails the test when anything but 127.0.0.1 was asked for
// (169.254.169.254, the managed identity probe, is allowed: it is asked
// for, and refused, when no other credential is found).
func (g *guard) noEgress(t *testing.T) {
	t.Helper()
	for _, n := range g.names() {
		if n != "169.254.169.254" {
			t.Errorf("a request was aimed at %s", n)
		}
	}
}

func host(t *testing.T, s string) credentials.Host {
	t.Helper()
	h, err := credentials.ParseHost(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// hermetic clears the Azure environment azidentity reads, and keeps the
// Azure CLI (and its config) out of reach.
func hermetic(t *testing.T) {
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
		"AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "AZURE_TOKEN_CREDENTIALS",
		"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT", "AZURE_POD_IDENTITY_AUTHORITY_HOST",
		"AZURE_ADDITIONALLY_ALLOWED_TENANTS", "AZURE_REGIONAL_AUTHORITY_NAME"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("PATH", t.TempDir())
}

// entry is an explicit acr entry for srv's registry.
func entry(t *testing.T, srv *acrtest.Server) credentials.Registry {
	p, err := credentials.ParsePattern(srv.Host)
	if err != nil {
		t.Fatal(err)
	}
	return credentials.Registry{Match: srv.Host, Pattern: p, Line: 3, Provider: credentials.ProviderACR}
}

// TestSDK_clientSecret: azidentity's default chain finds the client secret
// in the environment, gets an access token from the local authority over
// TLS, and the exchange turns it into the registry's refresh token,
// answered with the nil UUID and the refresh token's exp.
func TestSDK_clientSecret(t *testing.T) {
	hermetic(t)
	srv := acrtest.NewServer(t)
	t.Setenv("AZURE_TENANT_ID", acrtest.Tenant)
	t.Setenv("AZURE_CLIENT_ID", acrtest.ClientID)
	t.Setenv("AZURE_CLIENT_SECRET", acrtest.ClientSecret)
	t.Setenv("AZURE_AUTHORITY_HOST", srv.AuthorityHost())
	g := &guard{}
	p := New(entry(t, srv), Options{Transport: g.transport(t, srv)})
	before := time.Now()
	tok, err := p.Token(context.Background(), host(t, srv.Host), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != acrtest.Username || !srv.IsRefreshToken(tok.Secret) {
		t.Errorf("token = %q / %q, want the nil UUID and a refresh token of the exchange", tok.Username, tok.Secret)
	}
	if tok.Expiry.Before(before.Add(3*time.Hour-time.Minute)) || tok.Expiry.After(time.Now().Add(MaxLifetime)) {
		t.Errorf("expiry %s, want about 3 h from now", tok.Expiry)
	}
	forms := srv.TokenForms()
	if len(forms) != 1 || forms[0]["client_secret"] != acrtest.ClientSecret || !strings.Contains(forms[0]["scope"], Scope) {
		t.Errorf("token requests = %v, want one with the client secret and ACR's scope", forms)
	}
	if n := srv.Exchanges(); n != 1 {
		t.Errorf("exchanges = %d, want 1", n)
	}
	g.noEgress(t)
}

// TestSDK_federated: the entry's identity block (a file) is handed to
// azidentity's ClientAssertionCredential as the federated assertion, sent
// verbatim, with the entry's tenant and client id; no secret is sent.
func TestSDK_federated(t *testing.T) {
	hermetic(t)
	srv := acrtest.NewServer(t)
	jwt := acrtest.UnsignedJWT(map[string]any{"iss": "https://token.actions.githubusercontent.com", "sub": "repo:o/r:ref:refs/heads/main",
		"aud": FederatedAudience, "exp": time.Now().Add(10 * time.Minute).Unix()})
	srv.AcceptAssertion(jwt)
	file := filepath.Join(t.TempDir(), "identity.jwt")
	if err := os.WriteFile(file, []byte(jwt+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reg := entry(t, srv)
	reg.AzureTenantID, reg.AzureClientID, reg.AzureAuthorityHost = acrtest.Tenant, acrtest.ClientID, srv.AuthorityHost()
	reg.Identity = &credentials.Identity{Source: credentials.IdentityFile, Path: file}
	g := &guard{}
	tok, err := New(reg, Options{Transport: g.transport(t, srv)}).Token(context.Background(), host(t, srv.Host), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !srv.IsRefreshToken(tok.Secret) {
		t.Errorf("secret %q is no refresh token of the exchange", tok.Secret)
	}
	forms := srv.TokenForms()
	if len(forms) != 1 || forms[0]["client_assertion"] != jwt || forms[0]["client_secret"] != "" ||
		forms[0]["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		t.Errorf("token requests = %v, want one federated assertion", forms)
	}
	g.noEgress(t)

	// Another workload's assertion is refused by the authority; an expired
	// one is not even sent.
	other := acrtest.UnsignedJWT(map[string]any{"sub": "repo:o/other", "exp": time.Now().Add(10 * time.Minute).Unix()})
	os.WriteFile(file, []byte(other), 0o600)
	_, err = New(reg, Options{Transport: g.transport(t, srv)}).Token(context.Background(), host(t, srv.Host), nil)
	if err == nil || !strings.Contains(err.Error(), "AADSTS700211") || strings.Contains(err.Error(), other) || strings.Contains(err.Error(), "\n") {
		t.Errorf("another assertion: %v", err)
	}
	expired := acrtest.UnsignedJWT(map[string]any{"sub": "repo:o/r", "exp": time.Now().Add(-time.Minute).Unix()})
	os.WriteFile(file, []byte(expired), 0o600)
	calls := srv.TokenCalls()
	_, err = New(reg, Options{Transport: g.transport(t, srv)}).Token(context.Background(), host(t, srv.Host), nil)
	if err == nil || !strings.Contains(err.Error(), "expired") || strings.Contains(err.Error(), expired) {
		t.Errorf("expired assertion: %v", err)
	}
	if srv.TokenCalls() != calls {
		t.Error("an expired assertion was sent")
	}
}

// TestSDK_federatedKubelet: with source kubelet, the pod's service-account
// token that the kubelet's request carries (in the context) is the client
// assertion Entra ID gets; with none in the request, a one-line error.
func TestSDK_federatedKubelet(t *testing.T) {
	hermetic(t)
	srv := acrtest.NewServer(t)
	jwt := acrtest.UnsignedJWT(map[string]any{"iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:team:puller",
		"aud": FederatedAudience, "exp": time.Now().Add(10 * time.Minute).Unix()})
	srv.AcceptAssertion(jwt)
	reg := entry(t, srv)
	reg.AzureTenantID, reg.AzureClientID, reg.AzureAuthorityHost = acrtest.Tenant, acrtest.ClientID, srv.AuthorityHost()
	reg.Identity = &credentials.Identity{Source: credentials.IdentityKubelet}
	g := &guard{}
	tok, err := New(reg, Options{Transport: g.transport(t, srv)}).Token(credentials.WithServiceAccountToken(context.Background(), jwt), host(t, srv.Host), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !srv.IsRefreshToken(tok.Secret) {
		t.Errorf("secret %q is no refresh token of the exchange", tok.Secret)
	}
	if forms := srv.TokenForms(); len(forms) != 1 || forms[0]["client_assertion"] != jwt {
		t.Errorf("token requests = %v, want the service account token as the assertion", forms)
	}
	_, err = New(reg, Options{Transport: g.transport(t, srv)}).Token(context.Background(), host(t, srv.Host), nil)
	if err == nil || !strings.Contains(err.Error(), "no service account token") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Token with no service account token = %v", err)
	}
	g.noEgress(t)
}

// TestSDK_wrongSecret: a refused client secret is an error naming the
// registry and Entra ID's reason, on one line, without the secret; it is
// an error (not "not found") even for a detected registry.
func TestSDK_wrongSecret(t *testing.T) {
	hermetic(t)
	srv := acrtest.NewServer(t)
	const wrong = "wrong-secret-value-1234"
	t.Setenv("AZURE_TENANT_ID", acrtest.Tenant)
	t.Setenv("AZURE_CLIENT_ID", acrtest.ClientID)
	t.Setenv("AZURE_CLIENT_SECRET", wrong)
	t.Setenv("AZURE_AUTHORITY_HOST", srv.AuthorityHost())
	g := &guard{}
	for _, line := range []int{3, 0} {
		reg := entry(t, srv)
		reg.Line = line
		_, err := New(reg, Options{Transport: g.transport(t, srv)}).Token(context.Background(), host(t, srv.Host), nil)
		if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), srv.Host) ||
			!strings.Contains(err.Error(), "AADSTS7000215") || strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), "\n") {
			t.Errorf("line %d: %v", line, err)
		}
	}
	if srv.Exchanges() != 0 {
		t.Error("the exchange was asked without an access token")
	}
	g.noEgress(t)
}

// TestSDK_noCredentials: on a machine with no Azure credentials at all the
// real default chain finds nothing (the managed identity probe is refused,
// there is no az); a detected registry is then "not found", so docker
// pulls its public images anonymously, and an explicit entry is an error.
func TestSDK_noCredentials(t *testing.T) {
	hermetic(t)
	g := &guard{}
	h := host(t, "public.azurecr.io")
	reg := credentials.DetectedRegistry(credentials.ProviderACR)
	_, err := New(reg, Options{Transport: g.transport(t, nil)}).Token(context.Background(), h, nil)
	if !errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "no Azure credentials") {
		t.Errorf("detected: %v, want not found", err)
	}
	reg.Line = 4
	_, err = New(reg, Options{Transport: g.transport(t, nil)}).Token(context.Background(), h, nil)
	if err == nil || errors.Is(err, provider.ErrNotFound) || strings.Contains(err.Error(), "\n") {
		t.Errorf("explicit: %v, want an error", err)
	}
	g.noEgress(t)
}

// TestSDK_egressGuard: with no authority override, the public cloud's
// authority is what the SDK asks, and the guard refuses it: nothing in
// these tests reaches login.microsoftonline.com.
func TestSDK_egressGuard(t *testing.T) {
	hermetic(t)
	t.Setenv("AZURE_TENANT_ID", acrtest.Tenant)
	t.Setenv("AZURE_CLIENT_ID", acrtest.ClientID)
	t.Setenv("AZURE_CLIENT_SECRET", acrtest.ClientSecret)
	g := &guard{}
	reg := credentials.DetectedRegistry(credentials.ProviderACR)
	_, err := New(reg, Options{Transport: g.transport(t, nil)}).Token(context.Background(), host(t, "myreg.azurecr.io"), nil)
	if err == nil || !strings.Contains(err.Error(), "egress guard") {
		t.Errorf("err = %v, want the guard's refusal", err)
	}
	if n := g.names(); len(n) == 0 || n[0] != "login.microsoftonline.com" {
		t.Errorf("asked for %v, want login.microsoftonline.com (refused)", n)
	}
	g = &guard{}
	_, err = New(reg, Options{Transport: g.transport(t, nil)}).Token(context.Background(), host(t, "myreg.azurecr.cn"), nil)
	if n := g.names(); err == nil || len(n) == 0 || n[0] != "login.chinacloudapi.cn" {
		t.Errorf("azurecr.cn asked for %v (%v), want login.chinacloudapi.cn", n, err)
	}
}

// fakeCred is an Entra ID credential answering one token or error, or
// waiting for the deadline.
type fakeCred struct {
	tok  string
	err  error
	hang bool
}

func (f fakeCred) GetToken(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if f.hang {
		<-ctx.Done()
		return azcore.AccessToken{}, ctx.Err()
	}
	return azcore.AccessToken{Token: f.tok, ExpiresOn: time.Now().Add(time.Hour)}, f.err
}

func withCred(c azcore.TokenCredential) func(credentials.AzureCloud) (azcore.TokenCredential, error) {
	return func(credentials.AzureCloud) (azcore.TokenCredential, error) { return c, nil }
}

// accessToken gets a real access token from srv through the client secret.
func accessToken(t *testing.T, srv *acrtest.Server, g *guard) string {
	t.Helper()
	c, err := azidentity.NewClientSecretCredential(acrtest.Tenant, acrtest.ClientID, acrtest.ClientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Transport: &http.Client{Transport: g.transport(t, srv)}, Cloud: cloudAt(srv)},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	at, err := c.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{Scope}})
	if err != nil {
		t.Fatal(err)
	}
	return at.Token
}

// TestExchange_refused: the exchange refuses an access token it did not
// issue, an expired one, and a failing registry; each is one line naming
// the registry and the server's reason, never the token. A refresh token
// that has already expired is refused; one that lives longer than ACR's
// is capped at MaxLifetime.
func TestExchange_refused(t *testing.T) {
	srv := acrtest.NewServer(t)
	g := &guard{}
	h := host(t, srv.Host)
	forged := srv.JWT(map[string]any{"tid": acrtest.Tenant, "exp": time.Now().Add(time.Hour).Unix()})
	good := accessToken(t, srv, g)
	for _, tc := range []struct {
		name, tok, want string
		set             func()
	}{
		{"forged", forged, "the access token is not valid", func() {}},
		{"expired", good, "the access token has expired", func() { srv.ExpireAccess.Store(true) }},
		{"failing", good, "503", func() { srv.ExpireAccess.Store(false); srv.Fail.Store(true) }},
		{"refresh expired", good, "refresh token expired", func() { srv.Fail.Store(false); srv.RefreshLifetime.Store(int64(-time.Minute)) }},
	} {
		tc.set()
		_, err := New(entry(t, srv), Options{Transport: g.transport(t, srv), Credential: withCred(fakeCred{tok: tc.tok})}).Token(context.Background(), h, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), srv.Host) ||
			strings.Contains(err.Error(), tc.tok) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	srv.RefreshLifetime.Store(int64(24 * time.Hour))
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	tok, err := New(entry(t, srv), Options{Transport: g.transport(t, srv), Credential: withCred(fakeCred{tok: good}), Now: func() time.Time { return now }}).Token(context.Background(), h, nil)
	if err != nil || !tok.Expiry.Equal(now.Add(MaxLifetime)) {
		t.Errorf("a 24 h refresh token: %v, %v; want expiry capped at %s", tok, err, now.Add(MaxLifetime))
	}
	g.noEgress(t)
}

// TestExchange_request: the exchange's exact request (form, tenant from the
// access token's tid or the entry's azure_tenant_id), and a server that
// quotes the access token in its error has it redacted.
func TestExchange_request(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+r.PostForm.Encode())
		mu.Unlock()
		w.WriteHeader(401)
		w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"bad token ` + r.PostForm.Get("access_token") + `"}]}`))
	}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	hostport := strings.TrimPrefix(srv.URL, "https://")
	at := acrtest.UnsignedJWT(map[string]any{"tid": "tenant-from-token", "exp": time.Now().Add(time.Hour).Unix()})
	reg := credentials.Registry{Provider: credentials.ProviderACR, Line: 2}
	_, err := New(reg, Options{Transport: tr, Credential: withCred(fakeCred{tok: at})}).Token(context.Background(), host(t, hostport), nil)
	if err == nil || strings.Contains(err.Error(), at) || !strings.Contains(err.Error(), "UNAUTHORIZED bad token [redacted]") {
		t.Errorf("err = %v", err)
	}
	reg.AzureTenantID = "contoso.onmicrosoft.com"
	New(reg, Options{Transport: tr, Credential: withCred(fakeCred{tok: at})}).Token(context.Background(), host(t, hostport), nil)
	want := []string{
		"POST /oauth2/exchange application/x-www-form-urlencoded access_token=" + at + "&grant_type=access_token&service=" + strings.ReplaceAll(hostport, ":", "%3A") + "&tenant=tenant-from-token",
		"POST /oauth2/exchange application/x-www-form-urlencoded access_token=" + at + "&grant_type=access_token&service=" + strings.ReplaceAll(hostport, ":", "%3A") + "&tenant=contoso.onmicrosoft.com",
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("requests:\n%q\nwant\n%q", got, want)
	}
}

// TestToken_deadline: a credential that never answers (the managed
// identity endpoint off Azure) is bounded by the entry's timeout.
func TestToken_deadline(t *testing.T) {
	reg := credentials.Registry{Provider: credentials.ProviderACR, Line: 2, Timeout: 50 * time.Millisecond}
	_, err := New(reg, Options{Credential: withCred(fakeCred{hang: true})}).Token(context.Background(), host(t, "myreg.azurecr.io"), nil)
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
}

// TestCloudOf: each suffix's authority, and the public cloud for a host
// that is not ACR-shaped.
func TestCloudOf(t *testing.T) {
	for h, want := range map[string]string{
		"myreg.azurecr.io": "https://login.microsoftonline.com/",
		"myreg.azurecr.cn": "https://login.chinacloudapi.cn/",
		"myreg.azurecr.us": "https://login.microsoftonline.us/",
		"127.0.0.1:5000":   "https://login.microsoftonline.com/",
	} {
		if got := CloudOf(host(t, h)).AuthorityHost; got != want {
			t.Errorf("CloudOf(%s) = %s, want %s", h, got, want)
		}
	}
}

// TestRegistry_acceptsPair: the answered pair is what a registry client
// (docker) signs in with: the challenge's realm with HTTP Basic of the
// nil UUID and the refresh token gives a bearer token /v2/ accepts.
func TestRegistry_acceptsPair(t *testing.T) {
	srv := acrtest.NewServer(t)
	g := &guard{}
	tr := g.transport(t, srv)
	tok, err := New(entry(t, srv), Options{Transport: tr, Credential: withCred(fakeCred{tok: accessToken(t, srv, g)})}).Token(context.Background(), host(t, srv.Host), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr}
	resp, err := c.Get(srv.URL + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ch := resp.Header.Get("WWW-Authenticate")
	realm := ch[strings.Index(ch, `realm="`)+7:]
	realm = realm[:strings.IndexByte(realm, '"')]
	req, _ := http.NewRequest(http.MethodGet, realm+"?service="+srv.Host+"&scope=repository:app:pull", nil)
	req.SetBasicAuth(tok.Username, tok.Secret)
	resp, err = c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token endpoint: %v %v", resp, err)
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	decodeJSON(t, resp, &body)
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/v2/", nil)
	req.Header.Set("Authorization", "Bearer "+body.AccessToken)
	resp, err = c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/v2/ with the bearer token: %v %v", resp, err)
	}
	resp.Body.Close()
}

func cloudAt(srv *acrtest.Server) cloud.Configuration {
	return cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityHost()}
}

func decodeJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestSDK_workloadIdentity: the default chain's workload identity (the
// AKS webhook's environment: a token file, tenant and client id) sends the
// file's token as the client assertion; with azure_client_id, that
// application's id is sent instead of the environment's.
func TestSDK_workloadIdentity(t *testing.T) {
	for _, option := range []bool{false, true} {
		hermetic(t)
		srv := acrtest.NewServer(t)
		jwt := acrtest.UnsignedJWT(map[string]any{"sub": "system:serviceaccount:apps:puller", "exp": time.Now().Add(time.Hour).Unix()})
		srv.AcceptAssertion(jwt)
		file := filepath.Join(t.TempDir(), "token")
		os.WriteFile(file, []byte(jwt), 0o600)
		t.Setenv("AZURE_TENANT_ID", acrtest.Tenant)
		t.Setenv("AZURE_CLIENT_ID", acrtest.ClientID)
		t.Setenv("AZURE_FEDERATED_TOKEN_FILE", file)
		t.Setenv("AZURE_AUTHORITY_HOST", srv.AuthorityHost())
		reg := entry(t, srv)
		if option {
			t.Setenv("AZURE_CLIENT_ID", "11111111-0000-4000-8000-000000000000")
			reg.AzureClientID = acrtest.ClientID
		}
		g := &guard{}
		tok, err := New(reg, Options{Transport: g.transport(t, srv)}).Token(context.Background(), host(t, srv.Host), nil)
		if err != nil || !srv.IsRefreshToken(tok.Secret) {
			t.Fatalf("option %v: %v, %v", option, tok, err)
		}
		if f := srv.TokenForms(); len(f) != 1 || f[0]["client_assertion"] != jwt || f[0]["client_id"] != acrtest.ClientID {
			t.Errorf("option %v: token requests = %v", option, f)
		}
		g.noEgress(t)
	}
}

// TestSDK_managedIdentity: App Service's managed identity endpoint
// (IDENTITY_ENDPOINT, IDENTITY_HEADER) gives the access token for ACR's
// resource; the system-assigned identity with no option, the
// user-assigned one that azure_client_id names.
func TestSDK_managedIdentity(t *testing.T) {
	for _, client := range []string{"", acrtest.ClientID} {
		hermetic(t)
		srv := acrtest.NewServer(t)
		t.Setenv("IDENTITY_ENDPOINT", srv.MSIURL())
		t.Setenv("IDENTITY_HEADER", acrtest.IdentityHeader)
		reg := entry(t, srv)
		reg.AzureClientID = client
		g := &guard{}
		tok, err := New(reg, Options{Transport: g.transport(t, srv)}).Token(context.Background(), host(t, srv.Host), nil)
		if err != nil || !srv.IsRefreshToken(tok.Secret) {
			t.Fatalf("client %q: %v, %v", client, tok, err)
		}
		if ids := srv.MSIClientIDs(); len(ids) != 1 || ids[0] != client {
			t.Errorf("managed identity asked for %q, want %q", ids, client)
		}
		g.noEgress(t)
	}
}

// TestSDK_certificate: the default chain's environment credential with a
// client certificate (AZURE_CLIENT_CERTIFICATE_PATH, a PEM of the
// certificate and its key) signs an assertion the authority verifies with
// the certificate; another key's certificate is refused.
func TestSDK_certificate(t *testing.T) {
	hermetic(t)
	srv := acrtest.NewServer(t)
	certPEM := func(accept bool) string {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "acr puller"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		if accept {
			c, _ := x509.ParseCertificate(der)
			srv.AcceptCertificate(c)
		}
		kb, _ := x509.MarshalPKCS8PrivateKey(key)
		file := filepath.Join(t.TempDir(), "cert.pem")
		os.WriteFile(file, append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})...), 0o600)
		return file
	}
	t.Setenv("AZURE_TENANT_ID", acrtest.Tenant)
	t.Setenv("AZURE_CLIENT_ID", acrtest.ClientID)
	t.Setenv("AZURE_AUTHORITY_HOST", srv.AuthorityHost())
	t.Setenv("AZURE_CLIENT_CERTIFICATE_PATH", certPEM(true))
	g := &guard{}
	tok, err := New(entry(t, srv), Options{Transport: g.transport(t, srv)}).Token(context.Background(), host(t, srv.Host), nil)
	if err != nil || !srv.IsRefreshToken(tok.Secret) {
		t.Fatalf("%v, %v", tok, err)
	}
	t.Setenv("AZURE_CLIENT_CERTIFICATE_PATH", certPEM(false))
	_, err = New(entry(t, srv), Options{Transport: g.transport(t, srv)}).Token(context.Background(), host(t, srv.Host), nil)
	if err == nil || !strings.Contains(err.Error(), "AADSTS700211") {
		t.Errorf("another certificate: %v", err)
	}
	g.noEgress(t)
}
