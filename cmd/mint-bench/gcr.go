// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"sync/atomic"

	"github.com/docker-credential-mint/mint/credentials/provider/gcr/gcrtest"
)

// Artifact Registry figures against gcrtest's token endpoint and metadata
// server, served by this process on loopback.
const (
	gcrBenchHost = "us-docker.pkg.dev"
	gcrModule    = "github.com/GoogleCloudPlatform/docker-credential-gcr/v2"
	gcrVersion   = "v2.2.1"
)

func startGCR(c *config) *cloudStandIn {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := gcrtest.New("http://" + l.Addr().String())
	var reqs atomic.Int64
	go func() {
		_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reqs.Add(1)
			srv.ServeHTTP(w, r)
		}))
	}()
	dir, err := os.MkdirTemp(c.tmp, "gcr-")
	check(err)
	key, _, err := srv.WriteServiceAccountKey(dir, "bench@test-project.iam.gserviceaccount.com")
	check(err)
	// HTTPS_PROXY to a closed port: nothing reaches a real Google endpoint.
	guard := []string{"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9"}
	metadata := append([]string{"GCE_METADATA_HOST=" + srv.Host}, guard...)
	s := &cloudStandIn{
		cloud: "gcr",
		host:  gcrBenchHost,
		title: "One Artifact Registry mint on a cold cache (no config; gcrtest's token endpoint, which verifies the key's RS256 assertion, and its metadata server, on loopback)",
		note:  "mint (gcr cache): " + gcrBenchHost + " with no config (detected by its host name), its access token (from a service account key file, $GOOGLE_APPLICATION_CREDENTIALS) cached by one get through the stand-in; the other registries are static logins in the file store. The protocol binary answers from the cache with no Google SDK (it does not link x/oauth2/google) and no hand-off.",
		after: "Each get runs in a fresh HOME with an empty token cache (mint's file store already holds one login, so its key exists). Key file: x/oauth2/google reads $GOOGLE_APPLICATION_CREDENTIALS, signs an RS256 assertion and asks the token endpoint; metadata server: $GCE_METADATA_HOST's token (the SDK's OnGCE check is the environment variable). docker-credential-gcr caches nothing: every get of it is a mint. With a key file it signs a self-signed JWT (cloud.google.com/go/auth's UseSelfSignedJWT) and asks nobody, so its key-file row is no mint against the stand-in (that JWT is not a token the stand-in issued).",
		mints: srv.Calls,
		reqs:  reqs.Load,
		extra: append([]string{"GOOGLE_APPLICATION_CREDENTIALS=" + key}, guard...),
		own:   []cloudMinter{{name: "mint full build, metadata server", bin: c.helper + "-full", mint: true, extra: metadata}},
	}
	if slices.Contains(c.refs, "gcr") {
		bin, err := buildRef(c, "docker-credential-gcr", gcrModule, gcrVersion, gcrModule)
		if err != nil {
			s.skips = append(s.skips, fmt.Sprintf("docker-credential-gcr %s: it did not build: %v", gcrVersion, firstLine(err.Error())))
		} else {
			s.refs = append(s.refs,
				cloudMinter{name: "docker-credential-gcr " + gcrVersion + ", metadata server", bin: bin, extra: metadata},
				cloudMinter{name: "docker-credential-gcr " + gcrVersion + ", key file (self-signed JWT, no request)", bin: bin})
		}
	}
	return s
}
