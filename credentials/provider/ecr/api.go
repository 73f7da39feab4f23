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

// GetAuthorizationToken, ECR's and ECR Public's, is one awsJson1_1 call.
// It is made here with the SDK's configuration, credentials, HTTP client,
// retryer and SigV4 signer, not through service/ecr and
// service/ecrpublic: linking those clients costs every start of the full
// build about 2.3 M instructions of package initialisation (their
// endpoint tables and serialisation schemas), whatever the command, for
// this one call. The endpoints are the ones the SDK's rules give (tests
// compare them with the SDK's resolvers).

// service is one of the two APIs.
type service struct {
	sdkID       string // the SDK id: AWS_ENDPOINT_URL_<ID>, [services] <id>
	envSuffix   string // AWS_ENDPOINT_URL_<envSuffix>
	signingName string
	target      string // X-Amz-Target
}

var (
	serviceECR       = service{sdkID: "ECR", envSuffix: "ECR", signingName: "ecr", target: "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"}
	serviceECRPublic = service{sdkID: "ECR PUBLIC", envSuffix: "ECR_PUBLIC", signingName: "ecr-public", target: "SpencerFrontendService.GetAuthorizationToken"}
)

const (
	requestBody = "{}"
	// maxAnswer bounds the answer read: a token is a few KiB.
	maxAnswer = 1 << 20
)

// partition is what the SDK's partitions table (awsrulesfn, v1.48) says
// of a region that ECR's endpoint rules use.
type partition struct {
	regionPrefix       string // the partition's region pattern: <prefix>-<word>-<digits>
	global             string // its global pseudo-region
	dnsSuffix          string
	dualStackDNSSuffix string
}

