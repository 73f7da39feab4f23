// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// ecrHost is an ECR private registry's host: detection needs the default
// port, so it is served on 443 in the test's own namespace.
const ecrHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

// ecrLab starts the ECR side (ecrtest's GetAuthorizationToken, the token
// service, the registry at ecrHost) with a random AWS secret key and
// password prefix (both registered with addSecret), and points e's helper
// at it the zero-config way: AWS credentials in the environment, ECR at the
// stand-in through AWS_ENDPOINT_URL_ECR, no mint config file at all.
func ecrLab(t *testing.T, e *env) (lab *cloudLab, secretKey, password string) {
	t.Helper()
	secretKey = "aws-secret-key-" + randHex(12)
	password = "ecr-minted-" + randHex(8)
	addSecret(t, secretKey)
	addSecret(t, password)
	lab = startCloudLab(t, "ecr", []string{
		"CLOUDLAB_AWS_ACCESS_KEY_ID=AKIDMINTE2E",
		"CLOUDLAB_AWS_SECRET_ACCESS_KEY=" + secretKey,
		"CLOUDLAB_PASSWORD=" + password,
	}, ecrHost)
	lab.useIn(e)
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDMINTE2E",
		"AWS_SECRET_ACCESS_KEY":       secretKey,
		"AWS_ENDPOINT_URL_ECR":        lab.cloudURL,
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		e.setenv(k, v)
	}
	return lab, secretKey, password
}

// TestECR_realRegistry: an ECR-shaped registry (its real host name, TLS on
// 443) whose token service accepts only the AWS:<password> that the ECR
// stand-in minted. With no mint config at all, crane pushes and pulls,
// regctl and skopeo read and docker pulls (a dockerd in the namespace),
// through the helper (protocol binary handing the
// mint to the full build): one GetAuthorizationToken for all of them, the
// token service saw that one password and never the AWS secret key, and
// clients without the helper are refused.
func TestECR_realRegistry(t *testing.T) {
	t.Parallel()
	if !inCloudNamespace(t, ecrHost) {
		return
	}
	needTools(t, "crane", "regctl", "skopeo")
	e := newEnv(t)
	lab, _, password := ecrLab(t, e)
	ref := ecrHost + "/team/app:1"
	digest := lab.readZeroConfig(t, e, ecrHost, ref, 2)

	// The docker CLI and a dockerd of the namespace's own.
	lab.trustInDockerd(t)
	needDockerd(t, e)
	e.run("", "docker", "pull", ref)
	if out := e.run("", "docker", "image", "inspect", "--format", "{{index .RepoDigests 0}}", ref); !strings.Contains(out, digest) {
		t.Errorf("docker image inspect = %q, want digest %s", out, digest)
	}

	if c, ok := e.get(ecrHost); !ok || c.Username != "AWS" || c.Secret != password+"-1" {
		t.Errorf("get %s = %+v (found %v), want AWS and the first minted password", ecrHost, c, ok)
	}
	// status shows the detected registry with its cached token's expiry.
	wantDetectedRow(t, e, ecrHost, "ecr")
	st := lab.stats(t)
	if st.CloudCalls != 1 {
		t.Errorf("GetAuthorizationToken called %d times for a push, 4 pulls and 3 reads, want 1", st.CloudCalls)
	}
	if st.Issued < 6 || st.Denied != 0 {
		t.Errorf("token service: %+v, want at least 6 tokens issued and none denied", st)
	}
	if st.Passwords != 1 || st.Unminted != 0 || st.SecretKeySeen != 0 {
		t.Errorf("token service saw %d passwords (%d not minted), the AWS secret key %d times; want only the minted one", st.Passwords, st.Unminted, st.SecretKeySeen)
	}

	// The token service is no rubber stamp: a password ECR did not mint,
	// and a client without the helper, are refused.
	req, err := http.NewRequest(http.MethodGet, lab.tokenURL+"?service=x&scope=repository:team/app:pull", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("AWS", password+"-2")
	if code := tlsStatus(t, lab.caFile, req); code != http.StatusUnauthorized {
		t.Errorf("token service answered %d to a password ECR did not mint, want 401", code)
	}
	bare := newEnv(t)
	lab.useIn(bare)
	bare.writeDockerConfig("", nil)
	if out := bare.fail("", "crane", "digest", ref); !strings.Contains(strings.ToUpper(out), "UNAUTHORIZED") {
		t.Errorf("crane without the helper: %s, want unauthorized", out)
	}
	if st := lab.stats(t); st.CloudCalls != 1 {
		t.Errorf("GetAuthorizationToken called %d times in all, want 1", st.CloudCalls)
	}
}

// tlsStatus sends req trusting only caFile and returns the status.
func tlsStatus(t *testing.T, caFile string, req *http.Request) int {
	t.Helper()
	hc, err := caClient(caFile)
	if err != nil {
		t.Fatal(err)
	}
	hc.Timeout = 10 * time.Second
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
