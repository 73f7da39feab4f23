// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"net"
	"net/http"
	"slices"
	"sync/atomic"

	"github.com/docker-credential-mint/mint/credentials/provider/ecr/ecrtest"
)

// ECR figures: the cached get of a detected ECR registry (no config) and
// one mint (a cold cache) against ecrtest's GetAuthorizationToken stand-in
// served by this process on loopback, for mint and for
// docker-credential-ecr-login with the same credentials and endpoint.
const (
	ecrBenchHost   = "123456789012.dkr.ecr." + ecrRegion + ".amazonaws.com"
	ecrBenchKeyID  = "AKIDMINTBENCH"
	ecrBenchSecret = "bench-aws-secret-key"
)

func startECR(c *config) *cloudStandIn {
	srv := ecrtest.New(ecrBenchKeyID, ecrBenchSecret, "bench-ecr-password")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	url := "http://" + l.Addr().String()
	var reqs atomic.Int64
	go func() {
		_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reqs.Add(1)
			srv.ServeHTTP(w, r)
		}))
	}()
	s := &cloudStandIn{
		cloud: "ecr",
		host:  ecrBenchHost,
		title: "One ECR mint on a cold cache (no config; ecrtest's GetAuthorizationToken stand-in on loopback, SigV4 checked)",
		note:  "mint (ecr cache): " + ecrBenchHost + " with no config (detected by its host name), its token cached by one get through the stand-in; the other registries are static logins in the file store. The protocol binary answers from the cache with no AWS SDK (it does not link it) and no hand-off.",
		after: "Each get runs in a fresh HOME with an empty token cache (mint's file store already holds one login, so its key exists): the credential chain (environment), one GetAuthorizationToken, the answer cached (mint: the encrypted file store, under the cross-process refresh lock; ecr-login: ~/.ecr/cache.json). The protocol binary execs the full build for the mint (callgrind does not count across that exec).",
		mints: srv.Calls,
		reqs:  reqs.Load,
		extra: []string{"AWS_ACCESS_KEY_ID=" + ecrBenchKeyID, "AWS_SECRET_ACCESS_KEY=" + ecrBenchSecret,
			"AWS_ENDPOINT_URL_ECR=" + url, "AWS_ENDPOINT_URL_STS=http://127.0.0.1:9",
			"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"},
	}
	if slices.Contains(c.refs, "ecr-login") {
		if bin, err := buildRef(c, "docker-credential-ecr-login", ecrModule, ecrVersion, ecrModule+"/cli/docker-credential-ecr-login"); err == nil {
			s.refs = append(s.refs, cloudMinter{name: "docker-credential-ecr-login " + ecrVersion, bin: bin})
		}
	}
	return s
}