// partitions are the SDK's, but aws (the default): every one supports
// FIPS and dual-stack.
var partitions = []partition{
	{"cn", "aws-cn-global", "amazonaws.com.cn", "api.amazonwebservices.com.cn"},
	{"eusc-de", "", "amazonaws.eu", "api.amazonwebservices.eu"},
	{"us-iso", "aws-iso-global", "c2s.ic.gov", "api.aws.ic.gov"},
	{"us-isob", "aws-iso-b-global", "sc2s.sgov.gov", "api.aws.scloud"},
	{"eu-isoe", "aws-iso-e-global", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"},
	{"us-isof", "aws-iso-f-global", "csp.hci.ic.gov", "api.aws.hci.ic.gov"},
	{"us-gov", "aws-us-gov-global", "amazonaws.com", "api.aws"},
}

// partitionOf is region's partition: its global pseudo-region or its
// pattern (<prefix>-<word>-<digits>), else aws.
func partitionOf(region string) partition {
	for _, p := range partitions {
		if region == p.global {
			return p
		}
		rest, ok := strings.CutPrefix(region, p.regionPrefix+"-")
		if !ok {
			continue
		}
		word, digits, ok := strings.Cut(rest, "-")
		if ok && word != "" && isWord(word) && digits != "" && strings.Trim(digits, "0123456789") == "" {
			return p
		}
	}
	return partition{dnsSuffix: "amazonaws.com", dualStackDNSSuffix: "api.aws"}
}

// isWord reports whether s is all \w (letters, digits, underscore).
func isWord(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// validRegion is the SDK's check of a region: a host label.
func validRegion(r string) bool {
	if r == "" || len(r) > 63 || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	for _, c := range r {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// endpoint is svc's endpoint for cfg in region, as the SDK's endpoint
// rules give it: a configured endpoint (AWS_ENDPOINT_URL_<SERVICE>, the
// shared config's services section, else AWS_ENDPOINT_URL), unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS; otherwise the region's partition
// and the FIPS and dual-stack settings choose the host.
func endpoint(ctx context.Context, cfg aws.Config, svc service, region string) (string, error) {
	fips := useFIPS(cfg)
	dual := useDualStack(cfg)
	if ep := baseEndpoint(ctx, cfg, svc); ep != "" {
		switch {
		case fips:
			return "", errors.New("endpoint rule error, Invalid Configuration: FIPS and custom endpoint are not supported")
		case dual:
			return "", errors.New("endpoint rule error, Invalid Configuration: Dualstack and custom endpoint are not supported")
		}
		return ep, nil
	}
	if region == "" {
		return "", errors.New("endpoint rule error, Invalid Configuration: Missing Region")
	}
	if !validRegion(region) {
		return "", fmt.Errorf("invalid region %q", region)
	}
	if svc.sdkID == serviceECRPublic.sdkID {
		// ECR Public's rules, in its one region (partition aws).
		switch {
		case fips && dual:
			return "https://api.ecr-public-fips." + region + ".api.aws", nil
		case fips:
			return "https://api.ecr-public-fips." + region + ".amazonaws.com", nil
		case dual:
			return "https://ecr-public." + region + ".api.aws", nil
		}
		return "https://api.ecr-public." + region + ".amazonaws.com", nil
	}
	p := partitionOf(region)
	name := "ecr"
	if fips {
		name = "ecr-fips"
	}
	if dual {
		return "https://" + name + "." + region + "." + p.dualStackDNSSuffix, nil
	}
	return "https://api." + name + "." + region + "." + p.dnsSuffix, nil
}

// baseEndpoint is the configured endpoint of svc, "" for none.
func baseEndpoint(ctx context.Context, cfg aws.Config, svc service) string {
	ep := aws.ToString(cfg.BaseEndpoint)
	if ignored, found, err := awsconfig.GetIgnoreConfiguredEndpoints(ctx, cfg.ConfigSources); found && ignored && err == nil {
		return ep
	}
	// As the SDK's clients: the service's own variable wins over the
	// global one, which wins over the shared config's services section.
	if _, global := os.LookupEnv("AWS_ENDPOINT_URL"); global {
		if _, own := os.LookupEnv("AWS_ENDPOINT_URL_" + svc.envSuffix); !own {
			return ep
		}
	}
	type serviceEndpoint interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(serviceEndpoint); ok {
			v, found, err := p.GetServiceBaseEndpoint(ctx, svc.sdkID)
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

// useFIPS and useDualStack read the settings the SDK's clients read
// (AWS_USE_FIPS_ENDPOINT, use_fips_endpoint, WithUseFIPSEndpoint;
// AWS_USE_DUALSTACK_ENDPOINT, use_dualstack_endpoint) from cfg's sources.
func useFIPS(cfg aws.Config) bool {
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

func useDualStack(cfg aws.Config) bool {
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

// authorizationData is one token of GetAuthorizationToken's answer.
type authorizationData struct {
	AuthorizationToken *string  `json:"authorizationToken"`
	ExpiresAt          *float64 `json:"expiresAt"` // epoch seconds
}

// newAPI is svc's GetAuthorizationToken with cfg, signed for region.
func newAPI(cfg aws.Config, svc service, region string) API {
	return APIFunc(func(ctx context.Context) (string, time.Time, error) {
		url, err := endpoint(ctx, cfg, svc, region)
		if err != nil {
			return "", time.Time{}, err
		}
		var retryer aws.Retryer = retry.NewStandard()
		if cfg.Retryer != nil {
			retryer = cfg.Retryer()
		}
		var skew time.Duration // what the server's clock is ahead of ours
		for attempt := 1; ; attempt++ {
			d, err := call(ctx, cfg, svc, region, url, skew)
			retryable := err != nil && retryer.IsErrorRetryable(err)
			if s, ok := clockSkewed(err, skew); ok {
				skew, retryable = s, true
			}
			if err == nil || attempt >= retryer.MaxAttempts() || !retryable || ctx.Err() != nil {
				if err != nil {
					if attempt > 1 {
						err = fmt.Errorf("after %d attempts: %w", attempt, err)
					}
					return "", time.Time{}, err
				}
				var expiresAt time.Time
				if e := d.ExpiresAt; e != nil && !math.IsNaN(*e) && !math.IsInf(*e, 0) {
					sec, frac := math.Modf(*e)
					expiresAt = time.Unix(int64(sec), int64(frac*1e9))
				}
				return aws.ToString(d.AuthorizationToken), expiresAt, nil
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

// Clock skew, as the SDK's retry loop corrects it: an error answer whose
// code may mean a signature out of its time window, from a server whose
// Date is more than skewThreshold away from the signing time, is retried
// signed at the server's time.
const skewThreshold = 4 * time.Minute

var clockSkewCodes = map[string]bool{
	"InvalidSignatureException": true, "SignatureDoesNotMatch": true, "AuthFailure": true,
	"RequestTimeTooSkewed": true, "AccessDeniedException": true,
}

// clockSkewed returns the server's skew when err is an error answer that
// signing at the server's time may cure (see skewThreshold).
func clockSkewed(err error, used time.Duration) (time.Duration, bool) {
	var e *apiError
	if !errors.As(err, &e) || !e.hasSkew || !clockSkewCodes[e.code] {
		return 0, false
	}
	if d := e.skew - used; d > skewThreshold || d < -skewThreshold {
		return e.skew, true
	}
	return 0, false
}

// now is the clock requests are signed with (tests move it).
var now = time.Now

// call is one signed attempt, signed at now()+skew.
func call(ctx context.Context, cfg aws.Config, svc service, region, url string, skew time.Duration) (authorizationData, error) {
	var none authorizationData
	if cfg.Credentials == nil {
		return none, errors.New("no AWS credentials")
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return none, fmt.Errorf("get identity: get credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(url, "/")+"/", strings.NewReader(requestBody))
	if err != nil {
		return none, fmt.Errorf("endpoint %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", svc.target)
	req.Header.Set("User-Agent", "docker-credential-mint")
	sum := sha256.Sum256([]byte(requestBody))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), svc.signingName, region, now().Add(skew)); err != nil {
		return none, fmt.Errorf("sign the request: %w", err)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	sent := now()
	resp, err := client.Do(req)
	if err != nil {
		return none, err
	}
	received := now()
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return none, fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := errorAnswer(resp, body)
		// The server's time, unless the answer came from a cache or took
		// too long to mean anything.
		if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil && resp.Header.Get("Age") == "" && received.Sub(sent) <= 15*time.Minute {
			e.skew, e.hasSkew = date.Sub(received), true
		}
		return none, e
	}
	// The answer holds the token: its text never goes into an error.
	if svc.sdkID == serviceECRPublic.sdkID {
		var out struct {
			AuthorizationData *authorizationData `json:"authorizationData"`
		}
		if json.Unmarshal(body, &out) != nil {
			return none, errors.New("the answer is not JSON")
		}
		if out.AuthorizationData == nil {
			return none, errors.New("no authorization data in the answer")
		}
		return *out.AuthorizationData, nil
	}
	var out struct {
		AuthorizationData []authorizationData `json:"authorizationData"`
	}
	if json.Unmarshal(body, &out) != nil {
		return none, errors.New("the answer is not JSON")
	}
	if len(out.AuthorizationData) == 0 {
		return none, errors.New("no authorization data in the answer")
	}
	return out.AuthorizationData[0], nil
}

// apiError is an error answer: a smithy.APIError (the retryer reads its
// code), with its HTTP status (and the retryer that too).
type apiError struct {
	status        int
	requestID     string
	code, message string
	fault         smithy.ErrorFault
	skew          time.Duration // the server's Date less our clock, when hasSkew
	hasSkew       bool
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

// errorAnswer reads an awsJson1_1 error answer: the code from the
// X-Amzn-ErrorType header or the body's __type or code, without its
// namespace or trailing URI; the message from message or Message.
func errorAnswer(resp *http.Response, body []byte) *apiError {
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
