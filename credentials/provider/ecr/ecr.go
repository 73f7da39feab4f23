// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package ecr is the provider of Amazon ECR registries: for a host
// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn] (or the dual-stack
// <account>.dkr-ecr.<region>.on.aws) it asks ECR's GetAuthorizationToken in
// that region, and for public.ecr.aws ECR Public's in us-east-1, with the
// credentials that aws-sdk-go-v2's default chain finds (environment, shared
// config and credentials files with profiles, SSO, assume role, web
// identity, ECS and EC2 metadata). The answer is the registry password
// the token holds ("AWS:<password>"), with the expiry the API gives.
//
// Keyless: an entry with an identity block (and aws_role_arn) does not use
// the default chain's credentials: the identity token (package identity:
// GitHub Actions, GitLab, a projected service-account token, a file, a
// command, the kubelet's request) is handed to STS
// AssumeRoleWithWebIdentity for the role, through the SDK's
// stscreds.WebIdentityRoleProvider, fetched afresh at each mint.
//
// The SDK is linked by the full build only (package builtin); the
// protocol binary serves the cached tokens without it. The one call is
// made with the SDK's configuration, credentials, retryer and signer but
// not its ECR and ECR Public clients (api.go), whose package
// initialisation every start of the full build would pay.
package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/identity"
	"github.com/docker-credential-mint/mint/store"
)

// Username is the registry username of every ECR token.
const Username = "AWS"

// PublicRegion is where ECR Public's API lives, whatever the caller's region.
const PublicRegion = "us-east-1"

// MaxLifetime caps a token's expiry: ECR's tokens live 12 hours, and an
// expiry further out (a stand-in's, a skewed clock's) is not believed.
const MaxLifetime = 12 * time.Hour

// DefaultTimeout bounds one mint (credential chain and API call) when the
// entry sets no timeout: an assumed role is two calls, each with the SDK's
// retries, and the helper's whole invocation has 30 s.
const DefaultTimeout = 20 * time.Second

// Target is what one mint asks for.
type Target struct {
	// Region is the region to ask (the host's, or the entry's aws_region).
	Region string
	// FIPS asks the region's FIPS endpoint.
	FIPS bool
	// Public asks ECR Public instead of ECR.
	Public bool
}

// API is the one call this provider makes, ECR's or ECR Public's
// GetAuthorizationToken, reduced to what it needs: the raw base64
// "AWS:<password>" token and its expiry. It is the seam tests fake
// (amazon-ecr-credential-helper's ECRAPI).
type API interface {
	// GetAuthorizationToken returns the base64 token and when it expires.
	GetAuthorizationToken(ctx context.Context) (token string, expiresAt time.Time, err error)
}

// APIFunc adapts a function to API.
type APIFunc func(ctx context.Context) (string, time.Time, error)

// GetAuthorizationToken calls f.
func (f APIFunc) GetAuthorizationToken(ctx context.Context) (string, time.Time, error) {
	return f(ctx)
}

