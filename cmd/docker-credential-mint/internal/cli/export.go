// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/dockercfg"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

// export writes the current credentials (minted tokens for provider
// registries, through the helper's get) as a Kubernetes
// kubernetes.io/dockerconfigjson Secret or a plain Docker config.json, for
// clusters and machines that cannot run the helper (DESIGN §6). The document
// holds secrets: that is the product. It goes to stdout or, with --output,
// to a file written 0600 atomically; stderr says when the first exported
// token expires.

var exportUsage = usage{
	name:     "export",
	synopsis: "[--registry R ...] [--format secret|config] [--name N] [--namespace NS] [-o yaml|json] [--output FILE]",
	text: `Writes the current credentials as a Kubernetes kubernetes.io/dockerconfigjson
Secret (YAML by default, or JSON with -o json) or, with --format config, as a
plain Docker config.json ({"auths":{...}}), for clusters and machines that
cannot run the helper. Provider registries are exported with a freshly served
minted token, not the root credential. Default: every registry that list shows.

THE OUTPUT HOLDS SECRETS. It is written to stdout, or with --output to FILE
(mode 0600, replaced atomically; a FILE that is a symbolic link is refused).
Minted tokens expire: a warning on stderr says when the first one does;
export again before then. The kubelet cannot use identity tokens (username
<token>); a Secret holding one says so on stderr.`,
	examples: []string{
		"docker-credential-mint export --registry registry.example.com --name regcred --namespace apps | kubectl apply -f -",
		"docker-credential-mint export --format config --output /mnt/node/.docker/config.json",
		"docker-credential-mint export -o json --registry quay.io/org-a --registry ghcr.io",
	},
}

// exportEntry is one exported registry.
type exportEntry struct {
	host credentials.Host
	key  string // the auths key: Docker's Hub key, else host[:port][/path]
	cred credentials.Credentials
	life credentials.Answer // how long cred stays good
}

