// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// TestLoadConfig_corpus loads every file in testdata/config. Its first line
// says what to expect: "# want: ok" (or no want line) or
// "# want: <the exact error>".
func TestLoadConfig_corpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "config", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := "ok"
			first, _, _ := strings.Cut(string(data), "\n")
			if w, ok := strings.CutPrefix(first, "# want: "); ok {
				want = w
			}
			c, err := LoadConfig(bytes.NewReader(data), name)
			switch {
			case want == "ok" && err != nil:
				t.Fatalf("LoadConfig = %v, want no error", err)
			case want == "ok":
				if c.File != name || c.Keychain == "" {
					t.Errorf("LoadConfig = %+v, want File %q and a Keychain", c, name)
				}
			case err == nil:
				t.Fatalf("LoadConfig succeeded, want %q", want)
			case err.Error() != want:
				t.Errorf("LoadConfig error\n got %q\nwant %q", err, want)
			case !errors.Is(err, ErrInvalidConfig):
				t.Errorf("LoadConfig error %v does not wrap ErrInvalidConfig", err)
			}
			if strings.HasPrefix(name, "bad-") && want == "ok" {
				t.Errorf("%s: a bad- file needs a want line", name)
			}
		})
	}
}

func TestLoadConfig_designExample(t *testing.T) {
	c, err := LoadConfigFile(filepath.Join("testdata", "config", "design-example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Registry{{
		Match:         "registry.example.com",
		Pattern:       Pattern{Labels: []string{"registry", "example", "com"}},
		Line:          5,
		Provider:      ProviderOAuth2,
		TokenURL:      "https://auth.example.com/oauth2/token",
		Grant:         GrantClientCredentials,
		Scopes:        []string{"registry.pull"},
		Username:      "oauth2accesstoken",
		RefreshBefore: 2 * time.Minute,
	}, {
		Match:    "localhost:5000",
		Pattern:  Pattern{Labels: []string{"localhost"}, Port: "5000"},
		Line:     12,
		Provider: ProviderExec,
		Command:  []string{"/usr/local/bin/make-token", "--audience", "registry"},
		Format:   FormatPlain,
		Username: "token",
		Lifetime: 10 * time.Minute,
		Timeout:  10 * time.Second,
	}, {
		Match:    "*.dkr.ecr.*.amazonaws.com",
		Pattern:  Pattern{Labels: []string{"*", "dkr", "ecr", "*", "amazonaws", "com"}},
		Line:     19,
		Provider: ProviderECR,
	}}
	if c.Keychain != KeychainAuto {
		t.Errorf("Keychain = %q, want auto", c.Keychain)
	}
	if !reflect.DeepEqual(c.Registries, want) {
		t.Errorf("Registries =\n%+v\nwant\n%+v", c.Registries, want)
	}
}

// TestLoadConfig_encodings loads the design example as editors save it:
// CRLF line ends, a UTF-8 byte order mark, UTF-16 (PowerShell 5's ">").
func TestLoadConfig_encodings(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "config", "design-example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := LoadConfig(bytes.NewReader(data), "f")
	if err != nil {
		t.Fatal(err)
	}
	crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	utf16le := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(string(crlf))) {
		utf16le = append(utf16le, byte(u), byte(u>>8))
	}
	for name, in := range map[string][]byte{
		"crlf":          crlf,
		"bom":           append([]byte("\ufeff"), data...),
		"utf-16le crlf": utf16le,
	} {
		c, err := LoadConfig(bytes.NewReader(in), "f")
		if err != nil || !reflect.DeepEqual(c, want) {
			t.Errorf("%s: LoadConfig = %+v, %v; want %+v", name, c, err, want)
		}
	}
}

