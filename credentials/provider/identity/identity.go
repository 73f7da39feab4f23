// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package identity fetches the identity token (a JWT) that a keyless oauth2
// grant presents instead of a stored secret: from GitHub Actions' OIDC
// endpoint, a GitLab CI job's id_tokens variable, a Kubernetes projected
// service-account token, any file, a command, or the service-account token
// of the kubelet's CredentialProviderRequest (DESIGN §5, "Keyless").
//
// A Source fetches the token again on every call: the caller asks only when
// the exchanged token must be refreshed, and a projected token file is
// rewritten by the kubelet before it expires. The token is never written
// anywhere by this package and never appears in an error: errors name the
// source (the file, the variable, the command, the endpoint with its query
// values redacted) and what went wrong. A token whose exp has passed is
// refused here, in one line, instead of by the token endpoint.
//
// Only the oauth2, ecr, gcr and acr providers import this package, so the protocol
// binary (which never mints) does not link it.
package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/command"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/redact"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/safehttp"
	"github.com/docker-credential-mint/mint/credentials/provider/static"
	"github.com/docker-credential-mint/mint/store/trust"
)

// MaxTokenSize bounds an identity token read from a file, a command, an
// environment variable or an endpoint. Real ones are 1-2 KB (GitHub's about
// 1.2 KB, a Kubernetes service-account token about 1 KB); the bound keeps a
// wrong path (a log, a binary) from being read whole and sent.
const MaxTokenSize = 16 << 10

// DefaultTimeout bounds one run of an exec source or one request to GitHub
// Actions' token endpoint when the config gives no timeout.
const DefaultTimeout = 10 * time.Second

// GitHub Actions' environment: the token endpoint and the bearer token that
// authorizes the request, both set for jobs with `permissions: id-token: write`.
const (
	EnvGitHubRequestURL   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	EnvGitHubRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// Source yields an identity token.
type Source interface {
	// Token returns a fresh identity token (a JWT), fetched now. The error
	// never holds the token. Safe for concurrent use.
	Token(ctx context.Context) (string, error)
}

// Options are the seams of New.
type Options struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Runner runs exec sources; nil means command.Exec{}.
	Runner command.Runner
	// Transport carries the request to GitHub Actions' endpoint; nil means
	// http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock for the exp check; nil means time.Now.
	Now func() time.Time
}

