// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	smithy "github.com/aws/smithy-go"

	"github.com/docker-credential-mint/mint/credentials"
)

// ECR Public's GetAuthorizationToken is one awsJson1_1 call in us-east-1.
// It is made here with the SDK's configuration, credentials, HTTP client,
// retryer and SigV4 signer, not through service/ecrpublic: linking that
// client costs every start of the full build about 0.75 M instructions of
// package initialisation (its endpoint tables and serialisation schemas),
// whatever the command, for this one call.
const (
	publicSDKID       = "ECR PUBLIC" // the service's SDK id: AWS_ENDPOINT_URL_ECR_PUBLIC, [services] ecr_public
	publicSigningName = "ecr-public"
	publicTarget      = "SpencerFrontendService.GetAuthorizationToken"
	publicRequestBody = "{}"
	// maxPublicAnswer bounds the answer read: a token is a few KiB.
	maxPublicAnswer = 1 << 20
)

// publicEndpoint is ECR Public's endpoint for cfg, as the SDK's endpoint
// rules give it: a configured endpoint (AWS_ENDPOINT_URL_ECR_PUBLIC, the
// shared config's services section, else AWS_ENDPOINT_URL), unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS; otherwise the FIPS and dual-stack
// settings choose among the us-east-1 hosts.
func publicEndpoint(ctx context.Context, cfg aws.Config) (string, error) {
	fips := publicFIPS(cfg)
	dual := publicDualStack(cfg)
	if ep := publicBaseEndpoint(ctx, cfg); ep != "" {
		switch {
		case fips:
			return "", errors.New("endpoint rule error, Invalid Configuration: FIPS and custom endpoint are not supported")
		case dual:
			return "", errors.New("endpoint rule error, Invalid Configuration: Dualstack and custom endpoint are not supported")
		}
		return ep, nil
	}
	switch {
	case fips && dual:
		return "https://api.ecr-public-fips." + PublicRegion + ".api.aws", nil
	case fips:
		return "https://api.ecr-public-fips." + PublicRegion + ".amazonaws.com", nil
	case dual:
		return "https://ecr-public." + PublicRegion + ".api.aws", nil
	}
	return "https://api.ecr-public." + PublicRegion + ".amazonaws.com", nil
}

// publicBaseEndpoint is the configured endpoint, "" for none.
func publicBaseEndpoint(ctx context.Context, cfg aws.Config) string {
	ep := aws.ToString(cfg.BaseEndpoint)
	if ignored, found, err := awsconfig.GetIgnoreConfiguredEndpoints(ctx, cfg.ConfigSources); found && ignored && err == nil {
		return ep
	}
	// The SDK's clients: the service's own variable wins over the global
	// one, which wins over the shared config's services section.
	if _, global := os.LookupEnv("AWS_ENDPOINT_URL"); global {
		if _, own := os.LookupEnv("AWS_ENDPOINT_URL_ECR_PUBLIC"); !own {
			return ep
		}
	}
	type serviceEndpoint interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(serviceEndpoint); ok {
			v, found, err := p.GetServiceBaseEndpoint(ctx, publicSDKID)
			if err != nil {
				break
			}
			if found {
				return v
			}
		}
	}
	return ep
}

// publicFIPS and publicDualStack read the settings the SDK's clients read
// (AWS_USE_FIPS_ENDPOINT, use_fips_endpoint; AWS_USE_DUALSTACK_ENDPOINT,
// use_dualstack_endpoint) from cfg's sources.
func publicFIPS(cfg aws.Config) bool {
	type fips interface {
		GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error)
	}
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(fips); ok {
			if v, found, err := p.GetUseFIPSEndpoint(context.Background()); err == nil && found {
				return v == aws.FIPSEndpointStateEnabled
			}
		}
	}
	return false
}

func publicDualStack(cfg aws.Config) bool {
	type dual interface {
		GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error)
	}
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(dual); ok {
			if v, found, err := p.GetUseDualStackEndpoint(context.Background()); err == nil && found {
				return v == aws.DualStackEndpointStateEnabled
			}
		}
	}
	return false
}

