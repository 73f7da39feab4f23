// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package acr is the provider of Azure Container Registry: for a registry
// <name>.azurecr.io (or .azurecr.cn, .azurecr.us) it gets a Microsoft Entra
// ID access token for ACR's scope from azidentity's credential chain
// (environment client secret or certificate, workload identity, managed
// identity, Azure CLI, as DefaultAzureCredential finds them), or from a
// federated assertion (the entry's identity block), and exchanges it at
// https://<registry>/oauth2/exchange for an ACR refresh token. get answers
// the nil UUID as username and the refresh token as password, as
// `az acr login` hands them to docker, with the expiry the refresh token
// carries (about 3 h).
//
// The exchange is a plain form POST made here with net/http (safehttp:
// https, no redirect to another host, a deadline); the Azure SDK is linked
// by the full build only (package builtin), and the protocol binary serves
// the cached tokens without it.
package acr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/command"
	"github.com/docker-credential-mint/mint/credentials/provider/identity"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/redact"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/safehttp"
	"github.com/docker-credential-mint/mint/credentials/provider/static"
	"github.com/docker-credential-mint/mint/store"
)

// Username is the registry username of every ACR refresh token.
const Username = credentials.ACRUsername

// Scope is the Entra ID scope of an access token that ACR exchanges, in
// every Azure cloud.
const Scope = "https://containerregistry.azure.net/.default"

// FederatedAudience is the audience Entra ID expects of a federated
// assertion; a github-actions identity with no audience asks for it.
const FederatedAudience = "api://AzureADTokenExchange"

// MaxLifetime caps a token's expiry: ACR's refresh tokens live about 3
// hours, and an expiry further out (a stand-in's, a skewed clock's) is not
// believed.
const MaxLifetime = 3 * time.Hour

// DefaultLifetime is the life of a refresh token with no readable exp.
const DefaultLifetime = time.Hour

// DefaultTimeout bounds one mint (credential chain, Entra ID and the
// exchange) when the entry sets no timeout. Off Azure, the managed
// identity endpoint may never answer: there is always a deadline.
const DefaultTimeout = 20 * time.Second

// maxBody bounds the exchange's answer.
const maxBody = 1 << 20

// Options configure New.
type Options struct {
	// Credential makes the Entra ID credential for a registry's cloud; nil
	// means azidentity (see the package comment). A seam for tests.
	Credential func(c credentials.AzureCloud) (azcore.TokenCredential, error)
	// Transport carries the exchange and azidentity's requests; nil means
	// http.DefaultTransport (and azcore's own, which honour HTTPS_PROXY).
	Transport http.RoundTripper
	// Runner runs an exec identity source; nil means command.Exec{}.
	Runner command.Runner
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Provider mints ACR refresh tokens.
type Provider struct {
	reg       credentials.Registry
	o         Options
	timeout   time.Duration
	assertion *lastSecret // the last federated assertion, for redaction
}

var (
	_ provider.Provider  = (*Provider)(nil)
	_ provider.MissKeyer = (*Provider)(nil)
)

// New returns the provider of an acr config entry. It does no I/O: the
// credential is made at each mint.
func New(reg credentials.Registry, o Options) *Provider {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	p := &Provider{reg: reg, o: o, timeout: reg.Timeout, assertion: &lastSecret{}}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.o.Credential == nil {
		p.o.Credential = p.sdkCredential
	}
	return p
}

// CloudOf returns the Azure cloud of h: the one its suffix names, and the
// public cloud for a host an entry claims that is not ACR-shaped (a
// registry behind another name, a test's 127.0.0.1:PORT).
func CloudOf(h credentials.Host) credentials.AzureCloud {
	if c, ok := credentials.ParseACRHost(h); ok {
		return c
	}
	return credentials.AzurePublic
}

// Token implements provider.Provider: an ACR refresh token for h. root is
// not used (ACR needs no stored credential). When the entry is the one
// detection made (no config entry) and no source of the credential chain
// is available at all (no Azure credentials on this machine), the error
// wraps provider.ErrNotFound: the helper answers "not found" and docker
// pulls the registry's public images anonymously.
func (p *Provider) Token(ctx context.Context, h credentials.Host, _ *store.Entry) (*provider.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	issued := p.o.Now()
	cred, err := p.o.Credential(CloudOf(h))
	if err != nil {
		return nil, p.fail(h, "Entra ID credential", err)
	}
	at, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{Scope}})
	if err != nil {
		var failed *azidentity.AuthenticationFailedError
		if ctx.Err() == nil && !errors.As(err, &failed) && p.reg.Line == 0 {
			return nil, fmt.Errorf("acr: %s: no Azure credentials found: %w", h.Registry(), provider.ErrNotFound)
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %s: %w", p.timeout, err)
		}
		return nil, p.fail(h, "Entra ID token", err)
	}
	if at.Token == "" {
		return nil, fmt.Errorf("acr: %s: Entra ID gave an empty access token", h.Registry())
	}
	refresh, err := p.exchange(ctx, h, at.Token)
	if err != nil {
		return nil, p.fail(h, "token exchange", err, at.Token)
	}
	exp, ok := static.JWTExpiry(refresh)
	now := p.o.Now()
	switch {
	case !ok:
		exp = issued.Add(DefaultLifetime)
	case !exp.After(now):
		return nil, fmt.Errorf("acr: %s: the registry's refresh token expired at %s (is this machine's clock right?)", h.Registry(), exp.UTC().Format(time.RFC3339))
	case exp.After(issued.Add(MaxLifetime)):
		exp = issued.Add(MaxLifetime)
	}
	return &provider.Token{Username: Username, Secret: refresh, Expiry: exp}, nil
}

