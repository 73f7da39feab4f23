// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker-credential-mint/mint/credentials/provider/acr/acrtest"
)

// acrSandbox runs the real full build against the stand-in authority and
// registry (srv): an explicit acr entry for the stand-in's 127.0.0.1:PORT
// (the host name detection needs, *.azurecr.io, cannot be served here;
// detection is tested on its own), the test CA in SSL_CERT_FILE, a client
// secret in the environment for azidentity's chain, and the egress guard:
// a request for any other address (login.microsoftonline.com, the managed
// identity endpoint) goes to a closed proxy port.
func acrSandbox(t *testing.T, srv *acrtest.Server, extra string) *sandbox {
	t.Helper()
	s := newSandbox(t)
	s.Env = append(s.Env,
		"AZURE_TENANT_ID="+acrtest.Tenant,
		"AZURE_CLIENT_ID="+acrtest.ClientID,
		"AZURE_CLIENT_SECRET="+acrtest.ClientSecret,
		"AZURE_AUTHORITY_HOST="+srv.AuthorityHost(),
		"SSL_CERT_FILE="+srv.CAFile,
		"HTTPS_PROXY=http://127.0.0.1:9",
		"HTTP_PROXY=http://127.0.0.1:9",
	)
	s.WriteConfig("registries:\n  - match: \"" + srv.Host + "\"\n    provider: acr\n" + extra)
	return s
}

// acrAnswer decodes get's answer; the password must be a refresh token
// the stand-in's exchange issued.
func acrAnswer(t *testing.T, srv *acrtest.Server, out string) (user, secret string) {
	t.Helper()
	var c struct{ ServerURL, Username, Secret string }
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("get answered %q: %v", out, err)
	}
	if c.Username != acrtest.Username || !srv.IsRefreshToken(c.Secret) {
		t.Errorf("get answered %s / %q, want the nil UUID and a refresh token of the exchange", c.Username, c.Secret)
	}
	return c.Username, c.Secret
}

// TestACR_herd: 50 parallel gets through the real binary make one Entra
// ID token request and one exchange, and all answer the same refresh
// token; the protocol binary then serves it alone (no full build next to
// it); list names the registry under the nil UUID; no secret reaches
// stderr.
func TestACR_herd(t *testing.T) {
	srv := acrtest.NewServer(t)
	s := acrSandbox(t, srv, "")
	var first string
	for _, out := range s.Herd(50, srv.Host) {
		if first == "" {
			first = out
			acrAnswer(t, srv, out)
		} else if out != first {
			t.Errorf("get answered %q and %q", first, out)
		}
	}
	if n, m := srv.TokenCalls(), srv.Exchanges(); n != 1 || m != 1 {
		t.Errorf("20 gets made %d token requests and %d exchanges, want 1 and 1", n, m)
	}

	// The protocol binary (no full build next to it) serves the cached
	// token.
	if out, stderr, code := s.ExecProgram(clitest.Binary(t, "lean"), srv.Host+"/team/app", "get"); code != 0 || stderr != "" || out != strings.Replace(first, `"ServerURL":"`+srv.Host+`"`, `"ServerURL":"`+srv.Host+`/team/app"`, 1) {
		t.Errorf("lean get: exit %d, %q, stderr %q", code, out, stderr)
	}
	if out := s.Must("", "list"); out != `{"`+srv.Host+`":"`+acrtest.Username+`"}`+"\n" {
		t.Errorf("list = %q", out)
	}
	if srv.Exchanges() != 1 {
		t.Errorf("exchanges = %d, want 1", srv.Exchanges())
	}
}

