// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package gcr

import (
	"context"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// With no credentials file anywhere, the SDK asks whether a metadata
// server is there (metadata.OnGCE): a request to 169.254.169.254 and a DNS
// look-up of metadata.google.internal side by side, the first answer
// deciding. Off Google's cloud where that address drops packets and DNS is
// slow (an offline laptop, a broken resolver), that took 2 s, the metadata
// client's dial timeout. The provider first asks the same two, each bounded
// by MetadataDialTimeout, the first answer deciding as in the SDK, and when
// nothing is there says "not found" without the SDK's probe. On a machine
// that says it is Google's (its product name, as the SDK reads it), or with
// $GCE_METADATA_HOST, the SDK decides alone.

// MetadataDialTimeout bounds the connection to the metadata server's
// address, and the look-up of its name, when nothing else holds
// credentials: on Google's cloud the address is link-local and connects in
// well under a millisecond.
const MetadataDialTimeout = 100 * time.Millisecond

// metadataAddress is where the SDK asks the metadata server.
const metadataAddress = "169.254.169.254:80"

// metadataName is the metadata server's DNS name on Google's cloud.
const metadataName = "metadata.google.internal."

// metadataDialer dials the metadata server's address, and metadataLookup
// looks its name up. Seams for tests.
var (
	metadataDialer = (&net.Dialer{}).DialContext
	metadataLookup = (&net.Resolver{}).LookupHost
)

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

// noMetadataServer reports whether no metadata server is there:
// $GCE_METADATA_HOST unset, the machine not Google's, and the first of a
// connection to its address and a look-up of its name (to that address)
// failing, both within MetadataDialTimeout.
func noMetadataServer(ctx context.Context, getenv func(string) string) bool {
	if getenv("GCE_METADATA_HOST") != "" || googleMachine() {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, MetadataDialTimeout)
	defer cancel()
	there := make(chan bool, 2)
	go func() {
		c, err := metadataDialer(ctx, "tcp", metadataAddress)
		if err == nil {
			c.Close()
		}
		there <- err == nil
	}()
	go func() {
		addrs, err := metadataLookup(ctx, metadataName)
		there <- err == nil && slices.Contains(addrs, strings.TrimSuffix(metadataAddress, ":80"))
	}()
	return !<-there
}
