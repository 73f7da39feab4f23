// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"strings"
	"testing"
)

// TestParseECRHost is the table of ECR host spellings: the server URL as a
// client sends it → "account region [fips]", or "" when it is no ECR host.
func TestParseECRHost(t *testing.T) {
	for in, want := range map[string]string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com":              "123456789012 us-east-1",
		"https://123456789012.dkr.ecr.eu-west-3.amazonaws.com/v2/":  "123456789012 eu-west-3",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app":     "123456789012 us-east-1",
		"123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM":              "123456789012 us-east-1",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com:443":          "123456789012 us-east-1",
		"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com":     "123456789012 us-gov-west-1 fips",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn":          "123456789012 cn-north-1",
		"123456789012.dkr-ecr.us-east-1.on.aws":                     "123456789012 us-east-1",
		"123456789012.dkr-ecr-fips.us-east-1.on.aws":                "123456789012 us-east-1 fips",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com.":             "123456789012 us-east-1",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com:5000":         "",
		"12345678901.dkr.ecr.us-east-1.amazonaws.com":               "", // 11 digits
		"1234567890123.dkr.ecr.us-east-1.amazonaws.com":             "",
		"12345678901a.dkr.ecr.us-east-1.amazonaws.com":              "",
		"123456789012.dkr.ecr.amazonaws.com":                        "",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example": "",
		"123456789012.dkr.ecr.us-east-1.on.aws":                     "", // dual-stack is dkr-ecr
		"123456789012.dkr-ecr.us-east-1.amazonaws.com":              "",
		"x.123456789012.dkr.ecr.us-east-1.amazonaws.com":            "",
		"123456789012.dkr.ecr.us_east_1.amazonaws.com":              "",
		"123456789012.dkr.ecr.useast.amazonaws.com":                 "",
		"public.ecr.aws": "",
		"quay.io":        "",
		"localhost:5000": "",
	} {
		h, err := ParseHost(in)
		if err != nil {
			t.Errorf("ParseHost(%q): %v", in, err)
			continue
		}
		got := ""
		if e, ok := ParseECRHost(h); ok {
			got = e.Account + " " + e.Region
			if e.FIPS {
				got += " fips"
			}
		}
		if got != want {
			t.Errorf("ParseECRHost(%q) = %q, want %q", in, got, want)
		}
		if p, ok := DetectProvider(h); ok != (want != "") || (ok && p != ProviderECR) {
			t.Errorf("DetectProvider(%q) = %q, %v", in, p, ok)
		}
	}
}

// TestConfig_Detect: detection is on by default (no file, an empty file),
// off with detect_clouds: false; public.ecr.aws is never detected.
func TestConfig_Detect(t *testing.T) {
	ecrHost, _ := ParseHost("123456789012.dkr.ecr.us-east-1.amazonaws.com")
	public, _ := ParseHost("public.ecr.aws")
	var none *Config
	for name, tc := range map[string]struct {
		c    *Config
		want bool
	}{
		"nil":        {none, true},
		"zero":       {&Config{}, true},
		"empty file": {mustLoad(t, ""), true},
		"true":       {mustLoad(t, "detect_clouds: true\n"), true},
		"false":      {mustLoad(t, "detect_clouds: false\n"), false},
	} {
		if p, ok := tc.c.Detect(ecrHost); ok != tc.want || (ok && p != ProviderECR) {
			t.Errorf("%s: Detect(ecr) = %q, %v, want %v", name, p, ok, tc.want)
		}
		if tc.c.Detects() != tc.want {
			t.Errorf("%s: Detects() = %v", name, tc.c.Detects())
		}
		if _, ok := tc.c.Detect(public); ok {
			t.Errorf("%s: Detect(public.ecr.aws) = true", name)
		}
	}
}

// TestLoadConfig_ecrOptions: the ecr entry's options are parsed and checked,
// and belong to ecr only.
func TestLoadConfig_ecrOptions(t *testing.T) {
	c := mustLoad(t, `registries:
  - match: "*.dkr.ecr.*.amazonaws.com"
    provider: ecr
    aws_profile: prod
    aws_role_arn: arn:aws:iam::123456789012:role/pull
    aws_region: eu-west-1
    timeout: 5s
`)
	r := c.Registries[0]
	if r.AWSProfile != "prod" || r.AWSRoleARN != "arn:aws:iam::123456789012:role/pull" || r.AWSRegion != "eu-west-1" || r.Timeout.String() != "5s" || !r.MintsAlone() || r.NeedsRoot() {
		t.Errorf("entry = %+v", r)
	}
	for text, want := range map[string]string{
		"registries:\n  - match: a.example\n    provider: ecr\n    aws_role_arn: pull\n":                                 "config t.yaml:4: aws_role_arn: invalid config: must be a role ARN (arn:aws:iam::<account>:role/<name>)",
		"registries:\n  - match: a.example\n    provider: ecr\n    aws_region: Mars\n":                                   `config t.yaml:4: aws_region: invalid config: "Mars" is not an AWS region such as us-east-1`,
		"registries:\n  - match: a.example\n    provider: exec\n    command: [x]\n    username: u\n    aws_profile: p\n": "config t.yaml:6: aws_profile: invalid config: not valid for provider exec",
		"detect_clouds: no-thanks\n": "config t.yaml:1: detect_clouds: invalid config: must be true or false, not a str",
	} {
		_, err := LoadConfig(strings.NewReader(text), "t.yaml")
		if err == nil || err.Error() != want {
			t.Errorf("LoadConfig(%q) = %v\nwant %s", text, err, want)
		}
	}
}

func mustLoad(t *testing.T, text string) *Config {
	t.Helper()
	c, err := LoadConfig(strings.NewReader(text), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMayBeDetected: the list filter lets every detected host's key through.
func TestMayBeDetected(t *testing.T) {
	for key, want := range map[string]bool{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com":          true,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app": true,
		"123456789012.dkr-ecr.eu-west-1.on.aws":                 true,
		"quay.io":                                               false,
		"12345678901.dkr.ecr.us-east-1.amazonaws.com":           false,
		"123456789012":                                          false,
		"":                                                      false,
	} {
		if got := MayBeDetected(key); got != want {
			t.Errorf("MayBeDetected(%q) = %v, want %v", key, got, want)
		}
		if h, err := ParseHost(key); err == nil {
			if _, detected := DetectProvider(h); detected && !MayBeDetected(key) {
				t.Errorf("%q is detected but filtered out", key)
			}
		}
	}
}
