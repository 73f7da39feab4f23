// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// The EC2 instance metadata service (IMDS) is the default chain's last
// source: when nothing else is set up, the SDK asks 169.254.169.254. Off
// EC2 nothing answers there, and the SDK's metadata client, with its
// retries (three attempts, for the session token and again for the IMDSv1
// fallback) and its 5 s operation timeout, took 5 s where the address
// drops packets and 8 s where it is unreachable: every docker pull of an
// ECR image on a laptop without AWS credentials stalled that long. When
// the chain ends at IMDS (no other source found), the provider gives the
// metadata client tighter bounds instead, and says what to set up.

// IMDSDialTimeout bounds the connection to the instance metadata service
// when the chain has nothing else: on EC2 it is link-local and connects
// in well under a millisecond; off EC2 this is what a miss costs (twice:
// the IMDSv2 session token, then the SDK's IMDSv1 fallback).
const IMDSDialTimeout = 100 * time.Millisecond

// IMDSAnswerTimeout bounds the wait for each answer of the metadata
// service, as the SDK's own client does.
const IMDSAnswerTimeout = 500 * time.Millisecond

// ErrNoCredentials is wrapped by the error of a mint when the default
// chain found no credentials: nothing in the environment or the shared
// config, and no answer from the instance metadata service.
var ErrNoCredentials = errors.New("no AWS credentials found")

// metadataDisabledEnv turns the SDK's instance metadata client off.
const metadataDisabledEnv = "AWS_EC2_METADATA_DISABLED"

// imdsOnly reports whether the chain found nothing but the instance
// metadata service (the SDK's fall-through, not a profile's
// credential_source = Ec2InstanceMetadata).
func imdsOnly(cfg aws.Config) bool {
	src, ok := cfg.Credentials.(aws.CredentialProviderSource)
	if !ok {
		return false
	}
	s := src.ProviderSources()
	return len(s) == 1 && s[0] == aws.CredentialSourceIMDS
}

// boundIMDS replaces cfg's credentials, when the chain found nothing but
// the instance metadata service, by the same source (ec2rolecreds with
// the metadata client of cfg's settings: endpoint, endpoint mode,
// AWS_EC2_METADATA_DISABLED, IMDSv1 fallback) with the bounds above and
// no retry of a request that got no answer at all (a failed connection, a
// timeout). An answer with an error status is still retried as the SDK
// does. It reports whether it did. The region is not read from IMDS: the
// ECR host names it.
func boundIMDS(cfg *aws.Config) bool {
	if !imdsOnly(*cfg) {
		return false
	}
	client := imds.NewFromConfig(*cfg, func(o *imds.Options) {
		o.HTTPClient = imdsHTTP
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(unanswered)}, so.Retryables...)
		})
	})
	cfg.Credentials = aws.NewCredentialsCache(ec2rolecreds.New(func(o *ec2rolecreds.Options) {
		o.Client = client
		o.CredentialSources = []aws.CredentialSource{aws.CredentialSourceIMDS}
	}))
	return true
}

// imdsHTTP is the metadata client's HTTP client, one per process (a
// long-running kubelet plugin mints many times). Not the SDK's
// BuildableClient: the metadata client would set its own 250 ms dial
// timeout on that. The proxy variables are honoured as the SDK's are; IMDS
// is plain HTTP, AWS_CA_BUNDLE does not apply.
var imdsHTTP = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: IMDSDialTimeout}).DialContext,
	ResponseHeaderTimeout: IMDSAnswerTimeout,
	MaxIdleConns:          2,
	IdleConnTimeout:       time.Minute,
}}

// unanswered makes a request that got no HTTP answer (the client's error
// is a *url.Error: no connection, a timeout) not retried.
func unanswered(err error) aws.Ternary {
	var ue *url.Error
	if errors.As(err, &ue) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}

// retrieveOrExplain fetches cfg's credentials, bounded by boundIMDS, and
// turns a failure into one that says what to set up. They are cached in
// cfg.Credentials for the calls that follow.
func retrieveOrExplain(ctx context.Context, cfg aws.Config) error {
	_, err := cfg.Credentials.Retrieve(ctx)
	if err == nil || ctx.Err() != nil {
		return err
	}
	help := "off EC2, " + metadataDisabledEnv + "=true skips the instance metadata probe"
	if strings.EqualFold(os.Getenv(metadataDisabledEnv), "true") {
		help = "the instance metadata is off (" + metadataDisabledEnv + ")"
	}
	return fmt.Errorf("%w: set AWS_PROFILE (or the entry's aws_profile) to a profile of ~/.aws/config, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; %s (%w)", ErrNoCredentials, help, err)
}
