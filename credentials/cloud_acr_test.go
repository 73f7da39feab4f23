// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"strings"
	"testing"
)

// TestParseACRHost: the login servers of the three clouds, and what is not
// one (a port, a path is fine, the data endpoints, other names).
func TestParseACRHost(t *testing.T) {
	for s, want := range map[string]string{
		"myreg.azurecr.io":                             "azurecr.io",
		"myreg.azurecr.io/team/app":                    "azurecr.io",
		"MyReg.AzureCR.io":                             "azurecr.io",
		"my-reg-abc123.azurecr.io":                     "azurecr.io",
		"myreg.azurecr.cn":                             "azurecr.cn",
		"myreg.azurecr.us":                             "azurecr.us",
		"myreg.azurecr.io:5000":                        "",
		"myreg.eastus.data.azurecr.io":                 "",
		"azurecr.io":                                   "",
		"myreg.azurecr.de":                             "",
		"myreg.azurecr.io.example.com":                 "",
		"-myreg.azurecr.io":                            "",
		"myreg.notazurecr.io":                          "",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com": "",
	} {
		h, err := ParseHost(s)
		if err != nil {
			if want != "" {
				t.Errorf("ParseHost(%q): %v", s, err)
			}
			continue
		}
		c, ok := ParseACRHost(h)
		if ok != (want != "") || c.Suffix != want {
			t.Errorf("ParseACRHost(%q) = %+v, %v; want %q", s, c, ok, want)
		}
		if p, ok := DetectProvider(h); ok != (want != "" || strings.Contains(s, "dkr.ecr")) || (want != "" && p != ProviderACR) {
			t.Errorf("DetectProvider(%q) = %q, %v", s, p, ok)
		}
	}
}

// TestParseACRHost_allocs: detection runs on every get; it allocates nothing.
func TestParseACRHost_allocs(t *testing.T) {
	h, _ := ParseHost("myreg.azurecr.io")
	q, _ := ParseHost("quay.io")
	if n := testing.AllocsPerRun(100, func() {
		ParseACRHost(h)
		DetectProvider(q)
		MayBeDetected("quay.io/team/app")
		MayBeDetected("myreg.azurecr.io")
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// TestMayBeDetected_acr: the list filter lets every ACR key through.
func TestMayBeDetected_acr(t *testing.T) {
	for key, want := range map[string]bool{
		"myreg.azurecr.io":          true,
		"myreg.azurecr.io/team/app": true,
		"myreg.azurecr.cn":          true,
		"myreg.azurecr.us":          true,
		"registry.example.com":      false,
		"azurecr.io":                false,
	} {
		if got := MayBeDetected(key); got != want {
			t.Errorf("MayBeDetected(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestLoadConfig_acrOptions: the acr entry's options are parsed and
// checked; an identity block needs the tenant and the client id.
func TestLoadConfig_acrOptions(t *testing.T) {
	c := mustLoad(t, `registries:
  - match: "*.azurecr.io"
    provider: acr
    azure_tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    azure_client_id: 3c8f7a2e-1111-4000-8000-000000000002
    azure_authority_host: https://login.example.test/
    timeout: 5s
    identity:
      source: file
      path: /run/identity.jwt
`)
	r := c.Registries[0]
	if r.AzureTenantID != "72f988bf-86f1-41af-91ab-2d7cd011db47" || r.AzureClientID != "3c8f7a2e-1111-4000-8000-000000000002" ||
		r.AzureAuthorityHost != "https://login.example.test/" || r.Identity == nil || r.Identity.Path != "/run/identity.jwt" ||
		!r.MintsAlone() || r.NeedsRoot() {
		t.Errorf("entry = %+v", r)
	}
	if u, ok := r.FixedUsername(); !ok || u != ACRUsername {
		t.Errorf("FixedUsername = %q, %v", u, ok)
	}
	const head = "registries:\n  - match: a.azurecr.io\n    provider: acr\n"
	for text, want := range map[string]string{
		head + "    azure_authority_host: http://login.example/\n":                       "config t.yaml:4: azure_authority_host: invalid config: scheme must be https",
		head + "    azure_authority_host: https://u:p@login.example/\n":                  "config t.yaml:4: azure_authority_host: invalid config: must be a plain https URL with no user information, query or fragment",
		head + "    azure_tenant_id: a/b?c\n":                                            "config t.yaml:4: azure_tenant_id: invalid config: must be a tenant id (a GUID) or domain: letters, digits, dots and dashes",
		head + "    azure_client_id: x y\n":                                              "config t.yaml:4: azure_client_id: invalid config: must be a client id (a GUID): letters, digits and dashes",
		head + "    identity:\n      source: file\n      path: /t\n":                     "config t.yaml:4: azure_tenant_id: invalid config: required with identity (the federated credential's tenant and application)",
		head + "    aws_profile: p\n":                                                    "config t.yaml:4: aws_profile: invalid config: not valid for provider acr",
		head + "    audience: x\n":                                                       "config t.yaml:4: audience: invalid config: not valid for provider acr",
		"registries:\n  - match: a.example\n    provider: ecr\n    azure_client_id: c\n": "config t.yaml:4: azure_client_id: invalid config: not valid for provider ecr",
	} {
		_, err := LoadConfig(strings.NewReader(text), "t.yaml")
		if err == nil || err.Error() != want {
			t.Errorf("LoadConfig(%q) = %v\nwant %s", text, err, want)
		}
	}
}
