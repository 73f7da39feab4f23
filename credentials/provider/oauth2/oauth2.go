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
//
//   - grant refresh_token (RFC 6749 §6): Secret is the refresh token, or
//     {"refresh_token":…,"client_secret":…} for a confidential client. The
//     client id is the config's client_id, else the stored Username. A
//     refresh token the server rotates is saved to the root store before
//     the access token is returned, and the old one is never sent again
//     (servers such as Ory Hydra revoke the whole chain on reuse).
//
//   - grant device_code (RFC 8628): `docker-credential-mint login --device`
//     stores Username "<token>" and the refresh token the approval gave
//     (device.go); get then refreshes it as for grant refresh_token, with
//     the config's client_id, a public client.
//
//   - grants token_exchange (RFC 8693) and jwt_bearer (RFC 7523), keyless:
//     no root credential is needed. The identity block names where the JWT
//     presented comes from (package identity); it is fetched on each
//     refresh, sent as the subject_token (subject_token_type
//     urn:ietf:params:oauth:token-type:jwt, requested_token_type
//     urn:ietf:params:oauth:token-type:access_token) or the assertion, with
//     the config's audience and scopes, and kept nowhere. The client id is
//     the config's client_id, else a stored root's Username; a stored
//     root's Secret is the client secret (sent as below), and without one
//     the client id, if any, goes in the form body.
//
// Lifetime. Every access token gets a finite expiry, so that concurrent gets
// share it through the cache: expires_in when the endpoint gives it (zero
// or less is an error; more than MaxLifetime is taken as MaxLifetime),
// else the access token's exp when it is a JWT, else the config's lifetime,
// else DefaultLifetime.
//
// Client authentication. The client id and secret go in an HTTP Basic
// header (RFC 6749 §2.3.1: servers must support it) or in the form body, as
// the config's auth_style says. Without it, a client with a secret tries
// the header first and the form body only when the endpoint refuses the
// client's authentication (HTTP 401, or 400 invalid_client or
// invalid_request), a client without a secret the other way round; the
// style that worked is remembered for the rest of the process. A failing
// endpoint (HTTP 5xx, a timeout) therefore gets one request, not one per
// style as with x/oauth2's auto-detection.
package oauth2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/command"
	"github.com/docker-credential-mint/mint/credentials/provider/identity"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/redact"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/safehttp"
	"github.com/docker-credential-mint/mint/credentials/provider/static"
	"github.com/docker-credential-mint/mint/store"
)

// maxDescription bounds the server's error_description quoted in errors;
// maxErrorCode bounds its error code.
const (
	maxDescription = 200
	maxErrorCode   = 64
)

// DefaultLifetime is how long an access token is taken to live when the
// token endpoint says nothing (no expires_in, which RFC 6749 §5.1 makes
// optional; an opaque token, not a JWT with an exp) and the config gives no
// lifetime. With the default refresh margin (half the life) such a token is
// served for at most 30 s after it was minted: long enough that a burst of
// pulls (a CI job, docker compose, a classic build's list-then-get) shares
// one token instead of making a request each, short enough that a token is
// hardly ever served past its real end (access tokens live minutes to
// hours: distribution's token server 5 minutes, Hydra an hour). Set the
// entry's lifetime to share a token longer.
const DefaultLifetime = time.Minute

// MaxLifetime caps the lifetime a token endpoint states (expires_in, or the
// exp of a JWT access token): a broken or hostile expires_in (10^15
// seconds, or one that overflows) must not pin a token in the cache for
// decades. A token that really lives longer is minted again once a day.
const MaxLifetime = 24 * time.Hour

