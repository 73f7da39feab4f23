// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package command is the config's exec provider: it runs a command (argv,
// never a shell) and answers the token it prints. (The package is not
// called exec, which would shadow os/exec.)
//
// The command gets the stored root secret, if any, on stdin (in kubelet
// format, a CredentialProviderRequest instead), and an environment without
// this program's own settings. It prints one of:
//
//   - plain: the token on one line; Username and lifetime come from the config.
//   - helper-json: {"Username":…,"Secret":…} as a credential helper's get
//     prints it, with an optional "ExpiresAt" (RFC 3339).
//   - kubelet: a credentialprovider.kubelet.k8s.io/v1 CredentialProviderResponse;
//     the auth entry matching the host is used, cacheDuration gives the expiry.
//
// A token whose expiry is known neither from the output nor from the config's
// lifetime is used once and not cached: the command runs on every get.
package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/internal/redact"
	"github.com/docker-credential-mint/mint/store"
)

// DefaultTimeout bounds a command when the config gives no timeout: enough
// for a command that itself asks a cloud or SSO service, short enough that
// a hung command fails a pull rather than hanging it.
const DefaultTimeout = 30 * time.Second

// MaxOutput bounds what is read from a command's stdout; a token response
// is a few kilobytes.
const MaxOutput = 1 << 20

// maxStderrLine bounds the stderr line quoted in an error.
const maxStderrLine = 200

// waitDelay is how long Run waits, once the command has exited or been
// killed, for os/exec's copying of stdin (and, where there are no process
// groups, of stdout and stderr) while a child of the command holds the
// pipes open; then Run returns regardless.
const waitDelay = 2 * time.Second

// Kubelet credential provider API (k8s.io/kubelet/pkg/apis/credentialprovider/v1).
const (
	kubeletAPIVersion = "credentialprovider.kubelet.k8s.io/v1"
	kubeletRequest    = "CredentialProviderRequest"
	kubeletResponse   = "CredentialProviderResponse"
)

// Runner runs commands; Exec is the real one, tests use fakes.
type Runner interface {
	// Run runs name with args and stdin, and returns what it printed on
	// stdout. A command that cannot start, exits non-zero, prints more than
	// MaxOutput or outlives ctx is an error holding the exit status and the
	// first line of stderr, never stdout. Safe for concurrent use.
	Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error)
}

// RunError is a command's failure as Exec reports it.
type RunError struct {
	// Command is the program, as named in the config.
	Command string
	// Status is the exit status, or -1 when it did not exit by itself.
	Status int
	// Stderr is the first non-empty line of stderr, shortened.
	Stderr string
	// Err is the cause.
	Err error
}

// Error returns "<command>: exit status N: <stderr line>" or similar.
func (e *RunError) Error() string {
	var b strings.Builder
	b.WriteString(e.Command)
	switch {
	case e.Status >= 0:
		fmt.Fprintf(&b, ": exit status %d", e.Status)
	case e.Err != nil:
		b.WriteString(": " + e.Err.Error())
	}
	if e.Stderr != "" {
		b.WriteString(": " + e.Stderr)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *RunError) Unwrap() error { return e.Err }

// Exec is the Runner that runs real processes.
type Exec struct {
	// Env is the child's environment; nil means Environ().
	Env []string
}

// Environ returns this process's environment without this program's own
// DOCKER_CREDENTIAL_MINT_* settings (which may name key files), except
// DOCKER_CREDENTIAL_MINT_DEBUG. No secret is ever put in the environment.
func Environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DOCKER_CREDENTIAL_MINT_") && !strings.HasPrefix(kv, "DOCKER_CREDENTIAL_MINT_DEBUG=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Run implements Runner. The command runs in a process group of its own,
// killed as a whole when ctx ends or when this process is ended by SIGHUP,
// SIGINT or SIGTERM; on Linux the kernel also kills the command if this
// process dies otherwise (SIGKILL). A command that exits 0 is answered
// with what it printed as soon as it has exited, even if a child it left
// running keeps its stdout open.
func (r Exec) Run(ctx context.Context, stdin io.Reader, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = stdin
	cmd.Env = r.Env
	if cmd.Env == nil {
		cmd.Env = Environ()
	}
	stdout, err := newCollector(MaxOutput)
	if err != nil {
		return nil, &RunError{Command: name, Status: -1, Err: err}
	}
	stderr, err := newCollector(4 << 10)
	if err != nil {
		stdout.started()
		stdout.finish()
		return nil, &RunError{Command: name, Status: -1, Err: err}
	}
	cmd.Stdout, cmd.Stderr = stdout.writer(), stderr.writer()
	cmd.WaitDelay = waitDelay
	killGroup(cmd)

	// Pdeathsig fires when the thread that started the command exits, not
	// the process: keep this goroutine on that thread until the command has
	// exited, so that the Go runtime cannot retire the thread meanwhile.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err = cmd.Start()
	stdout.started()
	stderr.started()
	if err == nil {
		untrack := track(cmd.Process.Pid)
		err = cmd.Wait()
		untrack()
	}
	out, errOut := stdout.finish(), stderr.finish()
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		err = nil // exited 0; a child of it still held a pipe
	}
	if err == nil && out.over {
		err = fmt.Errorf("printed more than %d bytes", MaxOutput)
	}
	if err == nil {
		return out.Bytes(), nil
	}
	re := &RunError{Command: name, Status: -1, Stderr: firstLine(errOut.String()), Err: err}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		re.Status = ee.ExitCode()
	}
	if ctx.Err() != nil {
		re.Status, re.Err = -1, fmt.Errorf("killed: %w", ctx.Err())
	}
	return nil, re
}

