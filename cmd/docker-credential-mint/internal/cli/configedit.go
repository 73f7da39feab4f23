// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/dockercfg"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store/lockfile"
)

// This file edits the config file for login's provider options: it writes
// or replaces one entry of registries and leaves every other byte of the
// file as it was (comments, order, quoting, other entries). The edit is
// text-level, so the result is read back with the real loader and compared
// with what was meant before anything is written.

// configChange is a planned edit of the config file: apply writes it
// (atomically), undo puts the previous file back. A nil *configChange is no
// change.
type configChange struct {
	path    string
	existed bool
	mode    fs.FileMode
	old     []byte
	new     []byte
	// cfg is the edited file, loaded.
	cfg *credentials.Config
	// what apply did, for the user: "added …", "replaced …", "unchanged".
	what string
}

// configLockWait bounds the wait for another login's config edit.
const configLockWait = 10 * time.Second

// lock takes the config file's lock, shared by every process of the user:
// apply and undo compare the file with what plan read and write it under
// it, so two logins editing at once never lose an edit.
func (c *configChange) lock() (unlock func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), configLockWait)
	defer cancel()
	abs, err := filepath.Abs(c.path)
	if err != nil {
		return nil, err
	}
	return lockfile.Lock(ctx, lockfile.DefaultDir(), "config:"+abs)
}

// holds reports whether the file at c.path is exactly want (absent when
// want is nil and existed is false).
func (c *configChange) holds(want []byte, existed bool) bool {
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return !existed
	}
	return err == nil && existed && bytes.Equal(b, want)
}

// apply writes the new config file and reports it on stdout. It writes
// nothing when the file changed since plan read it (another login, an
// editor): that edit is kept and login is to be run again.
func (c *configChange) apply(stdout io.Writer) error {
	if c == nil {
		return nil
	}
	unlock, err := c.lock()
	if err != nil {
		return fmt.Errorf("lock the config file: %w; nothing was stored", err)
	}
	defer unlock()
	if !c.holds(c.old, c.existed) {
		return fmt.Errorf("%s changed while login ran (another login or an editor); nothing was stored: run login again", c.path)
	}
	if c.existed && bytes.Equal(c.old, c.new) {
		fmt.Fprintf(stdout, "%s: %s\n", c.path, c.what)
		return nil
	}
	if err := dockercfg.WriteFileAtomic(c.path, c.new, c.mode); err != nil {
		return fmt.Errorf("write the config file: %w; nothing was stored", err)
	}
	fmt.Fprintf(stdout, "%s: %s\n", c.path, c.what)
	return nil
}

// undo restores the config file as it was before apply, after cause made
// the login fail, and returns the error to report. A file someone changed
// after apply is left as it is.
func (c *configChange) undo(cause error) error {
	if c == nil || c.existed && bytes.Equal(c.old, c.new) {
		return cause
	}
	unlock, err := c.lock()
	if err == nil {
		defer unlock()
		if !c.holds(c.new, true) {
			return fmt.Errorf("%w; %s changed since login wrote it, so it is left as it is: check it by hand", cause, c.path)
		}
		if c.existed {
			err = dockercfg.WriteFileAtomic(c.path, c.old, c.mode)
		} else if err = os.Remove(c.path); errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("%w; and restoring %s failed too, check it by hand: %v", cause, c.path, err)
	}
	return fmt.Errorf("%w; %s is back as it was", cause, c.path)
}

// unchangedNote is added to a failed proof's message.
func (c *configChange) unchangedNote() string {
	if c == nil {
		return ""
	}
	return ", and " + c.path + " is unchanged"
}

