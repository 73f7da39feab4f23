// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package oauth2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/redact"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/safehttp"
	"github.com/docker-credential-mint/mint/store"
)

// This file is the device authorization grant (RFC 8628) of grant
// device_code, which only `login --device` runs: get mints with the
// refresh token it stores, through the refresh token grant.
//
// The device authorization request is x/oauth2's Config.DeviceAuth. The
// polling is this package's own rather than Config.DeviceAccessToken,
// which implements the same rules: its wait is a real ticker that tests
// cannot stand in for (a slow_down costs a test five real seconds), and it
// lets a transport error end a wait of many minutes that one retry would
// have saved.

// Polling rules of RFC 8628 §3.5.
const (
	// DefaultDeviceInterval is the wait between two polls when the server
	// gives no interval: "clients MUST use 5 as the default".
	DefaultDeviceInterval = 5 * time.Second
	// slowDownStep is what each slow_down adds to the interval ("the
	// interval MUST be increased by 5 seconds for this and all subsequent
	// requests").
	slowDownStep = 5 * time.Second
	// MaxDeviceWait bounds the wait for an approval when the server gives
	// no expires_in (which RFC 8628 makes required).
	MaxDeviceWait = 30 * time.Minute
	// maxPollFailures is how many polls in a row may fail to reach the
	// token endpoint (a timeout, HTTP 5xx) before the wait ends; each one
	// doubles the interval, as §3.5 asks of a client whose poll timed out.
	maxPollFailures = 3
)

// Errors of a device authorization that ends without tokens.
var (
	// ErrDeviceExpired is wrapped when the codes expire before the user
	// approves (expired_token, or the deadline of expires_in passes).
	ErrDeviceExpired = errors.New("the code expired before it was approved")
	// ErrDeviceDenied is wrapped when the user (or the server) denies the
	// request (access_denied).
	ErrDeviceDenied = errors.New("the request was denied")
)

// DeviceAuth is a pending device authorization (RFC 8628 §3.2): what to
// show the user, and the device code, which is a secret and so kept where
// nothing prints it.
type DeviceAuth struct {
	// UserCode is the code the user enters; not a secret (it is shown).
	UserCode string
	// VerificationURI is where the user enters it.
	VerificationURI string
	// VerificationURIComplete, when the server gives one, is a URI that
	// carries the user code, for a link or a QR code.
	VerificationURIComplete string
	// Expiry is when the codes stop working; zero when the server did not
	// say.
	Expiry time.Time
	// Interval is the wait between polls the server asks for; zero: the
	// default (DefaultDeviceInterval).
	Interval time.Duration

	deviceCode string
}

// String describes d without its device code.
func (d DeviceAuth) String() string {
	return fmt.Sprintf("user code %s at %s (expires %s)", d.UserCode, d.VerificationURI, d.Expiry.UTC().Format(time.RFC3339))
}

// GoString is String: %#v must not show the device code either.
func (d DeviceAuth) GoString() string { return d.String() }

// deviceGrantType is RFC 8628 §3.4's grant_type.
const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// requestContext is ctx bounded by the entry's timeout for one request,
// carrying the provider's HTTP client for x/oauth2.
func (p *Provider) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	timeout := p.reg.Timeout
	if timeout <= 0 {
		timeout = safehttp.DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return context.WithValue(ctx, oauth2.HTTPClient, p.client), cancel
}

// StartDevice sends the device authorization request (RFC 8628 §3.1) for
// host's entry, whose grant must be device_code: the config's client_id
// (a public client, in the form body) and scopes.
func (p *Provider) StartDevice(ctx context.Context, host credentials.Host) (*DeviceAuth, error) {
	reg := host.Registry()
	if p.reg.Grant != credentials.GrantDeviceCode {
		return nil, fmt.Errorf("oauth2: %s: the entry's grant is %s, not device_code", reg, p.reg.Grant)
	}
	rctx, cancel := p.requestContext(ctx)
	defer cancel()
	cfg := oauth2.Config{
		ClientID: p.reg.ClientID,
		Endpoint: oauth2.Endpoint{DeviceAuthURL: p.reg.DeviceAuthURL, TokenURL: p.reg.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   p.reg.Scopes,
	}
	r, err := cfg.DeviceAuth(rctx)
	if err != nil {
		return nil, p.describeDeviceAuth(reg, err)
	}
	switch {
	case r.DeviceCode == "":
		return nil, fmt.Errorf("oauth2: %s: the device authorization endpoint returned no device_code", reg)
	case r.UserCode == "" || r.VerificationURI == "":
		return nil, fmt.Errorf("oauth2: %s: the device authorization endpoint returned no user_code or verification_uri", reg)
	}
	da := &DeviceAuth{
		UserCode:                r.UserCode,
		VerificationURI:         r.VerificationURI,
		VerificationURIComplete: r.VerificationURIComplete,
		Expiry:                  r.Expiry,
		deviceCode:              r.DeviceCode,
	}
	if r.Interval > 0 && r.Interval < int64(MaxDeviceWait/time.Second) {
		da.Interval = time.Duration(r.Interval) * time.Second
	}
	return da, nil
}

// describeDeviceAuth turns a failed device authorization request into one
// line: the endpoint's error code and description, or the HTTP status, or
// the transport error with its URL redacted.
func (p *Provider) describeDeviceAuth(reg string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("oauth2: %s: no answer from the device authorization endpoint %s in time: %w", reg, safehttp.RedactString(p.reg.DeviceAuthURL), context.DeadlineExceeded)
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("oauth2: %s: device authorization request: %s", reg, credentials.OneLine(safehttp.Clean(err).Error()))
	}
	what := shorten(credentials.OneLine(re.ErrorCode), maxErrorCode)
	if what == "" && re.Response != nil {
		what = fmt.Sprintf("HTTP %d", re.Response.StatusCode)
	}
	if d := credentials.OneLine(re.ErrorDescription); d != "" {
		what += ": " + shorten(d, maxDescription)
	}
	if re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" || re.ErrorCode == "invalid_scope" {
		return fmt.Errorf("oauth2: %s: the device authorization endpoint refused the request (%s); check client_id, scopes and that the client may use the device grant", reg, what)
	}
	return fmt.Errorf("oauth2: %s: the device authorization endpoint failed (%s)", reg, what)
}

