// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecr

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/ecr/ecrtest"
)

// idJWT is an unsigned JWT-shaped identity token (moto's STS does not
// verify it; the keyless integration tests use a signed one).
func idJWT(sub string, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc(fmt.Appendf(nil, `{"iss":"https://issuer.example","sub":%q,"aud":"sts.amazonaws.com","exp":%d}`, sub, exp.Unix())) + ".c2ln"
}

const ciRole = "arn:aws:iam::123456789012:role/ci-pull"

// TestMoto_identityFile: an entry's identity block (a file here) is handed
// to STS AssumeRoleWithWebIdentity for aws_role_arn, unsigned, and ECR's
// call is signed with the role's keys, not with the keys the default chain
// would find; the file is read again at each mint.
func TestMoto_identityFile(t *testing.T) {
	rec := startMoto(t)
	// Keys in the environment must not be what signs ECR's call.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	first := idJWT("repo:acme/app:ref:refs/heads/main", time.Now().Add(time.Hour))
	path := writeFile(t, "token", first+"\n")
	reg := credentials.Registry{AWSRoleARN: ciRole, Identity: &credentials.Identity{Source: credentials.IdentityFile, Path: path}}
	secret, _, err := mint(t, reg)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "123456789012-auth-token" {
		t.Errorf("secret = %q", secret)
	}
	calls := rec.Calls()
	if got, want := ops(calls), "AssumeRoleWithWebIdentity by ; "+ecrtest.TargetECR+" by ASIA"; got != want {
		t.Errorf("calls = %s, want %s", got, want)
	}
	if len(calls) > 0 {
		f := calls[0].Form
		if f.Get("WebIdentityToken") != first || f.Get("RoleArn") != ciRole || f.Get("RoleSessionName") != "docker-credential-mint" {
			t.Errorf("AssumeRoleWithWebIdentity: RoleArn %q, RoleSessionName %q, token sent: %v", f.Get("RoleArn"), f.Get("RoleSessionName"), f.Get("WebIdentityToken") == first)
		}
	}
	// The next mint reads the file again (a rotated projected token).
	second := idJWT("repo:acme/app:ref:refs/heads/main", time.Now().Add(2*time.Hour))
	writeTo(t, path, second)
	if _, _, err := mint(t, reg); err != nil {
		t.Fatal(err)
	}
	if calls := rec.Calls(); len(calls) != 2 || calls[0].Form.Get("WebIdentityToken") != second {
		t.Errorf("second mint: %s, want the rewritten token sent", ops(calls))
	}
}

// TestMoto_identityKubelet: with source kubelet, the service-account token
// of the kubelet's request (in the context) is the web identity token.
func TestMoto_identityKubelet(t *testing.T) {
	rec := startMoto(t)
	sa := idJWT("system:serviceaccount:team-a:puller", time.Now().Add(time.Hour))
	p := New(credentials.Registry{AWSRoleARN: ciRole, Identity: &credentials.Identity{Source: credentials.IdentityKubelet}}, Options{})
	if _, err := p.Token(credentials.WithServiceAccountToken(context.Background(), sa), host(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com"), nil); err != nil {
		t.Fatal(err)
	}
	if calls := rec.Calls(); len(calls) != 2 || calls[0].Form.Get("WebIdentityToken") != sa {
		t.Errorf("calls = %s, want the service account token sent", ops(calls))
	}
}

// TestMoto_identityErrors: a missing or expired identity token fails the
// mint in one line naming the source, without calling STS or showing the
// token.
func TestMoto_identityErrors(t *testing.T) {
	rec := startMoto(t)
	expired := idJWT("repo:acme/app", time.Now().Add(-time.Minute))
	for _, c := range []struct {
		id   credentials.Identity
		want string
	}{
		{credentials.Identity{Source: credentials.IdentityFile, Path: writeFile(t, "expired", expired)}, "identity: file: the identity token expired at"},
		{credentials.Identity{Source: credentials.IdentityFile, Path: "/nonexistent/token"}, "identity: file: open /nonexistent/token"},
		{credentials.Identity{Source: credentials.IdentityGitLab, Env: "MINT_TEST_NO_SUCH_VAR"}, "$MINT_TEST_NO_SUCH_VAR is not set"},
	} {
		_, _, err := mint(t, credentials.Registry{AWSRoleARN: ciRole, Identity: &c.id})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") ||
			!strings.HasPrefix(err.Error(), "ecr: 123456789012.dkr.ecr.us-east-1.amazonaws.com: ") {
			t.Errorf("%s: mint = %v, want one line about %q", c.id.Source, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), strings.Split(expired, ".")[1]) {
			t.Errorf("the error shows the token: %v", err)
		}
	}
	if calls := rec.Calls(); len(calls) != 0 {
		t.Errorf("calls = %s, want none", ops(calls))
	}
}

// TestConfig_ecrIdentity: the config takes an ecr entry's identity block
// only with aws_role_arn and without aws_profile, each refusal one line.
func TestConfig_ecrIdentity(t *testing.T) {
	for _, c := range []struct{ entry, want string }{
		{"aws_role_arn: " + ciRole + "\n    identity: {source: github-actions, audience: sts.amazonaws.com}", ""},
		{"identity: {source: kubelet}", "identity: invalid config: requires aws_role_arn"},
		{"aws_role_arn: " + ciRole + "\n    aws_profile: ci\n    identity: {source: gitlab, env: AWS_ID_TOKEN}", "aws_profile: invalid config: not with identity"},
	} {
		_, err := credentials.LoadConfig(strings.NewReader("registries:\n  - match: \"*.dkr.ecr.*.amazonaws.com\"\n    provider: ecr\n    "+c.entry+"\n"), "c.yaml")
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.entry, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n")):
			t.Errorf("%q: %v, want one line about %q", c.entry, err, c.want)
		}
	}
}

func writeTo(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
