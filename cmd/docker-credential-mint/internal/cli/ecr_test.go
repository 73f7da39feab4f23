// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker-credential-mint/mint/credentials/provider/ecr/ecrtest"
)

const ecrRegistry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"

// ecrSandbox runs the real full build with no config file, AWS keys in the
// environment and ECR at the stand-in; any request for a real AWS endpoint
// hits the egress guard.
func ecrSandbox(t *testing.T, srv *ecrtest.Server) *sandbox {
	t.Helper()
	s := newSandbox(t)
	s.Env = append(s.Env,
		"AWS_ENDPOINT_URL_ECR="+srv.URL,
		"AWS_ENDPOINT_URL_STS=http://127.0.0.1:9",
		"AWS_ACCESS_KEY_ID=AKIDTEST",
		"AWS_SECRET_ACCESS_KEY=testsecret",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		"HTTPS_PROXY=http://127.0.0.1:9",
		"HTTP_PROXY=http://127.0.0.1:9",
	)
	return s
}

// TestECR_zeroConfigHerd: with no config at all, 50 parallel gets of an
// ECR registry through the real binary make one GetAuthorizationToken call
// and all answer its password; the protocol binary then serves the cached
// token alone; list names nothing it cannot answer, and an unclaimed host
// is not found without a call.
func TestECR_zeroConfigHerd(t *testing.T) {
	srv := ecrtest.NewServer(t)
	s := ecrSandbox(t, srv)
	want := `{"ServerURL":"` + ecrRegistry + `","Username":"AWS","Secret":"ecr-password-1"}` + "\n"
	for _, out := range s.Herd(50, ecrRegistry) {
		if out != want {
			t.Errorf("get: %q, want %q", out, want)
		}
	}
	if n := srv.Calls(); n != 1 {
		t.Errorf("GetAuthorizationToken called %d times for 50 gets, want 1", n)
	}
	if r := srv.Regions(); len(r) != 1 || r[0] != "eu-west-1" {
		t.Errorf("signing regions = %v, want [eu-west-1]", r)
	}

	// The protocol binary serves the cached token with no full build next to it.
	if out, stderr, code := s.ExecProgram(clitest.Binary(t, "lean"), ecrRegistry+"/team/app", "get"); code != 0 || stderr != "" || out != strings.Replace(want, ecrRegistry, ecrRegistry+"/team/app", 1) {
		t.Errorf("lean get: exit %d, %q, %q", code, out, stderr)
	}
	if out := s.Must("", "list"); out != "{}\n" {
		t.Errorf("list = %q, want {}", out)
	}
	if out, _, code := s.Exec("quay.io", "get"); code != 1 || out != "credentials not found in native keychain\n" {
		t.Errorf("get quay.io: exit %d, %q", code, out)
	}
	if n := srv.Calls(); n != 1 {
		t.Errorf("GetAuthorizationToken called %d times, want 1", n)
	}
}

// TestECR_detectOff: detect_clouds: false leaves an ECR host to the store
// (a stored login is answered as it is), and ECR is not asked.
func TestECR_detectOff(t *testing.T) {
	srv := ecrtest.NewServer(t)
	s := ecrSandbox(t, srv)
	s.WriteConfig("detect_clouds: false\n")
	if out, _, code := s.Exec(ecrRegistry, "get"); code != 1 || out != "credentials not found in native keychain\n" {
		t.Errorf("get: exit %d, %q", code, out)
	}
	s.Store(ecrRegistry, "AWS", "stored-password")
	if out := s.Must(ecrRegistry, "get"); !strings.Contains(out, `"Secret":"stored-password"`) {
		t.Errorf("get = %q, want the stored password", out)
	}
	if n := srv.Calls(); n != 0 {
		t.Errorf("GetAuthorizationToken called %d times, want 0", n)
	}
}

// TestECR_failure: a failing ECR is one line on stdout (exit 1) that names
// the registry, with nothing on stderr and no key in it.
func TestECR_failure(t *testing.T) {
	srv := ecrtest.NewServer(t)
	srv.Fail.Store(true)
	s := ecrSandbox(t, srv)
	s.Env = append(s.Env, "AWS_MAX_ATTEMPTS=1")
	out, stderr, code := s.Exec(ecrRegistry, "get")
	if code != 1 || stderr != "" || strings.Count(out, "\n") != 1 || !strings.Contains(out, ecrRegistry) || !strings.Contains(out, "GetAuthorizationToken") || strings.Contains(out, "testsecret") {
		t.Errorf("get: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// TestECR_kubelet: the kubelet plugin answers an ECR image with no config:
// the registry's password, and a cacheDuration a little under ECR's 12 h
// (the refresh margin); the second request is served from the token cache.
func TestECR_kubelet(t *testing.T) {
	srv := ecrtest.NewServer(t)
	s := ecrSandbox(t, srv)
	for range 2 {
		resp := s.kubelet(ecrRegistry + "/team/app:1.0")
		wantAuth(t, resp, ecrRegistry, "AWS", "ecr-password-1")
		if d := resp.CacheDuration; d == nil || d.Duration <= 11*time.Hour || d.Duration > 12*time.Hour-5*time.Minute {
			t.Errorf("cacheDuration %s, want a little under 11h55m", durationOf(resp))
		}
	}
	if n := srv.Calls(); n != 1 {
		t.Errorf("GetAuthorizationToken called %d times, want 1", n)
	}
}
