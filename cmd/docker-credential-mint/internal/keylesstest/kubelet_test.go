// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keylesstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	credentialproviderv1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
)

// saToken asks the server for a JWT shaped like a bound service-account
// token of NAMESPACE:NAME (sa) with uid, for pod, signed by the key the
// exchange trusts.
func (s *server) saToken(t *testing.T, sa, uid, pod string) string {
	t.Helper()
	q := url.Values{"audience": {audience}, "ttl": {"600"}, "sa": {sa}, "sa_uid": {uid}, "pod": {pod}}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/ci/token?"+q.Encode(), nil)
	req.Header.Set("Authorization", "bearer "+s.requestToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Value string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.Value == "" {
		t.Fatalf("GET /ci/token (service account): %s, %v", resp.Status, err)
	}
	return v.Value
}

// active asks the server's introspection whether token is an active access
// token of the keyless client.
func (s *server) active(t *testing.T, token string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/token/introspection", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ccID, s.ccSecret)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Active   bool   `json:"active"`
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("introspection: %s, %v", resp.Status, err)
	}
	return v.Active && v.ClientID == s.clientID
}

// kubeletAsk runs the binary as a kubelet 1.33+ runs a credential provider
// with tokenAttributes: the request encoded by k8s.io/kubelet's types, with
// the pod's service-account token; the response decoded by them, strictly.
func kubeletAsk(t *testing.T, sb *clitest.Sandbox, image, token string) (*credentialproviderv1.CredentialProviderResponse, string, int) {
	t.Helper()
	in, err := json.Marshal(credentialproviderv1.CredentialProviderRequest{
		TypeMeta:                  metav1.TypeMeta{APIVersion: "credentialprovider.kubelet.k8s.io/v1", Kind: "CredentialProviderRequest"},
		Image:                     image,
		ServiceAccountToken:       token,
		ServiceAccountAnnotations: map[string]string{"mint.test/role": "puller"},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, errs, code := sb.Exec(string(in), "kubelet")
	if code != 0 {
		return nil, errs, code
	}
	scheme := runtime.NewScheme()
	if err := credentialproviderv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	obj, _, err := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer().Decode([]byte(out), nil, nil)
	if err != nil {
		t.Fatalf("the kubelet's types do not decode the response: %v", err)
	}
	resp, ok := obj.(*credentialproviderv1.CredentialProviderResponse)
	if !ok {
		t.Fatalf("decoded a %T", obj)
	}
	return resp, errs, code
}

// TestBinary_kubeletServiceAccountRealServer: in kubelet mode, the pod's
// service-account token from the kubelet's request is exchanged (RFC 8693)
// at the real server, which checks its signature, issuer, audience and
// expiry: each service account is exchanged once and gets its own access
// token (the server counts the exchanges by subject), a second pod of the
// same service account is answered from the cache, and a forged token is
// refused in one line that does not show it.
func TestBinary_kubeletServiceAccountRealServer(t *testing.T) {
	s := startServer(t, 600*time.Second)
	sb := clitest.New(t, clitest.Binary(t, ""))
	sb.WriteConfig(fmt.Sprintf(`registries:
  - match: registry.mint.test
    provider: oauth2
    grant: token_exchange
    token_url: %s/token
    client_id: %s
    audience: registry.mint.test
    scopes: [pull]
    username: oauth2
    identity:
      source: kubelet
`, s.url, s.clientID))
	podA1 := s.saToken(t, "team-a:puller", "uid-a", "a-1")
	podA2 := s.saToken(t, "team-a:puller", "uid-a", "a-2")
	podB := s.saToken(t, "team-b:puller", "uid-b", "b-1")
	before := s.stats(t)

	passwords := map[string]string{}
	for _, c := range []struct{ pod, token, sa string }{
		{"a-1", podA1, "team-a"}, {"b-1", podB, "team-b"}, {"a-2", podA2, "team-a"}, {"b-1", podB, "team-b"},
	} {
		resp, errs, code := kubeletAsk(t, sb, "registry.mint.test/app/web:1", c.token)
		if code != 0 || errs != "" {
			t.Fatalf("pod %s: exit %d, stderr %q", c.pod, code, errs)
		}
		a, ok := resp.Auth["registry.mint.test"]
		if !ok || len(resp.Auth) != 1 || a.Username != "oauth2" || a.Password == "" {
			t.Fatalf("pod %s: auth %+v", c.pod, resp.Auth)
		}
		if resp.CacheKeyType != credentialproviderv1.RegistryPluginCacheKeyType || resp.CacheDuration == nil || resp.CacheDuration.Duration <= 0 || resp.CacheDuration.Duration > 595*time.Second {
			t.Errorf("pod %s: cacheKeyType %q, cacheDuration %v; want Registry and under the token's 600 s less the margin", c.pod, resp.CacheKeyType, resp.CacheDuration)
		}
		if p, ok := passwords[c.sa]; ok && p != a.Password {
			t.Errorf("pod %s: another token than its service account's first", c.pod)
		}
		passwords[c.sa] = a.Password
	}
	if passwords["team-a"] == passwords["team-b"] {
		t.Error("two service accounts share an exchanged token")
	}
	for sa, p := range passwords {
		if !s.active(t, p) {
			t.Errorf("%s's password is not an active access token of the server", sa)
		}
	}
	after := s.stats(t)
	if d := after.Exchanges - before.Exchanges; d != 2 || after.BySubject["system:serviceaccount:team-a:puller"] != 1 || after.BySubject["system:serviceaccount:team-b:puller"] != 1 {
		t.Errorf("%d exchanges by subject %v; want one for each service account", d, after.BySubject)
	}

	// A forged token (another signature) is refused by the server.
	parts := strings.Split(s.saToken(t, "team-c:puller", "uid-c", "c-1"), ".")
	forged := parts[0] + "." + parts[1] + "." + strings.Split(podB, ".")[2]
	_, errs, code := kubeletAsk(t, sb, "registry.mint.test/app/web:1", forged)
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "refused the identity token from identity source kubelet") || !strings.Contains(errs, "signature verification failed") {
		t.Errorf("forged token: exit %d, stderr %q", code, errs)
	}
	if strings.Contains(errs, parts[1]) {
		t.Error("the error shows the token")
	}
}
