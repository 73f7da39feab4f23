// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The reference helpers, as issue 6 names them.
const (
	dchModule   = "github.com/docker/docker-credential-helpers"
	dchVersion  = "v0.9.12"
	ecrModule   = "github.com/awslabs/amazon-ecr-credential-helper/ecr-login"
	ecrVersion  = "v0.12.0"
	ecrAccessID = "AKIAMINTBENCH0000000"
	ecrRegion   = "us-east-1"
)

// refSubject builds the reference helper name (secretservice, pass or
// ecr-login) and describes how to measure it; nil, with a message, when it
// cannot be built here.
func refSubject(c *config, name string) *subject {
	switch name {
	case "secretservice":
		bin, err := buildRef(c, "docker-credential-secretservice", dchModule, dchVersion, dchModule+"/secretservice/cmd", "libsecret-1-dev")
		if err != nil {
			return skipRef(name, err)
		}
		s := &subject{name: "docker-credential-secretservice " + dchVersion, backend: "secretservice", bin: bin, verbs: allVerbs, seqRuns: max(c.runs/3, 5)}
		s.setup = func(n int) ([]string, func(int) string, func(), error) {
			addr, stop, err := startKeyring()
			if err != nil {
				return nil, nil, nil, err
			}
			_, env := homeEnv(c, "DBUS_SESSION_BUS_ADDRESS="+addr)
			populate(bin, env, n)
			return env, hostURL, stop, nil
		}
		return s
	case "pass":
		bin, err := buildRef(c, "docker-credential-pass", dchModule, dchVersion, dchModule+"/pass/cmd")
		if err != nil {
			return skipRef(name, err)
		}
		s := &subject{name: "docker-credential-pass " + dchVersion, backend: "pass", bin: bin, verbs: allVerbs, seqRuns: max(c.runs/6, 5),
			note: "docker-credential-pass: one entry stored through the helper, its .gpg copied for the others (every entry decrypts)."}
		s.setup = func(n int) ([]string, func(int) string, func(), error) {
			penv, stop, err := startPass()
			if err != nil {
				return nil, nil, nil, err
			}
			_, env := homeEnv(c, penv...)
			if err := populatePass(bin, env, penv, n); err != nil {
				stop()
				return nil, nil, nil, err
			}
			return env, hostURL, stop, nil
		}
		return s
	case "ecr-login":
		bin, err := buildRef(c, "docker-credential-ecr-login", ecrModule, ecrVersion, ecrModule+"/cli/docker-credential-ecr-login")
		if err != nil {
			return skipRef(name, err)
		}
		s := &subject{name: "docker-credential-ecr-login " + ecrVersion, backend: "ecr cache", bin: bin, verbs: []string{opGet, opMiss, opList}, seqRuns: max(c.runs/3, 5),
			note: "docker-credential-ecr-login: cached tokens in ~/.ecr/cache.json (valid 12 h), AWS endpoints pointed at a closed port: every get is a cache hit with no network; it has no store or erase."}
		s.setup = func(n int) ([]string, func(int) string, func(), error) {
			home, env := homeEnv(c,
				"AWS_ACCESS_KEY_ID="+ecrAccessID, "AWS_SECRET_ACCESS_KEY=bench-not-a-secret", "AWS_REGION="+ecrRegion,
				"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=http://127.0.0.1:9",
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
			if err := writeECRCache(filepath.Join(home, ".ecr"), n); err != nil {
				return nil, nil, nil, err
			}
			return env, ecrURL, func() {}, nil
		}
		return s
	case "gcr", "acr-env":
		// No cache of their own: every get is a mint, measured with the
		// clouds' mints (-clouds).
		return nil
	}
	fmt.Fprintf(os.Stderr, "mint-bench: unknown reference helper %q (want secretservice, pass, ecr-login, gcr, acr-env)\n", name)
	return nil
}

func skipRef(name string, err error) *subject {
	fmt.Fprintf(os.Stderr, "mint-bench: reference %s skipped: %v\n", name, err)
	return nil
}

// buildRef builds pkg of module@version into the scratch directory through
// a throwaway wrapper module (go install refuses modules with replace
// directives, and the proxy may refuse a list), once: a later run reuses it.
func buildRef(c *config, name, module, version, pkg string, debs ...string) (string, error) {
	dir := filepath.Join(c.scratch, name+"@"+version)
	bin := filepath.Join(dir, name)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	for _, d := range debs {
		if err := ensureDeb(d); err != nil {
			return "", err
		}
	}
	fmt.Fprintf(os.Stderr, "mint-bench: building %s %s in %s\n", name, version, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if len(debs) > 0 {
		env = append(env, "CGO_ENABLED=1")
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		if err := runErr(dir, env, "go", "mod", "init", "mintbench.invalid/ref"); err != nil {
			return "", err
		}
	}
	if err := runErr(dir, env, "go", "get", module+"@"+version); err != nil {
		return "", err
	}
	if err := runErr(dir, env, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, pkg); err != nil {
		return "", err
	}
	return bin, nil
}

// ensureDeb installs a Debian package when it is missing and this process
// is root (quietly); otherwise it says how to install it.
func ensureDeb(pkg string) error {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", pkg).Output()
	if err == nil && strings.Contains(string(out), "install ok installed") {
		return nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		return fmt.Errorf("%s is not installed: sudo apt-get install %s", pkg, pkg)
	}
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if err := runErr("", env, "apt-get", "install", "-y", "-q", "--no-install-recommends", pkg); err != nil {
		if err := runErr("", env, "apt-get", "update", "-q"); err != nil {
			return err
		}
		return runErr("", env, "apt-get", "install", "-y", "-q", "--no-install-recommends", pkg)
	}
	return nil
}

// populatePass stores entry 0 through the helper, then copies its
// encrypted file for the others (one gpg run instead of n).
func populatePass(bin string, env, penv []string, n int) error {
	populate(bin, env, min(n, 1))
	var storeDir string
	for _, kv := range penv {
		if v, ok := strings.CutPrefix(kv, "PASSWORD_STORE_DIR="); ok {
			storeDir = v
		}
	}
	root := filepath.Join(storeDir, "docker-credential-helpers")
	src := filepath.Join(root, base64.URLEncoding.EncodeToString([]byte(hostURL(0))), "user0.gpg")
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("pass layout: %w", err)
	}
	for i := 1; i < n; i++ {
		d := filepath.Join(root, base64.URLEncoding.EncodeToString([]byte(hostURL(i))))
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("user%d.gpg", i)), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// ecrURL is the server URL of ECR entry i: a fake account's registry.
func ecrURL(i int) string {
	return fmt.Sprintf("%012d.dkr.ecr.%s.amazonaws.com", 100000000000+i, ecrRegion)
}

// writeECRCache writes ecr-login's cache file (ecr-login/cache/file.go)
// with a valid token for n registries, the default registry and ECR
// Public, keyed as BuildCredentialsCache keys them:
// region-base64(sha256(access key id))-registry id.
func writeECRCache(dir string, n int) error {
	sum := sha256.Sum256([]byte(ecrAccessID))
	checksum := base64.StdEncoding.EncodeToString(sum[:])
	prefix := ecrRegion + "-" + checksum + "-"
	now := time.Now().UTC()
	type entry struct {
		AuthorizationToken string
		RequestedAt        time.Time
		ExpiresAt          time.Time
		ProxyEndpoint      string
		Service            string
	}
	tok := func(i int) string {
		return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "AWS:ecr-token-%d-%s", i, strings.Repeat("x", 64)))
	}
	regs := map[string]entry{}
	for i := range n {
		id := fmt.Sprintf("%012d", 100000000000+i)
		regs[prefix+id] = entry{tok(i), now, now.Add(12 * time.Hour), "https://" + ecrURL(i), "ecr"}
	}
	regs[prefix] = entry{tok(-1), now, now.Add(12 * time.Hour), "https://000000000000.dkr.ecr." + ecrRegion + ".amazonaws.com", "ecr"}
	regs["ecr-public-"+checksum] = entry{tok(-2), now, now.Add(12 * time.Hour), "https://public.ecr.aws", "ecr-public"}
	b, err := json.Marshal(map[string]any{"Registries": regs, "Version": "1.0"})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "cache.json"), b, 0o600)
}