// capped is a writer that keeps at most max bytes and notes overflow. (It
// does not embed bytes.Buffer, whose ReadFrom io.Copy would use instead of
// Write.)
type capped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); len(p) > room {
		c.over = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return c.buf.Write(p)
}

func (c *capped) Bytes() []byte  { return c.buf.Bytes() }
func (c *capped) String() string { return c.buf.String() }

// firstLine returns the first non-empty line of s, without control
// characters, at most maxStderrLine bytes.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		line = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, line)
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > maxStderrLine {
				line = strings.ToValidUTF8(line[:maxStderrLine], "") + "…"
			}
			return line
		}
	}
	return ""
}

// Options are the seams of New.
type Options struct {
	// Runner runs the command; nil means Exec{}.
	Runner Runner
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Provider runs an exec entry's command.
type Provider struct {
	reg    credentials.Registry
	runner Runner
	now    func() time.Time
}

var _ provider.Provider = (*Provider)(nil)

// New returns the Provider for reg, an exec entry of the config.
func New(reg credentials.Registry, opts Options) (*Provider, error) {
	if len(reg.Command) == 0 || reg.Command[0] == "" {
		return nil, errors.New("command: no command")
	}
	switch reg.Format {
	case "":
		reg.Format = credentials.FormatPlain
	case credentials.FormatPlain, credentials.FormatHelperJSON, credentials.FormatKubelet:
	default:
		return nil, fmt.Errorf("command: unknown format %q", reg.Format)
	}
	if opts.Runner == nil {
		opts.Runner = Exec{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Provider{reg: reg, runner: opts.Runner, now: opts.Now}, nil
}

// Token runs the command and parses what it prints. Errors are one line
// naming the registry and the command, with its exit status and first
// line of stderr (the stored secret redacted from it, in every encoding
// redact knows), never its stdout.
// Safe for concurrent use.
func (p *Provider) Token(ctx context.Context, host credentials.Host, root *store.Entry) (*provider.Token, error) {
	timeout := p.reg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var stdin []byte
	secret := ""
	if p.reg.Format == credentials.FormatKubelet {
		stdin, _ = json.Marshal(map[string]string{"apiVersion": kubeletAPIVersion, "kind": kubeletRequest, "image": host.Key()})
	} else if root != nil {
		secret = root.Secret
		stdin = []byte(secret)
	}
	name := p.reg.Command[0]
	start := p.now()
	out, err := p.runner.Run(ctx, bytes.NewReader(stdin), name, p.reg.Command[1:]...)
	if err != nil {
		// The command may echo its stdin on stderr, as is or encoded.
		return nil, fmt.Errorf("command: %s: %s", host.Key(), redact.String(err.Error(), secret))
	}
	var tok *provider.Token
	switch p.reg.Format {
	case credentials.FormatHelperJSON:
		tok, err = p.helperJSON(out, start)
	case credentials.FormatKubelet:
		tok, err = p.kubelet(out, host, start)
	default:
		tok, err = p.plain(out, start)
	}
	if err != nil {
		return nil, fmt.Errorf("command: %s: %s: %w", host.Key(), filepath.Base(name), err)
	}
	return tok, nil
}

// expiry returns start plus the configured lifetime; without one, start
// itself: the token is used once and not cached.
func (p *Provider) expiry(start time.Time) time.Time {
	return start.Add(p.reg.Lifetime)
}

func (p *Provider) plain(out []byte, start time.Time) (*provider.Token, error) {
	s := strings.TrimRight(string(out), "\r\n")
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("printed no token")
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("printed more than one line (format plain wants the token alone)")
	}
	return &provider.Token{Username: p.reg.Username, Secret: s, Expiry: p.expiry(start)}, nil
}

func (p *Provider) helperJSON(out []byte, start time.Time) (*provider.Token, error) {
	var v struct {
		Username  string
		Secret    string
		ExpiresAt string
	}
	// The decoder's messages may quote the output, so they are not passed on.
	if json.Unmarshal(out, &v) != nil {
		return nil, errors.New(`output is not helper-json ({"Username":…,"Secret":…})`)
	}
	if v.Secret == "" {
		return nil, errors.New("output has no Secret")
	}
	if v.Username == "" {
		v.Username = p.reg.Username
	}
	if v.Username == "" {
		return nil, errors.New("output has no Username and the config gives none")
	}
	exp := p.expiry(start)
	if v.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, v.ExpiresAt)
		if err != nil {
			return nil, errors.New("ExpiresAt is not an RFC 3339 time")
		}
		exp = t
	}
	return &provider.Token{Username: v.Username, Secret: v.Secret, Expiry: exp}, nil
}

