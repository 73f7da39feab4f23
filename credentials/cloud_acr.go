// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import "strings"

// AzureCloud is the Azure cloud an ACR registry lives in, by its host
// name's suffix: the cloud's Entra ID authority serves its tokens.
type AzureCloud struct {
	// Suffix is the registries' domain: azurecr.io, azurecr.cn, azurecr.us.
	Suffix string
	// AuthorityHost is the cloud's Entra ID authority,
	// https://login.microsoftonline.com/ for the public cloud.
	AuthorityHost string
}

// The Azure clouds whose registries are detected: the public cloud, Azure
// operated by 21Vianet (China) and Azure Government. (Azure Germany's
// azurecr.de was retired in 2021.)
var (
	AzurePublic     = AzureCloud{Suffix: "azurecr.io", AuthorityHost: "https://login.microsoftonline.com/"}
	AzureChina      = AzureCloud{Suffix: "azurecr.cn", AuthorityHost: "https://login.chinacloudapi.cn/"}
	AzureGovernment = AzureCloud{Suffix: "azurecr.us", AuthorityHost: "https://login.microsoftonline.us/"}
)

// acrDomain follows the first dot of every ACR registry's key:
// "<name>.azurecr.<tld>".
const acrDomain = "azurecr."

// ParseACRHost reports whether h is an Azure Container Registry login
// server on the default port, <name>.azurecr.io (or .cn, .us), and in which
// cloud. The name is one label of lower-case letters, digits and dashes
// (a registry name, or one with its domain name label hash). A string
// check only: no regexp, no allocation, cheap enough for every get.
func ParseACRHost(h Host) (AzureCloud, bool) {
	if h.Port != "" {
		return AzureCloud{}, false
	}
	i := strings.IndexByte(h.Name, '.')
	if i <= 0 || !hostLabel(h.Name[:i]) {
		return AzureCloud{}, false
	}
	switch h.Name[i+1:] {
	case AzurePublic.Suffix:
		return AzurePublic, true
	case AzureChina.Suffix:
		return AzureChina, true
	case AzureGovernment.Suffix:
		return AzureGovernment, true
	}
	return AzureCloud{}, false
}

// mayBeACR is MayBeDetected's filter for ACR keys: the registry's name is
// one label, so "azurecr." follows the key's first dot.
func mayBeACR(key string) bool {
	i := strings.IndexByte(key, '.')
	return i > 0 && strings.HasPrefix(key[i+1:], acrDomain)
}
