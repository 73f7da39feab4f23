// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package oauth2 is the config's oauth2 provider: an access token from an
// OAuth 2.0 token endpoint (RFC 6749), used as the registry password with a
// configured username, through golang.org/x/oauth2.
//
// Root credentials, as `docker login` or `docker-credential-mint login`
// store them:
//
//   - grant client_credentials (RFC 6749 §4.4): Username is the client id,
//     Secret the client secret.
//   - grant refresh_token (RFC 6749 §6): Secret is the refresh token, or
//     {"refresh_token":…,"client_secret":…} for a confidential client. The
//     client id is the config's client_id, else the stored Username. A
//     refresh token the server rotates is saved to the root store before
//     the access token is returned, and the old one is never sent again
//     (servers such as Ory Hydra revoke the whole chain on reuse).
package oauth2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/safehttp"
	"github.com/docker-credential-mint/mint/store"
)

// maxDescription bounds the server's error_description quoted in errors.
const maxDescription = 200

// Options are the seams and wiring of New.
type Options struct {
	// Roots is the store of root credentials. With the refresh_token grant,
	// the root is re-read from it before each refresh (another process may
	// have rotated it) and a rotated refresh token is saved to it. Without
	// it, the root passed to Token is used and rotation is an error.
	Roots store.Backend
	// Transport carries the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Provider mints access tokens for one oauth2 entry of the config.
type Provider struct {
	reg    credentials.Registry
	opts   Options
	client *http.Client
}

var _ provider.Provider = (*Provider)(nil)

// New returns the Provider for reg, an oauth2 entry of the config. The
// token URL must be https, or http to a loopback host or with insecure set.
func New(reg credentials.Registry, opts Options) (*Provider, error) {
	u, err := url.Parse(reg.TokenURL)
	if err != nil || u.Host == "" {
		return nil, errors.New("oauth2: token_url is not an absolute URL")
	}
	if err := safehttp.CheckURL(u, reg.Insecure); err != nil {
		return nil, fmt.Errorf("oauth2: token_url: %w", err)
	}
	switch reg.Grant {
	case "":
		reg.Grant = credentials.GrantClientCredentials
	case credentials.GrantClientCredentials, credentials.GrantRefreshToken:
	default:
		return nil, fmt.Errorf("oauth2: unknown grant %q", reg.Grant)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Provider{reg: reg, opts: opts, client: safehttp.Client(opts.Transport, reg.Timeout, reg.Insecure)}, nil
}

// refreshRoot is the JSON form of a refresh_token root secret.
type refreshRoot struct {
	RefreshToken string `json:"refresh_token"`
	ClientSecret string `json:"client_secret,omitempty"`
}

// parseRefreshRoot reads a bare refresh token or its JSON form.
func parseRefreshRoot(secret string) (r refreshRoot, isJSON bool) {
	if strings.HasPrefix(strings.TrimSpace(secret), "{") && json.Unmarshal([]byte(secret), &r) == nil && r.RefreshToken != "" {
		return r, true
	}
	return refreshRoot{RefreshToken: secret}, false
}

// Token requests an access token. It returns an error wrapping
// provider.ErrNotFound when no root credential is stored, and otherwise a
// one-line error naming the registry (invalid_client or invalid_grant say
// how to log in again). Safe for concurrent use; call it under the Cache's
// lock, since a refresh token grant must not run twice with one token.
func (p *Provider) Token(ctx context.Context, host credentials.Host, root *store.Entry) (*provider.Token, error) {
	reg := host.Registry()
	if root == nil {
		return nil, fmt.Errorf("oauth2: %s: no client credential stored: %w", reg, provider.ErrNotFound)
	}
	timeout := p.reg.Timeout
	if timeout <= 0 {
		timeout = safehttp.DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	start := p.opts.Now()

	var (
		tk      *oauth2.Token
		err     error
		secrets []string
	)
	switch p.reg.Grant {
	case credentials.GrantRefreshToken:
		tk, secrets, err = p.refresh(ctx, host, *root)
	default:
		secrets = []string{root.Secret}
		cc := clientcredentials.Config{
			ClientID:     root.Username,
			ClientSecret: root.Secret,
			TokenURL:     p.reg.TokenURL,
			Scopes:       p.reg.Scopes,
		}
		tk, err = cc.Token(ctx)
		if err != nil {
			err = p.describe(reg, err, secrets)
		}
	}
	if err != nil {
		return nil, err
	}
	if tk.AccessToken == "" {
		return nil, fmt.Errorf("oauth2: %s: token endpoint returned no access_token", reg)
	}
	exp := tk.Expiry
	if exp.IsZero() {
		// No expires_in: the configured lifetime, else use it once.
		exp = start.Add(p.reg.Lifetime)
	}
	return &provider.Token{Username: p.reg.Username, Secret: tk.AccessToken, Expiry: exp}, nil
}

// rootKey is where root is stored: the store keys roots by ParseHost of the
// server URL the client stored them under.
func rootKey(host credentials.Host, root store.Entry) string {
	if h, err := credentials.ParseHost(root.ServerURL); err == nil {
		return h.Key()
	}
	return host.Registry()
}

func (p *Provider) refresh(ctx context.Context, host credentials.Host, root store.Entry) (*oauth2.Token, []string, error) {
	reg := host.Registry()
	key := rootKey(host, root)
	if p.opts.Roots != nil {
		// Another process may have rotated the refresh token since our
		// caller read it; the stored one is the only one still valid.
		e, err := p.opts.Roots.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, fmt.Errorf("oauth2: %s: no refresh token stored: %w", reg, provider.ErrNotFound)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("oauth2: %s: read the stored refresh token: %w", reg, err)
		}
		root = e
	}
	rr, isJSON := parseRefreshRoot(root.Secret)
	secrets := []string{root.Secret, rr.RefreshToken, rr.ClientSecret}
	if rr.RefreshToken == "" {
		return nil, nil, fmt.Errorf("oauth2: %s: no refresh token stored: %w", reg, provider.ErrNotFound)
	}
	clientID := p.reg.ClientID
	if clientID == "" && root.Username != credentials.TokenUsername {
		clientID = root.Username
	}
	cfg := oauth2.Config{
		ClientID:     clientID,
		ClientSecret: rr.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: p.reg.TokenURL},
		Scopes:       p.reg.Scopes,
	}
	tk, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rr.RefreshToken}).Token()
	if err != nil {
		return nil, nil, p.describe(reg, err, secrets)
	}
	if tk.RefreshToken != "" && tk.RefreshToken != rr.RefreshToken {
		// Rotated: the old token is dead. Keep the new one before anything
		// uses the access token, so that a crash now costs one refresh, not
		// a re-login.
		if p.opts.Roots == nil {
			return nil, nil, fmt.Errorf("oauth2: %s: the token endpoint rotated the refresh token and there is no store to keep it", reg)
		}
		newSecret := tk.RefreshToken
		if isJSON {
			rr.RefreshToken = tk.RefreshToken
			b, _ := json.Marshal(rr)
			newSecret = string(b)
		}
		root.Secret = newSecret
		if err := p.opts.Roots.Put(ctx, key, root); err != nil {
			return nil, nil, fmt.Errorf("oauth2: %s: save the rotated refresh token: %w; run `docker-credential-mint login %s`", reg, err, reg)
		}
	}
	return tk, secrets, nil
}

