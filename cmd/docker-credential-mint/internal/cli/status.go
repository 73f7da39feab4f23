// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/static"
	"github.com/docker-credential-mint/mint/store"
)

var statusUsage = usage{
	name:     "status",
	synopsis: "[--json]",
	text: `Lists every registry the helper answers for: each stored one (the server URL
as it was stored), then each registry or pattern of the config file that
mints and is not stored, with the username, the keychain, the provider (from
the config file; static when none matches, "(detected)" after a cloud
provider that serves a registry by its host name with no config entry, e.g.
an ECR registry), when its credential expires (the
cached token's expiry for a provider that mints, the JWT's exp for a static
token) and what is missing ("no root credential: run … login"). Patterns are
shown as patterns, followed by the registries they have minted for; a
detected registry is shown once a token is cached for it. It
never prints a secret, and never mints or refreshes a token.`,
	examples: []string{"docker-credential-mint status", "docker-credential-mint status --json | jq '.[] | select(.expired)'"},
}

// statusRow is one registry in status's output; the JSON names are part of
// the --json contract.
type statusRow struct {
	ServerURL string `json:"serverURL"`
	Key       string `json:"key"`
	Username  string `json:"username"`
	Keychain  string `json:"keychain"`
	Provider  string `json:"provider"`
	// Expires is when the token (or a static JWT) expires; nil when
	// unknown or never.
	Expires *time.Time `json:"expires,omitempty"`
	// Remaining is Expires less now, in seconds, negative once expired.
	Remaining *int64 `json:"remainingSeconds,omitempty"`
	Expired   bool   `json:"expired"`
	// Note says why there is no expiry ("no token cached yet", …) or what
	// is missing.
	Note string `json:"note,omitempty"`
	// Pattern is true for a config pattern that matches many registries.
	Pattern bool `json:"pattern,omitempty"`
	// Detected is true for a registry that no config entry names and that
	// Provider serves because of its host name (an ECR host).
	Detected bool `json:"detected,omitempty"`
}

