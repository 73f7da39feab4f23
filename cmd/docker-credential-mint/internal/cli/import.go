// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/dockercfg"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

var importUsage = usage{
	name:     "import",
	synopsis: "[--from docker|containers] [--registry R ...]",
	text: `Moves plaintext credentials into the keychain, from the "auths" of
$DOCKER_CONFIG/config.json (default ~/.docker) and of the containers auth
files that podman, skopeo and buildah write ($REGISTRY_AUTH_FILE when set,
else $XDG_RUNTIME_DIR/containers/auth.json and
~/.config/containers/auth.json). Each "auth" (base64 user:password) or
"identitytoken" is stored through the same store action docker login uses,
and only then removed from its file: config.json keeps the empty {} entry
that Docker keeps for registries whose credentials live in a helper, an
auth file loses the entry (as podman logout leaves it). An entry that
cannot be moved stays exactly where it was. With --from, only that kind of
file is read; with --registry, only those registries are moved. Each file
is replaced atomically and keeps its mode and everything else; no copy
holding the secrets is made.

An auth file may key a credential by namespace (quay.io/org/app). Such an
entry stays in the file: podman, skopeo and buildah ask a credential helper
only for whole registries. Two files holding different credentials for one
registry: the first one moves (config.json, then the auth files in the order
podman reads them), the other stays where it is, reported. Nor does import
replace a different credential that the keychain already holds: the
plaintext one may be stale ("docker-credential-mint logout R" first if it is
not). A credential the keychain already holds is only removed from the file.

Clients find the moved credentials only through mint: run
"docker-credential-mint configure" for Docker if credsStore is not "mint"
yet, and "docker-credential-mint configure --containers --registry R" for
podman and skopeo, which read only credHelpers; import says which.`,
	examples: []string{
		"docker-credential-mint import",
		"docker-credential-mint import --registry quay.io",
		"docker-credential-mint import --from containers && docker-credential-mint configure --containers --registry quay.io",
	},
}

// secretKeys are the members of an auths entry that hold a secret (or, for
// username, half of one); import removes them once the credential is stored.
var secretKeys = []string{"auth", "identitytoken", "username", "password"}

// plainAuth is an auths entry as Docker writes it (cli/config/types.AuthConfig).
type plainAuth struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
}

// hasSecret reports whether the entry holds a credential to move.
func (a plainAuth) hasSecret() bool {
	return a.Auth != "" || a.IdentityToken != "" || a.Password != ""
}

// credential turns the entry into what store takes, as the Docker CLI's
// native store does: an identity token wins, stored under "<token>".
func (a plainAuth) credential(serverURL string) (credentials.Credentials, error) {
	c := credentials.Credentials{ServerURL: serverURL, Username: a.Username, Secret: a.Password}
	if a.Auth != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(a.Auth))
		if err != nil {
			return c, errors.New(`"auth" is not base64`)
		}
		user, pass, ok := strings.Cut(string(b), ":")
		if !ok {
			return c, errors.New(`"auth" is not user:password`)
		}
		c.Username, c.Secret = user, pass
	}
	if a.IdentityToken != "" {
		c.Username, c.Secret = credentials.TokenUsername, a.IdentityToken
	}
	if c.Username == "" {
		return c, errors.New("no username")
	}
	return c, nil
}

// importSource is one file import reads: the Docker config, or a
// containers auth file.
type importSource struct {
	path       string
	containers bool
}

// importSources are the files import reads for from ("" for all), in the
// order their credentials win: config.json, then the containers auth files
// in the order containers/image reads them. A file named twice (say,
// $REGISTRY_AUTH_FILE is config.json) is read once, as the first kind.
func importSources(e *wire.Env, from string) []importSource {
	var out []importSource
	if from != "containers" {
		out = append(out, importSource{path: dockercfg.DockerConfigFile(e.Getenv)})
	}
	if from != "docker" {
		for _, p := range dockercfg.ContainersAuthFiles(e.Getenv) {
			out = append(out, importSource{path: p, containers: true})
		}
	}
	seen := map[string]bool{}
	uniq := out[:0]
	for _, src := range out {
		key := filepath.Clean(src.path)
		if real, err := filepath.EvalSymlinks(key); err == nil {
			key = real
		}
		if !seen[key] {
			seen[key] = true
			uniq = append(uniq, src)
		}
	}
	return uniq
}