// Auth styles of the config's auth_style key.
const (
	// AuthStyleHeader sends the client id and secret in an HTTP Basic
	// header (client_secret_basic).
	AuthStyleHeader = credentials.AuthStyleHeader
	// AuthStyleParams sends them in the form body (client_secret_post).
	AuthStyleParams = credentials.AuthStyleParams
)

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
	// Runner runs a keyless entry's exec identity source; nil means
	// command.Exec{}.
	Runner command.Runner
	// Getenv reads a keyless entry's identity from the environment
	// (github-actions, gitlab); nil means os.Getenv.
	Getenv func(string) string
	// Sleep waits between two polls of a device authorization
	// (PollDevice), returning ctx's error when ctx is done first; nil
	// means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Provider mints access tokens for one oauth2 entry of the config.
type Provider struct {
	reg      credentials.Registry
	opts     Options
	client   *http.Client
	identity identity.Source // keyless grants only
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
	case credentials.GrantClientCredentials, credentials.GrantRefreshToken, credentials.GrantTokenExchange, credentials.GrantJWTBearer:
	case credentials.GrantDeviceCode:
		d, err := url.Parse(reg.DeviceAuthURL)
		if err != nil || d.Host == "" {
			return nil, errors.New("oauth2: device_authorization_url is not an absolute URL")
		}
		if err := safehttp.CheckURL(d, reg.Insecure); err != nil {
			return nil, fmt.Errorf("oauth2: device_authorization_url: %w", err)
		}
	default:
		return nil, fmt.Errorf("oauth2: unknown grant %q", reg.Grant)
	}
	var src identity.Source
	if credentials.IsKeyless(reg.Grant) {
		if reg.Identity == nil {
			return nil, fmt.Errorf("oauth2: grant %s needs an identity block", reg.Grant)
		}
		if src, err = identity.New(*reg.Identity, identity.Options{Getenv: opts.Getenv, Runner: opts.Runner, Transport: opts.Transport, Now: opts.Now}); err != nil {
			return nil, fmt.Errorf("oauth2: %w", err)
		}
	}
	switch reg.AuthStyle {
	case "", AuthStyleHeader, AuthStyleParams:
	default:
		return nil, fmt.Errorf("oauth2: unknown auth_style %q", reg.AuthStyle)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Provider{reg: reg, opts: opts, client: safehttp.Client(opts.Transport, reg.Timeout, reg.Insecure), identity: src}, nil
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
// provider.ErrNotFound when no root credential is stored (except for the
// keyless grants, where root is optional), and otherwise a
// one-line error naming the registry (invalid_client or invalid_grant say
// how to log in again). Safe for concurrent use; call it under the Cache's
// lock, since a refresh token grant must not run twice with one token.
func (p *Provider) Token(ctx context.Context, host credentials.Host, root *store.Entry) (*provider.Token, error) {
	reg := host.Registry()
	keyless := credentials.IsKeyless(p.reg.Grant)
	if root == nil && !keyless {
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
		tk  *oauth2.Token
		err error
	)
	switch {
	case keyless:
		tk, err = p.exchange(ctx, reg, root)
	case p.reg.Grant == credentials.GrantRefreshToken, p.reg.Grant == credentials.GrantDeviceCode:
		// device_code: login --device stored a refresh token.
		tk, err = p.refresh(ctx, host, *root)
	default:
		secrets := []string{root.Secret}
		tk, err = p.retrieve(root.Username, root.Secret, func(style oauth2.AuthStyle) (*oauth2.Token, error) {
			cc := clientcredentials.Config{
				ClientID:     root.Username,
				ClientSecret: root.Secret,
				TokenURL:     p.reg.TokenURL,
				Scopes:       p.reg.Scopes,
				AuthStyle:    style,
			}
			return cc.Token(ctx)
		})
		if err != nil {
			err = p.describe(reg, err, secrets, "")
		}
	}
	if err != nil {
		return nil, err
	}
	if tk.AccessToken == "" {
		return nil, fmt.Errorf("oauth2: %s: token endpoint returned no access_token", reg)
	}
	exp, err := p.expiry(tk, start)
	if err != nil {
		return nil, fmt.Errorf("oauth2: %s: %w", reg, err)
	}
	return &provider.Token{Username: p.reg.Username, Secret: tk.AccessToken, Expiry: exp}, nil
}

// ErrExpiredToken is wrapped by the error for a token that the endpoint
// says has already expired (expires_in of zero or less, or a JWT exp in the
// past): an answer that cannot be used, not one to use once.
var ErrExpiredToken = errors.New("the token endpoint returned an expired token")

// expiry returns when tk stops working, minted at start; see the package
// comment.
func (p *Provider) expiry(tk *oauth2.Token, start time.Time) (time.Time, error) {
	var exp time.Time
	if v := tk.Extra("expires_in"); v != nil && v != "" {
		secs, ok := seconds(v)
		if !ok {
			return time.Time{}, errors.New("the token endpoint's expires_in is not a number")
		}
		if secs <= 0 {
			return time.Time{}, fmt.Errorf("%w (expires_in %s)", ErrExpiredToken, strconv.FormatFloat(secs, 'g', 6, 64))
		}
		life := MaxLifetime
		if secs < MaxLifetime.Seconds() {
			life = time.Duration(secs * float64(time.Second))
		}
		exp = start.Add(life)
	}
	if jexp, ok := static.JWTExpiry(tk.AccessToken); ok {
		if !jexp.After(start) {
			return time.Time{}, fmt.Errorf("%w (its exp, %s, has passed; is this machine's clock right?)", ErrExpiredToken, jexp.UTC().Format(time.RFC3339))
		}
		if limit := start.Add(MaxLifetime); jexp.After(limit) {
			jexp = limit
		}
		if exp.IsZero() || jexp.Before(exp) {
			exp = jexp
		}
	}
	if exp.IsZero() {
		life := p.reg.Lifetime
		if life <= 0 {
			life = DefaultLifetime
		}
		exp = start.Add(life)
	}
	return exp, nil
}

// seconds reads expires_in as x/oauth2 keeps it: a float64 from JSON, an
// int64 or float64 from a form-encoded answer, or a string (some servers
// send "3600").
func seconds(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int64:
		f = float64(x)
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// detected remembers, per token URL and client id, the auth style that the
// endpoint accepted, for the rest of the process.
var detected sync.Map // string → oauth2.AuthStyle

// retrieve runs do, a token request, with the configured auth style, the
// one detected before, or, while detecting, each style in turn until the
// endpoint does not refuse the client's authentication.
func (p *Provider) retrieve(clientID, clientSecret string, do func(oauth2.AuthStyle) (*oauth2.Token, error)) (*oauth2.Token, error) {
	var styles []oauth2.AuthStyle
	key := p.reg.TokenURL + "\x00" + clientID
	switch p.reg.AuthStyle {
	case AuthStyleHeader:
		styles = []oauth2.AuthStyle{oauth2.AuthStyleInHeader}
	case AuthStyleParams:
		styles = []oauth2.AuthStyle{oauth2.AuthStyleInParams}
	default:
		if s, ok := detected.Load(key); ok {
			styles = []oauth2.AuthStyle{s.(oauth2.AuthStyle)}
		} else if clientSecret == "" {
			// A public client sends its id in the body (RFC 6749 §3.2.1).
			styles = []oauth2.AuthStyle{oauth2.AuthStyleInParams, oauth2.AuthStyleInHeader}
		} else {
			styles = []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams}
		}
	}
	for i, style := range styles {
		tk, err := do(style)
		if err == nil {
			if len(styles) > 1 {
				detected.Store(key, style)
			}
			return tk, nil
		}
		if i == len(styles)-1 || !refusedClient(err) {
			return nil, err
		}
	}
	panic("unreachable")
}

// refusedClient reports whether err is the endpoint refusing the client's
// authentication, which another auth style may pass: HTTP 401, or 400 with
// invalid_client or invalid_request (servers that want the secret in the
// body often say the client id is missing). Other failures (5xx, a
// timeout, invalid_grant) would fail the same way in either style.
func refusedClient(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return false
	}
	switch re.Response.StatusCode {
	case http.StatusUnauthorized:
		return true
	case http.StatusBadRequest:
		return re.ErrorCode == "invalid_client" || re.ErrorCode == "invalid_request"
	}
	return false
}