func TestLoadConfig_defaults(t *testing.T) {
	c, err := LoadConfig(strings.NewReader("registries:\n- {match: a.example, provider: exec, command: [x], username: u}\n- {match: b.example, provider: oauth2, token_url: 'https://t/', username: u}\n"), "f")
	if err != nil {
		t.Fatal(err)
	}
	if c.Keychain != KeychainAuto || c.Registries[0].Format != FormatPlain || c.Registries[1].Grant != GrantClientCredentials {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestLoadConfig_tooLarge(t *testing.T) {
	big := "# " + strings.Repeat("x", MaxConfigSize) + "\n"
	if _, err := LoadConfig(strings.NewReader(big), "big"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("LoadConfig(huge) = %v, want ErrInvalidConfig", err)
	}
}

// patternTests maps "pattern host" to whether the pattern matches the host
// (ParseHost'd), in kubelet matchImages style.
var patternTests = map[string]bool{
	"example.com example.com":                                       true,
	"example.com EXAMPLE.com.":                                      true,
	"example.com https://example.com:443/v2/":                       true,
	"example.com example.com:5000":                                  false, // no port in the pattern: default port only
	"example.com:5000 example.com":                                  false,
	"example.com:5000 example.com:5000":                             true,
	"example.com:5000 example.com:5001":                             false,
	"example.com:443 example.com":                                   true, // default port dropped in both
	"example.com example.com/org/app":                               true,
	"example.com/org example.com/org":                               true,
	"example.com/org example.com/org/app":                           true,
	"example.com/org example.com/organic":                           false,
	"example.com/org example.com":                                   false,
	"example.com/Org/ example.com/org/x":                            true,
	"*.example.com a.example.com":                                   true,
	"*.example.com example.com":                                     false,
	"*.example.com a.b.example.com":                                 false,
	"*.*.example.com a.b.example.com":                               true,
	"app*.k8s.io app1.k8s.io":                                       true,
	"app*.k8s.io app.k8s.io":                                        true,
	"app*.k8s.io web.k8s.io":                                        false,
	"k8s.*.io k8s.foo.io":                                           true,
	"k8s.* k8s.io":                                                  true,
	"*.dkr.ecr.*.amazonaws.com 123.dkr.ecr.eu-west-1.amazonaws.com": true,
	"*.dkr.ecr.*.amazonaws.com 123.dkr.ecr.amazonaws.com":           false,
	"* myregistry":                                                  true,
	"* myregistry:5000":                                             false,
	"* my.registry":                                                 false,
	"a*b*c.example abxxc.example":                                   true,
	"a*b*c.example ac.example":                                      false,
	"*a*a a":                                                        false,
	"*a*a aa":                                                       true,
	"docker.io index.docker.io":                                     true,
	"index.docker.io https://index.docker.io/v1/":                   true,
	"docker.io docker.io/library/alpine":                            true,
	"[::1]:5000 [::1]:5000":                                         true,
	"[::1]:5000 [::1]":                                              false,
	"127.0.0.1 127.0.0.1":                                           true,
	"127.0.0.* 127.0.0.5":                                           true,
	"localhost localhost:5000":                                      false,
	"quay.io/org-a quay.io/org-a":                                   true,
	"quay.io/org-a quay.io/org-b":                                   false,
}

func TestPattern_Matches(t *testing.T) {
	for in, want := range patternTests {
		pat, host, _ := strings.Cut(in, " ")
		p, err := ParsePattern(pat)
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", pat, err)
			continue
		}
		h, err := ParseHost(host)
		if err != nil {
			t.Errorf("ParseHost(%q): %v", host, err)
			continue
		}
		if got := p.Matches(h); got != want {
			t.Errorf("ParsePattern(%q).Matches(%q) = %v, want %v", pat, host, got, want)
		}
	}
}

var badPatterns = []string{
	"", "host/*", "host/a*", "[::1*]", "ftp://host", "user@host", "host?x=1", "host#a",
	"host:*", "host:0", "a..b", "host/../x", "\u01c2.example",
}

func TestParsePattern_errors(t *testing.T) {
	for _, s := range badPatterns {
		if p, err := ParsePattern(s); err == nil {
			t.Errorf("ParsePattern(%q) = %+v, want error", s, p)
		}
	}
}

func TestParsePattern_String(t *testing.T) {
	for in, want := range map[string]string{
		"*.Example.COM.":       "*.example.com",
		"https://q.io:443/v2/": "q.io",
		"q.io:5000/Org/":       "q.io:5000/org",
		"[::1]:5000":           "[::1]:5000",
	} {
		p, err := ParsePattern(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePattern(%q).String() = %q, %v; want %q", in, p.String(), err, want)
		}
	}
}

func TestConfig_Match_firstWins(t *testing.T) {
	c, err := LoadConfig(strings.NewReader(`
registries:
  - {match: quay.io/org-a, provider: static}
  - {match: quay.io, provider: registry}
  - {match: "*.io", provider: registry, lifetime: 1h}
`), "f")
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]int{
		"quay.io/org-a/app": 3,
		"quay.io/org-b":     4,
		"quay.io":           4,
		"ghcr.io":           5,
		"quay.io:5000":      0,
		"example.com":       0,
	} {
		h, _ := ParseHost(host)
		r, ok := c.Match(h)
		got := 0
		if ok {
			got = r.Line
		}
		if got != want {
			t.Errorf("Match(%q) line = %d, want %d", host, got, want)
		}
	}
	var nilConfig *Config
	if _, ok := nilConfig.Match(Host{Name: "x"}); ok {
		t.Error("nil Config matched")
	}
}

