// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/docker-credential-mint/mint/credentials"
)

var importUsage = usage{
	name:     "import",
	synopsis: "[--registry R ...]",
	text: `Moves the plaintext credentials in the "auths" of $DOCKER_CONFIG/config.json
(default ~/.docker) into the keychain: each "auth" (base64 user:password) or
"identitytoken" is stored through the same store action docker login uses,
and only then removed from the file, leaving the empty {} entry that Docker
keeps for registries whose credentials live in a helper. An entry that
cannot be moved stays exactly where it was. With --registry, only those
registries are moved. The file is replaced atomically and keeps its mode and
everything else; no copy holding the secrets is made.

Docker finds the moved credentials only through mint: run
"docker-credential-mint configure" if credsStore is not "mint" yet.`,
	examples: []string{
		"docker-credential-mint import",
		"docker-credential-mint import --registry quay.io",
	},
}

func init() {
	commands["import"] = command{summary: "move plaintext auths from config.json into the keychain", run: runImport}
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

func runImport(ctx context.Context, e *env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := newFlags(importUsage)
	var regs multiFlag
	flags.Var(&regs, "registry", "move only `R`'s entry (repeatable)")
	pos, code, done := parseArgs(importUsage, flags, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 {
		return usageError(stderr, importUsage, "no arguments expected, got %q (use --registry %s)", pos[0], pos[0])
	}
	want := map[string]bool{}
	for _, r := range regs {
		h, err := credentials.ParseHost(r)
		if err != nil {
			return usageError(stderr, importUsage, "--registry %q: %s", r, err)
		}
		want[h.Key()] = false
	}
	path := e.dockerConfigFile()
	o, mode, err := readObjectFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "Nothing to import: %s does not exist\n", path)
		return 0
	}
	if err != nil {
		return fail(stderr, "import", err)
	}
	auths := o.child("auths")
	if auths == nil {
		if len(want) > 0 {
			return fail(stderr, "import", fmt.Errorf("%s has no auths: nothing stored in plain text for %s", path, strings.Join(regs, ", ")))
		}
		fmt.Fprintf(stdout, "Nothing to import: %s holds no plaintext credentials\n", path)
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout(opTimeout))
	defer cancel()
	w, err := e.wireCommand(ctx)
	if err != nil {
		return fail(stderr, "import", err)
	}
	moved, failed := 0, 0
	for _, m := range append([]jsonMember(nil), auths.members...) {
		h, herr := credentials.ParseHost(m.key)
		if len(want) > 0 {
			if herr != nil {
				continue
			}
			if _, ok := want[h.Key()]; !ok {
				continue
			}
			want[h.Key()] = true
		}
		var a plainAuth
		if json.Unmarshal(m.value, &a) != nil || !a.hasSecret() {
			continue
		}
		c, err := a.credential(m.key)
		if err == nil && herr != nil {
			err = herr
		}
		if err == nil {
			err = w.helper.Store(ctx, c)
		}
		if err != nil {
			failed++
			fmt.Fprintf(stderr, "docker-credential-mint import: %s: left in %s: %s\n", m.key, path, oneLine(err.Error()))
			continue
		}
		entry := auths.child(m.key)
		for _, k := range secretKeys {
			entry.remove(k)
		}
		auths.setChild(m.key, entry)
		moved++
		who := c.Username
		if who == credentials.TokenUsername {
			who = "an identity token"
		}
		fmt.Fprintf(stdout, "moved %s (%s) into the %s keychain\n", m.key, who, w.keychain)
	}
	for r, seen := range want {
		if !seen {
			failed++
			fmt.Fprintf(stderr, "docker-credential-mint import: %s: no entry in the auths of %s\n", r, path)
		}
	}
	if moved > 0 {
		o.setChild("auths", auths)
		if err := writeFileAtomic(path, o.bytes(), mode); err != nil {
			return fail(stderr, "import", fmt.Errorf("the credentials are in the keychain, but %s could not be rewritten and still holds them: %w", path, err))
		}
		if cs, _ := o.getString("credsStore"); cs != helperName {
			fmt.Fprintln(stdout, `Docker reads them only through mint: run "docker-credential-mint configure" to set credsStore`)
		}
	} else if failed == 0 {
		fmt.Fprintf(stdout, "Nothing to import: %s holds no plaintext credentials\n", path)
	}
	if failed > 0 {
		return 1
	}
	return 0
}
