// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package gcr is the provider of Google's registries, Artifact Registry
// (<location>-docker.pkg.dev) and Container Registry (gcr.io and its
// subdomains): an OAuth2 access token from golang.org/x/oauth2/google,
// answered with the username oauth2accesstoken and the token's expiry
// (capped at MaxLifetime).
//
// Where the credentials come from, first that applies:
//   - the entry's identity block (the same sources as a keyless oauth2
//     entry): the identity token is exchanged at Google's STS for a
//     workload identity pool (external_account federation, gcp_audience),
//     optionally impersonating a service account;
//   - gcp_credentials_file: a Google credentials JSON file of any type the
//     SDK reads (service account key, authorized_user, external_account,
//     impersonated_service_account);
//   - Application Default Credentials, as the SDK finds them:
//     $GOOGLE_APPLICATION_CREDENTIALS, gcloud's application default
//     credentials file, the GCE/GKE metadata server.
//
// With gcp_impersonate_service_account the credentials found (from a file)
// ask IAM Credentials for that service account's token, through the SDK's
// impersonated_service_account support; x/oauth2 cannot impersonate with
// the metadata server's credentials, and neither can this provider.
//
// A machine with no Google credentials at all (no file, not on Google's
// cloud) gets "not found", so that the client goes on anonymously: public
// images on gcr.io and pkg.dev keep pulling with no config. Every mint is
// bounded by the entry's timeout (DefaultTimeout), the metadata server's
// retries included, which the SDK does not bound by the context.
//
// The SDK is linked by the full build only (package builtin); the protocol
// binary serves the cached tokens without it.
package gcr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/compute/metadata"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"golang.org/x/oauth2/google/externalaccount"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/command"
	"github.com/docker-credential-mint/mint/credentials/provider/identity"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/redact"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/safehttp"
	"github.com/docker-credential-mint/mint/store"
)

// Username is the registry username of every Google access token.
const Username = credentials.GCRUsername

// DefaultScope is the scope asked when the entry names none.
const DefaultScope = "https://www.googleapis.com/auth/cloud-platform"

// MaxLifetime caps a token's expiry: Google's access tokens live an hour,
// and an expiry further out (or none) is not believed.
const MaxLifetime = time.Hour

// DefaultTimeout bounds one mint (finding the credentials and every request
// for the token) when the entry sets no timeout: a metadata server that
// accepts connections and never answers holds the SDK for about a minute,
// and the helper's whole invocation has 30 s.
const DefaultTimeout = 20 * time.Second

// Google's endpoints for identity federation and impersonation; an entry's
// token_url and gcp_impersonation_url replace them.
const (
	DefaultSTSURL           = "https://sts.googleapis.com/v1/token"
	DefaultImpersonationURL = "https://iamcredentials.googleapis.com"
)

// SubjectTokenTypeJWT is the type of the identity token handed to STS.
const SubjectTokenTypeJWT = "urn:ietf:params:oauth:token-type:jwt"

// EnvCredentials is Application Default Credentials' environment variable.
const EnvCredentials = "GOOGLE_APPLICATION_CREDENTIALS"

// maxCredentialsFile bounds a credentials file read by this package (real
// ones are 2-3 KB).
const maxCredentialsFile = 1 << 20

// Options configure New.
type Options struct {
	// Transport is the base of every HTTP request but the metadata
	// server's (the SDK dials that itself); nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Runner runs an exec identity source; nil means command.Exec{}.
	Runner command.Runner
	// Getenv reads the environment of identity sources and of the
	// credentials file lookup; nil means os.Getenv. (The SDK itself reads
	// the process environment.)
	Getenv func(string) string
}

// Provider mints Google access tokens for registries.
type Provider struct {
	reg     credentials.Registry
	now     func() time.Time
	getenv  func(string) string
	timeout time.Duration
	scopes  []string
	client  *http.Client
	id      identity.Source // nil without an identity block
}

var (
	_ provider.Provider  = (*Provider)(nil)
	_ provider.MissKeyer = (*Provider)(nil)
)

