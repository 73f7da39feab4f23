// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	dch "github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
	"github.com/docker-credential-mint/mint/store/pass/passtest"
)

// Canaries: every secret the helper handles in TestSecrets_canary. Only
// get may print them (the secret it answers), and only the exec provider's
// stdin and the token endpoint's request body may carry the ones meant
// for them.
const (
	canaryRoot     = "canary-root-8d3f1a0b"     // a static registry's password
	canaryClient   = "canary-client-5e2b77c4"   // an oauth2 client secret
	canaryAccess   = "canary-access-c91d03e6"   // the access token the endpoint mints
	canaryExecRoot = "canary-execroot-7a40d2f9" // the exec provider's stored secret (its stdin)
	canaryExecTok  = "canary-exectok-1f6e98ab"  // the token the exec command prints
	canaryImport   = "canary-import-0b95e1d7"   // a password in a containers auth file, imported
)

var canaries = []string{canaryRoot, canaryClient, canaryAccess, canaryExecRoot, canaryExecTok, canaryImport}

// leaks returns the canaries found in data, raw or encoded (base64, hex).
func leaks(data []byte) []string {
	var found []string
	for _, c := range canaries {
		for _, form := range []string{c, base64.StdEncoding.EncodeToString([]byte(c)), base64.RawURLEncoding.EncodeToString([]byte(c)), hex.EncodeToString([]byte(c))} {
			if bytes.Contains(data, []byte(form)) {
				found = append(found, c)
				break
			}
		}
	}
	return found
}

