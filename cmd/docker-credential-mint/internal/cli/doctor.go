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
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/dockercfg"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/static"
	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/file"
	"github.com/docker-credential-mint/mint/store/trust"
)

var doctorUsage = usage{
	name:     "doctor",
	synopsis: "",
	text: `Looks for what breaks pulls and says how to fix each problem, one line per
finding with its severity (error: pulls fail or use the wrong credential;
warn: a risk or a credential in plain text; info: what is in use). It checks
the config file (that no other user can write it or its exec commands),
which keychain is in use and why the others were skipped, that the file
store's directory and files are closed to other users,
that the keychain answers (not locked), the Docker config ($DOCKER_CONFIG/
config.json): that it parses, that every credsStore/credHelpers helper is on
PATH, that it routes to mint, plaintext "auths" and entries shadowing what
mint stores; stored static tokens (JWTs) that have expired; and the
containers auth files that podman and skopeo read before the Docker config;
and that the docker-credential-mint on PATH and the full build next to it
report one version. For each keyless entry (grant token_exchange or
jwt_bearer) it says which identity source it found, and, for a token it can
read without the network (a file, a projected service-account token,
GitLab's variable), its expiry, aud, iss and sub, decoded, not verified,
flagging one that has expired, is not yet valid or carries another audience
than the entry asks for; with --exchange it also fetches GitHub Actions'
token and runs exec sources, and tries each exchange, reporting the token
endpoint's answer. It changes nothing, prints no secret, and exits 1 when it finds an error or
a warning.`,
	examples: []string{"docker-credential-mint doctor", "docker-credential-mint doctor --exchange"},
}

// keychainProbeTimeout bounds doctor's List of the keychain: one that takes
// longer would also stall docker pull.
const keychainProbeTimeout = 5 * time.Second

// Severities of a finding.
const (
	sevError = "error"
	sevWarn  = "warn"
	sevInfo  = "info"
)

// finding is one line of doctor's report.
type finding struct {
	sev, what, fix string
}

func (f finding) String() string {
	s := fmt.Sprintf("%-5s  %s", f.sev, credentials.OneLine(f.what))
	if f.fix != "" {
		s += "; fix: " + credentials.OneLine(f.fix)
	}
	return s
}

type doctor struct {
	e        *wire.Env
	findings []finding
}

// add records a finding. Every string and error it is given is printed
// through printable: paths, registry keys, usernames and helper names come
// from files and stores that may hold control characters.
func (d *doctor) add(sev, fix, format string, args ...any) {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = printable(v)
		case error:
			args[i] = printable(credentials.OneLine(v.Error()))
		}
	}
	d.findings = append(d.findings, finding{sev: sev, what: fmt.Sprintf(format, args...), fix: printable(fix)})
}