// New returns the provider of a gcr config entry. It does no I/O.
func New(reg credentials.Registry, o Options) (*Provider, error) {
	p := &Provider{reg: reg, now: o.Now, getenv: o.Getenv, timeout: reg.Timeout, scopes: reg.Scopes}
	if p.now == nil {
		p.now = time.Now
	}
	if p.getenv == nil {
		p.getenv = os.Getenv
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if len(p.scopes) == 0 {
		p.scopes = []string{DefaultScope}
	}
	// Plain http is allowed: the entry's own URLs were checked when the
	// config was read (https, or loopback), and a credentials file's
	// URLs are the SDK's to follow, as gcloud does (an external_account
	// file on AWS or Azure reads its subject token from the instance
	// metadata service over http). Redirects stay on their origin.
	p.client = safehttp.Client(o.Transport, p.timeout, true)
	if reg.Identity != nil {
		src, err := identity.New(*reg.Identity, identity.Options{Getenv: o.Getenv, Runner: o.Runner, Transport: o.Transport, Now: o.Now})
		if err != nil {
			return nil, fmt.Errorf("gcr: %w", err)
		}
		p.id = src
	}
	return p, nil
}

// Token implements provider.Provider: an access token for any registry the
// entry serves (the token is not bound to a host). root is not used.
// Without Google credentials anywhere it returns an error wrapping
// provider.ErrNotFound.
func (p *Provider) Token(ctx context.Context, h credentials.Host, _ *store.Entry) (*provider.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	issued := p.now()
	sup := &supplier{src: p.id}
	type result struct {
		tok *oauth2.Token
		err error
	}
	// The SDK does not bound its metadata server probe and requests by the
	// context: the mint runs aside, and a late answer is dropped.
	done := make(chan result, 1)
	go func() {
		tok, err := p.mint(ctx, sup)
		done <- result{tok, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		r.err = fmt.Errorf("no access token within %s: %w", p.timeout, ctx.Err())
	}
	if r.err != nil {
		if errors.Is(r.err, provider.ErrNotFound) {
			return nil, fmt.Errorf("gcr: %s: %w", h.Registry(), r.err)
		}
		msg := redact.String(credentials.OneLine(safehttp.Clean(r.err).Error()), sup.seen()...)
		return nil, fmt.Errorf("gcr: %s: %s", h.Registry(), msg)
	}
	if r.tok == nil || r.tok.AccessToken == "" {
		return nil, fmt.Errorf("gcr: %s: the answer holds no access token", h.Registry())
	}
	return &provider.Token{Username: Username, Secret: r.tok.AccessToken, Expiry: expiry(r.tok.Expiry, issued)}, nil
}

// expiry is the token's expiry, capped at MaxLifetime after issued; no
// expiry at all means MaxLifetime.
func expiry(exp, issued time.Time) time.Time {
	limit := issued.Add(MaxLifetime)
	if exp.IsZero() || exp.After(limit) {
		return limit
	}
	return exp
}

// mint finds the credentials and asks for a token.
func (p *Provider) mint(ctx context.Context, sup *supplier) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	ts, err := p.tokenSource(ctx, sup)
	if err != nil {
		return nil, err
	}
	return ts.Token()
}

// tokenSource is the SDK's token source for the entry.
func (p *Provider) tokenSource(ctx context.Context, sup *supplier) (oauth2.TokenSource, error) {
	gcp := p.reg.GCP
	params := google.CredentialsParams{Scopes: p.scopes}
	if p.id != nil {
		conf := externalaccount.Config{
			Audience:             gcp.Audience,
			SubjectTokenType:     SubjectTokenTypeJWT,
			TokenURL:             p.reg.TokenURL,
			Scopes:               p.scopes,
			SubjectTokenSupplier: sup,
		}
		if conf.TokenURL == "" {
			conf.TokenURL = DefaultSTSURL
		}
		if gcp.ImpersonateServiceAccount != "" {
			conf.ServiceAccountImpersonationURL = p.impersonationURL()
		}
		ts, err := externalaccount.NewTokenSource(ctx, conf)
		if err != nil {
			return nil, fmt.Errorf("identity federation: %w", err)
		}
		return ts, nil
	}
	file, fromEnv := gcp.CredentialsFile, false
	if file == "" && gcp.ImpersonateServiceAccount != "" {
		// Impersonation wraps the credentials file the SDK would use.
		if file = p.getenv(EnvCredentials); file != "" {
			fromEnv = true
		} else if wk := wellKnownFile(p.getenv); fileExists(wk) {
			file = wk
		} else if noMetadataServer(ctx, p.getenv) || !onGoogleCloud() {
			return nil, noCredentials()
		} else {
			return nil, errors.New("gcp_impersonate_service_account: the metadata server's credentials cannot be impersonated by this build: name a credentials file (gcp_credentials_file or $" + EnvCredentials + ")")
		}
	}
	if file == "" {
		if p.getenv(EnvCredentials) == "" && !fileExists(wellKnownFile(p.getenv)) && noMetadataServer(ctx, p.getenv) {
			return nil, noCredentials() // offgcp.go
		}
		creds, err := google.FindDefaultCredentialsWithParams(ctx, params)
		if err != nil {
			// The SDK says "not found" in words only: it failed with no
			// file named and none in gcloud's place, so it also found no
			// metadata server.
			if p.getenv(EnvCredentials) == "" && !fileExists(wellKnownFile(p.getenv)) {
				return nil, noCredentials()
			}
			return nil, err
		}
		return creds.TokenSource, nil
	}
	data, err := readCredentials(file)
	if err != nil {
		if fromEnv {
			return nil, fmt.Errorf("$%s: %w", EnvCredentials, err)
		}
		return nil, err
	}
	if gcp.ImpersonateServiceAccount != "" {
		if data, err = p.impersonated(data); err != nil {
			return nil, err
		}
	}
	typ, err := credentialsType(data)
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", file, err)
	}
	creds, err := google.CredentialsFromJSONWithTypeAndParams(ctx, data, typ, params)
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", file, err)
	}
	return creds.TokenSource, nil
}

