// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import "testing"

// TestOpenRegistry_NotFoundMeansAnonymous: for a registry the helper knows
// nothing about, get answers "not found", and every client falls back to
// anonymous access instead of failing.
func TestOpenRegistry_NotFoundMeansAnonymous(t *testing.T) {
	t.Parallel()
	needHelper(t)
	needTools(t, "crane", "skopeo", "regctl", "oras")
	e := newEnv(t)
	r := startOpenRegistry(t)
	containersSetup(t, e, r.host) // credsStore and credHelpers: mint
	// Something stored for another registry, so that list is not empty.
	e.store("other.example:5000", "alice", alicePW)

	ref := r.host + "/anon/a:1"
	cranePush(t, e, ref)
	e.run("", "crane", "ls", r.host+"/anon/a")
	skopeoInspect(t, e, ref)
	e.run("", "regctl", "registry", "set", "--tls", "disabled", r.host)
	e.run("", "regctl", "tag", "ls", r.host+"/anon/a")
	e.run("", "oras", "manifest", "fetch", "--plain-http", ref)
	e.wantNoCred(r.host)
}

// TestDocker_UnusualPassword: a password with quotes, backslashes, spaces,
// shell and JSON metacharacters and non-ASCII text survives docker login,
// the helper's store and get, and a push.
func TestDocker_UnusualPassword(t *testing.T) {
	t.Parallel()
	pw := `p "w" \n\\ $HOME ${x} ` + "`id`" + ` {"a":1} ä€😀 ` + randHex(4)
	addSecret(t, pw)
	e, r := registrySetup(t, map[string]string{"carol": pw}, "crane")
	needDockerd(t, e)

	dockerLogin(t, e, r.host, "carol", pw)
	e.wantCred(r.host, "carol", pw)
	ref := r.host + "/carol/u:1"
	dockerPush(t, e, ref)
	wantCraneTags(t, e, r.host+"/carol/u", "1")
	e.wantNoAuthInDockerConfig()
}
