// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import "strings"

// ECRHost is an Amazon ECR private registry's host name taken apart:
// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn], or the dual-stack
// <account>.dkr-ecr[-fips].<region>.on.aws.
type ECRHost struct {
	// Account is the registry's 12-digit AWS account id.
	Account string
	// Region is the AWS region, e.g. us-east-1.
	Region string
	// FIPS is set for the -fips spellings: the API call then goes to the
	// region's FIPS endpoint.
	FIPS bool
}

// ParseECRHost takes apart h when it is an ECR private registry on the
// default port; ok is false otherwise. It is a string check only (no
// regexp, no allocation but the result's strings), cheap enough for the
// get path of every registry.
func ParseECRHost(h Host) (e ECRHost, ok bool) {
	if h.Port != "" {
		return ECRHost{}, false
	}
	name := h.Name
	account, rest, ok := strings.Cut(name, ".")
	if !ok || len(account) != 12 || !allDigits(account) {
		return ECRHost{}, false
	}
	var dual bool
	switch {
	case strings.HasPrefix(rest, "dkr.ecr."):
		rest = rest[len("dkr.ecr."):]
	case strings.HasPrefix(rest, "dkr.ecr-fips."):
		rest, e.FIPS = rest[len("dkr.ecr-fips."):], true
	case strings.HasPrefix(rest, "dkr-ecr."):
		rest, dual = rest[len("dkr-ecr."):], true
	case strings.HasPrefix(rest, "dkr-ecr-fips."):
		rest, dual, e.FIPS = rest[len("dkr-ecr-fips."):], true, true
	default:
		return ECRHost{}, false
	}
	region, domain, ok := strings.Cut(rest, ".")
	if !ok || !regionLabel(region) {
		return ECRHost{}, false
	}
	if dual {
		ok = domain == "on.aws"
	} else {
		ok = domain == "amazonaws.com" || domain == "amazonaws.com.cn"
	}
	if !ok {
		return ECRHost{}, false
	}
	e.Account, e.Region = account, region
	return e, true
}

// ECRPublicHost is ECR Public's registry, served from us-east-1.
const ECRPublicHost = "public.ecr.aws"

// IsECRPublicHost reports whether h is ECR Public's registry (any
// repository path, default port).
func IsECRPublicHost(h Host) bool {
	return h.Name == ECRPublicHost && h.Port == ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// regionLabel reports whether s looks like an AWS region (us-east-1,
// cn-north-1, us-gov-west-1): lower-case letters, digits and dashes,
// starting with a letter and ending with a digit.
func regionLabel(s string) bool {
	if len(s) < 4 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] < '0' || s[len(s)-1] > '9' || !strings.Contains(s, "-") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// DetectProvider returns the provider that serves h with no config entry:
// ProviderECR for an ECR private registry, ProviderGCR for gcr.io, its
// subdomains and Artifact Registry (IsGCRHost), ProviderACR for an Azure
// Container Registry (ParseACRHost). It is a string check, no I/O.
// Config.Detect applies the config's detect_clouds switch.
//
// ECR Public (public.ecr.aws) is not detected: anonymous pulls from it are
// the norm, and a machine without AWS credentials must keep making them;
// an entry with provider ecr serves it. Google's registries are detected
// although they serve public images too: the gcr provider answers "not
// found" on a machine without Google credentials, and the client pulls
// anonymously.
func DetectProvider(h Host) (string, bool) {
	if _, ok := ParseECRHost(h); ok {
		return ProviderECR, true
	}
	if IsGCRHost(h) {
		return ProviderGCR, true
	}
	if _, ok := ParseACRHost(h); ok {
		return ProviderACR, true
	}
	return "", false
}

// DetectedProviders are the providers DetectProvider may return: the
// router makes one implicit entry for each.
var DetectedProviders = []string{ProviderECR, ProviderGCR, ProviderACR}

// Detect returns the provider that serves h when no entry of c matches it
// (DetectProvider), unless the config's detect_clouds is false. Callers
// ask Match first: an explicit entry always wins.
func (c *Config) Detect(h Host) (string, bool) {
	if c != nil && c.NoDetectClouds {
		return "", false
	}
	return DetectProvider(h)
}

// MayBeDetected reports, from a stored key alone, whether its host could
// be one that detection serves: every ECR host starts with a 12-digit
// account and a dot, every Google one's host part ends in gcr.io or
// -docker.pkg.dev, in every ACR host "azurecr." follows the first dot.
// A cheap filter, not a match (see Config.Detect).
func MayBeDetected(key string) bool {
	return len(key) > 13 && key[12] == '.' && allDigits(key[:12]) || mayBeGCRKey(key) || mayBeACR(key)
}

// Detects reports whether c serves cloud registries with no config entry
// (detect_clouds, true unless the file says false).
func (c *Config) Detects() bool { return c == nil || !c.NoDetectClouds }

// DetectedRegistry is the implicit config entry of a detected provider:
// the provider with no options (the cloud SDK's default chain), Line 0,
// and a Match that names the hosts it serves, for messages. (The router
// serves a detected Google or ACR host's own stored login as stored:
// `docker login -u _json_key`, an ACR admin user.)
func DetectedRegistry(provider string) Registry {
	return Registry{Provider: provider, Match: provider + " registries (detected by host name)"}
}
