// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package identity

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
)

var now = time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)

// jwt returns an unsigned JWT-shaped token expiring at exp.
func jwt(exp time.Time, sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." +
		enc([]byte(fmt.Sprintf(`{"sub":%q,"exp":%d}`, sub, exp.Unix()))) + ".c2lnbmF0dXJl"
}

func newSource(t *testing.T, id credentials.Identity, opts Options) Source {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return now }
	}
	s, err := New(id, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noToken fails t when err is nil or holds tok.
func noToken(t *testing.T, err error, tok, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Token succeeded, want an error containing %q", want)
	}
	if tok != "" && strings.Contains(err.Error(), tok) {
		t.Errorf("error %q holds the token", err)
	}
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q, want one line containing %q", err, want)
	}
}

func TestFile_Token(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	tok := jwt(now.Add(time.Hour), "file")
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newSource(t, credentials.Identity{Source: credentials.IdentityFile, Path: path}, Options{})
	got, err := s.Token(context.Background())
	if err != nil || got != tok {
		t.Fatalf("Token = %q, %v; want %q", got, err, tok)
	}
	// Read again on each call: the kubelet rewrites projected tokens.
	tok2 := jwt(now.Add(2*time.Hour), "rotated")
	if err := os.WriteFile(path, []byte(tok2), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Token(context.Background()); err != nil || got != tok2 {
		t.Fatalf("Token after rewrite = %q, %v; want %q", got, err, tok2)
	}
}

func TestFile_Token_kubernetesSymlink(t *testing.T) {
	// A projected volume: token -> ..data/token, ..data -> ..2026_12_04.
	dir := t.TempDir()
	ts := filepath.Join(dir, "..2026_12_04")
	if err := os.Mkdir(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	tok := jwt(now.Add(time.Hour), "system:serviceaccount:ns:puller")
	if err := os.WriteFile(filepath.Join(ts, "token"), []byte(tok), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..2026_12_04", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..data/token", filepath.Join(dir, "token")); err != nil {
		t.Fatal(err)
	}
	s := newSource(t, credentials.Identity{Source: credentials.IdentityKubernetes, Path: filepath.Join(dir, "token")}, Options{})
	if got, err := s.Token(context.Background()); err != nil || got != tok {
		t.Fatalf("Token = %q, %v; want %q", got, err, tok)
	}
}

func TestFile_Token_refused(t *testing.T) {
	dir := t.TempDir()
	valid := jwt(now.Add(time.Hour), "x")
	expired := jwt(now.Add(-time.Second), "x")
	cases := []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"expired", expired, 0o600, "expired at 2026-12-04T05:59:59Z"},
		{"exactly now", jwt(now, "x"), 0o600, "expired at"},
		{"empty", "\n", 0o600, "identity token is empty"},
		{"not a jwt", "hello world", 0o600, "is not a JWT"},
		{"too large", strings.Repeat("a", MaxTokenSize+1), 0o600, "larger than 16384 bytes"},
		{"world-writable", valid, 0o666, "writable by every user"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.mode&0o002 != 0 && runtime.GOOS == "windows" {
				t.Skip("no mode bits on Windows")
			}
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, c.mode); err != nil {
				t.Fatal(err)
			}
			_, err := newSource(t, credentials.Identity{Source: credentials.IdentityFile, Path: path}, Options{}).Token(context.Background())
			noToken(t, err, strings.TrimSpace(c.content), c.want)
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := newSource(t, credentials.Identity{Source: credentials.IdentityKubernetes, Path: filepath.Join(dir, "nope")}, Options{}).Token(context.Background())
		if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "identity: kubernetes: ") {
			t.Errorf("Token error = %v, want one wrapping fs.ErrNotExist from kubernetes", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, err := newSource(t, credentials.Identity{Source: credentials.IdentityFile, Path: dir}, Options{}).Token(context.Background())
		noToken(t, err, "", "is not a regular file")
	})
}