// rootKey is where root is stored: the store keys roots by ParseHost of the
// server URL the client stored them under.
func rootKey(host credentials.Host, root store.Entry) string {
	if h, err := credentials.ParseHost(root.ServerURL); err == nil {
		return h.Key()
	}
	return host.Registry()
}

func (p *Provider) refresh(ctx context.Context, host credentials.Host, root store.Entry) (*oauth2.Token, error) {
	reg := host.Registry()
	key := rootKey(host, root)
	if p.opts.Roots != nil {
		// Another process may have rotated the refresh token since our
		// caller read it; the stored one is the only one still valid.
		e, err := p.opts.Roots.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("oauth2: %s: no refresh token stored: %w", reg, provider.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("oauth2: %s: read the stored refresh token: %w", reg, err)
		}
		root = e
	}
	rr, isJSON := parseRefreshRoot(root.Secret)
	secrets := []string{root.Secret, rr.RefreshToken, rr.ClientSecret}
	if rr.RefreshToken == "" {
		return nil, fmt.Errorf("oauth2: %s: no refresh token stored: %w", reg, provider.ErrNotFound)
	}
	clientID := p.reg.ClientID
	if clientID == "" && root.Username != credentials.TokenUsername {
		clientID = root.Username
	}
	tk, err := p.retrieve(clientID, rr.ClientSecret, func(style oauth2.AuthStyle) (*oauth2.Token, error) {
		cfg := oauth2.Config{
			ClientID:     clientID,
			ClientSecret: rr.ClientSecret,
			Endpoint:     oauth2.Endpoint{TokenURL: p.reg.TokenURL, AuthStyle: style},
			Scopes:       p.reg.Scopes,
		}
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rr.RefreshToken}).Token()
	})
	if err != nil {
		return nil, p.describe(reg, err, secrets, "")
	}
	if tk.RefreshToken != "" && tk.RefreshToken != rr.RefreshToken {
		// Rotated: the old token is dead. Keep the new one before anything
		// uses the access token, so that a crash now costs one refresh, not
		// a re-login.
		if p.opts.Roots == nil {
			return nil, fmt.Errorf("oauth2: %s: the token endpoint rotated the refresh token and there is no store to keep it", reg)
		}
		newSecret := tk.RefreshToken
		if isJSON {
			rr.RefreshToken = tk.RefreshToken
			b, _ := json.Marshal(rr)
			newSecret = string(b)
		}
		root.Secret = newSecret
		if err := p.opts.Roots.Put(ctx, key, root); err != nil {
			return nil, fmt.Errorf("oauth2: %s: save the rotated refresh token: %w; run `docker-credential-mint login %s`", reg, err, reg)
		}
	}
	return tk, nil
}