func runDoctor(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := newFlags(doctorUsage)
	exchange := flags.Bool("exchange", false, "keyless entries: also fetch the identity token from GitHub Actions or the exec command, and try the exchange at the token endpoint (network)")
	pos, code, done := parseArgs(doctorUsage, flags, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 {
		return usageError(stderr, doctorUsage, "no arguments expected, got %q", pos[0])
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout(opTimeout))
	defer cancel()
	d := &doctor{e: e}
	cfg := d.checkConfig()
	roots := d.checkKeychain(ctx, cfg)
	stored := d.checkStored(ctx, cfg, roots)
	d.checkIdentities(ctx, cfg, roots, *exchange)
	d.checkDockerConfig(stored)
	d.checkContainers()
	d.checkBuilds(ctx)
	status := 0
	for _, f := range d.findings {
		fmt.Fprintln(stdout, f)
		if f.sev != sevInfo {
			status = 1
		}
	}
	if status == 0 {
		fmt.Fprintln(stdout, "ok     nothing found that breaks pulls")
	}
	return status
}

// checkConfig loads the config file; a broken one fails every get.
func (d *doctor) checkConfig() *credentials.Config {
	cfg, err := d.e.LoadConfig()
	var untrusted *trust.Error
	switch {
	case errors.As(err, &untrusted):
		d.add(sevError, untrusted.Fix, "%s: another user could make it run commands or send secrets anywhere, so until then every get, and so every pull, fails", strings.TrimSuffix(err.Error(), "; fix: "+untrusted.Fix))
	case err != nil:
		d.add(sevError, "correct the file; until then every get, and so every pull, fails with this error", "%s", err)
	}
	if err != nil {
		path, _ := d.e.ConfigPath()
		return &credentials.Config{File: path, Keychain: credentials.KeychainAuto}
	}
	return cfg
}

// checkKeychain reports the keychain in use and why auto skipped the
// others, and lists it with a short deadline to find a locked or dead one.
func (d *doctor) checkKeychain(ctx context.Context, cfg *credentials.Config) store.Backend {
	e := d.e
	name := e.KeychainName(cfg.Keychain)
	source := "auto"
	switch {
	case strings.TrimSpace(d.e.Getenv(wire.EnvKeychain)) != "":
		source = wire.EnvKeychain + "=" + name
	case cfg.Keychain != "" && cfg.Keychain != credentials.KeychainAuto:
		source = "keychain: " + name + " in " + cfg.File
	}
	if name == credentials.KeychainAuto {
		pctx, cancel := context.WithTimeout(ctx, keychainProbeTimeout)
		var skipped map[string]error
		name, skipped = e.AutoKeychain(pctx)
		cancel()
		var why []string
		for _, n := range wire.PlatformBackends {
			if err, ok := skipped[n]; ok {
				why = append(why, n+" not usable ("+credentials.OneLine(err.Error())+")")
			}
		}
		if len(why) > 0 {
			why[0] = ": " + why[0]
		}
		d.add(sevInfo, "", "keychain: auto chose %s%s", name, strings.Join(why, "; "))
	} else {
		d.add(sevInfo, "", "keychain: %s (%s)", name, source)
	}
	b, err := e.OpenBackend(ctx, name, wire.NSCredentials)
	if err != nil {
		d.add(sevError, fmt.Sprintf("name one this system has (auto, %s or file) in %s or keychain: in the config file", strings.Join(wire.PlatformBackends, ", "), wire.EnvKeychain),
			"keychain %s cannot be opened: %s", name, err)
		return nil
	}
	fix := "unlock it, or choose another with " + wire.EnvKeychain + "=file or keychain: in the config file"
	if name == credentials.KeychainFile {
		fix = "make the file store's directory (" + wire.EnvDataDir + ", else $XDG_DATA_HOME/docker-credential-mint) a directory the user can write, with its key file readable"
	}
	if name == credentials.KeychainFile {
		d.checkFileStore(ctx, b)
	}
	lctx, cancel := context.WithTimeout(ctx, keychainProbeTimeout)
	defer cancel()
	if _, err := b.List(lctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			d.add(sevError, fix, "keychain %s did not answer within %s (locked or hung): every get would wait on it", name, keychainProbeTimeout)
		} else {
			d.add(sevError, fix, "keychain %s is not usable: %s", name, err)
		}
		return nil
	}
	return b
}

// checkFileStore reports a file store whose directory, store files or key
// file group or others can read: the files are encrypted, but with the key
// file anyone reads every credential. The store makes them 0700 and 0600;
// an older version, a copy or a mounted key file may not be.
func (d *doctor) checkFileStore(ctx context.Context, roots store.Backend) {
	st, ok := roots.(*file.Store)
	if !ok || runtime.GOOS == "windows" { // there ACLs, not mode bits, say who reads
		return
	}
	const why = "anyone who can read the key file and a store file reads every credential"
	check := func(what, path, chmod string) {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			return
		}
		d.add(sevWarn, "chmod "+chmod+" "+path, "%s %s is open to group or others (mode %04o): %s", what, path, uint32(fi.Mode().Perm()), why)
	}
	check("the file store's directory", filepath.Dir(st.Path()), "700")
	check("store file", st.Path(), "600")
	if tb, err := d.e.OpenBackend(ctx, credentials.KeychainFile, wire.NSTokens); err == nil {
		if ts, ok := tb.(*file.Store); ok {
			check("store file", ts.Path(), "600")
		}
	}
	check("key file", st.KeyFile(), "600")
}

