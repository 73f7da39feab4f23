// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletconfigv1 "k8s.io/kubelet/config/v1"
	credentialproviderv1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1"
	"sigs.k8s.io/yaml"

	"github.com/docker-credential-mint/mint/credentials"
)

// saToken returns a JWT shaped like a Kubernetes bound service-account
// token (unsigned: the httptest endpoint does not verify it).
func saToken(namespace, name, saUID, pod string, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{
		"iss": "https://kubernetes.default.svc.cluster.local",
		"sub": "system:serviceaccount:" + namespace + ":" + name,
		"aud": []string{"sts.example.com"},
		"exp": exp.Unix(), "iat": time.Now().Unix(), "nbf": time.Now().Unix(),
		"jti": pod + "-" + randomHex(),
		"kubernetes.io": map[string]any{
			"namespace":      namespace,
			"serviceaccount": map[string]string{"name": name, "uid": saUID},
			"pod":            map[string]string{"name": pod, "uid": pod + "-uid"},
		},
	})
	return enc([]byte(`{"alg":"RS256","kid":"k1"}`)) + "." + enc(claims) + "." + enc([]byte("sig-"+pod))
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// kubeletSARequest encodes a request with k8s.io/kubelet's types, as a
// kubelet 1.33+ with tokenAttributes sends it.
func kubeletSARequest(t testing.TB, image, token string) string {
	t.Helper()
	b, err := json.Marshal(credentialproviderv1.CredentialProviderRequest{
		TypeMeta:                  metav1.TypeMeta{APIVersion: kubeletAPIVersion, Kind: "CredentialProviderRequest"},
		Image:                     image,
		ServiceAccountToken:       token,
		ServiceAccountAnnotations: map[string]string{"example.com/role": "puller"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// exchangeServer is an RFC 8693 token endpoint that records the subject
// token of each exchange and answers access-N.
type exchangeServer struct {
	*httptest.Server
	mu       sync.Mutex
	subjects []string // the subject_token of each exchange, in order
}

func newExchangeServer(t *testing.T) *exchangeServer {
	t.Helper()
	x := &exchangeServer{}
	x.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f := r.PostForm
		if f.Get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange" || f.Get("subject_token") == "" ||
			f.Get("subject_token_type") != "urn:ietf:params:oauth:token-type:jwt" || f.Get("audience") != "registry.example.com" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_request"}`)
			return
		}
		x.mu.Lock()
		x.subjects = append(x.subjects, f.Get("subject_token"))
		n := len(x.subjects)
		x.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"access-%d","token_type":"Bearer","expires_in":3600,"issued_token_type":"urn:ietf:params:oauth:token-type:access_token"}`, n)
	}))
	t.Cleanup(x.Close)
	return x
}

func (x *exchangeServer) exchanged() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]string(nil), x.subjects...)
}

func kubeletIdentityConfig(tokenURL string) string {
	return fmt.Sprintf(`
registries:
  - match: registry.example.com
    provider: oauth2
    grant: token_exchange
    token_url: %s/token
    audience: registry.example.com
    username: oauth2accesstoken
    identity:
      source: kubelet
`, tokenURL)
}

// noFileHolds fails t when a file under dir holds one of secrets.
func noFileHolds(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		for _, s := range secrets {
			// The claims segment alone is as telling as the whole token.
			parts := strings.Split(s, ".")
			if strings.Contains(string(b), s) || (len(parts) == 3 && strings.Contains(string(b), parts[1])) {
				t.Errorf("%s holds a service account token", p)
			}
		}
		return nil
	})
}

// TestBinary_kubeletServiceAccountToken: with identity source kubelet, the
// serviceAccountToken of the kubelet's request (encoded by k8s.io/kubelet's
// types) is the subject token of the exchange: each service account gets
// its own exchanged token, a second pod of the same service account (a new
// token) is served from the cache, and two service accounts never share
// one. The token is written nowhere.
func TestBinary_kubeletServiceAccountToken(t *testing.T) {
	x := newExchangeServer(t)
	s := newSandbox(t)
	s.WriteConfig(kubeletIdentityConfig(x.URL))
	exp := time.Now().Add(time.Hour)
	podA1 := saToken("team-a", "puller", "uid-a", "pod-a1", exp)
	podB := saToken("team-b", "puller", "uid-b", "pod-b", exp)
	podA2 := saToken("team-a", "puller", "uid-a", "pod-a2", exp)
	// Same namespace and name, but the service account was recreated.
	podA3 := saToken("team-a", "puller", "uid-a-new", "pod-a3", exp)

	for i, c := range []struct{ token, want string }{
		{podA1, "access-1"},
		{podB, "access-2"},
		{podA2, "access-1"}, // the same service account: cached
		{podA3, "access-3"}, // another UID: another identity
		{podB, "access-2"},
	} {
		start := time.Now()
		out, errs, code := s.Exec(kubeletSARequest(t, "registry.example.com/team/app:1.0", c.token), "kubelet")
		if code != 0 || errs != "" {
			t.Fatalf("request %d: exit %d, stderr %q", i, code, errs)
		}
		resp := decodeKubeletResponse(t, []byte(out))
		wantAuth(t, resp, "registry.example.com", "oauth2accesstoken", c.want)
		if resp.CacheKeyType != credentialproviderv1.RegistryPluginCacheKeyType {
			t.Errorf("request %d: cacheKeyType %q, want Registry (the kubelet adds the service account with cacheType ServiceAccount)", i, resp.CacheKeyType)
		}
		if resp.CacheDuration == nil {
			t.Fatalf("request %d: no cacheDuration", i)
		}
		if d := resp.CacheDuration.Duration; d > 55*time.Minute || d < 55*time.Minute-time.Since(start)-30*time.Second {
			t.Errorf("request %d: cacheDuration %v, want about 55m", i, d)
		}
	}
	if got := x.exchanged(); len(got) != 3 || got[0] != podA1 || got[1] != podB || got[2] != podA3 {
		t.Errorf("%d exchanges, want 3: pod-a1's, pod-b's and pod-a3's tokens as the subject", len(got))
	}
	noFileHolds(t, s.Home, podA1, podA2, podA3, podB)
}

// TestBinary_kubeletServiceAccountTokenErrors: a kubelet entry without a
// token in the request (no tokenAttributes), with an expired or malformed
// one, or asked by plain get, fails in one line that names the fix and
// never shows the token; nothing is exchanged.
func TestBinary_kubeletServiceAccountTokenErrors(t *testing.T) {
	x := newExchangeServer(t)
	s := newSandbox(t)
	s.WriteConfig(kubeletIdentityConfig(x.URL))
	expired := saToken("team-a", "puller", "uid-a", "pod-old", time.Now().Add(-time.Minute))
	noSub := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"exp":%d,"secretclaim":"hush"}`, time.Now().Add(time.Hour).Unix())) + ".sig"
	for _, c := range []struct{ token, want string }{
		{"", "tokenAttributes"},
		{expired, "service account token of system:serviceaccount:team-a:puller expired at"},
		{"not-a-jwt-secret", "not a JWT"},
		{noSub, "no sub claim"},
	} {
		out, errs, code := s.Exec(kubeletSARequest(t, "registry.example.com/app", c.token), "kubelet")
		if code != 1 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("token %.20q: exit %d, stdout %q, stderr %q; want exit 1 and one line about %q", c.token, code, out, errs, c.want)
		}
		if claims := strings.Split(c.token+"..", ".")[1]; c.token != "" && (strings.Contains(errs, c.token) || claims != "" && strings.Contains(errs, claims) || strings.Contains(errs, "hush")) {
			t.Errorf("stderr shows the token: %q", errs)
		}
	}
	// Plain get has no kubelet request, so no identity.
	out, _, code := s.Exec("registry.example.com", "get")
	if code != 1 || !strings.Contains(out, "identity source kubelet: no service account token") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("get: exit %d, %q; want one line saying only the kubelet mode has the token", code, out)
	}
	// list does not offer a registry that get cannot answer.
	if list := s.Must("", "list"); strings.Contains(list, "registry.example.com") {
		t.Errorf("list = %s, names the kubelet-only registry", list)
	}
	if n := len(x.exchanged()); n != 0 {
		t.Errorf("%d exchanges, want none", n)
	}
}