func runStatus(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags(statusUsage)
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	pos, code, done := parseArgs(statusUsage, fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 {
		return usageError(stderr, statusUsage, "no arguments expected, got %q", pos[0])
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout(opTimeout))
	defer cancel()
	w, err := e.WireConfig(ctx)
	if err != nil {
		return fail(stderr, "status", err)
	}
	rows, err := statusRows(ctx, e, w)
	if err != nil {
		return fail(stderr, "status", err)
	}
	if *asJSON {
		if rows == nil {
			rows = []statusRow{}
		}
		b, err := json.MarshalIndent(rows, "", "  ")
		if err != nil {
			return fail(stderr, "status", err)
		}
		if _, err := stdout.Write(append(printableJSON(b), '\n')); err != nil {
			return fail(stderr, "status", err)
		}
		return 0
	}
	if len(rows) == 0 {
		fmt.Fprintf(stdout, "No credentials stored (keychain %s). Store one with: docker-credential-mint login REGISTRY\n", printable(w.Keychain))
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGISTRY\tUSERNAME\tKEYCHAIN\tPROVIDER\tEXPIRES\tLEFT")
	for _, r := range rows {
		exp, left := "-", r.Note
		if r.Expires != nil {
			exp = r.Expires.UTC().Format(time.RFC3339)
			left = humanDuration(time.Duration(*r.Remaining) * time.Second)
			if r.Expired {
				left = "expired"
			}
		}
		if left == "" {
			left = "-"
		}
		// Fields come from the store and the config: escaped, a username
		// cannot recolour the terminal or draw a row or column.
		prov := printable(r.Provider)
		if r.Detected {
			prov += " (detected)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", printable(r.ServerURL), printable(r.Username), printable(r.Keychain), prov, exp, printable(left))
	}
	if err := tw.Flush(); err != nil {
		return fail(stderr, "status", err)
	}
	return 0
}

// statusRows lists the root credentials with their expiry. The token cache
// is read with List, which carries Expiry and no secret; a static entry is
// read whole only to find a JWT's exp, and its secret goes no further.
func statusRows(ctx context.Context, e *wire.Env, w *wire.Wiring) ([]statusRow, error) {
	roots, err := w.Roots.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(roots) == 0 && !wire.Minting(w.Cfg) && w.Router == nil {
		return nil, nil
	}
	tokens := map[string]store.Entry{}
	if tb, err := e.OpenBackend(ctx, w.Keychain, wire.NSTokens); err == nil {
		if tokens, err = tb.List(ctx); err != nil {
			e.Warn("warning: the token cache cannot be listed: " + credentials.OneLine(err.Error()))
		}
	}
	t := now()
	keys := make([]string, 0, len(roots))
	for k := range roots {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := make([]statusRow, 0, len(keys))
	for _, key := range keys {
		ent := roots[key]
		r := statusRow{ServerURL: ent.ServerURL, Key: key, Username: ent.Username, Keychain: w.Keychain, Provider: credentials.ProviderStatic}
		h, err := credentials.ParseHost(key)
		if err != nil {
			r.Note = "unparsable key"
			rows = append(rows, r)
			continue
		}
		if !h.IsDockerHubToken() {
			r.Provider = providerOf(w.Cfg, h)
			if p := detectedProvider(w, h); p != "" && !w.Router.StoredAsIs(h, ent) {
				r.Provider, r.Detected = p, true
			}
		}
		var exp time.Time
		if r.Provider == credentials.ProviderStatic {
			exp = ent.Expiry
			if exp.IsZero() {
				if full, err := w.Roots.Get(ctx, key); err == nil {
					exp, _ = static.JWTExpiry(full.Secret)
				}
			}
		} else if tok, ok := tokenFor(tokens, key); ok {
			exp = tok.Expiry
			if exp.IsZero() {
				r.Note = "token never expires"
			}
		} else {
			r.Note = "no token cached yet"
		}
		r.setExpiry(exp, t)
		rows = append(rows, r)
	}
	rows = append(rows, configuredRows(ctx, w, roots, tokens, t)...)
	return append(rows, detectedRows(w, roots, tokens, t)...), nil
}

// detectedProvider is the provider that serves h because of its host name
// (credentials.Config.Detect: an ECR host) when no config entry names it,
// or "".
func detectedProvider(w *wire.Wiring, h credentials.Host) string {
	if w.Router == nil || h.IsDockerHubToken() {
		return ""
	}
	if _, ok := w.Cfg.Match(h); ok {
		return ""
	}
	p, _ := w.Cfg.Detect(h)
	return p
}

// detectedRows are the registries that detection serves (no config entry,
// no stored row) and that have a cached token, sorted: a zero-config ECR
// registry appears once it has been pulled from.
func detectedRows(w *wire.Wiring, roots, tokens map[string]store.Entry, t time.Time) []statusRow {
	var rows []statusRow
	for key, tok := range tokens {
		if _, stored := roots[key]; stored {
			continue
		}
		h, err := credentials.ParseHost(key)
		if err != nil {
			continue
		}
		p := detectedProvider(w, h)
		if p == "" {
			continue
		}
		r := statusRow{ServerURL: key, Key: key, Username: tok.Username, Keychain: w.Keychain, Provider: p, Detected: true}
		r.setExpiry(tok.Expiry, t)
		if tok.Expiry.IsZero() {
			r.Note = "token never expires"
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	return rows
}

// setExpiry records exp (zero: unknown or never) as seen at t.
func (r *statusRow) setExpiry(exp, t time.Time) {
	if exp.IsZero() {
		return
	}
	exp = exp.UTC()
	left := int64(exp.Sub(t) / time.Second)
	r.Expires, r.Remaining, r.Expired = &exp, &left, !t.Before(exp)
}

// configuredRows are the config's minting entries that no stored row
// shows, in the config's order: a registry as its key, with what get still
// needs; a glob pattern as the pattern, followed by each registry it has a
// cached token for.
func configuredRows(ctx context.Context, w *wire.Wiring, roots, tokens map[string]store.Entry, t time.Time) []statusRow {
	if w.Router == nil {
		return nil
	}
	var rows []statusRow
	for i := range w.Cfg.Registries {
		reg := &w.Cfg.Registries[i]
		if reg.Provider == credentials.ProviderStatic {
			continue
		}
		r := statusRow{Keychain: w.Keychain, Provider: reg.Provider, Username: reg.Username}
		if u, ok := reg.FixedUsername(); ok {
			r.Username = u
		}
		problem := w.Router.Problem(reg)
		h, concrete := reg.Pattern.Host()
		if !concrete {
			r.ServerURL, r.Key, r.Pattern = reg.Pattern.String(), reg.Pattern.String(), true
			switch {
			case problem != nil:
				r.Note = "cannot mint: " + credentials.OneLine(problem.Error())
			case reg.NeedsRoot():
				r.Note = "pattern: each registry needs a root credential (docker-credential-mint login REGISTRY)"
			default:
				r.Note = "pattern: mints for each registry it matches"
			}
			rows = append(rows, r)
			rows = append(rows, patternTokenRows(w, reg, roots, tokens, t)...)
			continue
		}
		key := h.Key()
		if first, ok := w.Cfg.Match(h); !ok || first != reg {
			continue // an earlier entry serves it
		}
		if _, stored := roots[key]; stored {
			continue
		}
		r.ServerURL, r.Key = key, key
		r.Username = w.Router.ListedUsername(ctx, h, store.Entry{})
		switch tok, cached := tokens[key]; {
		case problem != nil:
			r.Note = "cannot mint: " + credentials.OneLine(problem.Error())
		case reg.NeedsRoot() && reg.Grant == credentials.GrantDeviceCode:
			r.Note = "no root credential: run docker-credential-mint login --device " + key
		case reg.NeedsRoot():
			r.Note = "no root credential: run docker-credential-mint login " + key
		case !cached:
			r.Note = "no token cached yet"
		default:
			r.Username = tok.Username
			r.setExpiry(tok.Expiry, t)
			if tok.Expiry.IsZero() {
				r.Note = "token never expires"
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// patternTokenRows are the registries that reg, a glob pattern, has cached
// tokens for and no stored row shows, sorted.
func patternTokenRows(w *wire.Wiring, reg *credentials.Registry, roots, tokens map[string]store.Entry, t time.Time) []statusRow {
	var keys []string
	for key := range tokens {
		if _, stored := roots[key]; stored {
			continue
		}
		h, err := credentials.ParseHost(key)
		if err != nil {
			continue
		}
		if first, ok := w.Cfg.Match(h); ok && first == reg {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	rows := make([]statusRow, 0, len(keys))
	for _, key := range keys {
		tok := tokens[key]
		r := statusRow{ServerURL: key, Key: key, Username: tok.Username, Keychain: w.Keychain, Provider: reg.Provider}
		r.setExpiry(tok.Expiry, t)
		rows = append(rows, r)
	}
	return rows
}

// tokenFor finds the cached token minted for the root stored under key:
// the token under the same key, else under the longest key that is key's
// registry or a path prefix of it (a config entry's scope).
func tokenFor(tokens map[string]store.Entry, key string) (store.Entry, bool) {
	if t, ok := tokens[key]; ok {
		return t, true
	}
	best, found := "", false
	for k := range tokens {
		if strings.HasPrefix(key, k+"/") && len(k) > len(best) {
			best, found = k, true
		}
	}
	return tokens[best], found
}