// checkStored finds stored static credentials whose JWT has expired and
// returns the stored registry keys (host[:port]) by registry.
func (d *doctor) checkStored(ctx context.Context, cfg *credentials.Config, roots store.Backend) map[string]bool {
	stored := map[string]bool{}
	if roots == nil {
		return stored
	}
	entries, err := roots.List(ctx)
	if err != nil {
		return stored
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h, err := credentials.ParseHost(k)
		if err != nil {
			continue
		}
		stored[h.Registry()] = true
		if providerOf(cfg, h) != credentials.ProviderStatic || h.IsDockerHubToken() {
			continue
		}
		full, err := roots.Get(ctx, k)
		if err != nil {
			continue
		}
		if err := static.CheckExpired(h, full, now()); err != nil {
			exp := full.Expiry
			if exp.IsZero() {
				exp, _ = static.JWTExpiry(full.Secret)
			}
			d.add(sevError, "docker-credential-mint login "+loginArg(h)+" with a new token", "%s: the stored token expired at %s: pulls from it fail until it is replaced", h.Key(), exp.UTC().Format(time.RFC3339))
		}
	}
	return stored
}

// loginArg is how to name h on a login command line.
func loginArg(h credentials.Host) string { return h.Key() }

// registryOf normalises a config file's registry key; ok is false for keys
// that are not registries.
func registryOf(key string) (string, bool) {
	h, err := credentials.ParseHost(key)
	if err != nil {
		return "", false
	}
	return h.Registry(), true
}

// checkDockerConfig checks $DOCKER_CONFIG/config.json.
func (d *doctor) checkDockerConfig(stored map[string]bool) {
	path := dockercfg.DockerConfigFile(d.e.Getenv)
	o, _, err := dockercfg.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if len(stored) > 0 {
			d.add(sevWarn, "docker-credential-mint configure", "%s does not exist: Docker does not ask mint for the credentials it stores", path)
		}
		return
	}
	if err != nil {
		d.add(sevError, "repair the JSON (every docker command fails until then), then docker-credential-mint doctor", "%s", err)
		return
	}
	routed := map[string]bool{} // registries credHelpers sends to mint
	credsStore, _ := o.GetString("credsStore")
	if credsStore != "" {
		d.checkHelper(path, "credsStore", credsStore, "docker-credential-mint configure (sets credsStore to mint)")
	}
	if ch := o.Child("credHelpers"); ch != nil {
		for _, m := range ch.Members() {
			var helper string
			if json.Unmarshal(m.Value, &helper) != nil || helper == "" {
				continue
			}
			d.checkHelper(path, "credHelpers["+m.Key+"]", helper, "docker-credential-mint configure --registry "+m.Key)
			reg, ok := registryOf(m.Key)
			if !ok {
				continue
			}
			if helper == helperName {
				routed[reg] = true
			} else if stored[reg] {
				d.add(sevError, "docker-credential-mint configure --registry "+m.Key, "%s: credHelpers[%s] sends %s to docker-credential-%s, so the credential mint stores for it is never used", path, m.Key, reg, helper)
			}
		}
	}
	if credsStore != helperName && len(stored) > 0 {
		var unrouted []string
		for reg := range stored {
			if !routed[reg] {
				unrouted = append(unrouted, reg)
			}
		}
		sort.Strings(unrouted)
		if len(unrouted) > 0 {
			cur := "there is no credsStore"
			if credsStore != "" {
				cur = fmt.Sprintf("credsStore is %q", credsStore)
			}
			d.add(sevWarn, "docker-credential-mint configure", "%s: Docker does not ask mint for %s (%s)", path, strings.Join(unrouted, ", "), cur)
		}
	}
	d.checkAuths(path, o, stored, "docker-credential-mint import --registry %s", "podman and skopeo use it; Docker and crane fall back to it")
}

