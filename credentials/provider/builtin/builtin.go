// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package builtin makes the providers this module ships (exec, oauth2,
// registry, ecr, gcr, acr) for a router: it is the one package that links
// their HTTP, TLS and exec code and the AWS, Google and Azure SDKs, so that a program
// that only serves cached tokens (the protocol binary) can leave it out.
package builtin

import (
	"fmt"
	"net/http"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider"
	"github.com/docker-credential-mint/mint/credentials/provider/acr"
	"github.com/docker-credential-mint/mint/credentials/provider/command"
	"github.com/docker-credential-mint/mint/credentials/provider/ecr"
	"github.com/docker-credential-mint/mint/credentials/provider/gcr"
	"github.com/docker-credential-mint/mint/credentials/provider/identity"
	"github.com/docker-credential-mint/mint/credentials/provider/oauth2"
	"github.com/docker-credential-mint/mint/credentials/provider/registry"
	"github.com/docker-credential-mint/mint/store"
)

// Options configure the providers.
type Options struct {
	// Transport carries HTTP requests; nil means http.DefaultTransport.
	// The AWS SDK (ecr) builds its own, to honour AWS_CA_BUNDLE; the
	// Google SDK (gcr) dials the metadata server itself.
	Transport http.RoundTripper
	// Runner runs exec commands; nil means command.Exec{}.
	Runner command.Runner
}

// Factory returns the provider.Factory of the providers this module ships.
func Factory(o Options) provider.Factory { return o.provider }

// provider makes the provider of a config entry whose provider is not
// static (see provider.Factory). roots is the root credential store (oauth2's
// refresh_token grant re-reads and rotates its refresh token there); now is
// the clock (nil: time.Now). A provider this build does not have gives an
// error wrapping provider.ErrUnsupported.
func (o Options) provider(reg credentials.Registry, roots store.Backend, now func() time.Time) (provider.Provider, error) {
	switch reg.Provider {
	case credentials.ProviderExec:
		return command.New(reg, command.Options{Runner: o.Runner, Now: now})
	case credentials.ProviderOAuth2:
		return oauth2.New(reg, oauth2.Options{Roots: roots, Transport: o.Transport, Now: now, Runner: o.Runner})
	case credentials.ProviderRegistry:
		return registry.New(reg, registry.Options{Transport: o.Transport, Now: now}), nil
	case credentials.ProviderECR:
		return ecr.New(reg, ecr.Options{Now: now, Identity: identity.Options{Runner: o.Runner, Transport: o.Transport}}), nil
	case credentials.ProviderGCR:
		return gcr.New(reg, gcr.Options{Transport: o.Transport, Now: now, Runner: o.Runner})
	case credentials.ProviderACR:
		return acr.New(reg, acr.Options{Transport: o.Transport, Runner: o.Runner, Now: now}), nil
	}
	return nil, fmt.Errorf("%w: %s", provider.ErrUnsupported, reg.Provider)
}
