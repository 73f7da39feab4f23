// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker-credential-mint/mint/credentials/provider/gcr/gcrtest"
)

const gcrRegistry = "us-docker.pkg.dev"

// gcrSandbox runs the real full build with no config file and the GCE
// metadata server at the stand-in (GCE_METADATA_HOST: the SDK then probes
// nothing else); any request for a real Google endpoint hits the egress
// guard.
func gcrSandbox(t *testing.T, srv *gcrtest.Server) *sandbox {
	t.Helper()
	s := newSandbox(t)
	s.Env = append(s.Env, "HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9")
	if srv != nil {
		s.Env = append(s.Env, "GCE_METADATA_HOST="+srv.Host)
	}
	return s
}

// TestGCR_zeroConfigHerd: with no config at all, 50 parallel gets of an
// Artifact Registry host through the real binary make one token request to
// the metadata server and all answer its token; the protocol binary then
// serves the cached token alone (no full build next to it); list names
// nothing it cannot answer.
func TestGCR_zeroConfigHerd(t *testing.T) {
	srv := gcrtest.NewServer(t)
	s := gcrSandbox(t, srv)
	want := `{"ServerURL":"` + gcrRegistry + `","Username":"oauth2accesstoken","Secret":"ya29.metadata-1"}` + "\n"
	const herd = 50
	for _, out := range s.Herd(herd, gcrRegistry) {
		if out != want {
			t.Errorf("get: %q, want %q", out, want)
		}
	}
	if n := srv.Calls(); n != 1 {
		t.Errorf("%d token requests for %d gets, want 1", n, herd)
	}

	lean := clitest.Binary(t, "lean")
	if out, stderr, code := s.ExecProgram(lean, gcrRegistry+"/proj/repo", "get"); code != 0 || stderr != "" || out != strings.Replace(want, gcrRegistry, gcrRegistry+"/proj/repo", 1) {
		t.Errorf("lean get: exit %d, %q, %q", code, out, stderr)
	}
	if out := s.Must("", "list"); out != "{}\n" {
		t.Errorf("list = %q, want {}", out)
	}
	if n := srv.Calls(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

// TestGCR_staleServed: when the token endpoint fails while the cached
// token is due for refresh but has not expired, get serves it with one
// warning on stderr; detect_clouds: false then leaves the host to the
// store.
func TestGCR_staleServed(t *testing.T) {
	srv := gcrtest.NewServer(t)
	s := gcrSandbox(t, srv)
	want := `{"ServerURL":"gcr.io","Username":"oauth2accesstoken","Secret":"ya29.metadata-1"}` + "\n"
	if out := s.Must("gcr.io", "get"); out != want {
		t.Fatalf("get = %q", out)
	}
	// The same entry, explicit, with a margin longer than the token's life:
	// every get refreshes.
	s.WriteConfig("registries:\n  - match: gcr.io\n    provider: gcr\n    refresh_before: 2h\n")
	srv.Fail.Store(true)
	out, stderr, code := s.Exec("gcr.io", "get")
	if code != 0 || out != want || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "token refresh failed; using the cached token") || strings.Contains(stderr, "ya29.") {
		t.Errorf("get with the endpoint failing: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	s.WriteConfig("detect_clouds: false\n")
	if out, _, code := s.Exec("gcr.io", "get"); code != 1 || out != "credentials not found in native keychain\n" {
		t.Errorf("get with detect_clouds: false: exit %d, %q", code, out)
	}
}

// TestGCR_kubelet: the kubelet plugin answers an Artifact Registry image
// with no config: oauth2accesstoken, and a cacheDuration a little under the
// token's hour less the refresh margin; the second request is served from
// the token cache.
func TestGCR_kubelet(t *testing.T) {
	srv := gcrtest.NewServer(t)
	s := gcrSandbox(t, srv)
	for range 2 {
		resp := s.kubelet("europe-docker.pkg.dev/proj/repo/app:1.0")
		wantAuth(t, resp, "europe-docker.pkg.dev", "oauth2accesstoken", "ya29.metadata-1")
		if d := resp.CacheDuration; d == nil || d.Duration <= 50*time.Minute || d.Duration > 3599*time.Second-5*time.Minute {
			t.Errorf("cacheDuration %s, want a little under 54m59s", durationOf(resp))
		}
	}
	if n := srv.Calls(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

// TestGCR_identity: a gcr entry's identity block (a token file) is
// exchanged at the entry's STS for the workload identity provider, then
// the service account is impersonated.
func TestGCR_identity(t *testing.T) {
	srv := gcrtest.NewServer(t)
	s := gcrSandbox(t, nil)
	enc := base64.RawURLEncoding.EncodeToString
	subject := enc([]byte(`{"alg":"none"}`)) + "." + enc(fmt.Appendf(nil, `{"sub":"ci","exp":%d}`, time.Now().Add(time.Hour).Unix())) + ".sig"
	srv.AcceptSubject(subject)
	idFile := filepath.Join(s.Home, "id.jwt")
	if err := os.WriteFile(idFile, []byte(subject), 0o600); err != nil {
		t.Fatal(err)
	}
	s.WriteConfig(`registries:
  - match: "*-docker.pkg.dev"
    provider: gcr
    token_url: ` + srv.URL + `/v1/token
    gcp_audience: //iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/gh
    gcp_impersonate_service_account: puller@proj.iam.gserviceaccount.com
    gcp_impersonation_url: ` + srv.URL + `
    identity:
      source: file
      path: ` + idFile + "\n")
	out := s.Must(gcrRegistry, "get")
	if out != `{"ServerURL":"`+gcrRegistry+`","Username":"oauth2accesstoken","Secret":"ya29.impersonate-2"}`+"\n" {
		t.Errorf("get = %q", out)
	}
	if log := srv.Log(); len(log) != 2 || !strings.HasPrefix(log[0], "sts //iam.googleapis.com/") || log[1] != "impersonate puller@proj.iam.gserviceaccount.com" {
		t.Errorf("stand-in saw %q", log)
	}
}

// TestGCR_noCredentials: on a machine without Google credentials (no
// file, no metadata server: the network is cut off with unshare -n where
// the machine allows it), get of a Google registry is "credentials not
// found", so that docker pulls public images anonymously; a stored login
// (docker login -u _json_key) is answered as stored, for the registry and
// its repositories.
func TestGCR_noCredentials(t *testing.T) {
	s := gcrSandbox(t, nil)
	bin := s.Program
	if exec.Command("unshare", "-n", "true").Run() == nil {
		wrapper := filepath.Join(s.Home, "offline.sh")
		if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec unshare -n "+bin+" \"$@\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		bin = wrapper
	} else if product, _ := os.ReadFile("/sys/class/dmi/id/product_name"); strings.HasPrefix(string(product), "Google") {
		t.Skip("on Google's cloud without unshare -n: the real metadata server would answer")
	}
	for _, h := range []string{"gcr.io", "eu.gcr.io/proj/app", "us-central1-docker.pkg.dev"} {
		if out, stderr, code := s.ExecProgram(bin, h, "get"); code != 1 || stderr != "" || out != "credentials not found in native keychain\n" {
			t.Errorf("get %s: exit %d, stdout %q, stderr %q", h, code, out, stderr)
		}
	}
	key := `{"type":"service_account","private_key":"not-a-real-key"}`
	s.Store("gcr.io", "_json_key", key)
	want := func(url string) string {
		return `{"ServerURL":"` + url + `","Username":"_json_key","Secret":"{\"type\":\"service_account\",\"private_key\":\"not-a-real-key\"}"}` + "\n"
	}
	if out, stderr, code := s.ExecProgram(bin, "gcr.io", "get"); code != 0 || stderr != "" || out != want("gcr.io") {
		t.Errorf("get gcr.io with a stored login: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	// A repository under it is not found, as before detection: the client
	// asks the registry next.
	if out, stderr, code := s.ExecProgram(bin, "gcr.io/proj/app", "get"); code != 1 || stderr != "" || out != "credentials not found in native keychain\n" {
		t.Errorf("get gcr.io/proj/app with a stored login: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if out := s.Must("", "list"); out != `{"gcr.io":"_json_key"}`+"\n" {
		t.Errorf("list = %q", out)
	}
}

// TestGCR_failure: a failing token endpoint is one line on stdout (exit 1)
// that names the registry and the endpoint's error, with nothing on stderr
// and nothing of the key in it.
func TestGCR_failure(t *testing.T) {
	srv := gcrtest.NewServer(t)
	srv.Fail.Store(true)
	s := gcrSandbox(t, nil)
	key := srv.NewServiceAccountKey(t, s.Home, "puller@proj.iam.gserviceaccount.com")
	s.WriteConfig("registries:\n  - match: gcr.io\n    provider: gcr\n    gcp_credentials_file: " + key + "\n")
	out, stderr, code := s.Exec("gcr.io", "get")
	if code != 1 || stderr != "" || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "gcr: gcr.io: ") || !strings.Contains(out, "internal_failure") ||
		strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, "assertion") {
		t.Errorf("get: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}