// shim writes an executable shell script that logs its argv and
// environment (never its stdin) to log and then runs body.
func shim(t *testing.T, path, log, body string) {
	t.Helper()
	script := fmt.Sprintf("#!/bin/sh\n{ echo \"--- $0\"; for a in \"$@\"; do echo \"arg: $a\"; done; env; } >> '%s'\n%s\n", log, body)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestSecrets_canary runs every protocol verb, on the file store and on
// pass, for a static registry and through the oauth2 and exec providers,
// with canary secrets, and the operator commands that handle secrets
// (import from a containers auth file, login --provider oauth2 and exec,
// refused and mistyped); then scans stdout (but get's) and stderr of every
// run, every file under HOME, the runtime and data directories (and the
// pass store and gpg home), and the argv and environment of every child
// the helper started (pass, gpg and the exec command, through logging
// shims earlier on PATH). None may hold a canary.
func TestSecrets_canary(t *testing.T) {
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if id != "canary-client-id" || secret != canaryClient {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, canaryAccess)
	}))
	defer tokens.Close()

	for _, keychain := range []string{"file", "pass"} {
		t.Run(keychain, func(t *testing.T) {
			s := quickSandbox(t, "DOCKER_CREDENTIAL_MINT_DEBUG=1")
			// The shims (one of them prints a canary: it is the exec
			// command) live outside the scanned directories; their log is
			// scanned on its own.
			shims := t.TempDir()
			log := filepath.Join(t.TempDir(), "children.log")
			scanned := []string{s.Home}
			if keychain == "pass" {
				p := passtest.Start(t, passtest.Options{})
				for _, prog := range []string{"pass", "gpg", "gpg2"} {
					real, err := exec.LookPath(prog)
					if err != nil {
						continue
					}
					shim(t, filepath.Join(shims, prog), log, fmt.Sprintf("exec '%s' \"$@\"", real))
				}
				s.Env = append(s.Env, p.Environ()...)
				scanned = append(scanned, p.GNUPGHOME, p.StoreDir)
			}
			s.Env = setVar(s.Env, wire.EnvKeychain, keychain)
			s.Env = setVar(s.Env, "PATH", shims+string(os.PathListSeparator)+os.Getenv("PATH"))

			tokenCmd := filepath.Join(shims, "make-token")
			shim(t, tokenCmd, log, "cat > /dev/null\necho "+canaryExecTok)
			cfg := fmt.Sprintf(`registries:
  - match: oauth.example
    provider: oauth2
    token_url: %s/token
    grant: client_credentials
    username: oauth2accesstoken
  - match: exec.example
    provider: exec
    command: [%s, --audience, registry]
    format: plain
    username: token
    lifetime: 10m
`, tokens.URL, tokenCmd)
			cfgPath := filepath.Join(s.Home, "config", "docker-credential-mint", "config.yaml")
			if err := os.MkdirAll(filepath.Dir(cfgPath), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}

			js := func(url, user, secret string) string {
				b, _ := json.Marshal(dch.Credentials{ServerURL: url, Username: user, Secret: secret})
				return string(b)
			}
			steps := []struct {
				in, verb string
				want     string // in get's stdout
			}{
				{js("static.example", "canary-user", canaryRoot), "store", ""},
				{"static.example", "get", canaryRoot},
				{js("oauth.example", "canary-client-id", canaryClient), "store", ""},
				{"oauth.example", "get", canaryAccess},
				{"oauth.example", "get", canaryAccess}, // from the token cache
				{js("exec.example", "exec-user", canaryExecRoot), "store", ""},
				{"exec.example", "get", canaryExecTok},
				{"exec.example", "get", canaryExecTok},
				{"unused", "list", ""},
				{"", "version", ""},
				{`{"ServerURL":"static.example","Username":"x","Secret":"` + canaryRoot, "store", ""}, // broken JSON
				{js("", "u", canaryRoot), "store", ""},                                                // no server URL
				{js("ftp://static.example", "u", canaryRoot), "store", ""},                            // bad URL
				{"static.example", "erase", ""},
				{"static.example", "get", ""},
				{js("static.example", "canary-user", canaryRoot), "store", ""},
				{"oauth.example", "erase", ""},
				{js("oauth.example", "canary-client-id", canaryClient), "store", ""},
				{"oauth.example", "get", canaryAccess},
				{"unused", "list", ""},
			}
			for _, st := range steps {
				out, errs, code := s.Exec(st.in, st.verb)
				if st.want != "" && (code != 0 || !strings.Contains(out, st.want)) {
					t.Fatalf("%s %.40q = %q, stderr %q (exit %d); want the secret", st.verb, st.in, out, errs, code)
				}
				if l := leaks([]byte(errs)); len(l) > 0 {
					t.Errorf("%s %.40q: stderr holds %v: %q", st.verb, st.in, l, errs)
				}
				if st.verb != "get" {
					if l := leaks([]byte(out)); len(l) > 0 {
						t.Errorf("%s %.40q: stdout holds %v: %q", st.verb, st.in, l, out)
					}
				}
			}

			// The operator commands that handle secrets: import from a
			// containers auth file, login --provider (oauth2 and exec, a
			// refused proof, a usage error).
			authFile := filepath.Join(s.Home, "run", "containers", "auth.json")
			importAuth := base64.StdEncoding.EncodeToString([]byte("canary-user:" + canaryImport))
			if err := os.MkdirAll(filepath.Dir(authFile), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(authFile, []byte(`{"auths":{"imported.example":{"auth":"`+importAuth+`"}}}`), 0o600); err != nil {
				t.Fatal(err)
			}
			oauthLogin := []string{"login", "oauth-login.example", "-u", "canary-client-id", "--password-stdin",
				"--provider", "oauth2", "--token-url", tokens.URL + "/token", "--token-username", "oauth2accesstoken"}
			ops := []struct {
				in   string
				args []string
				code int
				want string // in get's stdout
			}{
				{"", []string{"import", "--from", "containers"}, 0, ""},
				{"imported.example", []string{"get"}, 0, canaryImport},
				{canaryRoot + "\n", oauthLogin, 1, ""}, // refused by the endpoint
				{canaryClient + "\n", oauthLogin[:len(oauthLogin)-2], 2, ""},
				{canaryClient + "\n", oauthLogin, 0, ""},
				{"oauth-login.example", []string{"get"}, 0, canaryAccess},
				{canaryExecRoot, []string{"login", "exec-login.example", "-u", "exec-user", "--password-stdin", "--provider", "exec",
					"--token-username", "token", "--lifetime", "10m", "--", tokenCmd, "--audience", "registry"}, 0, ""},
				{"exec-login.example", []string{"get"}, 0, canaryExecTok},
				{"", []string{"status"}, 0, ""},
			}
			for _, op := range ops {
				out, errs, code := s.Exec(op.in, op.args...)
				if code != op.code || op.want != "" && !strings.Contains(out, op.want) {
					t.Errorf("%v: exit %d, want %d; stdout %d bytes, stderr %q", op.args, code, op.code, len(out), errs)
				}
				if l := leaks([]byte(errs)); len(l) > 0 {
					t.Errorf("%v: stderr holds %v: %q", op.args, l, errs)
				}
				if op.args[0] != "get" {
					if l := leaks([]byte(out)); len(l) > 0 {
						t.Errorf("%v: stdout holds %v: %q", op.args, l, out)
					}
				}
			}
			if b, err := os.ReadFile(authFile); err != nil || bytes.Contains(b, []byte(importAuth)) {
				t.Errorf("the containers auth file still holds the imported password (%v)", err)
			}

			logData, err := os.ReadFile(log)
			if err != nil {
				t.Fatalf("no child process logged anything: %v", err)
			}
			if !bytes.Contains(logData, []byte("--- "+tokenCmd)) {
				t.Errorf("the exec provider's command did not run through its shim")
			}
			if keychain == "pass" && !bytes.Contains(logData, []byte("--- "+filepath.Join(shims, "pass"))) {
				t.Errorf("pass did not run through its shim: the helper found another pass")
			}
			if keychain == "pass" && !bytes.Contains(logData, []byte("--- "+filepath.Join(shims, "gpg"))) {
				t.Errorf("gpg did not run through its shim")
			}
			if l := leaks(logData); len(l) > 0 {
				t.Errorf("the argv or environment of a child holds %v", l)
			}
			files := 0
			for _, dir := range scanned {
				err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
					if err != nil {
						return err
					}
					if !d.Type().IsRegular() {
						return nil
					}
					data, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					files++
					if l := leaks(data); len(l) > 0 {
						t.Errorf("%s holds %v in plain text", path, l)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%s: %d files and %d bytes of child argv/environment scanned", keychain, files, len(logData))
		})
	}
}
