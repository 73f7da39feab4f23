// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The kubelet's own plugin runner: mint-kubelet-runner (built by
// .ci/install.sh from testdata/kubeletrunner, a module of its own that
// imports k8s.io/kubernetes/pkg/credentialprovider/plugin) registers the
// providers of a CredentialProviderConfig and looks images up in a pod's
// keyring exactly as the kubelet does before a pull, asking a token
// endpoint for each pod's service-account token as the kubelet asks the
// API server.

// runnerPull is one image lookup of a pod.
type runnerPull struct {
	Namespace      string `json:"namespace"`
	Pod            string `json:"pod"`
	PodUID         string `json:"podUID"`
	ServiceAccount string `json:"serviceAccount"`
	Image          string `json:"image"`
}

// runnerResult is the runner's answer for a pull.
type runnerResult struct {
	Pod      string `json:"pod"`
	Found    bool   `json:"found"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// runKubeletRunner runs the runner once (a kubelet's life: its cache is
// empty at start) over pulls and returns its answers and how many tokens
// it asked for.
func runKubeletRunner(t *testing.T, e *env, k *keylessChain, config, binDir string, pulls []runnerPull) ([]runnerResult, int) {
	t.Helper()
	runner, err := lookPath("mint-kubelet-runner")
	require(t, "mint-kubelet-runner (.ci/install.sh)", err)
	in, _ := json.Marshal(map[string]any{
		"serviceAccounts": map[string]string{"team-a/puller": "uid-a", "team-b/puller": "uid-b"},
		"pulls":           pulls,
	})
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, runner, "-config", config, "-bin-dir", binDir)
	// The kubelet's environment reaches the plugin: the node's helper
	// environment, and where the runner gets service-account tokens.
	cmd.Env = append(e.environ(), "MINT_RUNNER_TOKEN_URL="+k.oidcURL+"/ci/token", "MINT_RUNNER_TOKEN_BEARER="+k.requestToken)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mint-kubelet-runner: %v\n%s", err, redact(stderr.String()))
	}
	if p, ok := containsSecret(stderr.String()); ok {
		t.Errorf("the kubelet logged the secret %s", p)
	}
	var results []runnerResult
	tokens := -1
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var m map[string]json.RawMessage
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("runner output: %v", err)
		}
		if n, ok := m["tokenRequests"]; ok {
			_ = json.Unmarshal(n, &tokens)
			continue
		}
		var r runnerResult
		b, _ := json.Marshal(m)
		_ = json.Unmarshal(b, &r)
		results = append(results, r)
	}
	if len(results) != len(pulls) {
		t.Fatalf("runner answered %d pulls of %d\n%s", len(results), len(pulls), redact(stderr.String()))
	}
	return results, tokens
}

// TestKeyless_KubeletPluginRunner: the kubelet's real plugin runner, with
// tokenAttributes (cacheType ServiceAccount), runs the helper for a pod's
// image with the pod's service-account token; the helper exchanges it at
// the real server; the runner hands the credential out, and the registry
// accepts it. Two pods of one service account make one plugin run (the
// kubelet's cache) and one exchange, another service account its own; a
// restarted kubelet (empty cache) runs the plugin again, which answers
// from the helper's cache without an exchange.
func TestKeyless_KubeletPluginRunner(t *testing.T) {
	t.Parallel()
	needTools(t, "crane")
	_, err := lookPath("mint-kubelet-runner")
	require(t, "mint-kubelet-runner (.ci/install.sh)", err)
	k, ci := keylessSetup(t)
	ci.writeDockerConfig(configName, nil)
	repo := "keyless/runner"
	image := k.reg.host + "/" + repo + ":1"
	cranePush(t, ci, image)

	node := newEnv(t)
	node.writeMintConfig(fmt.Sprintf(`registries:
  - match: %s
    provider: oauth2
    grant: token_exchange
    token_url: %s
    client_id: %s
    audience: %s
    username: %s
    identity:
      source: kubelet
`, k.reg.host, k.tokenURL, k.keylessClient, chainService, chainUsername))
	// The plugin directory holds the helper under the provider's name,
	// through a shim that counts the kubelet's runs.
	binDir := filepath.Join(node.root, "plugins")
	runs := filepath.Join(node.root, "plugin-runs.log")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shim := fmt.Sprintf("#!/bin/sh\necho \"$*\" >>%q\nexec %q \"$@\"\n", runs, needHelper(t))
	if err := os.WriteFile(filepath.Join(binDir, helperName), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(node.root, "credential-provider.yaml")
	if err := os.WriteFile(config, fmt.Appendf(nil, `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: %s
    matchImages: [%q]
    defaultCacheDuration: "10m"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    args: [kubelet]
    tokenAttributes:
      serviceAccountTokenAudience: %s
      cacheType: ServiceAccount
      requireServiceAccount: true
`, helperName, k.reg.host, keylessAudience), 0o600); err != nil {
		t.Fatal(err)
	}
	pull := func(ns, pod string) runnerPull {
		return runnerPull{Namespace: ns, Pod: pod, PodUID: pod + "-uid", ServiceAccount: "puller", Image: image}
	}

	before := k.stats(t)
	results, tokens := runKubeletRunner(t, node, k, config, binDir, []runnerPull{
		pull("team-a", "a-1"), pull("team-b", "b-1"), pull("team-a", "a-2"),
	})
	for _, r := range results {
		if !r.Found || r.Username != chainUsername || r.Password == "" {
			t.Fatalf("pod %s: found %v, username %q", r.Pod, r.Found, r.Username)
		}
		addSecret(t, r.Password)
		if st := k.pullManifest(t, r.Username, r.Password, repo, "1"); st != http.StatusOK {
			t.Errorf("pod %s: the registry answered %d to the kubelet's credential", r.Pod, st)
		}
	}
	if results[0].Password != results[2].Password || results[0].Password == results[1].Password {
		t.Error("want one credential per service account: a-1 and a-2 share, b-1 has its own")
	}
	b, _ := os.ReadFile(runs)
	if n := strings.Count(string(b), "\n"); n != 2 {
		t.Errorf("the kubelet ran the plugin %d times for 3 pulls of 2 service accounts, want 2 (cacheType ServiceAccount)", n)
	}
	after := k.stats(t)
	if after.Exchanges-before.Exchanges != 2 || after.ExchangeErrors != before.ExchangeErrors {
		t.Errorf("%d exchanges, want 2 (one per service account)", after.Exchanges-before.Exchanges)
	}
	t.Logf("kubelet runner: 3 pulls, 2 service accounts: %d plugin runs, %d token requests, %d exchanges",
		strings.Count(string(b), "\n"), tokens, after.Exchanges-before.Exchanges)

	// A restarted kubelet runs the plugin again; the helper's cache answers.
	teamA := results[0].Password
	results, _ = runKubeletRunner(t, node, k, config, binDir, []runnerPull{pull("team-a", "a-3")})
	if !results[0].Found || results[0].Password != teamA {
		t.Errorf("after a kubelet restart: found %v, the same credential as before: %v", results[0].Found, results[0].Password == teamA)
	}
	if again := k.stats(t); again.Exchanges != after.Exchanges {
		t.Errorf("a restarted kubelet's pull made %d exchanges, want 0 (the helper's cache)", again.Exchanges-after.Exchanges)
	}
}
