// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package acr

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Off Azure, DefaultAzureCredential's managed identity source first probes
// the instance metadata service (IMDS) at 169.254.169.254, an address the
// SDK hard-codes, and gives up after a second: where the address drops
// packets (most networks), every get of an ACR host on a machine without
// Azure credentials waited that second. The provider's HTTP client dials
// that address with a short timeout instead (on Azure it is link-local and
// connects in well under a millisecond). The miss itself is remembered by
// the router's provider.ShareFailures, for a MissKeyer: see MissKey.

// IMDSDialTimeout bounds the connection to the instance metadata service,
// the managed identity probe's: off Azure, what a miss costs.
const IMDSDialTimeout = 100 * time.Millisecond

// imdsAddress is where azidentity asks the instance metadata service.
const imdsAddress = "169.254.169.254:80"

// imdsDialer dials the instance metadata service, under IMDSDialTimeout.
// A seam for tests.
var imdsDialer = (&net.Dialer{}).DialContext

// dialer is the other connections' (azcore's default transport's).
var dialer = &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}

// sdkHTTP is azidentity's HTTP client when Options.Transport is nil: the
// settings of azcore's default transport (proxy variables honoured,
// HTTP/2, TLS 1.2 at least, renegotiation allowed), one per process so that
// a long-running kubelet plugin re-uses connections, with the metadata
// address dialled under IMDSDialTimeout.
var sdkHTTP = &http.Client{Transport: sdkTransport()}

func sdkTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 10
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, Renegotiation: tls.RenegotiateFreelyAsClient}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == imdsAddress {
			ctx, cancel := context.WithTimeout(ctx, IMDSDialTimeout)
			defer cancel()
			return imdsDialer(ctx, network, addr)
		}
		return dialer.DialContext(ctx, network, addr)
	}
	return t
}

// missEnv are the variables the credential chain reads to find a source
// (only whether each is set goes into MissKey: some hold secrets).
var missEnv = []string{
	"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
	"AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_TOKEN_CREDENTIALS",
	"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT",
	"AZURE_CONFIG_DIR", "AZD_CONFIG_DIR",
}

// MissKey implements provider.MissKeyer: the router remembers "no Azure
// credentials on this machine" (provider.DefaultShareNotFound) while this
// is the same: which of the chain's variables are set, and the times of
// the Azure CLI's and the Azure Developer CLI's login files (az login, azd
// auth login rewrite them). No value, nor a hash of one, is kept.
func (p *Provider) MissKey() string {
	var b strings.Builder
	for _, k := range missEnv {
		if p.o.Getenv(k) != "" {
			b.WriteString(k)
			b.WriteByte(' ')
		}
	}
	home, _ := os.UserHomeDir()
	azDir := p.o.Getenv("AZURE_CONFIG_DIR")
	if azDir == "" && home != "" {
		azDir = filepath.Join(home, ".azure")
	}
	azdDir := p.o.Getenv("AZD_CONFIG_DIR")
	if azdDir == "" && home != "" {
		azdDir = filepath.Join(home, ".azd")
	}
	for _, f := range []string{
		azDir, filepath.Join(azDir, "azureProfile.json"), filepath.Join(azDir, "msal_token_cache.json"), filepath.Join(azDir, "msal_token_cache.bin"),
		azdDir, filepath.Join(azdDir, "auth"), filepath.Join(azdDir, "config.json"),
	} {
		if fi, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%s@%d ", f, fi.ModTime().UnixNano())
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}