// planConfigChange reads the config file at path (a missing one is empty)
// and plans writing want as the entry for h: replacing the entry whose
// pattern is h, or else inserting it before the first entry that matches h
// (which would shadow it), or else after the last one.
func planConfigChange(path string, want credentials.Registry, h credentials.Host) (*configChange, error) {
	c := &configChange{path: path, mode: 0o600}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		c.existed, c.old = true, b
		if fi, err := os.Stat(path); err == nil {
			c.mode = fi.Mode().Perm()
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("read the config file: %w", err)
	}
	if len(c.old) > credentials.MaxConfigSize {
		return nil, fmt.Errorf("%s is larger than %d bytes; edit it by hand", path, credentials.MaxConfigSize)
	}
	old, err := credentials.LoadConfig(bytes.NewReader(c.old), path)
	if err != nil {
		return nil, fmt.Errorf("%s does not load, so login leaves it alone: %s; fix it first", path, credentials.OneLine(err.Error()))
	}
	c.new, c.what, err = editRegistries(c.old, old, want, h)
	if err != nil {
		return nil, fmt.Errorf("%s: %s; add the entry by hand", path, err)
	}
	if c.cfg, err = credentials.LoadConfig(bytes.NewReader(c.new), path); err != nil {
		return nil, fmt.Errorf("%s: the edited file does not load (%s); add the entry by hand", path, credentials.OneLine(err.Error()))
	}
	if err := checkEdit(old, c.cfg, want, h); err != nil {
		return nil, fmt.Errorf("%s: the edited file does not read back as meant (%s); add the entry by hand", path, err)
	}
	return c, nil
}

// editRegistries returns src with want written as h's entry, and what it did.
func editRegistries(src []byte, old *credentials.Config, want credentials.Registry, h credentials.Host) ([]byte, string, error) {
	eol := "\n"
	if bytes.Contains(src, []byte("\r\n")) {
		eol = "\r\n"
	}
	lines := splitLines(string(src))
	what := fmt.Sprintf("added the %s entry for %s", want.Provider, want.Match)
	if len(old.Registries) == 0 {
		return insertFirst(lines, eol, want, what)
	}
	blocks := make([]entryBlock, len(old.Registries))
	for i := range old.Registries {
		b, err := findBlock(lines, old.Registries[i].Line)
		if err != nil {
			return nil, "", err
		}
		blocks[i] = b
	}
	at, replace := -1, false
	for i := range old.Registries {
		if old.Registries[i].Pattern.String() == want.Pattern.String() {
			at, replace = i, true
			break
		}
	}
	if !replace {
		for i := range old.Registries {
			if old.Registries[i].Pattern.Matches(h) {
				at = i
				what += fmt.Sprintf(" (before line %d's %s, which also matches it)", old.Registries[i].Line, old.Registries[i].Match)
				break
			}
		}
	}
	style := blocks[0]
	if at >= 0 {
		style = blocks[at]
	}
	entry := renderEntry(want, style.dash, style.key, eol)
	var out []string
	switch {
	case replace:
		prev := old.Registries[at]
		if sameEntry(&prev, &want) {
			what = fmt.Sprintf("the %s entry for %s is unchanged", want.Provider, want.Match)
			return []byte(strings.Join(lines, "")), what, nil
		}
		what = fmt.Sprintf("replaced the entry for %s (line %d, provider %s) with a %s entry", want.Match, prev.Line, prev.Provider, want.Provider)
		out = slices.Concat(lines[:blocks[at].start], entry, lines[blocks[at].end:])
	case at >= 0:
		out = slices.Concat(lines[:blocks[at].start], entry, lines[blocks[at].start:])
	default:
		last := blocks[len(blocks)-1]
		head := slices.Clone(lines[:last.end])
		if n := len(head); n > 0 && !strings.HasSuffix(head[n-1], "\n") {
			head[n-1] += eol
		}
		out = slices.Concat(head, entry, lines[last.end:])
	}
	return []byte(strings.Join(out, "")), what, nil
}