// describe turns a token request's failure into one line that never holds
// a secret: the server's error code and description (secrets redacted),
// or the HTTP status, or the transport error with its URL redacted.
func (p *Provider) describe(reg string, err error, secrets []string) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("oauth2: %s: no answer from the token endpoint %s in time: %w", reg, safehttp.RedactString(p.reg.TokenURL), context.DeadlineExceeded)
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("oauth2: %s: token request: %s", reg, redact(oneLine(safehttp.Clean(err).Error()), secrets))
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	what := re.ErrorCode
	if what == "" {
		what = fmt.Sprintf("HTTP %d", status)
	}
	if d := oneLine(re.ErrorDescription); d != "" {
		if len(d) > maxDescription {
			d = strings.ToValidUTF8(d[:maxDescription], "") + "…"
		}
		what += ": " + redact(d, secrets)
	}
	switch {
	case re.ErrorCode == "invalid_client", re.ErrorCode == "invalid_grant", re.ErrorCode == "unauthorized_client",
		re.ErrorCode == "" && status == http.StatusUnauthorized:
		return fmt.Errorf("oauth2: %s: the token endpoint refused the stored credential (%s); run `docker login %s` or `docker-credential-mint login %s`", reg, what, reg, reg)
	}
	return fmt.Errorf("oauth2: %s: the token endpoint failed (%s)", reg, what)
}

func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