// describe turns a token request's failure into one line that never holds
// a secret: the server's error code and description (secrets redacted),
// or the HTTP status, or the transport error with its URL redacted.
// source, for a keyless grant, names where the identity token came from.
func (p *Provider) describe(reg string, err error, secrets []string, source string) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("oauth2: %s: no answer from the token endpoint %s in time: %w", reg, safehttp.RedactString(p.reg.TokenURL), context.DeadlineExceeded)
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("oauth2: %s: token request: %s", reg, redact.String(credentials.OneLine(safehttp.Clean(err).Error()), secrets...))
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	// Only the endpoint's error and error_description are shown, never its
	// body, and the secrets are redacted from them in every encoding sent.
	what := shorten(redact.String(credentials.OneLine(re.ErrorCode), secrets...), maxErrorCode)
	if what == "" {
		what = fmt.Sprintf("HTTP %d", status)
	}
	if d := credentials.OneLine(re.ErrorDescription); d != "" {
		what += ": " + shorten(redact.String(d, secrets...), maxDescription)
	}
	switch {
	case source != "" && re.ErrorCode == "invalid_grant":
		return fmt.Errorf("oauth2: %s: the token endpoint refused the identity token from %s (%s); check its issuer, audience and expiry against what the endpoint trusts", reg, source, what)
	case source != "" && (re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" || (re.ErrorCode == "" && status == http.StatusUnauthorized)):
		return fmt.Errorf("oauth2: %s: the token endpoint refused the client (%s); check client_id and the grant the client may use", reg, what)
	case p.reg.Grant == credentials.GrantDeviceCode && (re.ErrorCode == "invalid_client" || re.ErrorCode == "invalid_grant" || re.ErrorCode == "unauthorized_client" ||
		re.ErrorCode == "" && status == http.StatusUnauthorized):
		return fmt.Errorf("oauth2: %s: the token endpoint refused the stored refresh token (%s); run `docker-credential-mint login --device %s`", reg, what, reg)
	case re.ErrorCode == "invalid_client", re.ErrorCode == "invalid_grant", re.ErrorCode == "unauthorized_client",
		re.ErrorCode == "" && status == http.StatusUnauthorized:
		return fmt.Errorf("oauth2: %s: the token endpoint refused the stored credential (%s); run `docker login %s` or `docker-credential-mint login %s`", reg, what, reg, reg)
	}
	return fmt.Errorf("oauth2: %s: the token endpoint failed (%s)", reg, what)
}

