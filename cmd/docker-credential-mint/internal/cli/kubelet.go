// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

// Kubelet credential provider mode (DESIGN §6): `docker-credential-mint
// kubelet` is the args of a kubelet CredentialProviderConfig entry. It reads
// a CredentialProviderRequest on stdin and answers a
// CredentialProviderResponse on stdout, from the same config, keychain and
// providers as the protocol's get. The kubelet's JSON is mirrored by the
// small structs below: the binary does not import k8s.io modules (start-up
// cost on every pull); the tests check them against k8s.io/kubelet's types.
//
// Decisions (see README.md, "Kubelet image credential provider"):
//
//   - Not found: exit 0 with an empty auth map and cacheDuration "0s". The
//     kubelet treats a failing plugin exactly like "no credentials" (it logs
//     an error and pulls with what other providers and image pull secrets
//     give), but logs it on every pull; "0s" keeps it from caching the
//     empty answer, so a later `docker-credential-mint login` takes effect
//     on the next pull.
//   - An identity token (username "<token>") cannot be expressed: the
//     response carries only username and password. That is an error.
//   - cacheDuration is the time until the helper itself would stop serving
//     the credential: a minted token's expiry less the refresh margin, a
//     static JWT's expiry; omitted (the kubelet's defaultCacheDuration) for
//     a credential without expiry; "0s" (do not cache) when less than a
//     second is left, never a negative or sub-second duration.
//   - cacheKeyType is Registry, and auth is keyed by the registry as the
//     image spells it (the kubelet's own cache key), except where the
//     registry has path-scoped credentials (quay.io/org-a): then Image, keyed
//     by the image's repository, so that one repository's credential is
//     never reused for another.
//   - The request's serviceAccountToken (kubelet 1.33+, tokenAttributes in
//     the CredentialProviderConfig) is the identity JWT of an entry whose
//     identity source is kubelet: the pod pulls with its own identity. The
//     helper caches the exchanged token per service account (router), and
//     the kubelet must too: with tokenAttributes.cacheType ServiceAccount
//     it adds the service account to its cache key (Registry or Image, as
//     above), with cacheType Token the token itself. Other entries ignore
//     the token.

// Kubelet API words (k8s.io/kubelet/pkg/apis/credentialprovider/v1).
const (
	kubeletAPIVersion   = "credentialprovider.kubelet.k8s.io/v1"
	kubeletRequestKind  = "CredentialProviderRequest"
	kubeletResponseKind = "CredentialProviderResponse"
	kubeletKeyRegistry  = "Registry"
	kubeletKeyImage     = "Image"
)

// kubeletAPIVersions are the versions answered, each in its own words: the
// request and response have had the same shape since v1alpha1, and the
// kubelet wants the response in the request's version.
var kubeletAPIVersions = map[string]bool{
	kubeletAPIVersion: true,
	"credentialprovider.kubelet.k8s.io/v1beta1":  true,
	"credentialprovider.kubelet.k8s.io/v1alpha1": true,
}

// kubeletMaxRequest bounds stdin: a request is an image name, and perhaps a
// service account token and a few annotations.
const kubeletMaxRequest = 1 << 20

// kubeletRequest is the part of a CredentialProviderRequest that is read;
// serviceAccountAnnotations are ignored.
type kubeletRequest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Image      string `json:"image"`
	// ServiceAccountToken is the pulling pod's service-account token
	// (kubelet 1.33+, with tokenAttributes in the CredentialProviderConfig):
	// the identity JWT of an entry whose identity source is kubelet. It is
	// never written anywhere nor shown.
	ServiceAccountToken string `json:"serviceAccountToken,omitempty"`
}

// kubeletResponse is a CredentialProviderResponse.
type kubeletResponse struct {
	APIVersion   string `json:"apiVersion"`
	Kind         string `json:"kind"`
	CacheKeyType string `json:"cacheKeyType"`
	// CacheDuration is a Go duration ("6h0m0s"); omitted: the kubelet's
	// defaultCacheDuration; "0s": do not cache.
	CacheDuration string                       `json:"cacheDuration,omitempty"`
	Auth          map[string]kubeletAuthConfig `json:"auth"`
}