func TestFile_Token_otherOwner(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() != 0 {
		t.Skip("needs root to give a file away")
	}
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(jwt(now.Add(time.Hour), "x")), 0o644); err != nil {
		t.Fatal(err)
	}
	// Root may read any user's file; only another non-root user's is
	// refused, so give it away and act as a third user: not possible
	// without changing euid, so check the rule directly.
	if err := os.Chown(path, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkOwner(path, fi); err == nil || !strings.Contains(err.Error(), "belongs to uid 4242") {
		t.Errorf("checkOwner(uid 4242) = %v, want refused", err)
	}
}

func TestGitLab_Token(t *testing.T) {
	tok := jwt(now.Add(time.Hour), "project_path:group/app:ref_type:branch:ref:main")
	env := map[string]string{"REGISTRY_ID_TOKEN": tok}
	s := newSource(t, credentials.Identity{Source: credentials.IdentityGitLab, Env: "REGISTRY_ID_TOKEN"}, Options{Getenv: func(k string) string { return env[k] }})
	if got, err := s.Token(context.Background()); err != nil || got != tok {
		t.Fatalf("Token = %q, %v", got, err)
	}
	delete(env, "REGISTRY_ID_TOKEN")
	_, err := s.Token(context.Background())
	noToken(t, err, "", "$REGISTRY_ID_TOKEN is not set (name it in the job's id_tokens)")
}

// fakeRunner is a command.Runner that answers out or err and records argv.
type fakeRunner struct {
	out  string
	err  error
	argv []string
	dl   bool
}

func (f *fakeRunner) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	f.argv = append([]string{name}, args...)
	_, f.dl = ctx.Deadline()
	if b, _ := io.ReadAll(stdin); len(b) != 0 {
		return nil, errors.New("stdin not empty")
	}
	return []byte(f.out), f.err
}

func TestExec_Token(t *testing.T) {
	tok := jwt(now.Add(time.Hour), "exec")
	r := &fakeRunner{out: tok + "\n"}
	s := newSource(t, credentials.Identity{Source: credentials.IdentityExec, Command: []string{"/bin/print-jwt", "--aud", "a b"}}, Options{Runner: r})
	got, err := s.Token(context.Background())
	if err != nil || got != tok {
		t.Fatalf("Token = %q, %v", got, err)
	}
	if strings.Join(r.argv, "|") != "/bin/print-jwt|--aud|a b" || !r.dl {
		t.Errorf("ran %q (deadline %v), want the argv as configured, with a deadline", r.argv, r.dl)
	}
	r.out, r.err = "", errors.New("/bin/print-jwt: exit status 3: no identity")
	_, err = s.Token(context.Background())
	noToken(t, err, "", "identity: exec: /bin/print-jwt: exit status 3: no identity")
}

func TestExec_Token_realCommand(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /bin/sh")
	}
	tok := jwt(now.Add(time.Hour), "sh")
	s := newSource(t, credentials.Identity{Source: credentials.IdentityExec, Command: []string{"/bin/sh", "-c", "echo " + tok}}, Options{})
	if got, err := s.Token(context.Background()); err != nil || got != tok {
		t.Fatalf("Token = %q, %v", got, err)
	}
}

