// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/dockercfg"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"

	"github.com/docker-credential-mint/mint/credentials"
)

var configureUsage = usage{
	name:     "configure",
	synopsis: "[--registry R ...] [--containers] [--undo]",
	text: `Points clients at docker-credential-mint. With no flags it sets
"credsStore": "mint" in $DOCKER_CONFIG/config.json (default ~/.docker), so
Docker, crane, oras, regctl and nerdctl use it for every registry. With
--registry it sets "credHelpers" entries for those registries instead.
With --containers (which needs --registry) it also sets credHelpers in the
containers auth file ($REGISTRY_AUTH_FILE, else
~/.config/containers/auth.json): podman, skopeo and buildah ignore
credsStore and read only credHelpers.

The file is replaced atomically (a temporary file in the same directory,
synced, renamed over it), keeps its mode, and keeps every other key, the key
order and the formatting byte for byte. What configure replaced is recorded
next to the file in <file>.mint-undo (no secrets: only the previous helper
names), and --undo puts it back: credsStore and the credHelpers entries that
name mint are restored to their previous values, or removed. --undo with
--registry undoes only those registries' credHelpers entries.

configure refuses to name a helper that is not on PATH: Docker would then
fail every pull.`,
	examples: []string{
		"docker-credential-mint configure",
		"docker-credential-mint configure --registry quay.io --registry ghcr.io --containers",
		"docker-credential-mint configure --undo",
	},
}

// helperName is the name clients know this helper by (docker-credential-mint).
const helperName = "mint"

// undoRecord is <file>.mint-undo: what configure replaced, so that --undo
// can put it back. It names helpers, never a credential.
type undoRecord struct {
	// CredsStore is credsStore's value before configure set it; nil when
	// configure did not set it, "" when there was none.
	CredsStore *string `json:"credsStore,omitempty"`
	// CredHelpers maps each registry key configure set to its previous
	// helper, "" when there was none.
	CredHelpers map[string]string `json:"credHelpers,omitempty"`
	// NoCredHelpers records that the file had no credHelpers object.
	NoCredHelpers bool `json:"noCredHelpers,omitempty"`
}

func (r *undoRecord) empty() bool { return r.CredsStore == nil && len(r.CredHelpers) == 0 }

func readUndo(path string) (*undoRecord, error) {
	r := &undoRecord{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: does not parse: %v; remove it to configure afresh", path, err)
	}
	return r, nil
}

func writeUndo(path string, r *undoRecord) error {
	if r.empty() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	b, err := json.MarshalIndent(r, "", "\t")
	if err != nil {
		return err
	}
	return dockercfg.WriteFileAtomic(path, append(b, '\n'), 0o600)
}