// Options configure New.
type Options struct {
	// NewAPI makes the client for a target; nil means the AWS SDK with its
	// default credential chain and the entry's profile and role.
	NewAPI func(ctx context.Context, t Target) (API, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Identity are the seams of the entry's identity source (its Now is
	// Now); zero: the environment, command.Exec{} and the default
	// transport (see identity.Options).
	Identity identity.Options
}

// Provider mints ECR registry passwords.
type Provider struct {
	reg     credentials.Registry
	newAPI  func(ctx context.Context, t Target) (API, error)
	now     func() time.Time
	timeout time.Duration
	// identity is the entry's identity source (nil without an identity
	// block); identityErr why it could not be made.
	identity    identity.Source
	identityErr error
}

var _ provider.Provider = (*Provider)(nil)

// New returns the provider of an ecr config entry. It does no I/O: the SDK
// reads its configuration at each mint.
func New(reg credentials.Registry, o Options) *Provider {
	p := &Provider{reg: reg, newAPI: o.NewAPI, now: o.Now, timeout: reg.Timeout}
	if p.now == nil {
		p.now = time.Now
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.newAPI == nil {
		p.newAPI = p.sdkAPI
	}
	if reg.Identity != nil {
		o.Identity.Now = p.now
		p.identity, p.identityErr = identity.New(*reg.Identity, o.Identity)
	}
	return p
}

// TargetOf returns what a mint for h asks, and false when h is no ECR
// registry (then the provider has nothing for it).
func (p *Provider) TargetOf(h credentials.Host) (Target, bool) {
	var t Target
	if e, ok := credentials.ParseECRHost(h); ok {
		t = Target{Region: e.Region, FIPS: e.FIPS}
	} else if credentials.IsECRPublicHost(h) {
		t = Target{Region: PublicRegion, Public: true}
	} else {
		return Target{}, false
	}
	if p.reg.AWSRegion != "" && !t.Public {
		t.Region = p.reg.AWSRegion
	}
	return t, true
}

// Token implements provider.Provider: the registry password of h's
// account and region. root is not used (ECR needs no stored credential).
// A host that is no ECR registry gives an error wrapping
// provider.ErrNotFound.
func (p *Provider) Token(ctx context.Context, h credentials.Host, _ *store.Entry) (*provider.Token, error) {
	t, ok := p.TargetOf(h)
	if !ok {
		return nil, fmt.Errorf("ecr: %s is not an ECR registry: %w", h.Registry(), provider.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	issued := p.now()
	api, err := p.newAPI(ctx, t)
	if err != nil {
		return nil, p.fail(h, err)
	}
	raw, expiresAt, err := api.GetAuthorizationToken(ctx)
	if err != nil {
		return nil, p.fail(h, err)
	}
	secret, err := decode(raw)
	if err != nil {
		return nil, fmt.Errorf("ecr: %s: %w", h.Registry(), err)
	}
	return &provider.Token{Username: Username, Secret: secret, Expiry: expiry(expiresAt, issued)}, nil
}

// expiry is the API's expiresAt, capped at MaxLifetime after issued; no
// expiresAt at all means MaxLifetime. An expiresAt that has already passed
// (moto answers 2015-01-01) is kept as it is: the cache answers such a
// token once and does not keep it, so it is never served as fresh.
func expiry(expiresAt, issued time.Time) time.Time {
	limit := issued.Add(MaxLifetime)
	if expiresAt.IsZero() || expiresAt.After(limit) {
		return limit
	}
	return expiresAt
}

// decode turns the API's base64 "AWS:<password>" into the password. The
// error never holds the token.
func decode(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("the authorization token is empty")
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return "", errors.New("the authorization token is not base64")
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok || pass == "" {
		return "", errors.New("the authorization token is not user:password")
	}
	if user != Username {
		return "", fmt.Errorf("the authorization token's user is not %s", Username)
	}
	return pass, nil
}

// fail is the one-line error of a failed mint, naming the registry.
func (p *Provider) fail(h credentials.Host, err error) error {
	what := "GetAuthorizationToken"
	if credentials.IsECRPublicHost(h) {
		what = "ECR Public GetAuthorizationToken"
	}
	return fmt.Errorf("ecr: %s: %s: %w", h.Registry(), what, oneLine{err})
}

// oneLine keeps err matchable (errors.Is/As) while its text is one line:
// the SDK's errors may span lines.
type oneLine struct{ err error }

func (e oneLine) Error() string { return credentials.OneLine(e.err.Error()) }
func (e oneLine) Unwrap() error { return e.err }

// sdkAPI is the AWS SDK client for t: the default credential chain (with
// the entry's profile), then the entry's role assumed with it.
func (p *Provider) sdkAPI(ctx context.Context, t Target) (API, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(t.Region),
		// A BuildableClient, not a plain http.Client: the SDK adds
		// AWS_CA_BUNDLE to it, and it keeps ProxyFromEnvironment.
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(p.timeout)),
	}
	if p.reg.AWSProfile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(p.reg.AWSProfile))
	}
	if t.FIPS {
		opts = append(opts, awsconfig.WithUseFIPSEndpoint(aws.FIPSEndpointStateEnabled))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	// Nothing but the instance metadata service: bounded, and a miss says
	// what to set up (an identity block needs no credentials of the chain).
	if p.reg.Identity == nil && boundIMDS(&cfg) {
		if err := retrieveOrExplain(ctx, cfg); err != nil {
			return nil, err
		}
	}
	switch {
	case p.reg.Identity != nil:
		if p.identityErr != nil {
			return nil, p.identityErr
		}
		if p.reg.AWSRoleARN == "" {
			return nil, errors.New("identity needs aws_role_arn")
		}
		// The SDK's retriever has no context: this one carries the mint's,
		// which also holds the kubelet's service-account token.
		web := stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(cfg), p.reg.AWSRoleARN, retriever{ctx: ctx, src: p.identity}, func(o *stscreds.WebIdentityRoleOptions) {
			o.RoleSessionName = "docker-credential-mint"
		})
		cfg.Credentials = aws.NewCredentialsCache(web)
	case p.reg.AWSRoleARN != "":
		assume := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), p.reg.AWSRoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "docker-credential-mint"
		})
		cfg.Credentials = aws.NewCredentialsCache(assume)
	}
	if t.Public {
		return newAPI(cfg, serviceECRPublic, PublicRegion), nil
	}
	return newAPI(cfg, serviceECR, t.Region), nil
}

// retriever is a stscreds.IdentityTokenRetriever fed by an identity source,
// in the context of one mint.
type retriever struct {
	ctx context.Context
	src identity.Source
}

// GetIdentityToken implements stscreds.IdentityTokenRetriever.
func (r retriever) GetIdentityToken() ([]byte, error) {
	tok, err := r.src.Token(r.ctx)
	if err != nil {
		return nil, err
	}
	return []byte(tok), nil
}