type authConfig struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (p *Provider) kubelet(out []byte, host credentials.Host, start time.Time) (*provider.Token, error) {
	var v struct {
		APIVersion    string                `json:"apiVersion"`
		Kind          string                `json:"kind"`
		CacheDuration *string               `json:"cacheDuration"`
		Auth          map[string]authConfig `json:"auth"`
	}
	if json.Unmarshal(out, &v) != nil {
		return nil, errors.New("output is not a CredentialProviderResponse")
	}
	if v.APIVersion != kubeletAPIVersion || v.Kind != kubeletResponse {
		return nil, fmt.Errorf("output is not a %s %s", kubeletAPIVersion, kubeletResponse)
	}
	key, ok := pickAuth(v.Auth, host)
	if !ok {
		return nil, fmt.Errorf("no auth entry matches %s", host.Key())
	}
	a := v.Auth[key]
	if a.Password == "" {
		return nil, fmt.Errorf("auth entry %s has no password", key)
	}
	exp := p.expiry(start)
	if v.CacheDuration != nil {
		d, err := time.ParseDuration(*v.CacheDuration)
		if err != nil || d < 0 {
			return nil, errors.New("cacheDuration is not a duration")
		}
		exp = start.Add(d) // "0s": do not cache, as for the kubelet
	}
	return &provider.Token{Username: a.Username, Secret: a.Password, Expiry: exp}, nil
}

// pickAuth returns the most specific auth key matching host: keys are
// kubelet matchImages patterns. A key without globs beats one with, then
// the longer path, then more labels; ties go to the lexically first key.
func pickAuth(auth map[string]authConfig, host credentials.Host) (string, bool) {
	type cand struct {
		key   string
		globs int
		path  int
		nlbl  int
	}
	var cands []cand
	for key := range auth {
		pat, err := credentials.ParsePattern(key)
		if err != nil || !pat.Matches(host) {
			continue
		}
		c := cand{key: key, path: len(pat.Path), nlbl: len(pat.Labels)}
		for _, l := range pat.Labels {
			if strings.Contains(l, "*") {
				c.globs++
			}
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		return "", false
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		switch {
		case a.globs != b.globs:
			return a.globs < b.globs
		case a.path != b.path:
			return a.path > b.path
		case a.nlbl != b.nlbl:
			return a.nlbl > b.nlbl
		}
		return a.key < b.key
	})
	return cands[0].key, true
}