// exchange trades an Entra ID access token for an ACR refresh token at the
// registry's /oauth2/exchange (grant access_token; the tenant is the
// entry's, else the access token's tid claim).
func (p *Provider) exchange(ctx context.Context, h credentials.Host, accessToken string) (string, error) {
	form := url.Values{
		"grant_type":   {"access_token"},
		"service":      {h.Registry()},
		"access_token": {accessToken},
	}
	tenant := p.reg.AzureTenantID
	if tenant == "" {
		tenant = tenantOf(accessToken)
	}
	if tenant != "" {
		form.Set("tenant", tenant)
	}
	u := (&url.URL{Scheme: "https", Host: h.Registry(), Path: "/oauth2/exchange"}).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := safehttp.Client(p.o.Transport, p.timeout, false).Do(req)
	if err != nil {
		return "", safehttp.Clean(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return "", fmt.Errorf("read the answer: %w", err)
	}
	if len(body) > maxBody {
		return "", fmt.Errorf("the answer is larger than %d bytes", maxBody)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, serverMessage(body))
	}
	var out struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", errors.New("the answer is not JSON")
	}
	if out.RefreshToken == "" {
		return "", errors.New("the answer holds no refresh_token")
	}
	return out.RefreshToken, nil
}

// serverMessage is the registry's error in one short line: the message of
// its {"errors":[{"code","message"}]} (the distribution shape ACR uses),
// else the start of the body.
func serverMessage(body []byte) string {
	var e struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil {
		switch {
		case len(e.Errors) > 0:
			msg = strings.TrimSpace(e.Errors[0].Code + " " + e.Errors[0].Message)
		case e.Error != "":
			msg = strings.TrimSpace(e.Error + " " + e.ErrorDescription)
		}
	}
	if msg == "" {
		msg = string(body)
	}
	msg = credentials.OneLine(msg)
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if msg == "" {
		msg = "no message"
	}
	return msg
}

// tenantOf returns the tid claim of a JWT access token, or "".
func tenantOf(jwt string) string {
	var c struct {
		TID string `json:"tid"`
	}
	if credentials.JWTClaims(jwt, &c) != nil {
		return ""
	}
	return c.TID
}

// fail is the one-line error of a failed mint, naming the registry and the
// step, with every secret this mint handled redacted.
func (p *Provider) fail(h credentials.Host, step string, err error, secrets ...string) error {
	secrets = append(secrets, p.o.Getenv("AZURE_CLIENT_SECRET"), p.assertion.get())
	return fmt.Errorf("acr: %s: %s: %w", h.Registry(), step, redacted{err: err, secrets: secrets})
}

// redacted keeps err matchable (errors.Is/As) while its text is one line
// with the secrets removed: the SDK's errors span lines and may quote
// what a server answered.
type redacted struct {
	err     error
	secrets []string
}

func (e redacted) Error() string {
	return credentials.OneLine(redact.String(e.err.Error(), e.secrets...))
}

