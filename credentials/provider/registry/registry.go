// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package registry is the config's registry provider: it trades the stored
// username and password for an identity token from the registry's own token
// service (distribution's token authentication, docs/spec/auth/token.md and
// oauth.md), so that clients get a refresh token, never the password. The
// password goes only to the registry's token realm, as docker login sends
// it, each time an identity token is minted.
//
// The flow, as docker login does it: GET /v2/ without credentials; the 401's
// WWW-Authenticate Bearer challenge names the realm and service; GET the
// realm with service, offline_token=true and client_id, with Basic auth; if
// that gives no refresh_token, POST grant_type=password with
// access_type=offline. get then answers {"Username":"<token>","Secret":<the
// refresh token>}, and the client trades it for access tokens itself.
//
// Expiry. Distribution's refresh tokens carry no expiry and never expire,
// but a token service may forget them (distribution's token-server keeps
// them in memory) or revoke them. An identity token is therefore cached for
// the entry's lifetime, DefaultLifetime unless configured, and then minted
// anew with one password exchange: a forgotten refresh token heals within a
// day instead of failing until the next docker login, at the cost of one
// request a day.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/redact"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/safehttp"
	"github.com/docker-credential-mint/mint/store"
)

// DefaultLifetime is how long an identity token is cached when the config
// gives no lifetime; see the package comment.
const DefaultLifetime = 24 * time.Hour

// ClientID is the client_id sent to token services (oauth.md requires one).
const ClientID = "docker-credential-mint"

// maxBody bounds a token response; they are a few kilobytes.
const maxBody = 1 << 20

// dockerHubRegistry is where Docker Hub's registry API lives.
const dockerHubRegistry = "registry-1.docker.io"

// Options are the seams of New.
type Options struct {
	// Transport carries the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Provider mints identity tokens for one registry entry of the config.
type Provider struct {
	reg    credentials.Registry
	opts   Options
	client *http.Client
	// strict is client without insecure, for a realm on another host.
	strict *http.Client
}

var _ provider.Provider = (*Provider)(nil)

// New returns the Provider for reg, a registry entry of the config.
func New(reg credentials.Registry, opts Options) *Provider {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if reg.Lifetime <= 0 {
		reg.Lifetime = DefaultLifetime
	}
	return &Provider{reg: reg, opts: opts, client: safehttp.Client(opts.Transport, reg.Timeout, reg.Insecure),
		strict: safehttp.Client(opts.Transport, reg.Timeout, false)}
}

// Token exchanges root's username and password for an identity token. A
// root that already is an identity token (Username "<token>", as docker
// login stores one) is answered as it is. It returns an error wrapping
// provider.ErrNotFound when no root is stored, and otherwise one line
// naming the registry and, where the stored password was refused, the fix.
// Safe for concurrent use.
func (p *Provider) Token(ctx context.Context, host credentials.Host, root *store.Entry) (*provider.Token, error) {
	reg := host.Registry()
	if root == nil {
		return nil, fmt.Errorf("registry: %s: no username and password stored: %w", reg, provider.ErrNotFound)
	}
	start := p.opts.Now()
	if root.Username == credentials.TokenUsername {
		return &provider.Token{Username: credentials.TokenUsername, Secret: root.Secret, Expiry: start.Add(p.reg.Lifetime)}, nil
	}
	timeout := p.reg.Timeout
	if timeout <= 0 {
		timeout = safehttp.DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	realm, service, err := p.challenge(ctx, host)
	if err != nil {
		return nil, p.wrap(reg, err, root.Secret)
	}
	rt, err := p.offlineToken(ctx, p.realmClient(realm, host), reg, realm, service, *root)
	if err != nil {
		return nil, p.wrap(reg, err, root.Secret)
	}
	return &provider.Token{Username: credentials.TokenUsername, Secret: rt, Expiry: start.Add(p.reg.Lifetime)}, nil
}

// wrap puts err on one line with the registry, never a secret: the
// password is redacted in each encoding it is sent in (Basic auth, a form
// body) or that a URL in the message may hold.
func (p *Provider) wrap(reg string, err error, secret string) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("registry: %s: no answer in time: %w", reg, context.DeadlineExceeded)
	}
	return fmt.Errorf("registry: %s: %s", reg, redact.String(credentials.OneLine(safehttp.Clean(err).Error()), secret))
}