func runExport(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags(exportUsage)
	var registries multiFlag
	fs.Var(&registries, "registry", "a registry (server URL) to export; repeatable. Default: every registry that list shows")
	format := fs.String("format", "secret", "secret (a kubernetes.io/dockerconfigjson Secret) or config (a Docker config.json)")
	name := fs.String("name", "registry-credentials", "the Secret's metadata.name")
	namespace := fs.String("namespace", "", "the Secret's metadata.namespace; default: none (kubectl's current namespace)")
	encoding := fs.String("o", "yaml", "the Secret's encoding: yaml or json (a config.json is always JSON)")
	output := fs.String("output", "", "write to `FILE` (mode 0600, replaced atomically) instead of stdout")
	pos, code, done := parseArgs(exportUsage, fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, exportUsage, "unexpected argument %q: name registries with --registry", pos[0])
	}
	switch *format {
	case "secret", "config":
	default:
		return usageError(stderr, exportUsage, "--format %q: want secret or config", *format)
	}
	switch *encoding {
	case "yaml", "json":
	default:
		return usageError(stderr, exportUsage, "-o %q: want yaml or json", *encoding)
	}
	if *format == "secret" {
		if !dnsSubdomain(*name) {
			return usageError(stderr, exportUsage, "--name %q is not a Kubernetes object name (lower-case letters, digits, '-' and '.', at most 253)", *name)
		}
		if *namespace != "" && !dnsLabel(*namespace) {
			return usageError(stderr, exportUsage, "--namespace %q is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)", *namespace)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	w, err := e.WireConfig(ctx)
	if err != nil {
		return fail(stderr, "export", err)
	}
	t := now()
	entries, err := collectExport(ctx, w.Helper, registries, t)
	if err != nil {
		return fail(stderr, "export", err)
	}
	if len(entries) == 0 {
		return fail(stderr, "export", errors.New("no credentials to export: list shows no registry (store one with docker login or docker-credential-mint login)"))
	}
	config := dockerConfigJSON(entries)
	var doc []byte
	switch {
	case *format == "config":
		doc = config
	case *encoding == "json":
		doc = secretJSON(*name, *namespace, config)
	default:
		doc = secretYAML(*name, *namespace, config)
	}
	if *output != "" {
		if err := dockercfg.WriteFileNoFollow(*output, doc, 0o600); err != nil {
			return fail(stderr, "export", err)
		}
	} else if _, err := stdout.Write(doc); err != nil {
		return fail(stderr, "export", err)
	}
	for _, w := range exportWarnings(entries, *format == "secret", t) {
		fmt.Fprintf(stderr, "docker-credential-mint export: %s\n", w)
	}
	return 0
}

// collectExport gets the credential of each registry (every listed one when
// registries is empty), as get answers it. A registry asked for by name that
// has no credential, or any that fails, is an error: a partial export would
// break pulls later and far away.
func collectExport(ctx context.Context, oh credentials.Answerer, registries []string, t time.Time) ([]exportEntry, error) {
	explicit := len(registries) > 0
	if !explicit {
		listed, err := oh.List(ctx)
		if err != nil {
			return nil, err
		}
		for url := range listed {
			registries = append(registries, url)
		}
		sort.Strings(registries)
	}
	var out []exportEntry
	seen := map[string]bool{}
	for _, url := range registries {
		h, err := credentials.ParseHost(url)
		if err != nil {
			return nil, fmt.Errorf("registry %q: %w", kubeletClip(url), err)
		}
		key := serverURLFor(h)
		if seen[key] {
			continue
		}
		a, err := oh.Answer(ctx, url)
		if errors.Is(err, store.ErrNotFound) {
			if !explicit {
				continue // erased since list
			}
			return nil, fmt.Errorf("%s: no credential stored (docker login %s)", h.Key(), h.Registry())
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w (export the others with --registry)", h.Key(), err)
		}
		seen[key] = true
		out = append(out, exportEntry{host: h, key: key, cred: a.Credentials, life: a})
	}
	return out, nil
}

// dockerAuth is one auths entry of a Docker config.json.
type dockerAuth struct {
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
}

// dockerConfigJSON is {"auths":{key:{"auth":base64(user:secret)}}}, with an
// identity token as {"identitytoken":…}, indented, keys sorted.
func dockerConfigJSON(entries []exportEntry) []byte {
	auths := make(map[string]dockerAuth, len(entries))
	for _, en := range entries {
		if en.cred.Username == credentials.TokenUsername {
			auths[en.key] = dockerAuth{IdentityToken: en.cred.Secret}
			continue
		}
		auths[en.key] = dockerAuth{Auth: base64.StdEncoding.EncodeToString([]byte(en.cred.Username + ":" + en.cred.Secret))}
	}
	b, _ := json.MarshalIndent(map[string]any{"auths": auths}, "", "\t")
	return append(b, '\n')
}

// secretData is the Secret's .dockerconfigjson value: config compacted,
// base64.
func secretData(config []byte) string {
	var buf bytes.Buffer
	_ = json.Compact(&buf, config)
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// secretYAML writes the Secret by hand: every value is a validated name or
// base64, so nothing needs quoting.
func secretYAML(name, namespace string, config []byte) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n")
	if namespace != "" {
		b.WriteString("  namespace: " + namespace + "\n")
	}
	b.WriteString("type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: " + secretData(config) + "\n")
	return []byte(b.String())
}

// secretJSON is the Secret as JSON.
func secretJSON(name, namespace string, config []byte) []byte {
	type metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace,omitempty"`
	}
	b, _ := json.MarshalIndent(struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metadata          `json:"metadata"`
		Type       string            `json:"type"`
		Data       map[string]string `json:"data"`
	}{"v1", "Secret", metadata{name, namespace}, "kubernetes.io/dockerconfigjson", map[string]string{".dockerconfigjson": secretData(config)}}, "", "  ")
	return append(b, '\n')
}

// exportWarnings says how long the export is good for (the earliest
// expiry), and what the kubelet cannot use.
func exportWarnings(entries []exportEntry, secret bool, t time.Time) []string {
	var out []string
	var first *exportEntry
	for i := range entries {
		en := &entries[i]
		if en.life.Expiry.IsZero() {
			continue
		}
		if en.life.Minted && !en.life.Expiry.After(t) {
			out = append(out, fmt.Sprintf("warning: %s: the provider gave its token no lifetime; it may stop working at any moment", en.host.Key()))
			continue
		}
		if first == nil || en.life.Expiry.Before(first.life.Expiry) {
			first = en
		}
	}
	if first != nil {
		out = append(out, fmt.Sprintf("warning: exported credentials expire; the first, for %s, in %s (at %s): export again before then",
			first.host.Key(), humanDuration(first.life.Expiry.Sub(t)), first.life.Expiry.UTC().Format(time.RFC3339)))
	}
	if secret {
		for _, en := range entries {
			if en.cred.Username == credentials.TokenUsername {
				out = append(out, fmt.Sprintf("warning: %s: an identity token, which the kubelet ignores; pods will pull from it anonymously", en.host.Key()))
			}
		}
	}
	return out
}

// dnsSubdomain reports whether s is an RFC 1123 subdomain, as Kubernetes
// object names must be.
func dnsSubdomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !dnsLabel(l) {
			return false
		}
	}
	return true
}

// dnsLabel reports whether s is an RFC 1123 label: lower-case letters,
// digits and inner hyphens, at most 63.
func dnsLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