// kubeletAuthConfig is a CredentialProviderResponse's AuthConfig.
type kubeletAuthConfig struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

var kubeletUsage = `Usage: docker-credential-mint kubelet < CredentialProviderRequest

Kubelet image credential provider mode (credentialprovider.kubelet.k8s.io/v1).
The kubelet runs it for images that its CredentialProviderConfig's matchImages
select: a CredentialProviderRequest JSON on stdin, a CredentialProviderResponse
JSON on stdout, holding the registry credential (a minted token for provider
registries) from the same config and keychain as docker pull. cacheDuration is
the token's remaining life less the refresh margin; omitted for credentials
that do not expire. No credential: an empty auth, exit 0. Errors: one line on
stderr, exit 1. Identity tokens cannot be given to the kubelet (an error).

With tokenAttributes (kubelet 1.33+), the request carries the pod's service
account token: a config entry with "identity: {source: kubelet}" exchanges it
(token_exchange or jwt_bearer), so each pod pulls with its own identity; the
exchanged token is cached per service account, never shared between two.

The response holds a secret: it is for the kubelet, not for a terminal.

Example (what the kubelet does):
  echo '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"registry.example.com/team/app:1.0"}' |
    docker-credential-mint kubelet

Kubelet configuration (--image-credential-provider-config):
  apiVersion: kubelet.config.k8s.io/v1
  kind: CredentialProviderConfig
  providers:
    - name: docker-credential-mint
      matchImages: ["registry.example.com", "*.registry.example.com"]
      defaultCacheDuration: "12h"
      apiVersion: credentialprovider.kubelet.k8s.io/v1
      args: [kubelet]
      tokenAttributes:                        # only for identity source kubelet
        serviceAccountTokenAudience: sts.example.com
        cacheType: ServiceAccount
        requireServiceAccount: true
`

func runKubelet(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kubelet", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, kubeletUsage)
			return 0
		}
		return kubeletFail(stderr, fmt.Errorf("%v (see docker-credential-mint kubelet --help)", err))
	}
	if fs.NArg() > 0 {
		return kubeletFail(stderr, errors.New("takes no arguments: the request comes on stdin (see docker-credential-mint kubelet --help)"))
	}
	req, ref, err := readKubeletRequest(stdin)
	if err != nil {
		return kubeletFail(stderr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout(wire.DefaultTimeout))
	defer cancel()
	ctx = credentials.WithServiceAccountToken(ctx, req.ServiceAccountToken)
	w, err := e.WireConfig(ctx)
	if err != nil {
		return kubeletFail(stderr, err)
	}
	resp, err := kubeletRespond(ctx, w, ref, time.Now)
	if err != nil {
		return kubeletFail(stderr, err)
	}
	resp.APIVersion = req.APIVersion
	b, err := json.Marshal(resp)
	if err != nil {
		return kubeletFail(stderr, err)
	}
	if _, err := stdout.Write(append(b, '\n')); err != nil {
		return kubeletFail(stderr, err)
	}
	return 0
}

// kubeletFail prints err as one line on stderr (the kubelet logs it) and
// returns 1.
func kubeletFail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "docker-credential-mint kubelet: %s\n", strings.Join(strings.Fields(err.Error()), " "))
	return 1
}