// movedCred is a credential import stored in this run, and whence.
type movedCred struct {
	c    credentials.Credentials
	from string
}

func runImport(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := newFlags(importUsage)
	var regs multiFlag
	flags.Var(&regs, "registry", "move only `R`'s entry (repeatable)")
	from := flags.String("from", "", "read only `docker` ($DOCKER_CONFIG/config.json) or containers (the podman/skopeo auth files); default: both")
	pos, code, done := parseArgs(importUsage, flags, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 {
		return usageError(stderr, importUsage, "no arguments expected, got %q (use --registry %s)", pos[0], pos[0])
	}
	switch *from {
	case "", "docker", "containers":
	default:
		return usageError(stderr, importUsage, "--from %q: want docker or containers", *from)
	}
	want := map[string]bool{}
	for _, r := range regs {
		h, err := credentials.ParseHost(r)
		if err != nil {
			return usageError(stderr, importUsage, "--registry %q: %s", r, err)
		}
		want[h.Key()] = false
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout(opTimeout))
	defer cancel()
	var w *wire.Wiring
	moved := map[string]movedCred{}       // h.Key() → what was stored
	var dockerMoved, podmanMoved []string // registries clients must be pointed at mint for
	var existing, missing []string
	containersHelpers := map[string]bool{} // credHelpers naming mint in some auth file
	failed, kept := 0, 0
	for _, src := range importSources(e, *from) {
		o, mode, err := dockercfg.ReadFile(src.path)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, src.path)
			continue
		}
		existing = append(existing, src.path)
		if err != nil {
			failed++
			fmt.Fprintf(stderr, "docker-credential-mint import: %s\n", credentials.OneLine(err.Error()))
			continue
		}
		if src.containers {
			if ch := o.Child("credHelpers"); ch != nil {
				for _, m := range ch.Members() {
					if v, _ := ch.GetString(m.Key); v == helperName {
						containersHelpers[m.Key] = true
					}
				}
			}
		}
		auths := o.Child("auths")
		if auths == nil {
			continue
		}
		changed := false
		for _, m := range auths.Members() {
			h, herr := credentials.ParseHost(m.Key)
			requested := false
			if len(want) > 0 {
				if herr != nil {
					continue
				}
				if _, ok := want[h.Key()]; !ok {
					continue
				}
				want[h.Key()], requested = true, true
			}
			var a plainAuth
			if json.Unmarshal(m.Value, &a) != nil || !a.hasSecret() {
				continue
			}
			if src.containers && herr == nil && h.Path != "" {
				// containers/image never asks a helper for a namespace
				// ("we don't support namespaced credentials in helpers").
				msg := fmt.Sprintf("%s: kept in %s: podman, skopeo and buildah ask a credential helper only for a whole registry, so a namespaced credential must stay in the auth file", m.Key, src.path)
				if requested {
					failed++
					fmt.Fprintf(stderr, "docker-credential-mint import: %s\n", msg)
				} else {
					kept++
					fmt.Fprintln(stdout, msg)
				}
				continue
			}
			serverURL := m.Key
			if src.containers && herr == nil {
				serverURL = serverURLFor(h)
			}
			c, err := a.credential(serverURL)
			if err == nil && herr != nil {
				err = herr
			}
			if err == nil && w == nil {
				if w, err = e.WireConfig(ctx); err != nil {
					return fail(stderr, "import", err)
				}
			}
			// The keychain's credential is never replaced by a different
			// plaintext one: that may be stale, and the user decides.
			held := ""
			if err == nil {
				if prev, ok := moved[h.Key()]; ok {
					held = "the same credential as in " + prev.from
					if prev.c.Username != c.Username || prev.c.Secret != c.Secret {
						err = fmt.Errorf("a different credential for %s was just moved from %s; remove one of the two by hand", h.Key(), prev.from)
					}
				} else if old, gerr := w.Roots.Get(ctx, h.Key()); gerr == nil {
					held = "the " + w.Keychain + " keychain held it already"
					if old.Username != c.Username || old.Secret != c.Secret {
						err = fmt.Errorf("the %s keychain already holds a different credential for %s (%s); to replace it with this one, run \"docker-credential-mint logout %s\" and import again", w.Keychain, h.Key(), old.Username, h.Key())
					}
				} else if !errors.Is(gerr, store.ErrNotFound) {
					err = gerr
				}
			}
			if err == nil && held == "" {
				err = w.Helper.Store(ctx, c)
			}
			if err != nil {
				failed++
				fmt.Fprintf(stderr, "docker-credential-mint import: %s: left in %s: %s\n", m.Key, src.path, credentials.OneLine(err.Error()))
				continue
			}
			if _, ok := moved[h.Key()]; !ok {
				moved[h.Key()] = movedCred{c: c, from: src.path}
			}
			entry := auths.Child(m.Key)
			for _, k := range secretKeys {
				entry.Remove(k)
			}
			if src.containers && len(entry.Members()) == 0 {
				auths.Remove(m.Key)
			} else {
				auths.SetChild(m.Key, entry)
			}
			if src.containers {
				podmanMoved = append(podmanMoved, h.Registry())
			} else {
				dockerMoved = append(dockerMoved, h.Registry())
			}
			changed = true
			who := c.Username
			if who == credentials.TokenUsername {
				who = "an identity token"
			}
			if held != "" {
				fmt.Fprintf(stdout, "moved %s (%s) from %s: %s\n", m.Key, who, src.path, held)
			} else {
				fmt.Fprintf(stdout, "moved %s (%s) from %s into the %s keychain\n", m.Key, who, src.path, w.Keychain)
			}
		}
		if changed {
			o.SetChild("auths", auths)
			if err := dockercfg.WriteFileAtomic(src.path, o.Bytes(), mode); err != nil {
				return fail(stderr, "import", fmt.Errorf("the credentials are in the keychain, but %s could not be rewritten and still holds them: %w", src.path, err))
			}
			if !src.containers {
				if cs, _ := o.GetString("credsStore"); cs == helperName {
					dockerMoved = nil
				}
			}
		}
	}
	for r, seen := range want {
		if !seen {
			failed++
			fmt.Fprintf(stderr, "docker-credential-mint import: %s: no entry in the auths of %s\n", r, strings.Join(existing, " or "))
		}
	}
	if len(dockerMoved) > 0 {
		fmt.Fprintln(stdout, `Docker reads them only through mint: run "docker-credential-mint configure" to set credsStore`)
	}
	var configure []string
	for _, r := range uniqueSorted(podmanMoved) {
		if !containersHelpers[r] {
			configure = append(configure, "--registry "+r)
		}
	}
	if len(configure) > 0 {
		fmt.Fprintf(stdout, "podman and skopeo read them only through mint: run \"docker-credential-mint configure --containers %s\"\n", strings.Join(configure, " "))
	}
	if len(moved) == 0 && failed == 0 && kept == 0 {
		switch {
		case len(missing) == 1:
			fmt.Fprintf(stdout, "Nothing to import: %s does not exist\n", missing[0])
		case len(existing) == 0:
			fmt.Fprintf(stdout, "Nothing to import: none of %s exists\n", strings.Join(missing, ", "))
		default:
			fmt.Fprintf(stdout, "Nothing to import: %s holds no plaintext credentials\n", strings.Join(existing, ", "))
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// uniqueSorted returns s sorted, without repeats.
func uniqueSorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return slices.Compact(out)
}