// insertFirst writes want into a file without entries: under an empty
// "registries:" key, or as a new key at the end.
func insertFirst(lines []string, eol string, want credentials.Registry, what string) ([]byte, string, error) {
	entry := renderEntry(want, 2, 4, eol)
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, "registries:")
		if !ok {
			continue
		}
		value, comment, _ := strings.Cut(rest, "#")
		if comment != "" {
			comment = " #" + strings.TrimRight(comment, "\r\n")
		}
		switch strings.TrimSpace(value) {
		case "", "[]", "~", "null", "Null", "NULL":
		default:
			return nil, "", errors.New("its registries key is not a block list")
		}
		head := slices.Clone(lines[:i])
		head = append(head, "registries:"+comment+eol)
		return []byte(strings.Join(slices.Concat(head, entry, lines[i+1:]), "")), what, nil
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
	}
	if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
		b.WriteString(eol)
	}
	if b.Len() == 0 {
		b.WriteString("# docker-credential-mint config (README: Short-lived tokens: providers)." + eol)
	}
	b.WriteString("registries:" + eol)
	for _, l := range entry {
		b.WriteString(l)
	}
	return []byte(b.String()), what, nil
}

// splitLines splits s after each "\n", keeping the line ends.
func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// entryBlock is the lines [start, end) of one block-list entry; its "-" is
// at column dash and its keys at column key.
type entryBlock struct {
	start, end int
	dash, key  int
}

// findBlock finds the entry whose mapping starts on the 1-based line.
func findBlock(lines []string, line int) (entryBlock, error) {
	errStyle := fmt.Errorf("the entry on line %d is not written as a block list item (\"- match: …\")", line)
	i := line - 1
	if i < 0 || i >= len(lines) {
		return entryBlock{}, errStyle
	}
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	var b entryBlock
	text := strings.TrimLeft(lines[i], " ")
	switch {
	case strings.HasPrefix(text, "- ") || strings.HasPrefix(text, "-\t"):
		b.start, b.dash = i, indent(lines[i])
		b.key = b.dash + 1 + indent(text[1:])
	case i > 0 && strings.TrimSpace(lines[i-1]) == "-":
		b.start, b.dash, b.key = i-1, indent(lines[i-1]), indent(lines[i])
	default:
		return entryBlock{}, errStyle
	}
	if strings.HasPrefix(strings.TrimLeft(text[1:], " "), "{") {
		return entryBlock{}, errStyle
	}
	b.end = b.start + 1
	for j := b.start + 1; j < len(lines); j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" {
			continue
		}
		if indent(lines[j]) <= b.dash {
			break
		}
		if !strings.HasPrefix(t, "#") { // trailing comments stay: they may be about the next entry
			b.end = j + 1
		}
	}
	return b, nil
}

// renderEntry writes r as a block list item, "-" at column dash and keys at
// column key, in the order of the README's example.
func renderEntry(r credentials.Registry, dash, key int, eol string) []string {
	var kv []string
	add := func(k, v string) { kv = append(kv, k+": "+v) }
	add("match", yamlScalar(r.Match))
	add("provider", yamlScalar(r.Provider))
	if r.TokenURL != "" {
		add("token_url", yamlScalar(r.TokenURL))
	}
	if r.Grant != "" {
		add("grant", yamlScalar(r.Grant))
	}
	if r.DeviceAuthURL != "" {
		add("device_authorization_url", yamlScalar(r.DeviceAuthURL))
	}
	if len(r.Scopes) > 0 {
		add("scopes", yamlList(r.Scopes))
	}
	if r.ClientID != "" {
		add("client_id", yamlScalar(r.ClientID))
	}
	if len(r.Command) > 0 {
		add("command", yamlList(r.Command))
	}
	if r.Format != "" {
		add("format", yamlScalar(r.Format))
	}
	if r.Username != "" {
		add("username", yamlScalar(r.Username))
	}
	if r.Lifetime != 0 {
		add("lifetime", yamlScalar(r.Lifetime.String()))
	}
	if r.RefreshBefore != 0 {
		add("refresh_before", yamlScalar(r.RefreshBefore.String()))
	}
	if r.Timeout != 0 {
		add("timeout", yamlScalar(r.Timeout.String()))
	}
	if r.Insecure {
		add("insecure", "true")
	}
	if r.Audience != "" {
		add("audience", yamlScalar(r.Audience))
	}
	if id := r.Identity; id != nil {
		kv = append(kv, "identity:")
		add("  source", yamlScalar(id.Source))
		if id.Audience != "" {
			add("  audience", yamlScalar(id.Audience))
		}
		if id.Path != "" {
			add("  path", yamlScalar(id.Path))
		}
		if id.Env != "" {
			add("  env", yamlScalar(id.Env))
		}
		if len(id.Command) > 0 {
			add("  command", yamlList(id.Command))
		}
		if id.Timeout != 0 {
			add("  timeout", yamlScalar(id.Timeout.String()))
		}
	}
	out := make([]string, len(kv))
	for i, l := range kv {
		if i == 0 {
			out[i] = strings.Repeat(" ", dash) + "-" + strings.Repeat(" ", max(1, key-dash-1)) + l + eol
		} else {
			out[i] = strings.Repeat(" ", max(key, dash+2)) + l + eol
		}
	}
	return out
}

