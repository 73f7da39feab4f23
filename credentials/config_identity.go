// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"path/filepath"
	"slices"
	"time"

	"github.com/docker-credential-mint/mint/credentials/internal/yamlsub"
)

// Keyless grants of an oauth2 entry: the client presents an identity token
// (a JWT that CI or Kubernetes hands the job) instead of a stored secret
// (DESIGN §5, "Keyless").
const (
	// GrantTokenExchange is OAuth 2.0 Token Exchange (RFC 8693): the JWT
	// is the subject_token.
	GrantTokenExchange = "token_exchange"
	// GrantJWTBearer is the JWT bearer authorization grant (RFC 7523 §2.1):
	// the JWT is the assertion.
	GrantJWTBearer = "jwt_bearer"
)

// Identity sources of an oauth2 entry's identity block: where the JWT comes
// from, fetched again on each refresh.
const (
	// IdentityGitHubActions asks GitHub Actions' OIDC endpoint
	// ($ACTIONS_ID_TOKEN_REQUEST_URL with $ACTIONS_ID_TOKEN_REQUEST_TOKEN).
	IdentityGitHubActions = "github-actions"
	// IdentityGitLab reads the environment variable that a GitLab CI job's
	// id_tokens block sets.
	IdentityGitLab = "gitlab"
	// IdentityKubernetes reads a projected service-account token file.
	IdentityKubernetes = "kubernetes"
	// IdentityFile reads any file holding a JWT.
	IdentityFile = "file"
	// IdentityExec runs a command (argv, no shell) that prints a JWT.
	IdentityExec = "exec"
	// IdentityKubelet is the service-account token of the kubelet's
	// CredentialProviderRequest (kubelet 1.33+).
	IdentityKubelet = "kubelet"
)

// Identity is an oauth2 entry's identity block: where a keyless grant's JWT
// comes from. Fields a source does not use are zero.
type Identity struct {
	// Line is the block's line in the file, for messages.
	Line int
	// Source is one of the Identity* constants.
	Source string
	// Path is the token file (file, kubernetes): an absolute path.
	Path string
	// Command is the argv that prints the token (exec).
	Command []string
	// Env names the environment variable holding the token (gitlab).
	Env string
	// Audience is the audience asked of the CI's token endpoint
	// (github-actions); empty: the endpoint's default.
	Audience string
	// Timeout bounds one exec run or one request to the CI's token
	// endpoint; zero means the default.
	Timeout time.Duration
}

// IsKeyless reports whether grant presents an identity token instead of a
// stored secret.
func IsKeyless(grant string) bool {
	return grant == GrantTokenExchange || grant == GrantJWTBearer
}

// identityKeys returns the keys a source's block may have besides source,
// and the one it must have; ok is false for an unknown source. A switch,
// not a package-level map: every get runs this package's init.
func identityKeys(source string) (allowed []string, need string, ok bool) {
	switch source {
	case IdentityGitHubActions:
		return []string{"audience", "timeout"}, "", true
	case IdentityGitLab:
		return []string{"env"}, "env", true
	case IdentityKubernetes, IdentityFile:
		return []string{"path"}, "path", true
	case IdentityExec:
		return []string{"command", "timeout"}, "command", true
	case IdentityKubelet:
		return nil, "", true
	}
	return nil, "", false
}

// identity parses an entry's identity block.
func (p *parser) identity(n *yamlsub.Node) (*Identity, error) {
	id := &Identity{Line: n.Line}
	keys := map[string]*yamlsub.Node{}
	err := p.mapping(n, "identity", func(key string, k, v *yamlsub.Node) error {
		keys[key] = k
		var err error
		switch key {
		case "source":
			id.Source, err = p.str("identity.source", v)
		case "path":
			if id.Path, err = p.str("identity.path", v); err == nil && !filepath.IsAbs(id.Path) {
				err = p.errf(v, "identity.path", "must be an absolute path")
			}
		case "command":
			id.Command, err = p.strs("identity.command", v, true)
		case "env":
			id.Env, err = p.str("identity.env", v)
		case "audience":
			id.Audience, err = p.str("identity.audience", v)
		case "timeout":
			id.Timeout, err = p.duration("identity.timeout", v)
		default:
			err = p.errf(k, "identity."+key, "unknown key")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, ok := keys["source"]; !ok {
		return nil, p.errf(n, "identity.source", "required")
	}
	allowed, need, ok := identityKeys(id.Source)
	if !ok {
		return nil, p.errf(keys["source"], "identity.source", "%q is not one of github-actions, gitlab, kubernetes, file, exec, kubelet", id.Source)
	}
	for key, k := range keys {
		if key != "source" && !slices.Contains(allowed, key) {
			return nil, p.errf(k, "identity."+key, "not valid for source %s", id.Source)
		}
	}
	if need != "" && keys[need] == nil {
		return nil, p.errf(n, "identity."+need, "required for source %s", id.Source)
	}
	return id, nil
}

// checkKeyless checks the keys of an oauth2 entry that only keyless grants
// take (audience, identity) against r's grant.
func (p *parser) checkKeyless(r *Registry, n *yamlsub.Node, keys map[string]*yamlsub.Node) error {
	if !IsKeyless(r.Grant) {
		for _, key := range []string{"identity", "audience"} {
			if k := keys[key]; k != nil {
				return p.errf(k, key, "only for grant token_exchange or jwt_bearer")
			}
		}
		return nil
	}
	if r.Identity == nil {
		return p.errf(n, "identity", "required for grant %s (where the identity token comes from)", r.Grant)
	}
	return nil
}

// checkECRIdentity checks an ecr entry's identity block (DESIGN §5: the
// JWT goes to AWS web identity, STS AssumeRoleWithWebIdentity): it needs
// the role to assume, and excludes aws_profile, whose credentials it
// replaces.
func (p *parser) checkECRIdentity(r *Registry, keys map[string]*yamlsub.Node) error {
	k := keys["identity"]
	if k == nil {
		return nil
	}
	if r.AWSRoleARN == "" {
		return p.errf(k, "identity", "requires aws_role_arn (the role the identity token assumes through STS AssumeRoleWithWebIdentity)")
	}
	if pk := keys["aws_profile"]; pk != nil {
		return p.errf(pk, "aws_profile", "not with identity (the identity token is the AWS credential)")
	}
	return nil
}
