// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/router"
	"github.com/docker-credential-mint/mint/credentials/provider/static"
	"github.com/docker-credential-mint/mint/store"
)

var loginUsage = usage{
	name:     "login",
	synopsis: "REGISTRY [--username U] [--password-stdin | --device] [--provider P [provider options]] [-- COMMAND ARG...]",
	text: `Stores REGISTRY's root credential (a password, a robot or personal access
token, an OAuth client secret or refresh token) in the keychain, through the
same store action that docker login uses, so every spelling of the registry
finds it.

For a registry that a provider in the config file serves (oauth2, registry,
exec), the new credential is proven first: a token is minted with it and its
lifetime reported (never the token). A credential that does not mint a token
is not stored, and the previous one stays in place.

With --provider, login also sets up the provider: it writes REGISTRY's entry
in the config file (DOCKER_CREDENTIAL_MINT_CONFIG, else
$XDG_CONFIG_HOME/docker-credential-mint/config.yaml), made from the provider
options alone. An entry for exactly REGISTRY is replaced; otherwise the new
one goes before the first entry that matches REGISTRY (which would shadow
it), or at the end. The file is created if missing; every other line of it
stays as it was, and it is replaced atomically. The new file is checked with
the config loader and the credential proven with it before anything is
written: if the proof fails, neither the config file nor the stored
credential changes. For --provider exec, the command's argv follows "--"
(no shell); the stored secret is its stdin.

For a keyless oauth2 entry (--grant token_exchange or jwt_bearer, with
--identity-source and its options; exec's argv follows "--"), no secret is
needed: login writes the entry and proves it with one exchange of the
identity token found where it runs (so run it in the CI job or the pod);
--username with --password-stdin stores a client secret for a token
endpoint that wants one.

With --device, for an oauth2 entry with grant device_code (RFC 8628, the
device authorization grant), login asks the identity provider for a code,
shows it on stderr with the page where to enter it, and waits (until the
code expires, or Ctrl-C) while you approve it in a browser, on any device.
The refresh token the approval gives is stored as REGISTRY's root
credential (username "<token>") and the access token cached; get then
mints access tokens with the refresh token, saving each rotated one at
once. No client secret and no password is involved, and nothing is stored
unless the approval succeeds.

Without --password-stdin the username and password are asked for on the
terminal (the password is not echoed); without a terminal, pass the secret on
stdin with --password-stdin. A username of "<token>" stores an identity token.
No option takes a secret: secrets never go on the command line.`,
	examples: []string{
		"docker-credential-mint login quay.io --username robot+ci --password-stdin < robot.token",
		"docker-credential-mint login registry.example.com -u my-client-id --password-stdin <<<\"$CLIENT_SECRET\"",
		"docker-credential-mint login registry.example.com -u my-client-id --password-stdin --provider oauth2 --token-url https://auth.example.com/oauth2/token --scope registry.pull --token-username oauth2accesstoken <<<\"$CLIENT_SECRET\"",
		"docker-credential-mint login harbor.example.com -u robot --provider registry --refresh-before 10m",
		"docker-credential-mint login localhost:5000 -u ci --provider exec --token-username token --lifetime 10m -- /usr/local/bin/make-token --audience registry",
		"docker-credential-mint login localhost:5000",
		"docker-credential-mint login registry.example.com --provider oauth2 --grant token_exchange --token-url https://sts.example.com/oauth2/token --audience registry.example.com --token-username oauth2accesstoken --identity-source github-actions --identity-audience sts.example.com",
		"docker-credential-mint login registry.example.com --device --provider oauth2 --grant device_code --device-authorization-url https://idp.example.com/oauth2/device --token-url https://idp.example.com/oauth2/token --client-id mint-cli --scope offline_access --token-username oauth2accesstoken",
	},
}

// providerOptions are the options that only --provider uses.
var providerOptions = []string{"token-url", "grant", "scope", "client-id", "token-username", "format", "lifetime", "refresh-before", "timeout", "insecure", "device-authorization-url",
	"audience", "identity-source", "identity-audience", "identity-path", "identity-env", "identity-timeout"}

type loginFlags struct {
	username      string
	passwordStdin bool
	noSecret      bool
	device        bool
	p             providerFlags
}