// plainSafe is what yamlScalar writes unquoted, in block and flow context.
// It is compiled on first use: package main's init runs on every get.
var plainSafe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9_./][A-Za-z0-9_./:@+=~%-]*$`)
})

// yamlScalar writes s as a YAML string: plain when that reads back as the
// same string, double-quoted otherwise.
func yamlScalar(s string) string {
	if plainSafe().MatchString(s) && !strings.Contains(s, "://") {
		switch strings.ToLower(s) {
		case "true", "false", "null", ".nan", ".inf":
			return strconv.Quote(s)
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return s
		}
	}
	return strconv.Quote(s)
}

// yamlList writes ss as a flow list of strings.
func yamlList(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = yamlScalar(s)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// sameEntry reports whether two entries mean the same (their lines aside).
func sameEntry(a, b *credentials.Registry) bool {
	return a.Pattern.String() == b.Pattern.String() && a.Provider == b.Provider &&
		a.TokenURL == b.TokenURL && a.Grant == b.Grant && slices.Equal(a.Scopes, b.Scopes) &&
		a.ClientID == b.ClientID && a.Username == b.Username && a.RefreshBefore == b.RefreshBefore &&
		slices.Equal(a.Command, b.Command) && a.Format == b.Format && a.Lifetime == b.Lifetime &&
		a.Timeout == b.Timeout && a.Insecure == b.Insecure && a.DeviceAuthURL == b.DeviceAuthURL &&
		a.Audience == b.Audience && sameIdentity(a.Identity, b.Identity)
}

// sameIdentity reports whether two identity blocks mean the same (their
// lines aside).
func sameIdentity(a, b *credentials.Identity) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Source == b.Source && a.Path == b.Path && slices.Equal(a.Command, b.Command) &&
		a.Env == b.Env && a.Audience == b.Audience && a.Timeout == b.Timeout
}

// checkEdit verifies the edited config: h now matches an entry meaning
// want, and every other entry is the same as before, in the same order.
func checkEdit(old, edited *credentials.Config, want credentials.Registry, h credentials.Host) error {
	if old.Keychain != edited.Keychain {
		return errors.New("the keychain changed")
	}
	got, ok := edited.Match(h)
	if !ok || !sameEntry(got, &want) {
		return fmt.Errorf("%s does not match the new entry", h.Key())
	}
	var a, b []credentials.Registry
	for _, r := range old.Registries {
		if r.Pattern.String() != want.Pattern.String() {
			a = append(a, r)
		}
	}
	for i := range edited.Registries {
		if &edited.Registries[i] != got {
			b = append(b, edited.Registries[i])
		}
	}
	if len(a) != len(b) {
		return fmt.Errorf("%d other entries became %d", len(a), len(b))
	}
	for i := range a {
		if !sameEntry(&a[i], &b[i]) {
			return fmt.Errorf("the entry on line %d changed", a[i].Line)
		}
	}
	return nil
}

// providerFlags are login's provider options: one config entry.
type providerFlags struct {
	provider, tokenURL, grant, clientID, username, format string
	deviceAuthURL, audience                               string
	identitySource, identityAudience, identityPath        string
	identityEnv, identityTimeout                          string
	scopes                                                multiFlag
	lifetime, refreshBefore, timeout                      string
	insecure                                              bool
	command                                               []string // after --
}

// flagOfKey names the login option that writes each config key.
var flagOfKey = map[string]string{
	"match":          "REGISTRY",
	"provider":       "--provider",
	"token_url":      "--token-url",
	"grant":          "--grant",
	"scopes":         "--scope",
	"client_id":      "--client-id",
	"username":       "--token-username",
	"command":        "the command after --",
	"format":         "--format",
	"lifetime":       "--lifetime",
	"refresh_before": "--refresh-before",
	"timeout":        "--timeout",
	"insecure":       "--insecure",

	"device_authorization_url": "--device-authorization-url",
	"audience":                 "--audience",
	"identity":                 "--identity-source",
	"identity.source":          "--identity-source",
	"identity.audience":        "--identity-audience",
	"identity.path":            "--identity-path",
	"identity.env":             "--identity-env",
	"identity.timeout":         "--identity-timeout",
	"identity.command":         "the command after --",
}

// configProblem is the loader's "config <file>:<line>: <key>: invalid
// config: <what>" (credentials.LoadConfig documents the shape).
var configProblem = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^config .*:[0-9]+: ([a-z_.]+): invalid config: (.*)$`)
})

