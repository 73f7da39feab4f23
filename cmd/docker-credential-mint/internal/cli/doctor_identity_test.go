// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// claimsJWT is an unsigned JWT with the given claims; doctor decodes, it
// does not verify.
func claimsJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(b) + ".c2ln"
}

// TestDoctor_identity: one line per keyless entry: the source found and
// the claims of a token doctor can read offline, with expired, not yet
// valid and missing tokens as errors; no token is printed.
func TestDoctor_identity(t *testing.T) {
	o := doctorEnv(t)
	sa := claimsJWT(t, map[string]any{"iss": "https://kubernetes.default.svc.cluster.local", "sub": "system:serviceaccount:ci:puller",
		"aud": []string{"sts.example.com"}, "exp": fixedNow.Add(47 * time.Minute).Unix(), "iat": fixedNow.Add(-13 * time.Minute).Unix()})
	old := claimsJWT(t, map[string]any{"iss": "https://token.actions.githubusercontent.com", "aud": "sts.example.com", "exp": fixedNow.Add(-time.Hour).Unix()})
	early := claimsJWT(t, map[string]any{"iss": "https://idp.example", "aud": "sts.example.com", "exp": fixedNow.Add(time.Hour).Unix(), "nbf": fixedNow.Add(10 * time.Minute).Unix()})
	o.write("sa-token", sa)
	o.write("old.jwt", old)
	o.write("early.jwt", early)
	o.write("garbage.jwt", "not a token at all")
	entry := func(host, id string) string {
		return fmt.Sprintf("  - match: %s\n    provider: oauth2\n    grant: token_exchange\n    token_url: https://sts.example.com/oauth2/token\n    username: oauth2accesstoken\n    identity:\n%s", host, id)
	}
	o.write("config/docker-credential-mint/config.yaml", "registries:\n"+
		entry("k8s.example.com", "      source: kubernetes\n      path: "+o.path("sa-token")+"\n")+
		entry("expired.example.com", "      source: file\n      path: "+o.path("old.jwt")+"\n")+
		entry("early.example.com", "      source: file\n      path: "+o.path("early.jwt")+"\n")+
		entry("garbage.example.com", "      source: file\n      path: "+o.path("garbage.jwt")+"\n")+
		entry("missing.example.com", "      source: kubernetes\n      path: "+o.path("no-such-token")+"\n")+
		entry("gitlab.example.com", "      source: gitlab\n      env: REGISTRY_ID_TOKEN\n")+
		entry("gha.example.com", "      source: github-actions\n      audience: sts.example.com\n")+
		entry("exec.example.com", "      source: exec\n      command: [/bin/true, --audience, sts]\n")+
		entry(`"*.nodes.example.com"`, "      source: kubelet\n"))
	out := doctorGolden(t, o, "identity", 1)
	for _, tok := range []string{sa, old, early, strings.Split(sa, ".")[1]} {
		if strings.Contains(out, tok) {
			t.Error("doctor printed a token")
		}
	}
}