// publicAPI is ECR Public's GetAuthorizationToken with cfg.
func publicAPI(cfg aws.Config) API {
	return APIFunc(func(ctx context.Context) (string, time.Time, error) {
		endpoint, err := publicEndpoint(ctx, cfg)
		if err != nil {
			return "", time.Time{}, err
		}
		var retryer aws.Retryer = retry.NewStandard()
		if cfg.Retryer != nil {
			retryer = cfg.Retryer()
		}
		for attempt := 1; ; attempt++ {
			token, expiresAt, err := publicCall(ctx, cfg, endpoint)
			if err == nil || attempt >= retryer.MaxAttempts() || !retryer.IsErrorRetryable(err) || ctx.Err() != nil {
				if err != nil && attempt > 1 {
					err = fmt.Errorf("after %d attempts: %w", attempt, err)
				}
				return token, expiresAt, err
			}
			delay, derr := retryer.RetryDelay(attempt, err)
			if derr != nil {
				return "", time.Time{}, err
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return "", time.Time{}, err
			case <-t.C:
			}
		}
	})
}

// publicAnswer is GetAuthorizationToken's answer.
type publicAnswer struct {
	AuthorizationData *struct {
		AuthorizationToken *string  `json:"authorizationToken"`
		ExpiresAt          *float64 `json:"expiresAt"` // epoch seconds
	} `json:"authorizationData"`
}

// publicCall is one signed attempt.
func publicCall(ctx context.Context, cfg aws.Config, endpoint string) (string, time.Time, error) {
	if cfg.Credentials == nil {
		return "", time.Time{}, errors.New("no AWS credentials")
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("get identity: get credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/", strings.NewReader(publicRequestBody))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("endpoint %s: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", publicTarget)
	req.Header.Set("User-Agent", "docker-credential-mint")
	sum := sha256.Sum256([]byte(publicRequestBody))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), publicSigningName, PublicRegion, time.Now()); err != nil {
		return "", time.Time{}, fmt.Errorf("sign the request: %w", err)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", time.Time{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPublicAnswer))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", time.Time{}, publicError(resp, body)
	}
	var out publicAnswer
	// The answer holds the token: its text never goes into an error.
	if json.Unmarshal(body, &out) != nil {
		return "", time.Time{}, errors.New("the answer is not JSON")
	}
	if out.AuthorizationData == nil {
		return "", time.Time{}, errors.New("no authorization data in the answer")
	}
	var expiresAt time.Time
	if e := out.AuthorizationData.ExpiresAt; e != nil && !math.IsNaN(*e) && !math.IsInf(*e, 0) {
		sec, frac := math.Modf(*e)
		expiresAt = time.Unix(int64(sec), int64(frac*1e9))
	}
	return aws.ToString(out.AuthorizationData.AuthorizationToken), expiresAt, nil
}

// apiError is an error answer: a smithy.APIError (the retryer reads its
// code), with its HTTP status (and the retryer that too).
type apiError struct {
	status        int
	requestID     string
	code, message string
	fault         smithy.ErrorFault
}

var _ smithy.APIError = (*apiError)(nil)

func (e *apiError) Error() string {
	return fmt.Sprintf("https response error StatusCode: %d, RequestID: %s, api error %s: %s", e.status, e.requestID, e.code, e.message)
}

// ErrorCode implements smithy.APIError.
func (e *apiError) ErrorCode() string { return e.code }

// ErrorMessage implements smithy.APIError.
func (e *apiError) ErrorMessage() string { return e.message }

// ErrorFault implements smithy.APIError.
func (e *apiError) ErrorFault() smithy.ErrorFault { return e.fault }

// HTTPStatusCode is the answer's status, for the retryer.
func (e *apiError) HTTPStatusCode() int { return e.status }

// publicError reads an awsJson1_1 error answer: the code from the
// X-Amzn-ErrorType header or the body's __type or code, without its
// namespace or trailing URI; the message from message or Message.
func publicError(resp *http.Response, body []byte) error {
	var doc struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(body, &doc)
	code := resp.Header.Get("X-Amzn-ErrorType")
	for _, c := range []string{doc.Type, doc.Code} {
		if code == "" {
			code = c
		}
	}
	code, _, _ = strings.Cut(code, ":")
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = "UnknownError"
	}
	msg := doc.Message
	if msg == "" {
		msg = doc.MessageU
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	fault := smithy.FaultClient
	if resp.StatusCode >= 500 {
		fault = smithy.FaultServer
	}
	id := resp.Header.Get("X-Amzn-RequestId")
	return &apiError{status: resp.StatusCode, requestID: id, code: code, message: credentials.OneLine(msg), fault: fault}
}