// entry turns the options into the config entry for h, checked by the
// config loader itself; a problem is reported in terms of the options.
func (f *providerFlags) entry(h credentials.Host) (credentials.Registry, error) {
	var doc strings.Builder
	doc.WriteString("registries:\n")
	kv := func(k, v string) { fmt.Fprintf(&doc, "    %s", strings.TrimSuffix(k+": "+v, " ")+"\n") }
	fmt.Fprintf(&doc, "  - match: %s\n", yamlScalar(h.Key()))
	kv("provider", yamlScalar(f.provider))
	for _, o := range []struct{ key, value string }{
		{"token_url", f.tokenURL}, {"grant", f.grant}, {"client_id", f.clientID}, {"device_authorization_url", f.deviceAuthURL}, {"audience", f.audience},
		{"format", f.format}, {"username", f.username},
		{"lifetime", f.lifetime}, {"refresh_before", f.refreshBefore}, {"timeout", f.timeout},
	} {
		if o.value != "" {
			kv(o.key, yamlScalar(o.value))
		}
	}
	if len(f.scopes) > 0 {
		kv("scopes", yamlList(f.scopes))
	}
	identity := f.identitySource != "" || f.identityAudience != "" || f.identityPath != "" || f.identityEnv != "" || f.identityTimeout != ""
	if len(f.command) > 0 && !(identity && f.identitySource == credentials.IdentityExec) {
		kv("command", yamlList(f.command))
	}
	if identity {
		kv("identity", "")
		for _, o := range []struct{ key, value string }{
			{"source", f.identitySource}, {"audience", f.identityAudience}, {"path", f.identityPath},
			{"env", f.identityEnv}, {"timeout", f.identityTimeout},
		} {
			if o.value != "" {
				kv("  "+o.key, yamlScalar(o.value))
			}
		}
		if f.identitySource == credentials.IdentityExec && len(f.command) > 0 {
			kv("  command", yamlList(f.command))
		}
	}
	if f.insecure {
		kv("insecure", "true")
	}
	cfg, err := credentials.LoadConfig(strings.NewReader(doc.String()), "login")
	if err != nil {
		msg := credentials.OneLine(err.Error())
		if m := configProblem().FindStringSubmatch(msg); m != nil {
			if fl, ok := flagOfKey[m[1]]; ok {
				return credentials.Registry{}, fmt.Errorf("%s: %s", fl, m[2])
			}
		}
		return credentials.Registry{}, errors.New(strings.TrimPrefix(msg, "config login: "))
	}
	switch r := cfg.Registries[0]; r.Provider {
	case credentials.ProviderStatic, credentials.ProviderExec, credentials.ProviderOAuth2, credentials.ProviderRegistry:
		return r, nil
	default:
		return credentials.Registry{}, fmt.Errorf("--provider %s: login sets up static, exec, oauth2 and registry; write a %s entry by hand", r.Provider, r.Provider)
	}
}