func (f *loginFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.username, "username", "", "the registry `user` name (client id for oauth2)")
	fs.StringVar(&f.username, "u", "", "shorthand for --username")
	fs.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password or token from stdin (one line; a trailing newline is dropped)")
	fs.BoolVar(&f.device, "device", false, "oauth2 grant device_code: show a code to approve in a browser, wait for the approval and store the refresh token it gives (RFC 8628)")
	fs.BoolVar(&f.noSecret, "no-secret", false, "exec, oauth2 keyless grants: store no secret (an exec command's stdin is empty); any stored one is removed")
	fs.StringVar(&f.p.provider, "provider", "", "write REGISTRY's config entry for `P`: oauth2, registry, exec or static")
	fs.StringVar(&f.p.tokenURL, "token-url", "", "oauth2: the token endpoint `URL` (https; http only for loopback or with --insecure)")
	fs.StringVar(&f.p.grant, "grant", "", "oauth2: client_credentials (default), refresh_token, device_code, or the keyless token_exchange or jwt_bearer")
	fs.StringVar(&f.p.audience, "audience", "", "oauth2 keyless grants: the exchange's audience `parameter` (the registry, for most token services)")
	fs.StringVar(&f.p.identitySource, "identity-source", "", "oauth2 keyless grants: where the identity token comes from: github-actions, gitlab, kubernetes, file, exec (its argv after --) or kubelet")
	fs.StringVar(&f.p.identityAudience, "identity-audience", "", "identity source github-actions: the `audience` to ask GitHub for")
	fs.StringVar(&f.p.identityPath, "identity-path", "", "identity sources kubernetes and file: the token file's absolute `path`")
	fs.StringVar(&f.p.identityEnv, "identity-env", "", "identity source gitlab: the `variable` the job's id_tokens sets")
	fs.StringVar(&f.p.identityTimeout, "identity-timeout", "", "identity sources github-actions and exec: the `duration` one fetch may take")
	fs.StringVar(&f.p.deviceAuthURL, "device-authorization-url", "", "oauth2 device_code grant: the identity provider's device authorization endpoint `URL`")
	fs.Var(&f.p.scopes, "scope", "oauth2: a `scope` to request (repeatable)")
	fs.StringVar(&f.p.clientID, "client-id", "", "oauth2 refresh_token and device_code grants: the client `id` (refresh_token's default: the username)")
	fs.StringVar(&f.p.username, "token-username", "", "oauth2, exec plain: the `name` get answers as Username with the token")
	fs.StringVar(&f.p.format, "format", "", "exec: how the command prints its token: plain (default), helper-json or kubelet")
	fs.StringVar(&f.p.lifetime, "lifetime", "", "exec, oauth2, registry: how long a token lives when its source does not say (a `duration`)")
	fs.StringVar(&f.p.refreshBefore, "refresh-before", "", "exec, oauth2, registry: mint anew when a cached token has less than this `duration` left")
	fs.StringVar(&f.p.timeout, "timeout", "", "exec, oauth2, registry: the `duration` one token request or command run may take")
	fs.BoolVar(&f.p.insecure, "insecure", false, "oauth2, registry: allow plain http to a host that is not loopback")
}