func runConfigure(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags(configureUsage)
	var regs multiFlag
	fs.Var(&regs, "registry", "set a credHelpers entry for `R` instead of credsStore (repeatable)")
	containers := fs.Bool("containers", false, "also set credHelpers in the containers auth file (podman, skopeo); needs --registry")
	undo := fs.Bool("undo", false, "restore what configure changed")
	pos, code, done := parseArgs(configureUsage, fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 {
		return usageError(stderr, configureUsage, "no arguments expected, got %q (use --registry %s)", pos[0], pos[0])
	}
	if *containers && len(regs) == 0 {
		return usageError(stderr, configureUsage, "--containers needs --registry: podman and skopeo ignore credsStore, so name each registry")
	}
	var hosts []credentials.Host
	for _, r := range regs {
		h, err := credentials.ParseHost(r)
		if err != nil {
			return usageError(stderr, configureUsage, "--registry %q: %s", r, err)
		}
		if h.Path != "" {
			return usageError(stderr, configureUsage, "--registry %q: credHelpers name whole registries; use %s", r, h.Registry())
		}
		hosts = append(hosts, h)
	}
	if !*undo {
		if _, ok := e.LookPath("docker-credential-" + helperName); !ok {
			return fail(stderr, "configure", errors.New("docker-credential-mint is not on PATH: clients could not run it and every pull would fail; install it into a directory on PATH first"))
		}
	}
	files := []struct {
		path string
		key  func(credentials.Host) string
		// store: set credsStore when no registry is named (Docker only).
		store bool
	}{{dockercfg.DockerConfigFile(e.Getenv), serverURLFor, true}}
	if _, err := os.Stat(dockercfg.ContainersAuthFile(e.Getenv) + ".mint-undo"); *containers || *undo && len(hosts) == 0 && err == nil {
		files = append(files, struct {
			path  string
			key   func(credentials.Host) string
			store bool
		}{dockercfg.ContainersAuthFile(e.Getenv), credentials.Host.Registry, false})
	}
	status := 0
	for _, f := range files {
		keys := make([]string, len(hosts))
		for i, h := range hosts {
			keys[i] = f.key(h)
		}
		var (
			msgs []string
			err  error
		)
		if *undo {
			msgs, err = undoFile(f.path, keys, len(keys) > 0)
		} else {
			msgs, err = configureFile(f.path, keys, f.store && len(keys) == 0)
		}
		if err != nil {
			fmt.Fprintf(stderr, "docker-credential-mint configure: %s\n", credentials.OneLine(err.Error()))
			status = 1
			continue
		}
		for _, m := range msgs {
			fmt.Fprintf(stdout, "%s: %s\n", f.path, m)
		}
	}
	return status
}

// configureFile sets credsStore (setStore) or credHelpers[keys] to mint in
// the file at path, recording what it replaced, and returns what it did.
func configureFile(path string, keys []string, setStore bool) ([]string, error) {
	o, mode, err := dockercfg.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		o, mode, err = dockercfg.NewObject(), 0o600, nil
	}
	if err != nil {
		return nil, err
	}
	undoPath := path + ".mint-undo"
	rec, err := readUndo(undoPath)
	if err != nil {
		return nil, err
	}
	var msgs []string
	if setStore {
		old, had := o.GetString("credsStore")
		if had && old == helperName {
			msgs = append(msgs, `credsStore is already "mint"`)
		} else {
			if rec.CredsStore == nil {
				rec.CredsStore = &old
			}
			o.SetString("credsStore", helperName)
			if had && old != "" {
				msgs = append(msgs, fmt.Sprintf("credsStore: %q -> %q", old, helperName))
			} else {
				msgs = append(msgs, `credsStore: set to "mint"`)
			}
		}
	}
	if len(keys) > 0 {
		ch := o.Child("credHelpers")
		if ch == nil {
			if _, had := o.Get("credHelpers"); had {
				return nil, fmt.Errorf("%s: credHelpers is not a JSON object; fix it by hand", path)
			}
			rec.NoCredHelpers = true
			ch = o.NewChild()
		}
		for _, k := range keys {
			old, had := ch.GetString(k)
			if had && old == helperName {
				msgs = append(msgs, fmt.Sprintf("credHelpers[%s] is already \"mint\"", k))
				continue
			}
			if rec.CredHelpers == nil {
				rec.CredHelpers = map[string]string{}
			}
			if _, recorded := rec.CredHelpers[k]; !recorded {
				rec.CredHelpers[k] = old
			}
			ch.SetString(k, helperName)
			if had && old != "" {
				msgs = append(msgs, fmt.Sprintf("credHelpers[%s]: %q -> %q", k, old, helperName))
			} else {
				msgs = append(msgs, fmt.Sprintf("credHelpers[%s]: set to \"mint\"", k))
			}
		}
		o.SetChild("credHelpers", ch)
	}
	if err := writeUndo(undoPath, rec); err != nil {
		return nil, err
	}
	if err := dockercfg.WriteFileAtomic(path, o.Bytes(), mode); err != nil {
		return nil, err
	}
	return msgs, nil
}

// undoFile restores what configure changed in the file at path: all of it,
// or with only set, the credHelpers entries of keys.
func undoFile(path string, keys []string, only bool) ([]string, error) {
	o, mode, err := dockercfg.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []string{"does not exist; nothing to undo"}, nil
	}
	if err != nil {
		return nil, err
	}
	undoPath := path + ".mint-undo"
	rec, err := readUndo(undoPath)
	if err != nil {
		return nil, err
	}
	var msgs []string
	if !only {
		if cur, ok := o.GetString("credsStore"); ok && cur == helperName {
			if rec.CredsStore != nil && *rec.CredsStore != "" {
				o.SetString("credsStore", *rec.CredsStore)
				msgs = append(msgs, fmt.Sprintf("credsStore: restored %q", *rec.CredsStore))
			} else {
				o.Remove("credsStore")
				msgs = append(msgs, "credsStore: removed")
			}
		}
		rec.CredsStore = nil
	}
	if ch := o.Child("credHelpers"); ch != nil {
		want := map[string]bool{}
		for _, k := range keys {
			want[k] = true
		}
		var names []string
		for _, m := range ch.Members() {
			names = append(names, m.Key)
		}
		sort.Strings(names)
		changed := false
		for _, k := range names {
			if cur, ok := ch.GetString(k); !ok || cur != helperName || only && !want[k] {
				continue
			}
			if prev := rec.CredHelpers[k]; prev != "" {
				ch.SetString(k, prev)
				msgs = append(msgs, fmt.Sprintf("credHelpers[%s]: restored %q", k, prev))
			} else {
				ch.Remove(k)
				msgs = append(msgs, fmt.Sprintf("credHelpers[%s]: removed", k))
			}
			delete(rec.CredHelpers, k)
			changed = true
		}
		if changed {
			if len(ch.Members()) == 0 && rec.NoCredHelpers && len(rec.CredHelpers) == 0 {
				o.Remove("credHelpers")
			} else {
				o.SetChild("credHelpers", ch)
			}
		}
	}
	if len(rec.CredHelpers) == 0 {
		rec.NoCredHelpers = false
	}
	if len(msgs) == 0 {
		msgs = []string{"nothing names mint; nothing to undo"}
	} else if err := dockercfg.WriteFileAtomic(path, o.Bytes(), mode); err != nil {
		return nil, err
	}
	if err := writeUndo(undoPath, rec); err != nil {
		return nil, err
	}
	return msgs, nil
}