// actionsServer stands in for GitHub Actions' OIDC token endpoint: it
// checks the bearer token and answers {"count":…,"value":…} with the token
// that mint returns for the audience asked.
func actionsServer(t *testing.T, bearer string, mint func(aud string) string) (*httptest.Server, *[]string) {
	t.Helper()
	var auds []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/idtoken" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if r.Header.Get("Authorization") != "bearer "+bearer {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "api-version lost", http.StatusBadRequest)
			return
		}
		aud := r.URL.Query().Get("audience")
		auds = append(auds, aud)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"count":1,"value":%q}`, mint(aud))
	}))
	t.Cleanup(srv.Close)
	return srv, &auds
}

func TestGitHubActions_Token(t *testing.T) {
	const bearer = "actions-request-token-secret"
	srv, auds := actionsServer(t, bearer, func(aud string) string { return jwt(now.Add(5*time.Minute), "repo:o/r:aud:"+aud) })
	env := map[string]string{
		EnvGitHubRequestURL:   srv.URL + "/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/idtoken?api-version=2.0",
		EnvGitHubRequestToken: bearer,
	}
	getenv := func(k string) string { return env[k] }
	s := newSource(t, credentials.Identity{Source: credentials.IdentityGitHubActions, Audience: "sts.example.com"}, Options{Getenv: getenv})
	got, err := s.Token(context.Background())
	if want := jwt(now.Add(5*time.Minute), "repo:o/r:aud:sts.example.com"); err != nil || got != want {
		t.Fatalf("Token = %q, %v; want %q", got, err, want)
	}
	// Without an audience, none is asked (the endpoint's default).
	s2 := newSource(t, credentials.Identity{Source: credentials.IdentityGitHubActions}, Options{Getenv: getenv})
	if _, err := s2.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Join(*auds, ",") != "sts.example.com," {
		t.Errorf("audiences asked = %q", *auds)
	}

	env[EnvGitHubRequestToken] = "wrong-request-token"
	_, err = s.Token(context.Background())
	noToken(t, err, "wrong-request-token", "answered HTTP 401")
	if strings.Contains(err.Error(), "api-version") || strings.Contains(err.Error(), "sts.example.com") {
		t.Errorf("error %q shows the URL's query", err)
	}

	delete(env, EnvGitHubRequestToken)
	_, err = s.Token(context.Background())
	noToken(t, err, "", "permissions: id-token: write")
}

func TestGitHubActions_Token_badAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"no value":  `{"count":0}`,
		"not json":  `<html>`,
		"expired":   fmt.Sprintf(`{"value":%q}`, jwt(now.Add(-time.Minute), "x")),
		"not a jwt": `{"value":"opaque"}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
			defer srv.Close()
			env := map[string]string{EnvGitHubRequestURL: srv.URL + "/?x=1", EnvGitHubRequestToken: "t0ken"}
			_, err := newSource(t, credentials.Identity{Source: credentials.IdentityGitHubActions}, Options{Getenv: func(k string) string { return env[k] }}).Token(context.Background())
			noToken(t, err, "", "identity: github-actions: ")
		})
	}
}

func TestGitHubActions_Token_plainHTTPRefused(t *testing.T) {
	env := map[string]string{EnvGitHubRequestURL: "http://actions.example.com/idtoken?x=1", EnvGitHubRequestToken: "t0ken"}
	_, err := newSource(t, credentials.Identity{Source: credentials.IdentityGitHubActions}, Options{Getenv: func(k string) string { return env[k] }}).Token(context.Background())
	noToken(t, err, "t0ken", "plain http is allowed only")
}

// TestKubelet_Token: the kubelet source hands on the service-account token
// that the kubelet mode put in the context, checked like any source's, and
// without one says how to get the kubelet to send it.
func TestKubelet_Token(t *testing.T) {
	src := newSource(t, credentials.Identity{Source: credentials.IdentityKubelet}, Options{})
	tok := jwt(now.Add(time.Hour), "system:serviceaccount:ns:sa")
	if got, err := src.Token(credentials.WithServiceAccountToken(context.Background(), tok)); err != nil || got != tok {
		t.Errorf("Token = %q, %v; want the request's token", got, err)
	}
	_, err := src.Token(context.Background())
	noToken(t, err, "", "identity: kubelet: the kubelet's request holds no service account token (give this provider tokenAttributes")
	old := jwt(now.Add(-time.Minute), "system:serviceaccount:ns:sa")
	_, err = src.Token(credentials.WithServiceAccountToken(context.Background(), old))
	noToken(t, err, old, "identity: kubelet: the identity token expired at")
}
