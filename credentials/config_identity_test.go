// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestLoadConfig_keyless(t *testing.T) {
	c, err := LoadConfigFile(filepath.Join("testdata", "config", "keyless.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		grant, audience, clientID string
		id                        Identity
	}{
		{GrantTokenExchange, "gha.example.com", "", Identity{Line: 11, Source: IdentityGitHubActions, Audience: "sts.example.com"}},
		{GrantJWTBearer, "", "registry-puller", Identity{Line: 19, Source: IdentityGitLab, Env: "REGISTRY_ID_TOKEN"}},
		{GrantTokenExchange, "", "", Identity{Line: 26, Source: IdentityKubernetes, Path: "/var/run/secrets/tokens/registry"}},
		{GrantTokenExchange, "", "", Identity{Line: 33, Source: IdentityFile, Path: "/run/identity.jwt"}},
		{GrantJWTBearer, "", "", Identity{Line: 39, Source: IdentityExec, Command: []string{"/usr/local/bin/print-jwt", "--aud", "x"}, Timeout: 5 * time.Second}},
		{GrantTokenExchange, "", "", Identity{Line: 45, Source: IdentityKubelet}},
	}
	if len(c.Registries) != len(want) {
		t.Fatalf("%d registries, want %d", len(c.Registries), len(want))
	}
	for i, w := range want {
		r := c.Registries[i]
		if r.Grant != w.grant || r.Audience != w.audience || r.ClientID != w.clientID || r.Identity == nil || !reflect.DeepEqual(*r.Identity, w.id) {
			t.Errorf("entry %d = grant %q audience %q client_id %q identity %+v, want %+v", i, r.Grant, r.Audience, r.ClientID, r.Identity, w)
		}
		if r.NeedsRoot() || !r.MintsAlone() {
			t.Errorf("entry %d: NeedsRoot %v MintsAlone %v, want false, true", i, r.NeedsRoot(), r.MintsAlone())
		}
	}
}

// TestRegistry_NeedsRoot_grants: only the keyless grants mint alone.
func TestRegistry_NeedsRoot_grants(t *testing.T) {
	for grant, keyless := range map[string]bool{
		GrantClientCredentials: false, GrantRefreshToken: false, GrantTokenExchange: true, GrantJWTBearer: true,
	} {
		r := Registry{Provider: ProviderOAuth2, Grant: grant}
		if r.NeedsRoot() == keyless || r.MintsAlone() != keyless {
			t.Errorf("grant %s: NeedsRoot %v, MintsAlone %v", grant, r.NeedsRoot(), r.MintsAlone())
		}
	}
}

func TestLoadConfig_keylessDesignExample(t *testing.T) {
	// The keyless block of DESIGN §5, with its commented alternatives.
	const doc = `registries:
  - match: registry.example.com
    provider: oauth2
    grant: token_exchange        # RFC 8693 (subject_token); or jwt_bearer (RFC 7523, assertion)
    token_url: https://sts.example.com/oauth2/token
    audience: registry.example.com   # the exchange's audience parameter (optional)
    scopes: [repository:app:pull]
    username: oauth2accesstoken
    identity:                    # where the JWT comes from, fetched on each refresh
      source: github-actions     # github-actions | gitlab | kubernetes | file | exec | kubelet
      audience: sts.example.com  # github-actions: the audience asked of ACTIONS_ID_TOKEN_REQUEST_URL
`
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfigFile(p)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Registries[0]
	if r.Grant != GrantTokenExchange || r.Audience != "registry.example.com" || r.Identity.Source != IdentityGitHubActions || r.Identity.Audience != "sts.example.com" {
		t.Errorf("got %+v %+v", r, r.Identity)
	}
}