// checkHelper reports a helper that is not on PATH.
func (d *doctor) checkHelper(path, where, helper, fix string) {
	bin := "docker-credential-" + helper
	if _, ok := d.e.LookPath(bin); ok {
		return
	}
	if helper != helperName {
		fix = "install " + bin + ", or " + fix
	} else {
		fix = "install docker-credential-mint into a directory on PATH"
	}
	d.add(sevError, fix, "%s: %s names %s, which is not on PATH: pulls that need it fail", path, where, bin)
}

// checkAuths reports plaintext credentials in a config file's auths, and
// those that shadow a registry mint stores.
func (d *doctor) checkAuths(path string, o *dockercfg.Object, stored map[string]bool, fixFormat, readers string) {
	auths := o.Child("auths")
	if auths == nil {
		return
	}
	for _, m := range auths.Members() {
		var a plainAuth
		if json.Unmarshal(m.Value, &a) != nil || !a.hasSecret() {
			continue
		}
		fix := fmt.Sprintf(fixFormat, m.Key)
		if reg, ok := registryOf(m.Key); ok && stored[reg] {
			d.add(sevError, fix, "%s: a plaintext credential for %s shadows the one mint stores (%s, stale or not)", path, m.Key, readers)
			continue
		}
		d.add(sevWarn, fix, "%s: a plaintext credential for %s", path, m.Key)
	}
}

// checkContainers checks the containers auth files, which podman, skopeo
// and buildah read before the Docker config.
func (d *doctor) checkContainers() {
	for _, path := range dockercfg.ContainersAuthFiles(d.e.Getenv) {
		o, _, err := dockercfg.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			d.add(sevError, "repair the JSON or remove the file (podman and skopeo fail until then)", "%s", err)
			continue
		}
		if ch := o.Child("credHelpers"); ch != nil {
			for _, m := range ch.Members() {
				var helper string
				if json.Unmarshal(m.Value, &helper) == nil && helper != "" {
					d.checkHelper(path, "credHelpers["+m.Key+"]", helper, "docker-credential-mint configure --containers --registry "+m.Key)
				}
			}
		}
		auths := o.Child("auths")
		if auths == nil {
			continue
		}
		for _, m := range auths.Members() {
			var a plainAuth
			if json.Unmarshal(m.Value, &a) != nil || !a.hasSecret() {
				continue
			}
			fix := "podman logout " + m.Key // a namespaced credential: podman never asks a helper for it
			reg, _ := registryOf(m.Key)
			if h, err := credentials.ParseHost(m.Key); err == nil && h.Path == "" {
				fix = "docker-credential-mint import --from containers --registry " + reg
			}
			d.add(sevWarn, fix+", then docker-credential-mint configure --containers --registry "+reg,
				"%s: a plaintext credential for %s, which podman and skopeo use instead of docker-credential-mint", path, m.Key)
		}
	}
}

// checkBuilds finds a partial upgrade: the docker-credential-mint on PATH
// and the full build next to it reporting different versions (the
// protocol binary answers from the keychain, the full build mints: two
// versions may disagree on the store or cache format).
func (d *doctor) checkBuilds(ctx context.Context) {
	p, ok := d.e.LookPath("docker-credential-" + helperName)
	if !ok {
		return
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	full, ok := wire.LookIn(filepath.Dir(p), wire.FullBuildName)
	if !ok {
		return
	}
	fix := "install both from one build (make install)"
	pv, err := d.versionOf(ctx, p)
	if err != nil {
		d.add(sevError, fix, "%s version: %s", p, err)
		return
	}
	fv, err := d.versionOf(ctx, full)
	if err != nil {
		d.add(sevError, fix, "%s version: %s", full, err)
		return
	}
	if pv != fv {
		d.add(sevWarn, fix, "%s reports %q but %s next to it reports %q: a partial upgrade", p, pv, full, fv)
	}
}

// versionTimeout bounds one version run: it opens no keychain.
const versionTimeout = 5 * time.Second

// versionOf runs bin version with only PATH in its environment.
func (d *doctor) versionOf(ctx context.Context, bin string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "version")
	cmd.Env = []string{"PATH=" + d.e.Getenv("PATH")}
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}