func (e redacted) Unwrap() error { return e.err }

// lastSecret remembers the last federated assertion handed to Entra ID,
// so that an error quoting it can be redacted.
type lastSecret struct {
	mu sync.Mutex
	s  string
}

func (l *lastSecret) set(s string) {
	l.mu.Lock()
	l.s = s
	l.mu.Unlock()
}

func (l *lastSecret) get() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s
}

// knownAuthorities are the Entra ID authorities that need no instance
// discovery turned off.
var knownAuthorities = []string{
	credentials.AzurePublic.AuthorityHost, credentials.AzureChina.AuthorityHost, credentials.AzureGovernment.AuthorityHost,
	cloud.AzurePublic.ActiveDirectoryAuthorityHost, cloud.AzureChina.ActiveDirectoryAuthorityHost, cloud.AzureGovernment.ActiveDirectoryAuthorityHost,
}

// sdkCredential is azidentity's credential for a registry in cloud c: a
// client assertion from the entry's identity block; else, with
// azure_client_id, workload identity and that managed identity; else
// DefaultAzureCredential. The authority is the entry's
// azure_authority_host, else $AZURE_AUTHORITY_HOST, else c's; another
// than a known cloud's (a sovereign or private cloud, a test's) turns
// instance discovery off, which would otherwise ask
// login.microsoftonline.com about it.
func (p *Provider) sdkCredential(c credentials.AzureCloud) (azcore.TokenCredential, error) {
	authority := p.reg.AzureAuthorityHost
	if authority == "" {
		authority = p.o.Getenv("AZURE_AUTHORITY_HOST")
	}
	if authority == "" {
		authority = c.AuthorityHost
	}
	if !strings.HasSuffix(authority, "/") {
		authority += "/"
	}
	noDiscovery := true
	for _, k := range knownAuthorities {
		if strings.EqualFold(authority, k) {
			noDiscovery = false
		}
	}
	co := azcore.ClientOptions{
		Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: authority},
		// azcore's default (3 retries, up to a minute apart) outlasts the
		// mint's deadline; a helper that fails fast serves the stale token.
		Retry: policy.RetryOptions{MaxRetries: 2, RetryDelay: 250 * time.Millisecond, MaxRetryDelay: 2 * time.Second},
	}
	co.Transport = sdkHTTP // the metadata probe bounded (offazure.go)
	if p.o.Transport != nil {
		co.Transport = &http.Client{Transport: p.o.Transport}
	}
	tenant, client := p.reg.AzureTenantID, p.reg.AzureClientID

	if id := p.reg.Identity; id != nil {
		idc := *id
		if idc.Source == credentials.IdentityGitHubActions && idc.Audience == "" {
			idc.Audience = FederatedAudience
		}
		src, err := identity.New(idc, identity.Options{Getenv: p.o.Getenv, Runner: p.o.Runner, Transport: p.o.Transport, Now: p.o.Now})
		if err != nil {
			return nil, err
		}
		assert := func(ctx context.Context) (string, error) {
			tok, err := src.Token(ctx)
			if err == nil {
				p.assertion.set(tok)
			}
			return tok, err
		}
		return azidentity.NewClientAssertionCredential(tenant, client, assert, &azidentity.ClientAssertionCredentialOptions{
			ClientOptions:            co,
			DisableInstanceDiscovery: noDiscovery,
		})
	}
	if client == "" {
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions:            co,
			DisableInstanceDiscovery: noDiscovery,
			TenantID:                 tenant,
		})
	}
	// A client id names an application (workload identity) or a
	// user-assigned managed identity; the Azure CLI's signed-in user is
	// neither, so it is not asked.
	var chain []azcore.TokenCredential
	if p.o.Getenv("AZURE_FEDERATED_TOKEN_FILE") != "" {
		wi, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions:            co,
			ClientID:                 client,
			TenantID:                 tenant,
			DisableInstanceDiscovery: noDiscovery,
		})
		if err != nil {
			return nil, err
		}
		chain = append(chain, wi)
	}
	mi, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ClientOptions: co,
		ID:            azidentity.ClientID(client),
	})
	if err != nil {
		return nil, err
	}
	chain = append(chain, mi)
	return azidentity.NewChainedTokenCredential(chain, nil)
}
