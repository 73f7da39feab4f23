// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"errors"
	"net/url"

	"github.com/docker-credential-mint/mint/credentials/internal/yamlsub"
)

// ACRUsername is the registry username of every token an ACR registry
// mints from an Entra ID token (the nil UUID, as `az acr login` uses).
const ACRUsername = "00000000-0000-0000-0000-000000000000"

// acrKeys are the keys an acr entry may have besides match and provider.
func acrKeys() []string {
	return []string{"refresh_before", "timeout", "azure_tenant_id", "azure_client_id", "azure_authority_host", "identity"}
}

// isAzureKey reports whether key is one of the acr entry's own keys.
func isAzureKey(key string) bool {
	switch key {
	case "azure_tenant_id", "azure_client_id", "azure_authority_host":
		return true
	}
	return false
}

// azureKey parses one of the acr entry's own keys into r.
func (p *parser) azureKey(r *Registry, key string, v *yamlsub.Node) error {
	var err error
	switch key {
	case "azure_tenant_id":
		if r.AzureTenantID, err = p.str(key, v); err == nil && !azureID(r.AzureTenantID) {
			err = p.errf(v, key, "must be a tenant id (a GUID) or domain: letters, digits, dots and dashes")
		}
	case "azure_client_id":
		if r.AzureClientID, err = p.str(key, v); err == nil && !azureID(r.AzureClientID) {
			err = p.errf(v, key, "must be a client id (a GUID): letters, digits and dashes")
		}
	case "azure_authority_host":
		if r.AzureAuthorityHost, err = p.str(key, v); err == nil {
			if e := checkAuthorityHost(r.AzureAuthorityHost); e != nil {
				err = p.errf(v, key, "%v", e)
			}
		}
	}
	return err
}

// checkACR checks an acr entry as a whole: an identity block is handed to
// Entra ID as a federated credential of one application in one tenant, so
// both must be named.
func (p *parser) checkACR(r *Registry, keys map[string]*yamlsub.Node) error {
	if r.Identity == nil {
		return nil
	}
	for _, key := range []string{"azure_tenant_id", "azure_client_id"} {
		if keys[key] == nil {
			return p.errf(keys["identity"], key, "required with identity (the federated credential's tenant and application)")
		}
	}
	return nil
}

// azureID accepts what a tenant or client id may be: a GUID, or (a tenant)
// a domain such as contoso.onmicrosoft.com. It keeps a path or a query out
// of the authority URL the id is put in.
func azureID(s string) bool {
	if len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// checkAuthorityHost accepts an absolute https URL with no user
// information, query or fragment (Entra ID's authority must be https).
func checkAuthorityHost(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("not an absolute URL")
	}
	if u.Scheme != "https" {
		return errors.New("scheme must be https")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must be a plain https URL with no user information, query or fragment")
	}
	return nil
}
