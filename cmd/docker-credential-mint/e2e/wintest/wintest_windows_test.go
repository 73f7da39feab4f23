// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package wintest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binEnv names the directory holding docker-credential-mint.exe,
// docker-credential-mint-full.exe and crane.exe (.ci/test-windows.sh sets
// it; under Wine it may be a unix path, seen as drive Z:).
const binEnv = "MINT_WIN_BIN"

// binDir returns the directory of the Windows binaries.
func binDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv(binEnv)
	if d == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is not: run these tests with .ci/test-windows.sh, which builds the binaries", binEnv)
		}
		t.Skipf("%s is not set: run these tests with .ci/test-windows.sh, which builds the binaries", binEnv)
	}
	if strings.HasPrefix(d, "/") { // a unix path under Wine: drive Z: is /
		d = `Z:` + filepath.FromSlash(d)
	}
	return d
}

// world is one hermetic user: its own profile, config, data and lock
// directories, and a bin directory holding the binaries the test wants.
type world struct {
	t    *testing.T
	bin  string
	home string
	env  []string
}

// newWorld copies the named binaries of binDir into a fresh bin directory
// and sets up the environment for keychain (file or wincred).
func newWorld(t *testing.T, keychain string, bins ...string) *world {
	t.Helper()
	src := binDir(t)
	w := &world{t: t, bin: t.TempDir(), home: t.TempDir()}
	for _, b := range bins {
		data, err := os.ReadFile(filepath.Join(src, b))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(w.bin, b), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := func(name string) string {
		d := filepath.Join(w.home, name)
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		return d
	}
	vars := map[string]string{
		"PATH":                            w.bin + `;C:\windows\system32;C:\windows`,
		"USERPROFILE":                     w.home,
		"HOME":                            w.home,
		"APPDATA":                         dir("AppData/Roaming"),
		"LOCALAPPDATA":                    dir("AppData/Local"),
		"XDG_CONFIG_HOME":                 dir("config"),
		"XDG_DATA_HOME":                   dir("data"),
		"XDG_CACHE_HOME":                  dir("cache"),
		"XDG_RUNTIME_DIR":                 dir("run"),
		"DOCKER_CONFIG":                   dir("docker"),
		"DOCKER_CREDENTIAL_MINT_KEYCHAIN": keychain,
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := vars[strings.ToUpper(k)]; ok || strings.HasPrefix(strings.ToUpper(k), "DOCKER_") {
			continue
		}
		w.env = append(w.env, kv)
	}
	for k, v := range vars {
		w.env = append(w.env, k+"="+v)
	}
	return w
}

// run runs the program prog of the world's bin directory with args and
// stdin, and returns its stdout, stderr and exit code.
func (w *world) run(stdin, prog string, args ...string) (stdout, stderr string, code int) {
	w.t.Helper()
	cmd := exec.Command(filepath.Join(w.bin, prog), args...)
	cmd.Env = w.env
	cmd.Dir = w.home
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		w.t.Fatalf("%s %q: %v", prog, args, err)
	}
	return o.String(), e.String(), code
}

// helper runs docker-credential-mint.exe (the protocol binary) with verb.
func (w *world) helper(verb, stdin string) (stdout, stderr string, code int) {
	w.t.Helper()
	return w.run(stdin, "docker-credential-mint.exe", verb)
}

const (
	lean = "docker-credential-mint.exe"
	full = "docker-credential-mint-full.exe"
)

// TestProtocol runs store, get, list and erase through the protocol binary
// with the file store and with the Credential Manager, for secrets from 1
// byte to well past wincred's 2,560-byte blob limit.
func TestProtocol(t *testing.T) {
	for _, keychain := range []string{"file", "wincred"} {
		t.Run(keychain, func(t *testing.T) {
			w := newWorld(t, keychain, lean, full)
			for _, n := range []int{1, 2560, 2561, 20000} {
				secret := fmt.Sprintf("CANARY-%d-", n)
				secret += strings.Repeat("s", n-min(n, len(secret)))
				secret = secret[:n]
				server := fmt.Sprintf("reg%d.example:5000", n)
				req, _ := json.Marshal(map[string]string{"ServerURL": server, "Username": "alice", "Secret": secret})
				out, errOut, code := w.helper("store", string(req))
				if code != 0 || out != "" {
					t.Fatalf("store (%d-byte secret) = exit %d, %d bytes of stdout, stderr %q", n, code, len(out), errOut)
				}
				out, errOut, code = w.helper("get", server+"\n")
				var got struct{ ServerURL, Username, Secret string }
				if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Username != "alice" || got.Secret != secret || got.ServerURL != server {
					t.Fatalf("get (%d-byte secret) = exit %d, %d bytes of stdout (user %q, %d-byte secret), stderr %q", n, code, len(out), got.Username, len(got.Secret), errOut)
				}
			}
			out, errOut, code := w.helper("list", "")
			var list map[string]string
			if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 4 || list["reg20000.example:5000"] != "alice" {
				t.Fatalf("list = exit %d, %q, stderr %q; want 4 registries of alice", code, out, errOut)
			}
			if strings.Contains(out, "CANARY") {
				t.Errorf("list prints a secret")
			}
			for _, n := range []int{1, 2560, 2561, 20000} {
				server := fmt.Sprintf("reg%d.example:5000", n)
				if out, errOut, code := w.helper("erase", server+"\n"); code != 0 || out != "" {
					t.Fatalf("erase %s = exit %d, %q, stderr %q", server, code, out, errOut)
				}
				out, errOut, code := w.helper("get", server+"\n")
				if code != 1 || !strings.Contains(out, "credentials not found") {
					t.Errorf("get after erase = exit %d, %q, stderr %q; want exit 1, credentials not found", code, out, errOut)
				}
			}
			if out, _, code := w.helper("list", ""); code != 0 || strings.TrimSpace(out) != "{}" {
				t.Errorf("list after erasing all = exit %d, %q; want {}", code, out)
			}
			// Bad input changes nothing and says so in one line.
			if out, errOut, code := w.helper("store", "{not json"); code == 0 || strings.Count(strings.TrimSpace(out+errOut), "\n") != 0 {
				t.Errorf("store of broken JSON = exit %d, stdout %q, stderr %q; want one line and a failure", code, out, errOut)
			}
			checkNoCanary(t, w)
		})
	}
}