// challenge does GET /v2/ and returns the Bearer challenge's realm and
// service. Loopback registries (and insecure ones) are tried over https
// first and then over plain http, as Docker does.
func (p *Provider) challenge(ctx context.Context, host credentials.Host) (*url.URL, string, error) {
	authority := host.Registry()
	if authority == credentials.DockerHub {
		authority = dockerHubRegistry
	}
	resp, err := p.get(ctx, "https://"+authority+"/v2/")
	if err != nil && ctx.Err() == nil && (p.reg.Insecure || credentials.IsLoopback(strings.Trim(host.Name, "[]"))) {
		resp, err = p.get(ctx, "http://"+authority+"/v2/")
	}
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	switch resp.StatusCode {
	case http.StatusUnauthorized:
	case http.StatusOK:
		return nil, "", errors.New("the registry requires no authentication; no identity token to mint")
	default:
		return nil, "", fmt.Errorf("GET /v2/ answered HTTP %d, want 401 with a Bearer challenge", resp.StatusCode)
	}
	for _, h := range resp.Header.Values("WWW-Authenticate") {
		scheme, params := parseChallenge(h)
		if !strings.EqualFold(scheme, "bearer") {
			continue
		}
		realm, err := url.Parse(params["realm"])
		if err != nil || realm.Host == "" || (realm.Scheme != "https" && realm.Scheme != "http") {
			return nil, "", errors.New("the Bearer challenge has no usable realm")
		}
		if err := safehttp.CheckURL(realm, p.realmInsecure(realm, host)); err != nil {
			if p.reg.Insecure && errors.Is(err, safehttp.ErrInsecure) {
				return nil, "", fmt.Errorf("token realm %s is plain http on another host (insecure: true covers the registry's own host only)", safehttp.Redact(realm))
			}
			return nil, "", fmt.Errorf("token realm %w", err)
		}
		return realm, params["service"], nil
	}
	return nil, "", errors.New("the registry offers no token service (no Bearer challenge; it may use basic auth: use provider static)")
}

// realmInsecure reports whether plain http is allowed to realm. The
// config's insecure covers the registry's own host only: a realm on
// another host, which receives the password, must be https or loopback
// (checked when dialled) however the registry is configured.
func (p *Provider) realmInsecure(realm *url.URL, host credentials.Host) bool {
	return p.reg.Insecure && strings.EqualFold(realm.Hostname(), strings.Trim(host.Name, "[]"))
}

// realmClient returns the client for requests to realm (realmInsecure).
func (p *Provider) realmClient(realm *url.URL, host credentials.Host) *http.Client {
	if p.realmInsecure(realm, host) {
		return p.client
	}
	return p.strict
}

func (p *Provider) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return p.client.Do(req)
}

// tokenResponse is the token service's answer (token.md, oauth.md).
type tokenResponse struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// offlineToken asks the realm for a refresh token: GET with offline_token,
// then POST grant_type=password.
func (p *Provider) offlineToken(ctx context.Context, c *http.Client, reg string, realm *url.URL, service string, root store.Entry) (string, error) {
	u := *realm
	q := u.Query()
	if service != "" {
		q.Set("service", service)
	}
	q.Set("offline_token", "true")
	q.Set("client_id", ClientID)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(root.Username, root.Secret)
	tr, err := tokenRequest(c, req, reg)
	if err != nil {
		return "", err
	}
	if tr.RefreshToken != "" {
		return tr.RefreshToken, nil
	}

	form := url.Values{
		"grant_type":  {"password"},
		"username":    {root.Username},
		"password":    {root.Secret},
		"client_id":   {ClientID},
		"access_type": {"offline"},
	}
	if service != "" {
		form.Set("service", service)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, realm.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tr, err = tokenRequest(c, req, reg)
	if err != nil {
		var se *statusError
		if errors.As(err, &se) && (se.status == http.StatusNotFound || se.status == http.StatusBadRequest || se.status == http.StatusMethodNotAllowed) {
			return "", errors.New("the token service issues no refresh token (neither offline_token nor grant_type=password): use provider static")
		}
		return "", err
	}
	if tr.RefreshToken == "" {
		return "", errors.New("the token service issued no refresh token: use provider static")
	}
	return tr.RefreshToken, nil
}

type statusError struct {
	method string
	status int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("token service answered %s with HTTP %d", e.method, e.status)
}

func tokenRequest(c *http.Client, req *http.Request, reg string) (*tokenResponse, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("the token service refused the stored username and password (HTTP %d); run `docker login %s`", resp.StatusCode, reg)
	case resp.StatusCode != http.StatusOK:
		return nil, &statusError{method: req.Method, status: resp.StatusCode}
	}
	var tr tokenResponse
	if json.Unmarshal(body, &tr) != nil {
		return nil, errors.New("the token service's answer is not JSON")
	}
	return &tr, nil
}

// parseChallenge parses one WWW-Authenticate value (RFC 7235 §4.1):
// `Bearer realm="…",service="…"`. Parameter names are lower-cased.
func parseChallenge(h string) (scheme string, params map[string]string) {
	h = strings.TrimSpace(h)
	scheme, rest, _ := strings.Cut(h, " ")
	params = map[string]string{}
	for {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			return scheme, params
		}
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			return scheme, params
		}
		name = strings.ToLower(strings.TrimSpace(name))
		after = strings.TrimLeft(after, " \t")
		var value string
		if strings.HasPrefix(after, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(after); i++ {
				c := after[i]
				if c == '\\' && i+1 < len(after) {
					i++
					b.WriteByte(after[i])
					continue
				}
				if c == '"' {
					break
				}
				b.WriteByte(c)
			}
			value = b.String()
			if i < len(after) {
				i++
			}
			rest = after[i:]
		} else {
			end := strings.IndexAny(after, ", \t")
			if end < 0 {
				end = len(after)
			}
			value, rest = after[:end], after[end:]
		}
		params[name] = value
	}
}
