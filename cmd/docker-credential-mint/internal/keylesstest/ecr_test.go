// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keylesstest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/ecr"
	"github.com/docker-credential-mint/mint/credentials/provider/ecr/ecrtest"
	"github.com/docker-credential-mint/mint/credentials/provider/identity"
)

// TestECR_webIdentityFromOIDCServer: an ecr entry's identity block hands a
// JWT signed by the real server (through the GitHub Actions stand-in) to
// moto's STS AssumeRoleWithWebIdentity, and ECR's call is signed with the
// role's keys. The token STS received is the server's own: the server
// accepts it again in a JWT bearer grant (signature, issuer, audience and
// expiry checked).
func TestECR_webIdentityFromOIDCServer(t *testing.T) {
	s := startServer(t, 600*time.Second)
	m, err := ecrtest.StartMoto()
	need(t, "moto", err)
	t.Cleanup(m.Stop)
	rec := ecrtest.NewRecorder(t, m.URL)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_ECR": rec.URL, "AWS_ENDPOINT_URL_STS": rec.URL,
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_ENDPOINT_URL": "",
	} {
		t.Setenv(k, v)
	}
	env := s.actionsEnv()
	before := s.stats(t)
	const role = "arn:aws:iam::123456789012:role/gha-pull"
	p := ecr.New(credentials.Registry{
		AWSRoleARN: role,
		Identity:   &credentials.Identity{Source: credentials.IdentityGitHubActions, Audience: audience},
	}, ecr.Options{Identity: identity.Options{Getenv: func(k string) string { return env[k] }}})
	tok, err := p.Token(context.Background(), credentials.Host{Name: "123456789012.dkr.ecr.us-east-1.amazonaws.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "AWS" || tok.Secret != "123456789012-auth-token" {
		t.Errorf("Token = %s/%q", tok.Username, tok.Secret)
	}
	calls := rec.Calls()
	if len(calls) != 2 || calls[0].Op != "AssumeRoleWithWebIdentity" || calls[0].KeyID != "" || calls[1].Op != ecrtest.TargetECR || calls[1].KeyID[:4] != "ASIA" {
		t.Fatalf("calls = %+v, want AssumeRoleWithWebIdentity (unsigned), then ECR with the role's keys", calls)
	}
	if got := calls[0].Form.Get("RoleArn"); got != role {
		t.Errorf("RoleArn = %q", got)
	}
	if after := s.stats(t); after.CITokens-before.CITokens != 1 {
		t.Errorf("%d identity tokens fetched, want 1", after.CITokens-before.CITokens)
	}
	// The server verifies the token STS got as its own.
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {calls[0].Form.Get("WebIdentityToken")}, "client_id": {s.clientID}}
	resp, err := hc.PostForm(s.url+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error_description"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		t.Errorf("the server refuses the web identity token STS received: %s %s", resp.Status, body.Error)
	}
}

// TestBinary_kubeletECRWebIdentity: in kubelet mode an ecr entry with
// identity source kubelet assumes its role with each pod's service-account
// token (signed by the real server): the full build sends the token of the
// request to moto's STS AssumeRoleWithWebIdentity and answers the kubelet
// with ECR's password.
func TestBinary_kubeletECRWebIdentity(t *testing.T) {
	s := startServer(t, 600*time.Second)
	m, err := ecrtest.StartMoto()
	need(t, "moto", err)
	t.Cleanup(m.Stop)
	rec := ecrtest.NewRecorder(t, m.URL)
	sb := clitest.New(t, clitest.Binary(t, ""),
		"AWS_ENDPOINT_URL_ECR="+rec.URL, "AWS_ENDPOINT_URL_STS="+rec.URL,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	const role = "arn:aws:iam::123456789012:role/pod-pull"
	sb.WriteConfig(`registries:
  - match: 123456789012.dkr.ecr.us-east-1.amazonaws.com
    provider: ecr
    aws_role_arn: ` + role + `
    identity:
      source: kubelet
`)
	for _, sa := range []string{"team-a:puller", "team-b:puller"} {
		tok := s.saToken(t, sa, "uid-"+sa, "pod-"+sa)
		resp, errs, code := kubeletAsk(t, sb, "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1", tok)
		if code != 0 || errs != "" {
			t.Fatalf("%s: exit %d, stderr %q", sa, code, errs)
		}
		if a := resp.Auth["123456789012.dkr.ecr.us-east-1.amazonaws.com"]; a.Username != "AWS" || a.Password != "123456789012-auth-token" {
			t.Errorf("%s: auth %v", sa, resp.Auth)
		}
		calls := rec.Calls()
		if len(calls) != 2 || calls[0].Op != "AssumeRoleWithWebIdentity" || calls[0].Form.Get("WebIdentityToken") != tok || calls[0].Form.Get("RoleArn") != role {
			t.Errorf("%s: calls %+v, want the pod's token sent to AssumeRoleWithWebIdentity", sa, len(calls))
		}
	}
}