// PollDevice polls the token endpoint (RFC 8628 §3.4) until the user
// approves da, honouring the server's interval and its slow_down (5 s more
// each time), and returns the access token and the root credential to
// store: Username "<token>" and the refresh token as Secret (the client id
// stays in the config), which get then refreshes as grant refresh_token
// does. It gives up when the codes expire (ErrDeviceExpired), when the
// request is denied (ErrDeviceDenied), on any other error from the
// endpoint, and when ctx is done (Ctrl-C): that error wraps ctx's. An
// answer without a refresh token is an error: without one, get could not
// mint once the access token expires. Neither the device code nor a token
// is ever in an error.
func (p *Provider) PollDevice(ctx context.Context, host credentials.Host, da *DeviceAuth) (*provider.Token, store.Entry, error) {
	reg := host.Registry()
	deadline := da.Expiry
	if deadline.IsZero() {
		deadline = time.Now().Add(MaxDeviceWait)
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	interval := da.Interval
	if interval <= 0 {
		interval = DefaultDeviceInterval
	}
	wait := p.opts.Sleep
	if wait == nil {
		wait = sleep
	}
	expired := func() error {
		return fmt.Errorf("oauth2: %s: %w (user code %s); run `docker-credential-mint login --device %s` again", reg, ErrDeviceExpired, da.UserCode, reg)
	}
	failures := 0
	for {
		if err := wait(ctx, interval); err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && !time.Now().Before(deadline) {
				return nil, store.Entry{}, expired()
			}
			return nil, store.Entry{}, fmt.Errorf("oauth2: %s: stopped waiting for the approval: %w", reg, err)
		}
		start := p.opts.Now()
		tk, err := p.pollOnce(ctx, da)
		if err == nil {
			return p.deviceTokens(reg, tk, start)
		}
		var re *oauth2.RetrieveError
		code := ""
		if errors.As(err, &re) {
			code = re.ErrorCode
		}
		switch {
		case code == "authorization_pending":
			failures = 0
			continue
		case code == "slow_down":
			failures = 0
			interval += slowDownStep
			continue
		case code == "expired_token":
			return nil, store.Entry{}, expired()
		case code == "access_denied":
			return nil, store.Entry{}, fmt.Errorf("oauth2: %s: %w (user code %s)", reg, ErrDeviceDenied, da.UserCode)
		case ctx.Err() != nil:
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, store.Entry{}, expired()
			}
			return nil, store.Entry{}, fmt.Errorf("oauth2: %s: stopped waiting for the approval: %w", reg, ctx.Err())
		case code == "" && transient(err) && failures+1 < maxPollFailures:
			failures++
			interval *= 2
			continue
		}
		if code != "" {
			what := shorten(redact.String(credentials.OneLine(code), da.deviceCode), maxErrorCode)
			if d := credentials.OneLine(re.ErrorDescription); d != "" {
				what += ": " + shorten(redact.String(d, da.deviceCode), maxDescription)
			}
			return nil, store.Entry{}, fmt.Errorf("oauth2: %s: the token endpoint refused the device code (%s); run `docker-credential-mint login --device %s` again", reg, what, reg)
		}
		return nil, store.Entry{}, p.describe(reg, err, []string{da.deviceCode}, "")
	}
}

// transient reports whether a failed poll may succeed later: the
// endpoint did not answer, or answered HTTP 5xx.
func transient(err error) bool {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.Response != nil && re.Response.StatusCode >= http.StatusInternalServerError
	}
	return true
}

// pollOnce sends one device access token request (RFC 8628 §3.4).
func (p *Provider) pollOnce(ctx context.Context, da *DeviceAuth) (*oauth2.Token, error) {
	rctx, cancel := p.requestContext(ctx)
	defer cancel()
	cc := clientcredentials.Config{
		ClientID:       p.reg.ClientID,
		TokenURL:       p.reg.TokenURL,
		EndpointParams: url.Values{"grant_type": {deviceGrantType}, "device_code": {da.deviceCode}}, // grant_type overrides client_credentials
		AuthStyle:      oauth2.AuthStyleInParams,                                                    // a public client: its id in the body
	}
	return cc.Token(rctx)
}

// deviceTokens checks an approved device authorization's answer and
// returns the access token and the root credential.
func (p *Provider) deviceTokens(reg string, tk *oauth2.Token, start time.Time) (*provider.Token, store.Entry, error) {
	if tk.AccessToken == "" {
		return nil, store.Entry{}, fmt.Errorf("oauth2: %s: token endpoint returned no access_token", reg)
	}
	if tk.RefreshToken == "" {
		return nil, store.Entry{}, fmt.Errorf("oauth2: %s: the approval gave no refresh token, so get could not mint once the access token expires; ask for the scope the identity provider wants for one (often offline_access) in the entry's scopes, and allow the client the refresh_token grant", reg)
	}
	exp, err := p.expiry(tk, start)
	if err != nil {
		return nil, store.Entry{}, fmt.Errorf("oauth2: %s: %w", reg, err)
	}
	return &provider.Token{Username: p.reg.Username, Secret: tk.AccessToken, Expiry: exp},
		store.Entry{Username: credentials.TokenUsername, Secret: tk.RefreshToken}, nil
}
