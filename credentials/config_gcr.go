// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"path/filepath"
	"strings"

	"github.com/docker-credential-mint/mint/credentials/internal/yamlsub"
)

// GCRUsername is the registry username of every Google access token
// (Artifact Registry and Container Registry).
const GCRUsername = "oauth2accesstoken"

// GCPOptions are a gcr entry's own keys. With none of them the entry uses
// Application Default Credentials as golang.org/x/oauth2/google finds them.
type GCPOptions struct {
	// CredentialsFile is a Google credentials JSON file used instead of
	// Application Default Credentials (gcp_credentials_file): a service
	// account key, authorized_user, external_account or
	// impersonated_service_account file. An absolute path.
	CredentialsFile string
	// ImpersonateServiceAccount is the email of a service account whose
	// token is asked with the credentials found
	// (gcp_impersonate_service_account): IAM Credentials' generateAccessToken.
	ImpersonateServiceAccount string
	// ImpersonationURL overrides the IAM Credentials API's base URL
	// (gcp_impersonation_url); empty: https://iamcredentials.googleapis.com.
	ImpersonationURL string
	// Audience is the workload identity provider that the entry's identity
	// token is exchanged at (gcp_audience): //iam.googleapis.com/projects/
	// <number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>.
	// Required with an identity block; the STS endpoint is the entry's
	// token_url (default https://sts.googleapis.com/v1/token).
	Audience string
}

// gcrKeys are the keys a gcr entry may have besides match and provider.
func gcrKeys() []string {
	return []string{"refresh_before", "timeout", "scopes", "token_url", "identity",
		"gcp_credentials_file", "gcp_impersonate_service_account", "gcp_impersonation_url", "gcp_audience"}
}

// gcrKey reports whether key is one of the gcr entry's own keys.
func gcrKey(key string) bool {
	switch key {
	case "gcp_credentials_file", "gcp_impersonate_service_account", "gcp_impersonation_url", "gcp_audience":
		return true
	}
	return false
}

// gcrOption parses one of the gcr entry's own keys into r.
func (p *parser) gcrOption(r *Registry, key string, v *yamlsub.Node) error {
	var err error
	switch key {
	case "gcp_credentials_file":
		if r.GCP.CredentialsFile, err = p.str(key, v); err == nil && !filepath.IsAbs(r.GCP.CredentialsFile) {
			err = p.errf(v, key, "must be an absolute path")
		}
	case "gcp_impersonate_service_account":
		if r.GCP.ImpersonateServiceAccount, err = p.str(key, v); err == nil && !serviceAccountEmail(r.GCP.ImpersonateServiceAccount) {
			err = p.errf(v, key, "must be a service account's email (name@project.iam.gserviceaccount.com)")
		}
	case "gcp_impersonation_url":
		r.GCP.ImpersonationURL, err = p.str(key, v)
	case "gcp_audience":
		if r.GCP.Audience, err = p.str(key, v); err == nil && !strings.HasPrefix(r.GCP.Audience, "//iam.googleapis.com/") {
			err = p.errf(v, key, "must be a workload identity provider (//iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>)")
		}
	}
	return err
}

// serviceAccountEmail reports whether s looks like an email that fits in
// generateAccessToken's URL path: name@domain with no slash, colon or space.
func serviceAccountEmail(s string) bool {
	name, domain, ok := strings.Cut(s, "@")
	return ok && name != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, "/:?# \t")
}

// checkGCR checks how a gcr entry's keys go together: an identity block
// needs gcp_audience and excludes gcp_credentials_file; token_url and
// gcp_audience belong to an identity block; gcp_impersonation_url to
// gcp_impersonate_service_account.
func (p *parser) checkGCR(r *Registry, n *yamlsub.Node, keys map[string]*yamlsub.Node) error {
	if r.Identity != nil {
		if k := keys["gcp_credentials_file"]; k != nil {
			return p.errf(k, "gcp_credentials_file", "not with an identity block (the identity token is the credential)")
		}
		if keys["gcp_audience"] == nil {
			return p.errf(n, "gcp_audience", "required with an identity block (the workload identity provider)")
		}
	} else {
		for _, key := range []string{"gcp_audience", "token_url"} {
			if k := keys[key]; k != nil {
				return p.errf(k, key, "only with an identity block")
			}
		}
	}
	if k := keys["token_url"]; k != nil {
		if err := checkTokenURL(r.TokenURL, false); err != nil {
			return p.errf(k, "token_url", "%v", err)
		}
	}
	if k := keys["gcp_impersonation_url"]; k != nil {
		if keys["gcp_impersonate_service_account"] == nil {
			return p.errf(k, "gcp_impersonation_url", "only with gcp_impersonate_service_account")
		}
		if err := checkTokenURL(r.GCP.ImpersonationURL, false); err != nil {
			return p.errf(k, "gcp_impersonation_url", "%v", err)
		}
	}
	return nil
}