// readKubeletRequest reads and checks a CredentialProviderRequest. Errors
// name the problem and never repeat the input (it may hold a token).
func readKubeletRequest(r io.Reader) (kubeletRequest, credentials.Reference, error) {
	data, err := io.ReadAll(io.LimitReader(r, kubeletMaxRequest+1))
	if err != nil {
		return kubeletRequest{}, credentials.Reference{}, fmt.Errorf("read request: %w", err)
	}
	if len(data) > kubeletMaxRequest {
		return kubeletRequest{}, credentials.Reference{}, fmt.Errorf("request larger than %d bytes", kubeletMaxRequest)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return kubeletRequest{}, credentials.Reference{}, errors.New("empty request: want a CredentialProviderRequest on stdin")
	}
	var req kubeletRequest
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&req); err != nil {
		return kubeletRequest{}, credentials.Reference{}, errors.New("malformed request: not a CredentialProviderRequest JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return kubeletRequest{}, credentials.Reference{}, errors.New("malformed request: data after the JSON object")
	}
	if !kubeletAPIVersions[req.APIVersion] {
		return kubeletRequest{}, credentials.Reference{}, fmt.Errorf("unsupported apiVersion %q: want %s", kubeletClip(req.APIVersion), kubeletAPIVersion)
	}
	if req.Kind != kubeletRequestKind {
		return kubeletRequest{}, credentials.Reference{}, fmt.Errorf("unsupported kind %q: want %s", kubeletClip(req.Kind), kubeletRequestKind)
	}
	if req.Image == "" {
		return kubeletRequest{}, credentials.Reference{}, errors.New("the request has no image")
	}
	ref, err := credentials.ParseReference(req.Image)
	if err != nil {
		return kubeletRequest{}, credentials.Reference{}, err
	}
	return req, ref, nil
}

// kubeletClip shortens s for a message.
func kubeletClip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// kubeletRespond answers the image ref: the credential that get answers
// for the repository (host/path), else for the registry, as
// go-containerregistry asks. now is the clock for cacheDuration.
func kubeletRespond(ctx context.Context, w *wire.Wiring, ref credentials.Reference, now func() time.Time) (kubeletResponse, error) {
	resp := kubeletResponse{
		APIVersion:   kubeletAPIVersion,
		Kind:         kubeletResponseKind,
		CacheKeyType: kubeletKeyRegistry,
		Auth:         map[string]kubeletAuthConfig{},
	}
	key := ref.Domain
	if key == "" {
		key = credentials.DockerHub
	}
	scoped, err := pathScoped(ctx, w, ref.Host)
	if err != nil {
		return resp, err
	}
	if scoped {
		resp.CacheKeyType, key = kubeletKeyImage, ref.Name
	}
	for _, serverURL := range []string{ref.Host.Key(), ref.Host.Registry()} {
		a, err := w.Helper.Answer(ctx, serverURL)
		c := a.Credentials
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return resp, err
		}
		if c.Username == credentials.TokenUsername {
			return resp, fmt.Errorf("%s: the credential is an identity token (username %s), which a kubelet credential provider cannot return; store a username and password for this registry, or configure a provider that mints a password", serverURL, credentials.TokenUsername)
		}
		resp.Auth[key] = kubeletAuthConfig{Username: c.Username, Password: c.Secret}
		resp.CacheDuration = kubeletCacheDuration(a, now())
		return resp, nil
	}
	resp.CacheDuration = "0s"
	return resp, nil
}

// kubeletCacheDuration is how long the kubelet may keep the credential: until
// the helper would refresh it (expiry less margin), whole seconds, "0s" when
// under a second is left, "" (the kubelet's default) when it never expires.
func kubeletCacheDuration(l credentials.Answer, now time.Time) string {
	until, ok := l.GoodUntil()
	if !ok {
		return ""
	}
	d := until.Sub(now).Truncate(time.Second)
	if d < time.Second {
		return "0s"
	}
	return d.String()
}

// pathScoped reports whether some credential for h's registry covers only
// part of it: a stored key or a config pattern with a repository path.
// The kubelet must then cache per image, not per registry. It reads only
// the list of stored keys (no secrets).
func pathScoped(ctx context.Context, w *wire.Wiring, h credentials.Host) (bool, error) {
	for _, r := range w.Cfg.Registries {
		p := r.Pattern
		if p.Path != "" && p.Matches(credentials.Host{Name: h.Name, Port: h.Port, Path: p.Path}) {
			return true, nil
		}
	}
	entries, err := w.Roots.List(ctx)
	if err != nil {
		return false, err
	}
	prefix := h.Registry() + "/"
	for key := range entries {
		if !strings.HasPrefix(key, prefix) || (credentials.Host{Name: h.Name, Port: h.Port, Path: key[len(prefix):]}).IsDockerHubToken() {
			continue // Docker Hub's access-token and refresh-token entries
		}
		return true, nil
	}
	return false, nil
}
