// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/identity"
	"github.com/docker-credential-mint/mint/credentials/provider/oauth2"
	"github.com/docker-credential-mint/mint/store"
)

// identityTimeout bounds doctor's fetch of one identity token and one
// exchange.
const identityTimeout = 15 * time.Second

// checkIdentities reports, for each keyless entry (oauth2 grant
// token_exchange or jwt_bearer), the identity source it found, in one
// line: where the token comes from and, for a token doctor may read
// without the network or a command (a file, a projected service-account
// token, GitLab's variable), its claims, decoded, not verified: expiry,
// aud, iss, sub. A token that has expired, is not yet valid or carries
// another audience than the entry asks for is an error. With exchange,
// doctor also fetches GitHub Actions' token and runs exec sources, and
// tries the exchange at the entry's token_url, reporting the endpoint's
// answer in one line (the token itself is neither printed nor cached).
//
// A cloud entry (ecr, gcr, acr) with an identity block gets the same line;
// its exchange goes through the cloud's SDK and is left to get, which
// --exchange says.
func (d *doctor) checkIdentities(ctx context.Context, cfg *credentials.Config, roots store.Backend, exchange bool) {
	for i := range cfg.Registries {
		reg := &cfg.Registries[i]
		if reg.Identity == nil {
			continue
		}
		cloud := reg.Provider == credentials.ProviderECR || reg.Provider == credentials.ProviderGCR || reg.Provider == credentials.ProviderACR
		if !cloud && (reg.Provider != credentials.ProviderOAuth2 || !credentials.IsKeyless(reg.Grant)) {
			continue
		}
		name := reg.Pattern.String()
		ok := d.checkIdentity(ctx, reg, name, exchange)
		switch {
		case exchange && ok && cloud:
			d.add(sevInfo, "", "%s: %s federation: tried by get through the cloud's SDK (docker-credential-mint get, with DOCKER_CREDENTIAL_MINT_DEBUG=1 for its steps)", name, reg.Provider)
		case exchange && ok:
			d.checkExchange(ctx, reg, name, roots)
		}
	}
}

// checkIdentity reports reg's identity source; ok is false when get could
// not fetch a usable token.
func (d *doctor) checkIdentity(ctx context.Context, reg *credentials.Registry, name string, exchange bool) (ok bool) {
	id := *reg.Identity
	prefix := name + ": identity " + id.Source
	var where string
	switch id.Source {
	case credentials.IdentityGitHubActions:
		set := d.e.Getenv(identity.EnvGitHubRequestURL) != "" && d.e.Getenv(identity.EnvGitHubRequestToken) != ""
		if !set {
			d.add(sevError, "run it in a GitHub Actions job with `permissions: id-token: write`, or use another identity source here",
				"%s: $%s or $%s is not set, so get cannot fetch an identity token here", prefix, identity.EnvGitHubRequestURL, identity.EnvGitHubRequestToken)
			return false
		}
		where = identity.EnvGitHubRequestURL + " set"
		if id.Audience != "" {
			where += ", asks audience " + id.Audience
		}
		if !exchange {
			d.add(sevInfo, "", "%s: %s (doctor --exchange fetches a token and tries the exchange)", prefix, where)
			return true
		}
	case credentials.IdentityGitLab:
		if d.e.Getenv(id.Env) == "" {
			d.add(sevError, "name it in the job's id_tokens block (with the aud the token endpoint wants)",
				"%s: $%s is not set, so get has no identity token here", prefix, id.Env)
			return false
		}
		where = "$" + id.Env + " set"
	case credentials.IdentityKubernetes, credentials.IdentityFile:
		where = id.Path
	case credentials.IdentityExec:
		where = "runs " + strings.Join(id.Command, " ")
		if !exchange {
			d.add(sevInfo, "", "%s: %s on each refresh (doctor --exchange runs it)", prefix, where)
			return true
		}
	case credentials.IdentityKubelet:
		d.add(sevInfo, "", "%s: the token comes in each kubelet CredentialProviderRequest; nothing to check outside the kubelet", prefix)
		return true
	}
	fctx, cancel := context.WithTimeout(ctx, identityTimeout)
	defer cancel()
	tok, err := identity.Fetch(fctx, id, identity.Options{Getenv: d.e.Getenv, Now: now})
	if err != nil {
		d.add(sevError, sourceFix(id), "%s: %s", prefix, strings.TrimPrefix(credentials.OneLine(err.Error()), "identity: "+id.Source+": "))
		return false
	}
	c, err := identity.Decode(tok)
	if err != nil {
		d.add(sevError, sourceFix(id), "%s: %s: %s", prefix, where, err)
		return false
	}
	t := now()
	var facts, problems []string
	switch {
	case c.Expiry.IsZero():
		facts = append(facts, "no exp")
	case !c.Expiry.After(t):
		problems = append(problems, fmt.Sprintf("expired at %s (%s ago)", c.Expiry.UTC().Format(time.RFC3339), humanDuration(t.Sub(c.Expiry))))
	default:
		facts = append(facts, "expires in "+humanDuration(c.Expiry.Sub(t)))
	}
	if !c.NotBefore.IsZero() && c.NotBefore.After(t) {
		problems = append(problems, fmt.Sprintf("not valid before %s (in %s; is this machine's clock right?)", c.NotBefore.UTC().Format(time.RFC3339), humanDuration(c.NotBefore.Sub(t))))
	}
	aud := strings.Join(c.Audience, ",")
	if aud == "" {
		aud = "none"
	}
	if id.Audience != "" && !slices.Contains(c.Audience, id.Audience) {
		problems = append(problems, fmt.Sprintf("aud %s, not %s as the entry asks", aud, id.Audience))
	} else {
		facts = append(facts, "aud "+aud)
	}
	iss := c.Issuer
	if iss == "" {
		iss = "none"
	}
	facts = append(facts, "iss "+iss)
	if c.Subject != "" {
		facts = append(facts, "sub "+c.Subject)
	}
	if len(problems) > 0 {
		d.add(sevError, sourceFix(id), "%s: %s: %s (%s): an exchange with it fails", prefix, where, strings.Join(problems, "; "), strings.Join(facts, ", "))
		return false
	}
	d.add(sevInfo, "", "%s: %s (%s)", prefix, where, strings.Join(facts, ", "))
	return true
}