// New returns the Source that id describes (an entry's identity block, as
// LoadConfig validated it).
func New(id credentials.Identity, opts Options) (Source, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Runner == nil {
		opts.Runner = command.Exec{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	timeout := id.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var s Source
	switch id.Source {
	case credentials.IdentityFile, credentials.IdentityKubernetes:
		if id.Path == "" {
			return nil, fmt.Errorf("identity: %s: no path", id.Source)
		}
		s = fileSource{source: id.Source, path: id.Path}
	case credentials.IdentityGitLab:
		if id.Env == "" {
			return nil, errors.New("identity: gitlab: no env")
		}
		s = envSource{name: id.Env, getenv: opts.Getenv}
	case credentials.IdentityExec:
		if len(id.Command) == 0 {
			return nil, errors.New("identity: exec: no command")
		}
		s = execSource{argv: id.Command, runner: opts.Runner, timeout: timeout}
	case credentials.IdentityGitHubActions:
		s = githubSource{audience: id.Audience, getenv: opts.Getenv, client: safehttp.Client(opts.Transport, timeout, false)}
	case credentials.IdentityKubelet:
		s = kubeletSource{}
	default:
		return nil, fmt.Errorf("identity: unknown source %q", id.Source)
	}
	return checked{s: s, what: id.Source, now: opts.Now}, nil
}

// checked refuses what is not a usable JWT: empty, too large, or with an
// exp that has passed.
type checked struct {
	s    Source
	what string
	now  func() time.Time
}

func (c checked) Token(ctx context.Context) (string, error) {
	tok, err := c.s.Token(ctx)
	if err != nil {
		return "", err
	}
	tok = strings.TrimSpace(tok)
	switch {
	case tok == "":
		return "", fmt.Errorf("identity: %s: the identity token is empty", c.what)
	case len(tok) > MaxTokenSize:
		return "", fmt.Errorf("identity: %s: the identity token is larger than %d bytes", c.what, MaxTokenSize)
	case strings.Count(tok, ".") != 2 || strings.ContainsAny(tok, " \t\r\n"):
		return "", fmt.Errorf("identity: %s: the identity token is not a JWT", c.what)
	}
	if exp, ok := static.JWTExpiry(tok); ok && !exp.After(c.now()) {
		return "", fmt.Errorf("identity: %s: the identity token expired at %s (is this machine's clock right?)", c.what, exp.UTC().Format(time.RFC3339))
	}
	return tok, nil
}

// kubeletSource hands on the service-account token of the kubelet's
// CredentialProviderRequest, which the kubelet mode puts in the context
// (credentials.WithServiceAccountToken).
type kubeletSource struct{}

func (kubeletSource) Token(ctx context.Context) (string, error) {
	tok, ok := credentials.ServiceAccountToken(ctx)
	if !ok {
		return "", errors.New("identity: kubelet: the kubelet's request holds no service account token (give this provider tokenAttributes in the kubelet's CredentialProviderConfig)")
	}
	return tok, nil
}

// fileSource reads a token file (file, kubernetes) on each call.
type fileSource struct{ source, path string }

func (f fileSource) Token(context.Context) (string, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return "", fmt.Errorf("identity: %s: %w", f.source, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return "", fmt.Errorf("identity: %s: %w", f.source, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("identity: %s: %s is not a regular file", f.source, f.path)
	}
	if err := checkOwner(f.path, fi); err != nil {
		return "", fmt.Errorf("identity: %s: %w", f.source, err)
	}
	b, err := io.ReadAll(io.LimitReader(fh, MaxTokenSize+1))
	if err != nil {
		return "", fmt.Errorf("identity: %s: read %s: %w", f.source, f.path, err)
	}
	if len(b) > MaxTokenSize {
		return "", fmt.Errorf("identity: %s: %s is larger than %d bytes", f.source, f.path, MaxTokenSize)
	}
	return string(b), nil
}

// checkOwner refuses a token file that another user could have written:
// one that is writable by every user, or owned by someone other than this
// user or root (trust.Owner). A group may write it: a projected
// service-account token is root's or the pod's fsGroup's.
func checkOwner(path string, fi fs.FileInfo) error {
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("%s is writable by every user; fix: chmod o-w %s", path, path)
	}
	return trust.Owner(path, fi)
}

// envSource reads an environment variable (gitlab's id_tokens).
type envSource struct {
	name   string
	getenv func(string) string
}

func (e envSource) Token(context.Context) (string, error) {
	v := e.getenv(e.name)
	if v == "" {
		return "", fmt.Errorf("identity: gitlab: $%s is not set (name it in the job's id_tokens)", e.name)
	}
	return v, nil
}

// execSource runs a command (argv, no shell, no stdin) that prints a token.
type execSource struct {
	argv    []string
	runner  command.Runner
	timeout time.Duration
}

func (x execSource) Token(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, x.timeout)
	defer cancel()
	out, err := x.runner.Run(ctx, bytes.NewReader(nil), x.argv[0], x.argv[1:]...)
	if err != nil {
		// A RunError holds the exit status and stderr's first line, never
		// stdout.
		return "", fmt.Errorf("identity: exec: %s", credentials.OneLine(err.Error()))
	}
	if len(out) > MaxTokenSize {
		return "", fmt.Errorf("identity: exec: %s printed more than %d bytes", x.argv[0], MaxTokenSize)
	}
	return string(out), nil
}

// githubSource asks GitHub Actions' OIDC token endpoint:
// GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with
// "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN", answered by
// {"count":…,"value":"<JWT>"}.
type githubSource struct {
	audience string
	getenv   func(string) string
	client   *http.Client
}

func (g githubSource) Token(ctx context.Context) (string, error) {
	raw, bearer := g.getenv(EnvGitHubRequestURL), g.getenv(EnvGitHubRequestToken)
	if raw == "" || bearer == "" {
		return "", fmt.Errorf("identity: github-actions: $%s or $%s is not set (give the job `permissions: id-token: write`)", EnvGitHubRequestURL, EnvGitHubRequestToken)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("identity: github-actions: $%s is not an absolute URL", EnvGitHubRequestURL)
	}
	if g.audience != "" {
		q := u.Query()
		q.Set("audience", g.audience)
		u.RawQuery = q.Encode()
	}
	where := safehttp.Redact(u)
	if err := safehttp.CheckURL(u, false); err != nil {
		return "", fmt.Errorf("identity: github-actions: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("identity: github-actions: %s: %w", where, safehttp.Clean(err))
	}
	req.Header.Set("Authorization", "bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("identity: github-actions: %s", redact.String(credentials.OneLine(safehttp.Clean(err).Error()), bearer))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4*MaxTokenSize))
	if err != nil {
		return "", fmt.Errorf("identity: github-actions: %s: read the answer: %s", where, redact.String(credentials.OneLine(err.Error()), bearer))
	}
	if resp.StatusCode != http.StatusOK {
		// The body is not shown: it may echo what was sent.
		return "", fmt.Errorf("identity: github-actions: %s answered HTTP %d", where, resp.StatusCode)
	}
	var answer struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Value == "" {
		return "", fmt.Errorf("identity: github-actions: %s answered no token (want JSON {\"value\": …})", where)
	}
	return answer.Value, nil
}