// checkNoCanary fails when a file the helpers wrote in plain text holds a
// test secret: the file store keeps them sealed, the Credential Manager
// outside the user's directories.
func checkNoCanary(t *testing.T, w *world) {
	t.Helper()
	err := filepath.WalkDir(w.home, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte("CANARY")) {
			t.Errorf("%s holds a secret in plain text", p)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// TestHandoff: the protocol binary hands an operator command to the full
// build next to it (status lists what store put in the Credential
// Manager), and without it fails in one line that says to install it.
func TestHandoff(t *testing.T) {
	w := newWorld(t, "wincred", lean, full)
	req := `{"ServerURL":"handoff.example","Username":"bob","Secret":"pa55-CANARY"}`
	if out, errOut, code := w.helper("store", req); code != 0 {
		t.Fatalf("store = exit %d, %q, %q", code, out, errOut)
	}
	out, errOut, code := w.helper("status", "")
	if code != 0 || !strings.Contains(out, "handoff.example") || !strings.Contains(out, "bob") || !strings.Contains(out, "wincred") {
		t.Errorf("status through the hand-off = exit %d, %q, stderr %q; want a line for handoff.example, bob, wincred", code, out, errOut)
	}
	if strings.Contains(out+errOut, "CANARY") {
		t.Errorf("status prints the secret")
	}
	if err := os.Remove(filepath.Join(w.bin, full)); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = w.helper("status", "")
	if code == 0 || !strings.Contains(errOut, "docker-credential-mint-full") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("status without the full build = exit %d, %q, stderr %q; want one line naming docker-credential-mint-full", code, out, errOut)
	}
	// The protocol verbs still work alone.
	if out, errOut, code := w.helper("get", "handoff.example\n"); code != 0 || !strings.Contains(out, `"bob"`) {
		t.Errorf("get without the full build = exit %d, %d bytes, stderr %q", code, len(out), errOut)
	}
}

// TestCrane: crane.exe auth login, get and logout with credsStore "mint",
// so crane itself runs docker-credential-mint.exe from PATH, with the
// Credential Manager behind it.
func TestCrane(t *testing.T) {
	w := newWorld(t, "wincred", lean, full, "crane.exe")
	cfg := filepath.Join(w.home, "docker", "config.json")
	if err := os.WriteFile(cfg, []byte(`{"credsStore":"mint"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const reg = "crane.example:5000"
	out, errOut, code := w.run("pa55-CANARY\n", "crane.exe", "auth", "login", reg, "-u", "carol", "--password-stdin")
	if code != 0 {
		t.Fatalf("crane auth login = exit %d, %q, stderr %q", code, out, errOut)
	}
	if b, _ := os.ReadFile(cfg); bytes.Contains(b, []byte("CANARY")) || !bytes.Contains(bytes.ReplaceAll(b, []byte(" "), nil), []byte(`"credsStore":"mint"`)) {
		t.Errorf("config.json after crane auth login = %q; want the credsStore and no secret", b)
	}
	out, errOut, code = w.run("", "crane.exe", "auth", "get", reg)
	var got struct{ Username, Secret string }
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Username != "carol" || got.Secret != "pa55-CANARY" {
		t.Fatalf("crane auth get = exit %d, %d bytes (user %q), stderr %q", code, len(out), got.Username, errOut)
	}
	if out, _, _ := w.helper("list", ""); !strings.Contains(out, `"carol"`) {
		t.Errorf("helper list after crane auth login = %q; want carol", out)
	}
	if out, errOut, code := w.run("", "crane.exe", "auth", "logout", reg); code != 0 {
		t.Fatalf("crane auth logout = exit %d, %q, stderr %q", code, out, errOut)
	}
	if out, errOut, code := w.helper("get", reg+"\n"); code != 1 || !strings.Contains(out, "credentials not found") {
		t.Errorf("helper get after crane auth logout = exit %d, %q, stderr %q; want not found", code, out, errOut)
	}
	checkNoCanary(t, w)
}