func TestPattern_Scope(t *testing.T) {
	p, _ := ParsePattern("*.example.com:5000/org")
	h, _ := ParseHost("a.example.com:5000/org/app/sub")
	if got := p.Scope(h).Key(); got != "a.example.com:5000/org" {
		t.Errorf("Scope = %q", got)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "a.localhost": true, "127.0.0.1": true,
		"127.1.2.3": true, "::1": true, "[::1]": true, "128.0.0.1": false,
		"127.0.0.1.example.com": false, "localhost.example.com": false, "example.com": false,
		"127.0.0.256": false, "127.0.0.01": false, "0.0.0.0": false, "": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestConfigPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ConfigEnv, "")
	t.Setenv("XDG_CONFIG_HOME", dir)
	if p, explicit := ConfigPath(); p != filepath.Join(dir, "docker-credential-mint", "config.yaml") || explicit {
		t.Errorf("ConfigPath() = %q, %v with XDG_CONFIG_HOME", p, explicit)
	}
	t.Setenv("XDG_CONFIG_HOME", "relative/dir") // ignored, as the XDG spec says
	if p, _ := ConfigPath(); strings.HasPrefix(p, "relative") {
		t.Errorf("ConfigPath() = %q used a relative XDG_CONFIG_HOME", p)
	}
	t.Setenv(ConfigEnv, filepath.Join(dir, "mine.yaml"))
	if p, explicit := ConfigPath(); p != filepath.Join(dir, "mine.yaml") || !explicit {
		t.Errorf("ConfigPath() = %q, %v with %s", p, explicit, ConfigEnv)
	}
}

func TestLoadDefaultConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv(ConfigEnv, "")

	// A missing default file is an empty config.
	c, err := LoadDefaultConfig()
	if err != nil || len(c.Registries) != 0 || c.Keychain != KeychainAuto {
		t.Fatalf("LoadDefaultConfig() = %+v, %v; want empty config", c, err)
	}

	// A present default file is read.
	path := filepath.Join(dir, "docker-credential-mint", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("keychain: pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := LoadDefaultConfig(); err != nil || c.Keychain != KeychainPass || c.File != path {
		t.Errorf("LoadDefaultConfig() = %+v, %v; want keychain pass from %s", c, err, path)
	}

	// A broken default file is an error naming it.
	if err := os.WriteFile(path, []byte("keychain: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDefaultConfig(); err == nil || !strings.Contains(err.Error(), path+":") {
		t.Errorf("LoadDefaultConfig() = %v, want an error naming %s", err, path)
	}

	// A missing file named by the environment is an error.
	t.Setenv(ConfigEnv, filepath.Join(dir, "missing.yaml"))
	if _, err := LoadDefaultConfig(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadDefaultConfig() with a missing %s = %v, want fs.ErrNotExist", ConfigEnv, err)
	}
}

// FuzzLoadConfig checks that no input panics, that every error has the
// `config <file>:` shape on one line, and that accepted patterns are
// normalised (parsing their String again gives the same pattern).
func FuzzLoadConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "*.yaml"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("registries: [{match: '*', provider: static}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := LoadConfig(bytes.NewReader(data), "fuzz.yaml")
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "config fuzz.yaml") {
				t.Fatalf("error %q lacks the config prefix", msg)
			}
			if strings.Contains(strings.TrimSuffix(msg, "\n"), "\n") {
				t.Fatalf("error %q is more than one line", msg)
			}
			return
		}
		for _, r := range c.Registries {
			p, err := ParsePattern(r.Pattern.String())
			if err != nil || !reflect.DeepEqual(p, r.Pattern) {
				t.Fatalf("pattern %q: re-parse of %q = %+v, %v", r.Match, r.Pattern.String(), p, err)
			}
		}
	})
}

// BenchmarkLoadConfig measures the parse that every get pays.
func BenchmarkLoadConfig(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "config", "design-example.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadConfig(bytes.NewReader(data), "design-example.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLoadConfig_authStyle(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "config", "auth-style.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(bytes.NewReader(data), "auth-style.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{c.Registries[0].AuthStyle, c.Registries[1].AuthStyle}; got[0] != AuthStyleParams || got[1] != AuthStyleHeader {
		t.Errorf("auth styles %q, want params, header", got)
	}
}
