// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"strings"
	"testing"
)

// TestIsGCRHost is the table of Google registry spellings: gcr.io and one
// label under it, <location>-docker.pkg.dev, on the default port.
func TestIsGCRHost(t *testing.T) {
	for in, want := range map[string]bool{
		"gcr.io":                              true,
		"https://gcr.io/v2/":                  true,
		"gcr.io/my-project/app":               true,
		"GCR.IO":                              true,
		"gcr.io.":                             true,
		"gcr.io:443":                          true,
		"us.gcr.io":                           true,
		"eu.gcr.io/proj/app":                  true,
		"asia.gcr.io":                         true,
		"marketplace.gcr.io":                  true,
		"mirror.gcr.io":                       true,
		"us-central1-docker.pkg.dev":          true,
		"us-docker.pkg.dev/proj/repo/app":     true,
		"europe-docker.pkg.dev":               true,
		"asia-docker.pkg.dev":                 true,
		"europe-west4-docker.pkg.dev":         true,
		"gcr.io:5000":                         false,
		"a.b.gcr.io":                          false,
		"evilgcr.io":                          false,
		"gcr.io.evil.example":                 false,
		"-docker.pkg.dev":                     false,
		"docker.pkg.dev":                      false,
		"us.central1-docker.pkg.dev":          false,
		"us-central1-python.pkg.dev":          false,
		"us-central1-docker.pkg.dev.evil.com": false,
		"pkg.dev":                             false,
		"quay.io":                             false,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com": false,
	} {
		h, err := ParseHost(in)
		if err != nil {
			t.Errorf("ParseHost(%q): %v", in, err)
			continue
		}
		if got := IsGCRHost(h); got != want {
			t.Errorf("IsGCRHost(%q) = %v, want %v", in, got, want)
		}
		if p, ok := DetectProvider(h); want && (!ok || p != ProviderGCR) {
			t.Errorf("DetectProvider(%q) = %q, %v", in, p, ok)
		}
		if want && !MayBeDetected(h.Key()) {
			t.Errorf("%q is detected but the list filter drops its key %q", in, h.Key())
		}
	}
	if mustLoad(t, "detect_clouds: false\n").Detects() {
		t.Error("detect_clouds: false detects")
	}
	gcr, _ := ParseHost("gcr.io")
	if _, ok := mustLoad(t, "detect_clouds: false\n").Detect(gcr); ok {
		t.Error("detect_clouds: false still detects gcr.io")
	}
}

// TestIsGCRHost_allocs: detection runs on every get; it allocates nothing.
func TestIsGCRHost_allocs(t *testing.T) {
	hosts := []Host{{Name: "us-central1-docker.pkg.dev"}, {Name: "eu.gcr.io"}, {Name: "registry.example.com"}}
	if n := testing.AllocsPerRun(100, func() {
		for _, h := range hosts {
			DetectProvider(h)
		}
		MayBeDetected("registry.example.com/team/app")
	}); n != 0 {
		t.Errorf("detection allocates %v times", n)
	}
}

// TestMayBeDetected_gcr: the list filter lets Google keys through and
// keeps others out.
func TestMayBeDetected_gcr(t *testing.T) {
	for key, want := range map[string]bool{
		"gcr.io":                                true,
		"eu.gcr.io/proj/app":                    true,
		"us-docker.pkg.dev/proj/repo":           true,
		"registry.example.com":                  false,
		"registry.example.com/gcr.io":           false,
		"registry.example.com/x-docker.pkg.dev": false,
		"localhost:5000":                        false,
	} {
		if got := MayBeDetected(key); got != want {
			t.Errorf("MayBeDetected(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestLoadConfig_gcrOptions: the gcr entry's options are parsed, checked
// together, and belong to gcr only.
func TestLoadConfig_gcrOptions(t *testing.T) {
	c := mustLoad(t, `registries:
  - match: "*-docker.pkg.dev"
    provider: gcr
    gcp_credentials_file: /etc/mint/sa.json
    gcp_impersonate_service_account: puller@proj.iam.gserviceaccount.com
    scopes: [https://www.googleapis.com/auth/devstorage.read_only]
    timeout: 5s
  - match: gcr.io
    provider: gcr
    token_url: http://127.0.0.1:8080/v1/token
    gcp_audience: //iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/gh
    gcp_impersonate_service_account: puller@proj.iam.gserviceaccount.com
    gcp_impersonation_url: https://iam.example.com
    identity:
      source: github-actions
      audience: https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/gh
`)
	r := c.Registries[0]
	if r.GCP.CredentialsFile != "/etc/mint/sa.json" || r.GCP.ImpersonateServiceAccount != "puller@proj.iam.gserviceaccount.com" || len(r.Scopes) != 1 ||
		!r.MintsAlone() || r.NeedsRoot() {
		t.Errorf("entry = %+v", r)
	}
	if u, ok := r.FixedUsername(); !ok || u != "oauth2accesstoken" {
		t.Errorf("FixedUsername = %q, %v", u, ok)
	}
	if r := c.Registries[1]; r.Identity == nil || r.GCP.Audience == "" || r.TokenURL == "" || r.GCP.ImpersonationURL != "https://iam.example.com" {
		t.Errorf("entry = %+v", r)
	}
	const pre = "registries:\n  - match: gcr.io\n    provider: gcr\n"
	const id = "    identity:\n      source: file\n      path: /run/id.jwt\n"
	const aud = "    gcp_audience: //iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/gh\n"
	for text, want := range map[string]string{
		pre + "    gcp_credentials_file: sa.json\n":           "config t.yaml:4: gcp_credentials_file: invalid config: must be an absolute path",
		pre + "    gcp_impersonate_service_account: puller\n": "config t.yaml:4: gcp_impersonate_service_account: invalid config: must be a service account's email (name@project.iam.gserviceaccount.com)",
		pre + "    gcp_audience: projects/1/pools/p\n" + id:   "config t.yaml:4: gcp_audience: invalid config: must be a workload identity provider (//iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>)",
		pre + id:  "config t.yaml:2: gcp_audience: invalid config: required with an identity block (the workload identity provider)",
		pre + aud: "config t.yaml:4: gcp_audience: invalid config: only with an identity block",
		pre + "    token_url: https://sts.example.com\n":                    "config t.yaml:4: token_url: invalid config: only with an identity block",
		pre + aud + id + "    token_url: http://sts.example.com/v1/token\n": "config t.yaml:8: token_url: invalid config: plain http is allowed only for loopback hosts or with insecure: true",
		pre + aud + id + "    gcp_credentials_file: /sa.json\n":             "config t.yaml:8: gcp_credentials_file: invalid config: not with an identity block (the identity token is the credential)",
		pre + "    gcp_impersonation_url: https://iam.example.com\n":        "config t.yaml:4: gcp_impersonation_url: invalid config: only with gcp_impersonate_service_account",
		pre + "    username: me\n":                                          "config t.yaml:4: username: invalid config: not valid for provider gcr",
		"registries:\n  - match: a.example\n    provider: ecr\n" + aud:      "config t.yaml:4: gcp_audience: invalid config: not valid for provider ecr",
	} {
		_, err := LoadConfig(strings.NewReader(text), "t.yaml")
		if err == nil || err.Error() != want {
			t.Errorf("LoadConfig(%q) = %v\nwant %s", text, err, want)
		}
	}
}