// credentialsType is a credentials file's type, one the SDK reads. The file
// is the user's own (named by the config or the environment, as gcloud
// takes it), so its type is what it says.
func credentialsType(data []byte) (google.CredentialsType, error) {
	var f struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return "", errors.New("not a JSON credentials file")
	}
	switch t := google.CredentialsType(f.Type); t {
	case google.ServiceAccount, google.AuthorizedUser, google.ExternalAccount, google.ExternalAccountAuthorizedUser,
		google.ImpersonatedServiceAccount, google.GDCHServiceAccount:
		return t, nil
	case "":
		return "", errors.New("no type in the credentials file")
	}
	return "", fmt.Errorf("unknown credentials type %q", f.Type)
}

// noCredentials is the "not found" of a machine without Google credentials.
func noCredentials() error {
	return fmt.Errorf("no Google credentials (no $%s, no gcloud application default credentials, no metadata server): %w", EnvCredentials, provider.ErrNotFound)
}

// impersonationURL is generateAccessToken's URL for the entry's service
// account.
func (p *Provider) impersonationURL() string {
	base := p.reg.GCP.ImpersonationURL
	if base == "" {
		base = DefaultImpersonationURL
	}
	return strings.TrimSuffix(base, "/") + "/v1/projects/-/serviceAccounts/" + p.reg.GCP.ImpersonateServiceAccount + ":generateAccessToken"
}

// impersonated wraps a credentials file's JSON as the source credentials of
// an impersonated_service_account file for the entry's service account.
func (p *Provider) impersonated(source []byte) ([]byte, error) {
	if !json.Valid(source) {
		return nil, errors.New("the credentials file is not JSON")
	}
	return json.Marshal(struct {
		Type   string          `json:"type"`
		URL    string          `json:"service_account_impersonation_url"`
		Source json.RawMessage `json:"source_credentials"`
	}{"impersonated_service_account", p.impersonationURL(), source})
}

// readCredentials reads a credentials file, bounded; the error names the
// file and never holds its content.
func readCredentials(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCredentialsFile+1))
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	if len(data) > maxCredentialsFile {
		return nil, fmt.Errorf("credentials file %s: larger than %d bytes", path, maxCredentialsFile)
	}
	return data, nil
}

// wellKnownFile is where gcloud auth application-default login writes the
// credentials, as x/oauth2/google looks for them.
func wellKnownFile(getenv func(string) string) string {
	const f = "application_default_credentials.json"
	if runtime.GOOS == "windows" {
		return filepath.Join(getenv("APPDATA"), "gcloud", f)
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".config", "gcloud", f)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// MissKey implements provider.MissKeyer: the router remembers "no Google
// credentials on this machine" (provider.DefaultShareNotFound) while this
// is the same: the credentials file named by $GOOGLE_APPLICATION_CREDENTIALS
// (a path, not a secret) and the times of it and of gcloud's application
// default credentials (gcloud auth application-default login writes them),
// and whether $GCE_METADATA_HOST is set.
func (p *Provider) MissKey() string {
	var b strings.Builder
	env := p.getenv(EnvCredentials)
	fmt.Fprintf(&b, "%q %t", env, p.getenv("GCE_METADATA_HOST") != "")
	wk := wellKnownFile(p.getenv)
	for _, f := range []string{env, wk, filepath.Dir(wk)} {
		if fi, err := os.Stat(f); f != "" && err == nil {
			fmt.Fprintf(&b, " %s@%d", f, fi.ModTime().UnixNano())
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// onGoogleCloud reports whether a metadata server answers, as the SDK
// decides it (once per process).
var onGoogleCloud = metadata.OnGCE

// supplier hands the entry's identity token to the SDK's external_account
// flow, and remembers what it handed out, to redact it from errors.
type supplier struct {
	src  identity.Source
	mu   sync.Mutex
	toks []string
}

// SubjectToken implements externalaccount.SubjectTokenSupplier.
func (s *supplier) SubjectToken(ctx context.Context, _ externalaccount.SupplierOptions) (string, error) {
	tok, err := s.src.Token(ctx)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.toks = append(s.toks, tok)
	s.mu.Unlock()
	return tok, nil
}

func (s *supplier) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.toks...)
}
