// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/router"
	"github.com/docker-credential-mint/mint/credentials/provider/static"
	"github.com/docker-credential-mint/mint/store"
)

var loginUsage = usage{
	name:     "login",
	synopsis: "REGISTRY [--username U] [--password-stdin]",
	text: `Stores REGISTRY's root credential (a password, a robot or personal access
token, an OAuth client secret or refresh token) in the keychain, through the
same store action that docker login uses, so every spelling of the registry
finds it.

For a registry that a provider in the config file serves (oauth2, registry,
exec), the new credential is proven first: a token is minted with it and its
lifetime reported (never the token). A credential that does not mint a token
is not stored, and the previous one stays in place.

Without --password-stdin the username and password are asked for on the
terminal (the password is not echoed); without a terminal, pass the secret on
stdin with --password-stdin. A username of "<token>" stores an identity token.`,
	examples: []string{
		"docker-credential-mint login quay.io --username robot+ci --password-stdin < robot.token",
		"docker-credential-mint login registry.example.com -u my-client-id --password-stdin <<<\"$CLIENT_SECRET\"",
		"docker-credential-mint login localhost:5000",
	},
}

func init() {
	commands["login"] = command{summary: "store a registry's root credential (and prove it by minting a token)", run: runLogin}
}

type loginFlags struct {
	username      string
	passwordStdin bool
}

func (f *loginFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.username, "username", "", "the registry `user` name (client id for oauth2)")
	fs.StringVar(&f.username, "u", "", "shorthand for --username")
	fs.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password or token from stdin (one line; a trailing newline is dropped)")
}

func runLogin(ctx context.Context, e *env, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f loginFlags
	fs := newFlags(loginUsage)
	f.register(fs)
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
	user, secret, err := readLogin(f, stdin, stderr)
	if err != nil {
		return usageError(stderr, loginUsage, "%s", err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout(opTimeout))
	defer cancel()
	w, err := e.wireCommand(ctx)
	if err != nil {
		return fail(stderr, "login", err)
	}
	entry := store.Entry{ServerURL: serverURLFor(h), Username: user, Secret: secret}
	if w.router != nil && w.router.Claims(h) {
		return loginMinted(ctx, e, w, h, entry, stdout, stderr)
	}
	if err := static.CheckExpired(h, entry, now()); err != nil {
		return fail(stderr, "login", fmt.Errorf("%s: this credential has already expired; nothing was stored: get a new one", h.Key()))
	}
	if err := w.helper.Store(ctx, credentials.Credentials{ServerURL: entry.ServerURL, Username: entry.Username, Secret: entry.Secret}); err != nil {
		return fail(stderr, "login", err)
	}
	fmt.Fprintf(stdout, "Login Succeeded: %s as %s (provider static, keychain %s)\n", h.Key(), user, w.keychain)
	return 0
}

// loginMinted proves entry by minting a token with it, through a router of
// its own whose token cache and root store are in memory, so that neither
// a token minted from the old root nor the old root itself is used; only
// then does it store entry (or the refresh token the endpoint rotated it
// into) and hand the proof's token to the real cache, so the next get
// needs no new token.
func loginMinted(ctx context.Context, e *env, w *wiring, h credentials.Host, entry store.Entry, stdout, stderr io.Writer) int {
	proofRoots, proofTokens := store.NewMemory(), store.NewMemory()
	if err := proofRoots.Put(ctx, h.Key(), entry); err != nil {
		return fail(stderr, "login", err)
	}
	r, err := router.New(w.cfg, router.Options{Tokens: proofTokens, Roots: proofRoots, Warn: e.warn})
	if err != nil {
		return fail(stderr, "login", err)
	}
	if _, err := r.Mint(ctx, h, &entry); err != nil {
		return fail(stderr, "login", fmt.Errorf("%s: the new credential did not mint a token, so it was not stored (any previous credential is unchanged): %s", h.Key(), err))
	}
	if rotated, err := proofRoots.Get(ctx, h.Key()); err == nil {
		entry = rotated
	}
	if err := w.helper.Store(ctx, credentials.Credentials{ServerURL: entry.ServerURL, Username: entry.Username, Secret: entry.Secret}); err != nil {
		return fail(stderr, "login", err)
	}
	life := "a token that is used once (the provider gave no lifetime)"
	minted, _ := proofTokens.List(ctx)
	for key := range minted {
		tok, err := proofTokens.Get(ctx, key)
		if err != nil {
			continue
		}
		if err := w.tokens.Put(ctx, key, tok); err != nil {
			e.warn(fmt.Sprintf("warning: %s: could not cache the new token (the next get mints another): %s", key, oneLine(err.Error())))
		}
		if tok.Expiry.IsZero() {
			life = "a token with no expiry"
		} else {
			life = fmt.Sprintf("a token valid for %s, until %s", humanDuration(tok.Expiry.Sub(now())), tok.Expiry.UTC().Format(time.RFC3339))
		}
	}
	fmt.Fprintf(stdout, "Login Succeeded: %s as %s (provider %s minted %s; keychain %s)\n", h.Key(), entry.Username, providerOf(w.cfg, h), life, w.keychain)
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