func runLogin(ctx context.Context, e *wire.Env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f loginFlags
	fs := newFlags(loginUsage)
	f.register(fs)
	// An exec provider's argv follows "--", split off first so that its
	// own flags are not read as login's.
	if i := slices.Index(args, "--"); i >= 0 {
		args, f.p.command = args[:i], args[i+1:]
	}
	pos, code, done := parseArgs(loginUsage, fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, loginUsage, "want one REGISTRY, got %d arguments", len(pos))
	}
	h, err := credentials.ParseHost(pos[0])
	if err != nil {
		return usageError(stderr, loginUsage, "REGISTRY %s", err)
	}
	var want credentials.Registry
	if f.p.provider == "" {
		var set []string
		fs.Visit(func(fl *flag.Flag) {
			if slices.Contains(providerOptions, fl.Name) {
				set = append(set, "--"+fl.Name)
			}
		})
		if len(f.p.command) > 0 {
			set = append(set, "a command after --")
		}
		if len(set) > 0 {
			return usageError(stderr, loginUsage, "%s needs --provider", set[0])
		}
	} else if want, err = f.p.entry(h); err != nil {
		return usageError(stderr, loginUsage, "%s", err)
	}
	if f.device {
		if f.noSecret || f.passwordStdin || f.username != "" {
			return usageError(stderr, loginUsage, "--device takes no --username, --password-stdin or --no-secret: the approval gives the credential")
		}
		return loginDevice(ctx, e, f.p.provider != "", want, h, stdout, stderr)
	}
	// A keyless grant needs no secret: a client secret is stored only when
	// one is given.
	keyless := want.Provider == credentials.ProviderOAuth2 && credentials.IsKeyless(want.Grant)
	if keyless && !f.passwordStdin && f.username == "" {
		f.noSecret = true
	}
	var user, secret string
	switch {
	case f.noSecret && f.p.provider != credentials.ProviderExec && !keyless:
		return usageError(stderr, loginUsage, "--no-secret needs --provider exec (or an oauth2 keyless grant)")
	case f.noSecret && (f.passwordStdin || f.username != ""):
		return usageError(stderr, loginUsage, "--no-secret takes no --username or --password-stdin")
	case !f.noSecret:
		if user, secret, err = readLogin(f, stdin, stderr); err != nil {
			return usageError(stderr, loginUsage, "%s", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout(opTimeout))
	defer cancel()
	var (
		w  *wire.Wiring
		ch *configChange
	)
	if f.p.provider == "" {
		w, err = e.WireConfig(ctx)
	} else if path, _ := e.ConfigPath(); path == "" {
		err = fmt.Errorf("no place for the config file: set HOME or %s", credentials.ConfigEnv)
	} else if ch, err = planConfigChange(path, want, h); err == nil {
		w, err = e.Wire(ctx, ch.cfg)
	}
	if err != nil {
		return fail(stderr, "login", err)
	}
	entry := store.Entry{ServerURL: serverURLFor(h), Username: user, Secret: secret}
	if f.noSecret {
		return loginMinted(ctx, e, w, ch, h, nil, e.Providers, stdout, stderr)
	}
	if w.Router != nil && w.Router.Claims(h) {
		return loginMinted(ctx, e, w, ch, h, &entry, e.Providers, stdout, stderr)
	}
	if err := static.CheckExpired(h, entry, now()); err != nil {
		return fail(stderr, "login", fmt.Errorf("%s: this credential has already expired; nothing was stored%s: get a new one", h.Key(), ch.unchangedNote()))
	}
	if err := ch.apply(stdout); err != nil {
		return fail(stderr, "login", err)
	}
	if err := w.Helper.Store(ctx, credentials.Credentials{ServerURL: entry.ServerURL, Username: entry.Username, Secret: entry.Secret}); err != nil {
		return fail(stderr, "login", ch.undo(err))
	}
	fmt.Fprintf(stdout, "Login Succeeded: %s as %s (provider static, keychain %s)\n", h.Key(), user, w.Keychain)
	return 0
}

// loginMinted proves entry by minting a token with it, through a router of
// its own whose token cache and root store are in memory, so that neither
// a token minted from the old root nor the old root itself is used; only
// then does it write the config change ch (nil: none), store entry (or the
// refresh token the endpoint rotated it into) and hand the proof's token
// to the real cache, so the next get needs no new token. When storing
// fails, the config file is put back.
//
// A nil entry (exec with --no-secret) mints with no root credential and
// erases any stored one, so that the command's stdin stays empty.
// providers makes the proof's providers (e.Providers, or for --device one
// that answers the token the approval gave).
func loginMinted(ctx context.Context, e *wire.Env, w *wire.Wiring, ch *configChange, h credentials.Host, entry *store.Entry, providers provider.Factory, stdout, stderr io.Writer) int {
	proofRoots, proofTokens := store.NewMemory(), store.NewMemory()
	if entry != nil {
		if err := proofRoots.Put(ctx, h.Key(), *entry); err != nil {
			return fail(stderr, "login", err)
		}
	}
	// The proof's stores are in memory and its lock directory its own: it
	// neither waits for nor answers another process's refresh, and a failed
	// proof is not shared with the gets of the credential it replaces.
	lockDir, err := os.MkdirTemp("", "docker-credential-mint-login-")
	if err != nil {
		return fail(stderr, "login", err)
	}
	defer os.RemoveAll(lockDir)
	r, err := router.New(w.Cfg, router.Options{Tokens: proofTokens, Roots: proofRoots, LockDir: lockDir, Warn: e.Warn, Providers: providers})
	if err != nil {
		return fail(stderr, "login", err)
	}
	if _, err := r.Mint(ctx, h, entry); err != nil {
		what := "the new credential did not mint a token, so it was not stored (any previous credential is unchanged"
		if entry == nil {
			what = "the command did not mint a token (any stored credential is unchanged"
		}
		return fail(stderr, "login", fmt.Errorf("%s: %s%s): %s", h.Key(), what, ch.unchangedNote(), err))
	}
	if entry != nil {
		if rotated, err := proofRoots.Get(ctx, h.Key()); err == nil {
			entry = &rotated
		}
	}
	if err := ch.apply(stdout); err != nil {
		return fail(stderr, "login", err)
	}
	if entry == nil {
		err = w.Helper.Erase(ctx, h.Key())
	} else {
		err = w.Helper.Store(ctx, credentials.Credentials{ServerURL: entry.ServerURL, Username: entry.Username, Secret: entry.Secret})
	}
	if err != nil {
		return fail(stderr, "login", ch.undo(err))
	}
	life := "a token that is used once (the provider gave no lifetime)"
	minted, _ := proofTokens.List(ctx)
	for key := range minted {
		tok, err := proofTokens.Get(ctx, key)
		if err != nil {
			continue
		}
		if err := w.Tokens.Put(ctx, key, tok); err != nil {
			e.Warn(fmt.Sprintf("warning: %s: could not cache the new token (the next get mints another): %s", key, credentials.OneLine(err.Error())))
		}
		if tok.Expiry.IsZero() {
			life = "a token with no expiry"
		} else {
			life = fmt.Sprintf("a token valid for %s, until %s", humanDuration(tok.Expiry.Sub(now())), tok.Expiry.UTC().Format(time.RFC3339))
		}
	}
	if entry == nil {
		fmt.Fprintf(stdout, "Login Succeeded: %s, no secret stored (provider %s minted %s; keychain %s)\n", h.Key(), providerOf(w.Cfg, h), life, w.Keychain)
		return 0
	}
	fmt.Fprintf(stdout, "Login Succeeded: %s as %s (provider %s minted %s; keychain %s)\n", h.Key(), entry.Username, providerOf(w.Cfg, h), life, w.Keychain)
	return 0
}

// readLogin reads the username and secret: the secret from stdin with
// --password-stdin, otherwise both from the terminal, the password without
// echo. It never reads a secret from the command line.
func readLogin(f loginFlags, stdin io.Reader, stderr io.Writer) (user, secret string, err error) {
	if f.passwordStdin {
		if f.username == "" {
			return "", "", errors.New("--password-stdin needs --username")
		}
		b, err := io.ReadAll(io.LimitReader(stdin, store.MaxSecretSize+3))
		if err != nil {
			return "", "", fmt.Errorf("read the password from stdin: %w", err)
		}
		secret = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if len(secret) > store.MaxSecretSize {
			return "", "", fmt.Errorf("the secret on stdin is longer than %d bytes", store.MaxSecretSize)
		}
		if secret == "" {
			return "", "", errors.New("no password on stdin")
		}
		return f.username, secret, nil
	}
	tty, ok := stdin.(*os.File)
	if !ok || !isTerminal(tty) {
		return "", "", errors.New("stdin is not a terminal: pass the secret with --username U --password-stdin")
	}
	in := bufio.NewReader(tty)
	user = f.username
	if user == "" {
		fmt.Fprint(stderr, "Username: ")
		if user, err = readLine(in); err != nil {
			return "", "", err
		}
		if user == "" {
			return "", "", errors.New("no username given")
		}
	}
	restore, err := noEcho(tty)
	if err != nil {
		return "", "", fmt.Errorf("turn off the terminal's echo: %w; use --password-stdin", err)
	}
	fmt.Fprint(stderr, "Password: ")
	secret, err = readLine(in)
	restore()
	fmt.Fprintln(stderr)
	if err != nil {
		return "", "", err
	}
	if secret == "" {
		return "", "", errors.New("no password given")
	}
	return user, secret, nil
}

// readLine reads one line without its line ending.
func readLine(r *bufio.Reader) (string, error) {
	s, err := r.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && s != "") {
		return "", fmt.Errorf("read from the terminal: %w", err)
	}
	return strings.TrimRight(s, "\r\n"), nil
}
