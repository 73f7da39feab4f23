// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package command

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeRunner records its call and answers out or err.
type fakeRunner struct {
	out   string
	err   error
	stdin string
	argv  []string
}

func (f *fakeRunner) Run(_ context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	b, _ := io.ReadAll(stdin)
	f.stdin = string(b)
	f.argv = append([]string{name}, args...)
	if f.err != nil {
		return nil, f.err
	}
	return []byte(f.out), nil
}

var host = credentials.Host{Name: "registry.example.com", Port: "5000"}

func newProvider(t *testing.T, reg credentials.Registry, r Runner) *Provider {
	t.Helper()
	if reg.Command == nil {
		reg.Command = []string{"/usr/local/bin/make-token", "--audience", "registry"}
	}
	p, err := New(reg, Options{Runner: r, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProvider_Token_plain(t *testing.T) {
	f := &fakeRunner{out: "tok-123\n"}
	p := newProvider(t, credentials.Registry{Format: "plain", Username: "token", Lifetime: 10 * time.Minute}, f)
	tok, err := p.Token(context.Background(), host, &store.Entry{Username: "u", Secret: "root-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "token" || tok.Secret != "tok-123" || !tok.Expiry.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("Token = %+v", tok)
	}
	if f.stdin != "root-secret" {
		t.Errorf("stdin = %q, want the stored secret", f.stdin)
	}
	if strings.Join(f.argv, " ") != "/usr/local/bin/make-token --audience registry" {
		t.Errorf("argv = %q", f.argv)
	}

	// No root: empty stdin. No lifetime: expires at once (not cached).
	p = newProvider(t, credentials.Registry{Format: "plain", Username: "token"}, f)
	tok, err = p.Token(context.Background(), host, nil)
	if err != nil || f.stdin != "" || !tok.Expiry.Equal(t0) {
		t.Errorf("Token = %+v, %v; stdin %q", tok, err, f.stdin)
	}
}

func TestProvider_Token_plainErrors(t *testing.T) {
	for out, want := range map[string]string{
		"":            "printed no token",
		"\n\n":        "printed no token",
		"a\nb\n":      "printed more than one line",
		"line\r\nb\n": "printed more than one line",
	} {
		p := newProvider(t, credentials.Registry{Username: "u"}, &fakeRunner{out: out})
		_, err := p.Token(context.Background(), host, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("output %q: %v, want %q", out, err, want)
		}
	}
}

func TestProvider_Token_helperJSON(t *testing.T) {
	for _, tc := range []struct {
		out     string
		reg     credentials.Registry
		want    string // "user secret expiry" or an error fragment
		wantErr bool
	}{
		{out: `{"ServerURL":"x","Username":"bob","Secret":"s1"}`, want: "bob s1 " + t0.Format(time.RFC3339)},
		{out: `{"Username":"bob","Secret":"s1","ExpiresAt":"2026-03-01T13:00:00Z"}`, want: "bob s1 2026-03-01T13:00:00Z"},
		{out: `{"Secret":"s1"}`, reg: credentials.Registry{Username: "cfg", Lifetime: time.Hour}, want: "cfg s1 2026-03-01T13:00:00Z"},
		{out: `{"Secret":"s1"}`, want: "no Username", wantErr: true},
		{out: `{"Username":"bob"}`, want: "no Secret", wantErr: true},
		{out: `{"Username":"bob","Secret":"s1","ExpiresAt":"tomorrow"}`, want: "RFC 3339", wantErr: true},
		{out: `not json at all sEcReT`, want: "not helper-json", wantErr: true},
	} {
		tc.reg.Format = credentials.FormatHelperJSON
		p := newProvider(t, tc.reg, &fakeRunner{out: tc.out})
		tok, err := p.Token(context.Background(), host, nil)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err %v, want %q", tc.out, err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "sEcReT") {
				t.Errorf("error quotes stdout: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.out, err)
			continue
		}
		if got := tok.Username + " " + tok.Secret + " " + tok.Expiry.UTC().Format(time.RFC3339); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.out, got, tc.want)
		}
	}
}

func TestProvider_Token_kubelet(t *testing.T) {
	resp := `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse",
	  "cacheKeyType":"Registry","cacheDuration":"6h0m0s",
	  "auth":{
	    "*.example.com:5000":{"username":"glob","password":"p-glob"},
	    "registry.example.com:5000":{"username":"exact","password":"p-exact"},
	    "registry.example.com:5000/team":{"username":"team","password":"p-team"},
	    "other.example.com":{"username":"other","password":"p-other"}}}`
	f := &fakeRunner{out: resp}
	p := newProvider(t, credentials.Registry{Format: credentials.FormatKubelet}, f)
	for h, want := range map[string]string{
		"registry.example.com:5000":          "exact p-exact",
		"registry.example.com:5000/team/app": "team p-team",
		"mirror.example.com:5000":            "glob p-glob",
	} {
		hh, _ := credentials.ParseHost(h)
		tok, err := p.Token(context.Background(), hh, &store.Entry{Secret: "not-sent"})
		if err != nil {
			t.Errorf("%s: %v", h, err)
			continue
		}
		if got := tok.Username + " " + tok.Secret; got != want || !tok.Expiry.Equal(t0.Add(6*time.Hour)) {
			t.Errorf("%s: %q expiring %v, want %q at +6h", h, got, tok.Expiry, want)
		}
	}
	mirror, _ := credentials.ParseHost("mirror.example.com:5000/app")
	if _, err := p.Token(context.Background(), mirror, nil); err != nil {
		t.Fatal(err)
	}
	want := `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"mirror.example.com:5000/app","kind":"CredentialProviderRequest"}`
	if f.stdin != want {
		t.Errorf("stdin = %s, want %s", f.stdin, want)
	}

	for out, frag := range map[string]string{
		`{"apiVersion":"v0","kind":"CredentialProviderResponse"}`:                                                                                                         "is not a credentialprovider.kubelet.k8s.io/v1",
		`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","auth":{"x.io":{"username":"a","password":"b"}}}`:                       "no auth entry matches",
		`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","cacheDuration":"soon","auth":{"*.example.com:5000":{"password":"b"}}}`: "cacheDuration",
		`[]`: "not a CredentialProviderResponse",
	} {
		p := newProvider(t, credentials.Registry{Format: credentials.FormatKubelet}, &fakeRunner{out: out})
		if _, err := p.Token(context.Background(), host, nil); err == nil || !strings.Contains(err.Error(), frag) {
			t.Errorf("%s: %v, want %q", out, err, frag)
		}
	}

	// cacheDuration 0: not cached (expires at once); absent: the lifetime.
	p = newProvider(t, credentials.Registry{Format: credentials.FormatKubelet, Lifetime: time.Minute}, &fakeRunner{
		out: `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","cacheDuration":"0s","auth":{"*.example.com:5000":{"username":"a","password":"b"}}}`})
	if tok, err := p.Token(context.Background(), host, nil); err != nil || !tok.Expiry.Equal(t0) {
		t.Errorf("cacheDuration 0s: %+v, %v", tok, err)
	}
	p = newProvider(t, credentials.Registry{Format: credentials.FormatKubelet, Lifetime: time.Minute}, &fakeRunner{
		out: `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","auth":{"*.example.com:5000":{"username":"a","password":"b"}}}`})
	if tok, err := p.Token(context.Background(), host, nil); err != nil || !tok.Expiry.Equal(t0.Add(time.Minute)) {
		t.Errorf("no cacheDuration: %+v, %v", tok, err)
	}
}

func TestProvider_Token_runErrorRedacted(t *testing.T) {
	f := &fakeRunner{err: &RunError{Command: "/bin/tok", Status: 2, Stderr: "bad input: hunter2-secret"}}
	p := newProvider(t, credentials.Registry{Username: "u"}, f)
	_, err := p.Token(context.Background(), host, &store.Entry{Secret: "hunter2-secret"})
	want := "command: registry.example.com:5000: /bin/tok: exit status 2: bad input: [redacted]"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

// TestProvider_Token_runErrorRedactsEncodings: a command that echoes its
// stdin URL-encoded, JSON-escaped or in base64 on stderr does not put the
// secret in the error.
func TestProvider_Token_runErrorRedactsEncodings(t *testing.T) {
	const secret = `hunter2 "s3cret"/+key`
	for _, echo := range []string{
		url.QueryEscape(secret),
		fmt.Sprintf("%q", secret)[1 : len(secret)+3],
		base64.StdEncoding.EncodeToString([]byte(secret)),
		base64.StdEncoding.EncodeToString([]byte("user:" + secret)),
	} {
		f := &fakeRunner{err: &RunError{Command: "/bin/tok", Status: 2, Stderr: "bad input: " + echo}}
		p := newProvider(t, credentials.Registry{Username: "u"}, f)
		_, err := p.Token(context.Background(), host, &store.Entry{Secret: secret})
		if err == nil || strings.Contains(err.Error(), echo) || !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("stderr %q: error = %v", echo, err)
		}
	}
}

func TestFirstLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"\n\n  error: bad\nmore\n": "error: bad",
		"a\tb\x1b[31m":             "a b [31m",
		strings.Repeat("x", 300):   strings.Repeat("x", 200) + "…",
		"last line without break":  "last line without break",
	} {
		if got := firstLine(in); got != want {
			t.Errorf("firstLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnviron(t *testing.T) {
	t.Setenv("DOCKER_CREDENTIAL_MINT_FILE_KEY_FILE", "/k")
	t.Setenv("DOCKER_CREDENTIAL_MINT_DEBUG", "1")
	t.Setenv("MINT_TEST_KEEP", "yes")
	env := strings.Join(Environ(), "\n")
	if strings.Contains(env, "FILE_KEY_FILE") || !strings.Contains(env, "DOCKER_CREDENTIAL_MINT_DEBUG=1") || !strings.Contains(env, "MINT_TEST_KEEP=yes") {
		t.Errorf("Environ() = %s", env)
	}
}

// The re-exec child: TestMain runs childMain when MINT_COMMAND_CHILD names
// a mode, making this test binary the configured command.
func TestMain(m *testing.M) {
	if mode := os.Getenv("MINT_COMMAND_CHILD"); mode != "" {
		os.Exit(childMain(mode))
	}
	os.Exit(m.Run())
}

func childMain(mode string) int {
	in, _ := io.ReadAll(os.Stdin)
	switch mode {
	case "helper-json":
		if os.Getenv("DOCKER_CREDENTIAL_MINT_FILE_KEY_FILE") != "" {
			fmt.Fprintln(os.Stderr, "leaked environment")
			return 3
		}
		fmt.Printf(`{"Username":"from-child","Secret":"minted-from-%d-bytes"}`+"\n", len(in))
		return 0
	case "echo-fail":
		fmt.Printf("stdout-secret-%s\n", in)
		fmt.Fprintf(os.Stderr, "\nrejected credential %s\nsecond line\n", in)
		return 7
	case "hang":
		fmt.Fprintln(os.Stderr, "hanging")
		time.Sleep(time.Minute)
		return 0
	case "bg-child":
		// Prints its token and exits 0, leaving a child that holds stdout.
		if _, err := spawn("hang", os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 4
		}
		fmt.Println(`{"Username":"u","Secret":"printed-before-exit"}`)
		return 0
	case "runner":
		// A helper: runs the command "spawn" through Exec and waits.
		exe, _ := os.Executable()
		os.Setenv("MINT_COMMAND_CHILD", "spawn")
		_, err := Exec{}.Run(context.Background(), strings.NewReader(""), exe, "-test.run=^$")
		fmt.Fprintln(os.Stderr, "runner:", err)
		return 5
	case "spawn":
		// A command that starts a child of its own and waits.
		if _, err := spawn("hang", nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 4
		}
		time.Sleep(time.Minute)
		return 0
	case "flood":
		chunk := strings.Repeat("x", 64<<10)
		for range MaxOutput/len(chunk) + 2 {
			fmt.Print(chunk)
		}
		return 0
	}
	return 99
}

// spawn starts this test binary in mode, with stdout, and records its pid
// (and, the first time, this process's) in $MINT_PIDFILE.
func spawn(mode string, stdout *os.File) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "MINT_COMMAND_CHILD="+mode)
	cmd.Stdout = stdout
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	f, err := os.OpenFile(os.Getenv("MINT_PIDFILE"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%d %d\n", os.Getpid(), cmd.Process.Pid)
	return cmd.Process.Pid, err
}

func childProvider(t *testing.T, mode string, timeout time.Duration) *Provider {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MINT_COMMAND_CHILD", mode)
	t.Setenv("DOCKER_CREDENTIAL_MINT_FILE_KEY_FILE", "/must/not/reach/the/child")
	p, err := New(credentials.Registry{Command: []string{exe, "-test.run=^$"}, Format: credentials.FormatHelperJSON, Timeout: timeout}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExec_reexec runs this test binary as the command, through the real
// Exec runner.
func TestExec_reexec(t *testing.T) {
	p := childProvider(t, "helper-json", 0)
	tok, err := p.Token(context.Background(), host, &store.Entry{Secret: "12345"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "from-child" || tok.Secret != "minted-from-5-bytes" {
		t.Errorf("Token = %+v", tok)
	}
}

func TestExec_failureReportsStatusAndStderrNotStdout(t *testing.T) {
	p := childProvider(t, "echo-fail", 0)
	_, err := p.Token(context.Background(), host, &store.Entry{Secret: "s3cr3t-value"})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "exit status 7: rejected credential [redacted]") {
		t.Errorf("error %q lacks status and first stderr line", msg)
	}
	if strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "stdout-secret") || strings.Contains(msg, "second line") || strings.Contains(msg, "\n") {
		t.Errorf("error %q holds a secret, stdout or more than one line", msg)
	}
}

func TestExec_timeout(t *testing.T) {
	p := childProvider(t, "hang", 300*time.Millisecond)
	start := time.Now()
	_, err := p.Token(context.Background(), host, nil)
	if err == nil || !strings.Contains(err.Error(), "killed: context deadline exceeded") {
		t.Errorf("error = %v, want killed at the deadline", err)
	}
	// Generous bound: the timeout plus waitDelay plus a slow CI machine.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("returned after %v", d)
	}
}

func TestExec_outputLimit(t *testing.T) {
	p := childProvider(t, "flood", 0)
	if _, err := p.Token(context.Background(), host, nil); err == nil || !strings.Contains(err.Error(), "printed more than") {
		t.Errorf("error = %v, want the output limit", err)
	}
}

func TestNew_errors(t *testing.T) {
	if _, err := New(credentials.Registry{}, Options{}); err == nil {
		t.Error("no command accepted")
	}
	if _, err := New(credentials.Registry{Command: []string{"x"}, Format: "xml"}, Options{}); err == nil {
		t.Error("bad format accepted")
	}
}