// TestDoctor_identityGitLabSet: a set variable is read and its claims
// shown; the GitHub Actions variables, when set, are named without being
// used unless --exchange.
func TestDoctor_identityGitLabSet(t *testing.T) {
	o := doctorEnv(t)
	o.vars["REGISTRY_ID_TOKEN"] = claimsJWT(t, map[string]any{"iss": "https://gitlab.example.com", "sub": "project_path:group/app:ref_type:branch:ref:main", "aud": "sts.example.com", "exp": fixedNow.Add(5 * time.Minute).Unix()})
	o.vars["ACTIONS_ID_TOKEN_REQUEST_URL"] = "http://127.0.0.1:9/unused?api-version=2.0"
	o.vars["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = canary
	o.write("config/docker-credential-mint/config.yaml", `registries:
  - match: gitlab.example.com
    provider: oauth2
    grant: jwt_bearer
    token_url: https://sts.example.com/oauth2/token
    username: oauth2accesstoken
    identity:
      source: gitlab
      env: REGISTRY_ID_TOKEN
  - match: gha.example.com
    provider: oauth2
    grant: token_exchange
    token_url: https://sts.example.com/oauth2/token
    username: oauth2accesstoken
    identity:
      source: github-actions
      audience: sts.example.com
`)
	doctorGolden(t, o, "identity-set", 0)
}

// TestDoctor_identityExchange: with --exchange, doctor fetches GitHub
// Actions' token and tries each exchange: the endpoint's refusal (here of
// the audience) is one line, a success says how long the token would live;
// a token that another audience than asked for is flagged before any
// exchange.
func TestDoctor_identityExchange(t *testing.T) {
	o := doctorEnv(t)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/ci/token":
			if r.Header.Get("Authorization") != "bearer "+canary {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			aud := r.URL.Query().Get("audience")
			if aud == "liar" {
				aud = "someone-else"
			}
			json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": claimsJWT(t, map[string]any{
				"iss": srv.URL + "/ci", "sub": "repo:mint/app:ref:refs/heads/main", "aud": aud, "exp": fixedNow.Add(5 * time.Minute).Unix()})})
		case "/token":
			_ = r.ParseForm()
			if !strings.Contains(r.PostForm.Get("subject_token"), ".") {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"error":"invalid_request"}`)
				return
			}
			payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(r.PostForm.Get("subject_token"), ".")[1])
			if !strings.Contains(string(payload), `"aud":"sts.example.com"`) {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"error":"invalid_grant","error_description":"subject token rejected: unexpected \"aud\" claim value"}`)
				return
			}
			io.WriteString(w, `{"access_token":"`+canary+`-at","token_type":"Bearer","expires_in":300}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	o.vars["ACTIONS_ID_TOKEN_REQUEST_URL"] = srv.URL + "/ci/token?api-version=2.0"
	o.vars["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = canary
	entry := func(host, aud string) string {
		return fmt.Sprintf("  - match: %s\n    provider: oauth2\n    grant: token_exchange\n    token_url: %s/token\n    client_id: mint\n    username: oauth2accesstoken\n    identity:\n      source: github-actions\n      audience: %s\n", host, srv.URL, aud)
	}
	o.write("config/docker-credential-mint/config.yaml", "registries:\n"+entry("good.example.com", "sts.example.com")+entry("wrong.example.com", "other.example.com")+entry("liar.example.com", "liar"))
	out, errs, code := o.run("", "doctor", "--exchange")
	if code != 1 || errs != "" {
		t.Errorf("doctor --exchange: exit %d, stderr %q", code, errs)
	}
	if strings.Contains(out, canary) {
		t.Error("doctor printed a secret")
	}
	got := strings.ReplaceAll(out, srv.URL, "$SERVER")
	golden(t, "doctor/identity-exchange", o.home, got)
}

// TestDoctor_identityCloud: a cloud entry's identity block gets the same
// line as a keyless oauth2 entry's (the source found, the token's claims,
// an expired token an error); its exchange is the SDK's, left to get.
func TestDoctor_identityCloud(t *testing.T) {
	o := doctorEnv(t)
	sa := claimsJWT(t, map[string]any{"iss": "https://kubernetes.default.svc.cluster.local", "sub": "system:serviceaccount:ci:puller",
		"aud": []string{"sts.amazonaws.com"}, "exp": fixedNow.Add(47 * time.Minute).Unix()})
	old := claimsJWT(t, map[string]any{"iss": "https://token.actions.githubusercontent.com", "aud": "api://AzureADTokenExchange", "exp": fixedNow.Add(-time.Hour).Unix()})
	o.write("sa-token", sa)
	o.write("old.jwt", old)
	o.write("config/docker-credential-mint/config.yaml", `registries:
  - match: 123456789012.dkr.ecr.eu-west-1.amazonaws.com
    provider: ecr
    aws_role_arn: arn:aws:iam::123456789012:role/puller
    identity:
      source: kubernetes
      path: `+o.path("sa-token")+`
  - match: europe-docker.pkg.dev
    provider: gcr
    gcp_audience: //iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/gh
    identity:
      source: gitlab
      env: GCP_ID_TOKEN
  - match: myreg.azurecr.io
    provider: acr
    azure_tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    azure_client_id: 3c8f7a2e-1111-4000-8000-000000000002
    identity:
      source: file
      path: `+o.path("old.jwt")+`
`)
	out := doctorGolden(t, o, "identity-cloud", 1)
	for _, tok := range []string{sa, old} {
		if strings.Contains(out, tok) {
			t.Error("doctor printed a token")
		}
	}
	for _, want := range []string{"123456789012.dkr.ecr.eu-west-1.amazonaws.com: identity kubernetes", "europe-docker.pkg.dev: identity gitlab: $GCP_ID_TOKEN is not set", "myreg.azurecr.io: identity file", "expired"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
}