// TestReadme_kubeletIdentityExample: the README's node example (the
// kubelet's CredentialProviderConfig with tokenAttributes, and the helper's
// config) is what the kubelet's types and LoadConfig accept, strictly.
func TestReadme_kubeletIdentityExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "### Pods pull with their own identity")
	if !ok {
		t.Fatal("README has no section \"Pods pull with their own identity\"")
	}
	var blocks []string
	for _, chunk := range strings.Split(section, "```yaml\n")[1:] {
		body, _, _ := strings.Cut(chunk, "```")
		blocks = append(blocks, body)
		if len(blocks) == 2 {
			break
		}
	}
	if len(blocks) != 2 {
		t.Fatalf("want the kubelet's config and the helper's, found %d yaml blocks", len(blocks))
	}
	var kc kubeletconfigv1.CredentialProviderConfig
	if err := yaml.UnmarshalStrict([]byte(blocks[0]), &kc); err != nil {
		t.Fatalf("the kubelet's config: %v", err)
	}
	if kc.Kind != "CredentialProviderConfig" || kc.APIVersion != "kubelet.config.k8s.io/v1" || len(kc.Providers) != 1 {
		t.Fatalf("the kubelet's config: %+v", kc)
	}
	p := kc.Providers[0]
	ta := p.TokenAttributes
	if p.Name != "docker-credential-mint" || len(p.Args) != 1 || p.Args[0] != "kubelet" || p.APIVersion != kubeletAPIVersion ||
		ta == nil || ta.ServiceAccountTokenAudience == "" || ta.CacheType != kubeletconfigv1.ServiceAccountServiceAccountTokenCacheType ||
		ta.RequireServiceAccount == nil || !*ta.RequireServiceAccount {
		t.Errorf("provider %+v, tokenAttributes %+v", p, ta)
	}
	cfg, err := credentials.LoadConfig(strings.NewReader(blocks[1]), "config.yaml")
	if err != nil {
		t.Fatalf("the helper's config: %v", err)
	}
	if r := cfg.Registries[0]; r.Identity == nil || r.Identity.Source != credentials.IdentityKubelet || r.Audience == "" {
		t.Errorf("the helper's config: %+v", r)
	}
	if host := strings.Split(cfg.Registries[0].TokenURL, "/")[2]; ta != nil && ta.ServiceAccountTokenAudience != host {
		t.Errorf("the kubelet's audience %q is not the token endpoint's host %q", ta.ServiceAccountTokenAudience, host)
	}
}
