// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package gcr

import (
	"context"
	"net"
	"os"
	"runtime"
	"strings"
	"time"
)

// With no credentials file anywhere, the SDK asks whether a metadata
// server is there (metadata.OnGCE): a request to 169.254.169.254 and a DNS
// look-up of metadata.google.internal, the first answer deciding. Off
// Google's cloud where that address drops packets and DNS is slow (an
// offline laptop, a broken resolver) that took 2 s, the metadata client's
// dial timeout. The provider first dials the address itself, briefly, and
// when nothing is there says "not found" without the SDK's probe. On a
// machine that says it is Google's (its product name, as the SDK reads
// it), or with $GCE_METADATA_HOST, the SDK decides alone.

// MetadataDialTimeout bounds the connection to the metadata server's
// address when nothing else holds credentials: on Google's cloud it is
// link-local and connects in well under a millisecond.
const MetadataDialTimeout = 100 * time.Millisecond

// metadataAddress is where the SDK asks the metadata server.
const metadataAddress = "169.254.169.254:80"

// metadataDialer dials the metadata server's address. A seam for tests.
var metadataDialer = (&net.Dialer{}).DialContext

// googleMachine reports whether the machine says it is a Google Compute
// Engine VM. A seam for tests.
var googleMachine = func() bool {
	if runtime.GOOS != "linux" {
		return false
	}
	b, _ := os.ReadFile("/sys/class/dmi/id/product_name")
	name := strings.TrimSpace(string(b))
	return name == "Google" || name == "Google Compute Engine"
}

// noMetadataServer reports whether no metadata server is surely there:
// $GCE_METADATA_HOST unset, the machine not Google's, and no connection to
// its address within MetadataDialTimeout.
func noMetadataServer(ctx context.Context, getenv func(string) string) bool {
	if getenv("GCE_METADATA_HOST") != "" || googleMachine() {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, MetadataDialTimeout)
	defer cancel()
	c, err := metadataDialer(ctx, "tcp", metadataAddress)
	if err != nil {
		return true
	}
	c.Close()
	return false
}
