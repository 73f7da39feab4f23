// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/oauth2"
	"github.com/docker-credential-mint/mint/store"
)

// deviceSleep is the wait between polls of login --device; tests shorten it.
var deviceSleep func(ctx context.Context, d time.Duration) error

// loginDevice is login --device: the OAuth 2.0 device authorization grant
// (RFC 8628) for REGISTRY's oauth2 entry with grant device_code (want,
// when --provider wrote one, else the config file's). It shows the user
// code and where to enter it on stderr (the device code, a secret, is
// shown nowhere), waits for the approval until the code expires or Ctrl-C,
// and then stores the refresh token as REGISTRY's root credential and
// caches the access token, as login does with a proven credential. Nothing
// is stored and the config file is not written unless the approval gave
// a refresh token.
func loginDevice(ctx context.Context, e *wire.Env, withProvider bool, want credentials.Registry, h credentials.Host, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	setup, cancel := context.WithTimeout(ctx, e.Timeout(opTimeout))
	defer cancel()
	var (
		w   *wire.Wiring
		ch  *configChange
		err error
	)
	if !withProvider {
		w, err = e.WireConfig(setup)
	} else if path, _ := e.ConfigPath(); path == "" {
		err = fmt.Errorf("no place for the config file: set HOME or %s", credentials.ConfigEnv)
	} else if ch, err = planConfigChange(path, want, h); err == nil {
		w, err = e.Wire(setup, ch.cfg)
	}
	if err != nil {
		return fail(stderr, "login", err)
	}
	reg, ok := w.Cfg.Match(h)
	if !ok || reg.Provider != credentials.ProviderOAuth2 || reg.Grant != credentials.GrantDeviceCode {
		what := "no config entry matches it"
		if ok {
			what = fmt.Sprintf("its config entry (%s:%d) is provider %s", w.Cfg.File, reg.Line, reg.Provider)
			if reg.Provider == credentials.ProviderOAuth2 {
				what += " with grant " + reg.Grant
			}
		}
		return usageError(stderr, loginUsage, "--device: %s: %s; it needs an oauth2 entry with grant device_code (add --provider oauth2 --grant device_code --device-authorization-url URL --token-url URL --client-id ID --token-username NAME)", h.Key(), printable(what))
	}
	p, err := oauth2.New(*reg, oauth2.Options{Sleep: deviceSleep})
	if err != nil {
		return fail(stderr, "login", err)
	}
	da, err := p.StartDevice(setup, h)
	if err != nil {
		return fail(stderr, "login", fmt.Errorf("%w; nothing was stored%s", err, ch.unchangedNote()))
	}
	fmt.Fprintf(stderr, "To log in to %s, open %s in a browser and enter the code %s\n", h.Key(), printable(da.VerificationURI), printable(da.UserCode))
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(stderr, "  (or open %s, which carries the code)\n", printable(da.VerificationURIComplete))
	}
	expires := ""
	if !da.Expiry.IsZero() {
		expires = fmt.Sprintf("the code expires in %s; ", humanDuration(time.Until(da.Expiry)))
	}
	fmt.Fprintf(stderr, "Waiting for the approval (%sCtrl-C cancels)…\n", expires)
	tok, root, err := p.PollDevice(ctx, h, da)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			err = errors.New("cancelled")
		}
		return fail(stderr, "login", fmt.Errorf("%w; nothing was stored%s", err, ch.unchangedNote()))
	}
	root.ServerURL = serverURLFor(h)
	// The proof is the approval's own access token: the router caches it
	// as if it had minted it, so the next get needs no request.
	approved := func(credentials.Registry, store.Backend, func() time.Time) (provider.Provider, error) {
		return provider.Func(func(context.Context, credentials.Host, *store.Entry) (*provider.Token, error) {
			t := *tok
			return &t, nil
		}), nil
	}
	done, cancel2 := context.WithTimeout(ctx, e.Timeout(opTimeout))
	defer cancel2()
	return loginMinted(done, e, w, ch, h, &root, approved, stdout, stderr)
}
