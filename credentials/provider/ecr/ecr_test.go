// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/store"
)

// fixedAPI is a fake ECR answering one token and expiry, recording the
// targets it was made for.
type fixedAPI struct {
	token   string
	expires time.Time
	err     error
	calls   atomic.Int32
	targets []Target
}

func (f *fixedAPI) newAPI(_ context.Context, t Target) (API, error) {
	f.targets = append(f.targets, t)
	return APIFunc(func(context.Context) (string, time.Time, error) {
		f.calls.Add(1)
		return f.token, f.expires, f.err
	}), nil
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func host(t *testing.T, s string) credentials.Host {
	t.Helper()
	h, err := credentials.ParseHost(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var t0 = time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)

func TestProvider_Token(t *testing.T) {
	api := &fixedAPI{token: b64("AWS:pass:with:colons"), expires: t0.Add(12 * time.Hour)}
	p := New(credentials.Registry{Provider: credentials.ProviderECR}, Options{NewAPI: api.newAPI, Now: func() time.Time { return t0 }})
	tok, err := p.Token(context.Background(), host(t, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "AWS" || tok.Secret != "pass:with:colons" || !tok.Expiry.Equal(t0.Add(12*time.Hour)) {
		t.Errorf("Token = %+v", tok)
	}
	if want := (Target{Region: "eu-west-1"}); len(api.targets) != 1 || api.targets[0] != want {
		t.Errorf("targets = %+v, want %+v", api.targets, want)
	}
}

// TestProvider_TargetOf: the region and endpoint kind asked for each host,
// and the entry's aws_region override (not for ECR Public).
func TestProvider_TargetOf(t *testing.T) {
	plain := New(credentials.Registry{}, Options{})
	override := New(credentials.Registry{AWSRegion: "us-west-2"}, Options{})
	for _, tc := range []struct {
		p    *Provider
		host string
		want Target
		ok   bool
	}{
		{plain, "123456789012.dkr.ecr.us-east-1.amazonaws.com", Target{Region: "us-east-1"}, true},
		{plain, "123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com", Target{Region: "us-gov-east-1", FIPS: true}, true},
		{plain, "123456789012.dkr-ecr.ap-south-1.on.aws", Target{Region: "ap-south-1"}, true},
		{plain, "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", Target{Region: "cn-north-1"}, true},
		{plain, "public.ecr.aws/acme/app", Target{Region: "us-east-1", Public: true}, true},
		{override, "123456789012.dkr.ecr.us-east-1.amazonaws.com", Target{Region: "us-west-2"}, true},
		{override, "public.ecr.aws", Target{Region: "us-east-1", Public: true}, true},
		{plain, "quay.io", Target{}, false},
		{plain, "public.ecr.aws:5000", Target{}, false},
	} {
		got, ok := tc.p.TargetOf(host(t, tc.host))
		if got != tc.want || ok != tc.ok {
			t.Errorf("TargetOf(%q) = %+v, %v; want %+v, %v", tc.host, got, ok, tc.want, tc.ok)
		}
	}
}

// TestProvider_Token_notECR: a host that is no ECR registry is not found,
// and ECR is not asked.
func TestProvider_Token_notECR(t *testing.T) {
	api := &fixedAPI{token: b64("AWS:x")}
	p := New(credentials.Registry{}, Options{NewAPI: api.newAPI})
	if _, err := p.Token(context.Background(), host(t, "quay.io"), nil); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Token(quay.io) = %v, want not found", err)
	}
	if api.calls.Load() != 0 {
		t.Error("ECR was asked")
	}
}

// TestProvider_Token_expiry: the API's expiry, capped at MaxLifetime after
// the mint started (cap vs cap+1ns); no expiry means MaxLifetime.
func TestProvider_Token_expiry(t *testing.T) {
	for name, tc := range map[string]struct{ expires, want time.Time }{
		"api":          {t0.Add(time.Hour), t0.Add(time.Hour)},
		"cap":          {t0.Add(MaxLifetime), t0.Add(MaxLifetime)},
		"cap+1ns":      {t0.Add(MaxLifetime + 1), t0.Add(MaxLifetime)},
		"far":          {t0.AddDate(10, 0, 0), t0.Add(MaxLifetime)},
		"none":         {time.Time{}, t0.Add(MaxLifetime)},
		"moto's 2015":  {time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)},
		"at the start": {t0, t0},
	} {
		api := &fixedAPI{token: b64("AWS:pw"), expires: tc.expires}
		p := New(credentials.Registry{}, Options{NewAPI: api.newAPI, Now: func() time.Time { return t0 }})
		tok, err := p.Token(context.Background(), host(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com"), nil)
		if err != nil || !tok.Expiry.Equal(tc.want) {
			t.Errorf("%s: Token = %+v, %v; want expiry %v", name, tok, err, tc.want)
		}
	}
}

// TestProvider_Token_expiredAtMint: a token that has expired when minted
// (moto's 2015 expiresAt) is answered, but the cache does not keep it: the
// next get asks ECR again instead of serving it as fresh.
func TestProvider_Token_expiredAtMint(t *testing.T) {
	api := &fixedAPI{token: b64("AWS:pw"), expires: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)}
	now := func() time.Time { return t0 }
	c := provider.Cached(New(credentials.Registry{}, Options{NewAPI: api.newAPI, Now: now}), store.NewMemory(), provider.CacheOptions{LockDir: t.TempDir(), Now: now})
	h := host(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com")
	for range 2 {
		if tok, err := c.Token(context.Background(), h, nil); err != nil || tok.Secret != "pw" {
			t.Fatalf("Token = %+v, %v", tok, err)
		}
	}
	if n := api.calls.Load(); n != 2 {
		t.Errorf("ECR asked %d times, want 2 (an expired token is never fresh)", n)
	}
	if _, ok := c.Fresh(context.Background(), h); ok {
		t.Error("Fresh serves a token that expired when minted")
	}
}

// TestProvider_Token_cached: a 12 h token is minted once and then served
// from the cache until its refresh margin.
func TestProvider_Token_cached(t *testing.T) {
	api := &fixedAPI{token: b64("AWS:pw"), expires: t0.Add(12 * time.Hour)}
	clock := t0
	now := func() time.Time { return clock }
	c := provider.Cached(New(credentials.Registry{}, Options{NewAPI: api.newAPI, Now: now}), store.NewMemory(), provider.CacheOptions{LockDir: t.TempDir(), Now: now})
	h := host(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com")
	for _, step := range []struct {
		at    time.Duration
		calls int32
	}{{0, 1}, {time.Hour, 1}, {12*time.Hour - 5*time.Minute - 1, 1}, {12*time.Hour - 5*time.Minute, 2}} {
		clock = t0.Add(step.at)
		if _, err := c.Token(context.Background(), h, nil); err != nil {
			t.Fatal(err)
		}
		if n := api.calls.Load(); n != step.calls {
			t.Errorf("at +%v: ECR asked %d times, want %d", step.at, n, step.calls)
		}
	}
}

// TestProvider_Token_errors: every failure is one line naming the registry
// and never holding the token.
func TestProvider_Token_errors(t *testing.T) {
	h := host(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com")
	apiErr := errors.New("operation error ECR: GetAuthorizationToken, https response error StatusCode: 400\nAccessDeniedException: not authorized")
	for name, tc := range map[string]struct {
		api  *fixedAPI
		want string
	}{
		"api":      {&fixedAPI{err: apiErr}, "ecr: 123456789012.dkr.ecr.us-east-1.amazonaws.com: GetAuthorizationToken: operation error ECR: GetAuthorizationToken, https response error StatusCode: 400 AccessDeniedException: not authorized"},
		"empty":    {&fixedAPI{}, "ecr: 123456789012.dkr.ecr.us-east-1.amazonaws.com: the authorization token is empty"},
		"base64":   {&fixedAPI{token: "AWS:sekrit-token!"}, "ecr: 123456789012.dkr.ecr.us-east-1.amazonaws.com: the authorization token is not base64"},
		"no colon": {&fixedAPI{token: b64("sekrit-token")}, "ecr: 123456789012.dkr.ecr.us-east-1.amazonaws.com: the authorization token is not user:password"},
		"no pass":  {&fixedAPI{token: b64("AWS:")}, "ecr: 123456789012.dkr.ecr.us-east-1.amazonaws.com: the authorization token is not user:password"},
		"bad user": {&fixedAPI{token: b64("root:sekrit-token")}, "ecr: 123456789012.dkr.ecr.us-east-1.amazonaws.com: the authorization token's user is not AWS"},
	} {
		p := New(credentials.Registry{}, Options{NewAPI: tc.api.newAPI})
		_, err := p.Token(context.Background(), h, nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: Token = %v\nwant %s", name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "sekrit") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %q holds the token or a newline", name, err)
		}
	}
	p := New(credentials.Registry{}, Options{NewAPI: (&fixedAPI{err: apiErr}).newAPI})
	if _, err := p.Token(context.Background(), h, nil); !errors.Is(err, apiErr) {
		t.Errorf("Token = %v, does not wrap the API's error", err)
	}
	p = New(credentials.Registry{}, Options{NewAPI: func(context.Context, Target) (API, error) { return nil, errors.New("load AWS config: bad profile") }})
	if _, err := p.Token(context.Background(), host(t, "public.ecr.aws"), nil); err == nil || err.Error() != "ecr: public.ecr.aws: ECR Public GetAuthorizationToken: load AWS config: bad profile" {
		t.Errorf("Token(public) = %v", err)
	}
}

// TestProvider_Token_timeout: the entry's timeout bounds the mint.
func TestProvider_Token_timeout(t *testing.T) {
	p := New(credentials.Registry{Timeout: time.Millisecond}, Options{NewAPI: func(ctx context.Context, _ Target) (API, error) {
		return APIFunc(func(ctx context.Context) (string, time.Time, error) {
			<-ctx.Done()
			return "", time.Time{}, ctx.Err()
		}), nil
	}})
	_, err := p.Token(context.Background(), host(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com"), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Token = %v, want a deadline error", err)
	}
}

// TestProvider_Token_staleServed: when ECR fails inside the refresh margin,
// the cached token is served with one warning until it expires; after
// that, ECR's error.
func TestProvider_Token_staleServed(t *testing.T) {
	api := &fixedAPI{token: b64("AWS:pw"), expires: t0.Add(12 * time.Hour)}
	clock := t0
	now := func() time.Time { return clock }
	var warnings []string
	c := provider.Cached(New(credentials.Registry{}, Options{NewAPI: api.newAPI, Now: now}), store.NewMemory(),
		provider.CacheOptions{LockDir: t.TempDir(), Now: now, Warn: func(s string) { warnings = append(warnings, s) }})
	h := host(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com")
	if _, err := c.Token(context.Background(), h, nil); err != nil {
		t.Fatal(err)
	}
	api.err = errors.New("ECR is down")
	clock = t0.Add(12*time.Hour - time.Minute)
	if tok, err := c.Token(context.Background(), h, nil); err != nil || tok.Secret != "pw" {
		t.Errorf("Token inside the margin = %+v, %v; want the cached token", tok, err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "ECR is down") || strings.Contains(warnings[0], "pw\"") {
		t.Errorf("warnings = %q", warnings)
	}
	clock = t0.Add(12 * time.Hour)
	if _, err := c.Token(context.Background(), h, nil); err == nil || !strings.Contains(err.Error(), "ECR is down") {
		t.Errorf("Token after expiry = %v, want ECR's error", err)
	}
}