// TestACR_staleAndFailure: when the exchange fails inside the refresh
// margin, get serves the cached token with one warning on stderr (no
// secret in it); with nothing cached, the failure is one line on stdout
// naming the registry and the step, without a secret.
func TestACR_staleAndFailure(t *testing.T) {
	srv := acrtest.NewServer(t)
	// A margin longer than the token's life: every get refreshes.
	s := acrSandbox(t, srv, "    refresh_before: 4h\n")
	_, secret := acrAnswer(t, srv, s.Must(srv.Host, "get"))
	srv.Fail.Store(true)
	out, stderr, code := s.Exec(srv.Host, "get")
	if code != 0 || !strings.Contains(out, secret) {
		t.Errorf("stale get: exit %d, %q", code, out)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "token refresh failed; using the cached token") ||
		!strings.Contains(stderr, "503") || strings.Contains(stderr, secret) || strings.Contains(stderr, acrtest.ClientSecret) {
		t.Errorf("stale get: stderr %q", stderr)
	}

	s = acrSandbox(t, srv, "")
	out, stderr, code = s.Exec(srv.Host, "get")
	if code != 1 || stderr != "" || strings.Count(out, "\n") != 1 || !strings.Contains(out, srv.Host) ||
		!strings.Contains(out, "token exchange: 503") || strings.Contains(out, acrtest.ClientSecret) || strings.Contains(out, "eyJ") {
		t.Errorf("failing get: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// TestACR_kubelet: the kubelet plugin answers an image of the registry
// with the nil UUID, the refresh token, and a cacheDuration a little under
// its 3 h (the refresh margin); the second request is served from the
// token cache.
func TestACR_kubelet(t *testing.T) {
	srv := acrtest.NewServer(t)
	s := acrSandbox(t, srv, "")
	for range 2 {
		resp := s.kubelet(srv.Host + "/team/app:1.0")
		a, ok := resp.Auth[srv.Host]
		if !ok || a.Username != acrtest.Username || !srv.IsRefreshToken(a.Password) {
			t.Errorf("auth = %v", keysOf(resp.Auth))
		}
		if d := resp.CacheDuration; d == nil || d.Duration <= 2*time.Hour+50*time.Minute || d.Duration > 3*time.Hour-5*time.Minute {
			t.Errorf("cacheDuration %s, want a little under 2h55m", durationOf(resp))
		}
	}
	if n := srv.Exchanges(); n != 1 {
		t.Errorf("exchanges = %d, want 1", n)
	}
}

// TestACR_federated: an identity block (a token file) is the federated
// assertion azidentity sends, with the entry's tenant, client id and
// authority; no client secret is in the environment.
func TestACR_federated(t *testing.T) {
	srv := acrtest.NewServer(t)
	jwt := acrtest.UnsignedJWT(map[string]any{"sub": "system:serviceaccount:ci:puller", "aud": "api://AzureADTokenExchange", "exp": time.Now().Add(time.Hour).Unix()})
	srv.AcceptAssertion(jwt)
	file := filepath.Join(t.TempDir(), "identity.jwt")
	if err := os.WriteFile(file, []byte(jwt), 0o600); err != nil {
		t.Fatal(err)
	}
	s := acrSandbox(t, srv, "    azure_tenant_id: "+acrtest.Tenant+"\n    azure_client_id: "+acrtest.ClientID+
		"\n    azure_authority_host: "+srv.AuthorityHost()+"\n    identity:\n      source: file\n      path: "+file+"\n")
	for _, k := range []string{"AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST", "AZURE_TENANT_ID", "AZURE_CLIENT_ID"} {
		s.Env = clitest.WithoutVar(s.Env, k)
	}
	acrAnswer(t, srv, s.Must(srv.Host, "get"))
	if f := srv.TokenForms(); len(f) != 1 || f[0]["client_assertion"] != jwt || f[0]["client_secret"] != "" {
		t.Errorf("token requests = %v", f)
	}
}

// TestACR_noCredentials: with no config and no Azure credentials at all
// (no environment, no az, the managed identity endpoint unreachable), a
// get of an ACR host is "not found", so docker pulls its public images
// anonymously, and the kubelet plugin answers no auth; a login of the
// registry's own stored with docker login (an admin user) is served as it
// is, by both builds.
func TestACR_noCredentials(t *testing.T) {
	s := newSandbox(t)
	s.Env = append(s.Env, "HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9")
	if out, stderr, code := s.Exec("myreg.azurecr.io", "get"); code != 1 || out != "credentials not found in native keychain\n" || stderr != "" {
		t.Errorf("get: exit %d, %q, stderr %q", code, out, stderr)
	}
	if resp := s.kubelet("myreg.azurecr.io/team/app:1.0"); len(resp.Auth) != 0 {
		t.Errorf("kubelet auth = %v, want none", keysOf(resp.Auth))
	}
	s.Store("myreg.azurecr.io", "myreg", "admin-password")
	want := `{"ServerURL":"myreg.azurecr.io","Username":"myreg","Secret":"admin-password"}` + "\n"
	if out := s.Must("myreg.azurecr.io", "get"); out != want {
		t.Errorf("get with a stored admin login = %q", out)
	}
	if out, stderr, code := s.ExecProgram(clitest.Binary(t, "lean"), "myreg.azurecr.io", "get"); code != 0 || out != want || stderr != "" {
		t.Errorf("lean get with a stored admin login: exit %d, %q, %q", code, out, stderr)
	}
	if out := s.Must("", "list"); out != `{"myreg.azurecr.io":"myreg"}`+"\n" {
		t.Errorf("list = %q", out)
	}
}

// acrNetnsEnv marks the test process that runs inside its own network and
// mount namespaces.
const acrNetnsEnv = "MINT_TEST_ACR_NETNS"

// TestACR_zeroConfig: with no config file at all, the real binary serves
// myreg.azurecr.io by detection. The name must resolve to the stand-in, so
// the test re-runs itself under `unshare -n -m` (root only): a network
// namespace with loopback alone (nothing can leave it: it is the egress
// guard), /etc/hosts bind-mounted to map the name to 127.0.0.1, and the
// stand-in on 127.0.0.1:443 with a certificate for the name. 20 parallel
// gets make one token request and one exchange, the protocol binary then
// serves the token alone, and the kubelet plugin answers it.
func TestACR_zeroConfig(t *testing.T) {
	const name = "myreg.azurecr.io"
	if os.Getenv(acrNetnsEnv) == "" {
		unshare, err := exec.LookPath("unshare")
		if err != nil || os.Geteuid() != 0 {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI needs root and unshare for this test (unshare: %v, uid %d)", err, os.Geteuid())
			}
			t.Skip("needs root and unshare (a network namespace of its own)")
		}
		cmd := exec.Command(unshare, "-n", "-m", "--", os.Args[0], "-test.run=^TestACR_zeroConfig$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), acrNetnsEnv+"=1")
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "--- PASS: TestACR_zeroConfig") {
			t.Fatalf("in the namespace: %v\n%s", err, out)
		}
		return
	}
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip link set lo up: %v %s", err, out)
	}
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n127.0.0.1 "+name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(hosts, "/etc/hosts", "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind-mount /etc/hosts: %v", err)
	}
	srv := acrtest.NewServerFor(t, "127.0.0.1:443", name)
	s := newSandbox(t)
	s.Env = append(s.Env,
		"AZURE_TENANT_ID="+acrtest.Tenant,
		"AZURE_CLIENT_ID="+acrtest.ClientID,
		"AZURE_CLIENT_SECRET="+acrtest.ClientSecret,
		"AZURE_AUTHORITY_HOST="+srv.AuthorityHost(),
		"SSL_CERT_FILE="+srv.CAFile,
	)
	var first string
	for _, out := range s.Herd(20, name) {
		if first == "" {
			first = out
			acrAnswer(t, srv, out)
		} else if out != first {
			t.Errorf("get answered %q and %q", first, out)
		}
	}
	if n, m := srv.TokenCalls(), srv.Exchanges(); n != 1 || m != 1 {
		t.Errorf("20 gets made %d token requests and %d exchanges, want 1 and 1", n, m)
	}
	if out, stderr, code := s.ExecProgram(clitest.Binary(t, "lean"), name, "get"); code != 0 || stderr != "" || out != first {
		t.Errorf("lean get: exit %d, %q, stderr %q", code, out, stderr)
	}
	resp := s.kubelet(name + "/team/app:1.0")
	if a, ok := resp.Auth[name]; !ok || a.Username != acrtest.Username || !srv.IsRefreshToken(a.Password) {
		t.Errorf("kubelet auth = %v", keysOf(resp.Auth))
	}
	if srv.Exchanges() != 1 {
		t.Errorf("exchanges = %d, want 1", srv.Exchanges())
	}
}