// shorten cuts s to at most n bytes, on a rune boundary, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// Token types and grant types of the keyless grants.
const (
	grantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange" // RFC 8693 §2.1
	grantTypeJWTBearer     = "urn:ietf:params:oauth:grant-type:jwt-bearer"     // RFC 7523 §2.1
	tokenTypeJWT           = "urn:ietf:params:oauth:token-type:jwt"            // RFC 8693 §3
	tokenTypeAccessToken   = "urn:ietf:params:oauth:token-type:access_token"   // RFC 8693 §3
)

// exchange runs a keyless grant: it fetches the identity token and
// presents it (RFC 8693 subject_token or RFC 7523 assertion). root, when
// stored, holds the client secret.
func (p *Provider) exchange(ctx context.Context, reg string, root *store.Entry) (*oauth2.Token, error) {
	subject, err := p.identity.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth2: %s: %w", reg, err)
	}
	params := url.Values{}
	if p.reg.Grant == credentials.GrantTokenExchange {
		params.Set("grant_type", grantTypeTokenExchange)
		params.Set("subject_token", subject)
		params.Set("subject_token_type", tokenTypeJWT)
		params.Set("requested_token_type", tokenTypeAccessToken)
	} else {
		params.Set("grant_type", grantTypeJWTBearer)
		params.Set("assertion", subject)
	}
	if p.reg.Audience != "" {
		params.Set("audience", p.reg.Audience)
	}
	clientID, secret := p.reg.ClientID, ""
	if root != nil {
		secret = root.Secret
		if clientID == "" && root.Username != credentials.TokenUsername {
			clientID = root.Username
		}
	}
	do := func(style oauth2.AuthStyle) (*oauth2.Token, error) {
		cc := clientcredentials.Config{
			ClientID:       clientID,
			ClientSecret:   secret,
			TokenURL:       p.reg.TokenURL,
			Scopes:         p.reg.Scopes,
			EndpointParams: params, // grant_type overrides client_credentials
			AuthStyle:      style,
		}
		return cc.Token(ctx)
	}
	var tk *oauth2.Token
	if secret == "" {
		// No client secret: the client id, if any, identifies a public
		// client in the body (RFC 6749 §3.2.1); nothing to detect.
		tk, err = do(oauth2.AuthStyleInParams)
	} else {
		tk, err = p.retrieve(clientID, secret, do)
	}
	if err != nil {
		return nil, p.describe(reg, err, []string{subject, secret}, "identity source "+p.reg.Identity.Source)
	}
	return tk, nil
}