// sourceFix says how to get a usable token from id's source.
func sourceFix(id credentials.Identity) string {
	switch id.Source {
	case credentials.IdentityKubernetes:
		return "check the pod's projected serviceAccountToken volume (path, audience, expirationSeconds): the kubelet rewrites the file before it expires"
	case credentials.IdentityFile:
		return "write a current token to " + id.Path
	case credentials.IdentityGitLab:
		return "check the job's id_tokens block (aud) and that the job is still running"
	case credentials.IdentityGitHubActions:
		return "check the job's `permissions: id-token: write` and the entry's identity.audience"
	case credentials.IdentityExec:
		return "run the command by hand and check what it prints"
	}
	return ""
}

// checkExchange tries reg's exchange once and reports the endpoint's
// answer in one line. The token is neither printed nor cached.
func (d *doctor) checkExchange(ctx context.Context, reg *credentials.Registry, name string, roots store.Backend) {
	at := "exchange at " + withoutQuery(reg.TokenURL)
	h, concrete := reg.Pattern.Host()
	if !concrete {
		d.add(sevInfo, "", "%s: %s: skipped for a pattern (it runs per registry; try doctor on one that matches it with get)", name, at)
		return
	}
	p, err := oauth2.New(*reg, oauth2.Options{Getenv: d.e.Getenv, Now: now})
	if err != nil {
		d.add(sevError, "correct the entry", "%s: %s: %s", name, at, err)
		return
	}
	var root *store.Entry
	if roots != nil {
		if e, err := roots.Get(ctx, h.Key()); err == nil {
			root = &e
		} else if !errors.Is(err, store.ErrNotFound) {
			d.add(sevError, "", "%s: %s: read the stored client secret: %s", name, at, err)
			return
		}
	}
	xctx, cancel := context.WithTimeout(ctx, identityTimeout)
	defer cancel()
	tok, err := p.Token(xctx, h, root)
	if err != nil {
		msg := strings.TrimPrefix(credentials.OneLine(err.Error()), "oauth2: "+h.Registry()+": ")
		d.add(sevError, "", "%s: %s failed: %s", name, at, msg)
		return
	}
	life := "with no expiry"
	if !tok.Expiry.IsZero() {
		life = "valid for " + humanDuration(tok.Expiry.Sub(now()))
	}
	d.add(sevInfo, "", "%s: %s: ok, a token %s (not cached)", name, at, life)
}

// withoutQuery is a URL for messages: no user information, query or
// fragment (the config refuses user information; a query may hold a key).
func withoutQuery(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the token_url"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
