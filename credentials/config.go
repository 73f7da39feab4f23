// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials/internal/yamlsub"
)

// ConfigEnv names the environment variable that overrides the config file's
// location (DESIGN §5).
const ConfigEnv = "DOCKER_CREDENTIAL_MINT_CONFIG"

// MaxConfigSize bounds the config file. Real files are a few hundred bytes;
// the bound keeps a mistaken path (a log, a binary) from costing a get more
// than a moment.
const MaxConfigSize = 1 << 20

// ErrInvalidConfig is wrapped by every error about the config file's content.
var ErrInvalidConfig = errors.New("invalid config")

// Keychain values of the config's keychain key.
const (
	KeychainAuto          = "auto"
	KeychainMacOS         = "keychain"
	KeychainWincred       = "wincred"
	KeychainSecretService = "secretservice"
	KeychainPass          = "pass"
	KeychainFile          = "file"
)

// Provider names of the config's provider key.
const (
	ProviderStatic   = "static"
	ProviderExec     = "exec"
	ProviderOAuth2   = "oauth2"
	ProviderRegistry = "registry"
	ProviderECR      = "ecr"
	ProviderGCR      = "gcr"
	ProviderACR      = "acr"
)

// Grants of an oauth2 entry (RFC 6749 §4.4 and §6).
const (
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

// Client authentication styles of an oauth2 entry's auth_style key: the
// client id and secret in an HTTP Basic header (RFC 6749 §2.3.1,
// client_secret_basic) or in the form body (client_secret_post).
const (
	AuthStyleHeader = "header"
	AuthStyleParams = "params"
)

// Output formats of an exec entry.
const (
	FormatPlain      = "plain"
	FormatHelperJSON = "helper-json"
	FormatKubelet    = "kubelet"
)

// Config is the parsed config file: pure data, validated, no wiring. The
// zero Config (no file) makes every registry static, but for the cloud
// registries that Detect names.
type Config struct {
	// File is the name used in error messages (the path, or what the caller
	// passed to LoadConfig).
	File string
	// Keychain is the backend to use: one of the Keychain* constants;
	// KeychainAuto when the file does not say.
	Keychain string
	// Registries are the provider entries in file order; the first match wins.
	Registries []Registry
	// NoDetectClouds is the top-level detect_clouds: false. By default a
	// host that no entry matches and that names a cloud registry (an ECR
	// host) is served by that cloud's provider (Detect).
	NoDetectClouds bool
}

// Registry is one entry of the config's registries list. Fields a provider
// does not use are zero (the parser rejects keys that do not apply).
type Registry struct {
	// Match is the pattern as written in the file.
	Match string
	// Pattern is Match parsed.
	Pattern Pattern
	// Line is the entry's line in the file, for messages.
	Line int
	// Provider is one of the Provider* constants.
	Provider string

	// TokenURL is the oauth2 token endpoint (gcr: the STS endpoint of its
	// identity federation).
	TokenURL string
	// Grant is the oauth2 grant (GrantClientCredentials by default).
	Grant string
	// Scopes are the oauth2 (or gcr) scopes requested.
	Scopes []string
	// ClientID is the oauth2 client id for the refresh_token grant; when
	// empty, the root credential's username is used.
	ClientID string
	// AuthStyle is how the oauth2 client authenticates: AuthStyleHeader,
	// AuthStyleParams, or "" to detect it (the provider's package comment
	// says how).
	AuthStyle string
	// Username is the Username that get returns (oauth2; exec plain).
	Username string
	// RefreshBefore is how much life a cached token must have left to be
	// served; zero means the default (min(5m, half the token's life)).
	RefreshBefore time.Duration

	// Command is the exec argv; never run through a shell.
	Command []string
	// Format is how the exec command prints its token (FormatPlain by default).
	Format string
	// Lifetime is how long a token lives when its source does not say:
	// exec output without an expiry, an oauth2 response without
	// expires_in (and an access token that is no JWT with an exp), a
	// registry identity token. Zero: exec tokens without an expiry are used
	// once and not cached; oauth2 tokens live a minute (oauth2.DefaultLifetime);
	// registry identity tokens are re-minted daily.
	Lifetime time.Duration
	// Timeout bounds one exec run or one token request; zero means the
	// provider's default.
	Timeout time.Duration
	// Insecure allows plain http to a non-loopback token endpoint or registry.
	Insecure bool

	// Audience is the audience parameter of a keyless oauth2 grant
	// (token_exchange, jwt_bearer); empty: not sent.
	Audience string
	// Identity is where a keyless oauth2 grant's JWT comes from, or the
	// JWT a cloud entry hands to its federation (ecr: AWS web identity with
	// AWSRoleARN; gcr: external_account; acr: a client assertion); nil
	// otherwise.
	Identity *Identity
	// DeviceAuthURL is the device authorization endpoint of grant
	// device_code (RFC 8628 §3.1).
	DeviceAuthURL string

	// AWSProfile is the ecr entry's shared config profile (aws_profile);
	// empty: the SDK's default ($AWS_PROFILE, else "default").
	AWSProfile string
	// AWSRoleARN is a role the ecr entry assumes (aws_role_arn) with the
	// credentials the SDK finds, before asking ECR for a token.
	AWSRoleARN string
	// AWSRegion overrides the region the ecr entry asks (aws_region);
	// empty: the region in the registry's host name.
	AWSRegion string

	// The gcr entry's options (see config_gcr.go); Scopes, TokenURL and
	// Identity serve it too.
	GCP GCPOptions

	// AzureTenantID is the acr entry's Entra ID tenant (azure_tenant_id);
	// empty: the credential chain's ($AZURE_TENANT_ID, the Azure CLI's).
	AzureTenantID string
	// AzureClientID is the acr entry's application or user-assigned
	// managed identity (azure_client_id); empty: the chain's
	// ($AZURE_CLIENT_ID, the system-assigned identity).
	AzureClientID string
	// AzureAuthorityHost is the acr entry's Entra ID authority
	// (azure_authority_host, an https URL); empty: $AZURE_AUTHORITY_HOST,
	// else the registry's cloud's.
	AzureAuthorityHost string
}

// Match returns the first registry entry whose pattern matches h. A host that
// matches nothing is static (ok is false). It does no I/O.
func (c *Config) Match(h Host) (*Registry, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.Registries {
		if c.Registries[i].Pattern.Matches(h) {
			return &c.Registries[i], true
		}
	}
	return nil, false
}

// ConfigPath returns where the config file is: $DOCKER_CREDENTIAL_MINT_CONFIG
// (explicit is true), else $XDG_CONFIG_HOME/docker-credential-mint/config.yaml,
// else that name under os.UserConfigDir(). path is "" when no location can
// be determined (no $HOME): then there is no config.
func ConfigPath() (path string, explicit bool) {
	return ConfigPathFrom(os.Getenv)
}

// ConfigPathFrom is ConfigPath reading the environment through getenv.
func ConfigPathFrom(getenv func(string) string) (path string, explicit bool) {
	if p := getenv(ConfigEnv); p != "" {
		return p, true
	}
	dir := getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) { // the XDG spec says to ignore relative paths
		var err error
		if dir, err = os.UserConfigDir(); err != nil {
			return "", false
		}
	}
	return filepath.Join(dir, "docker-credential-mint", "config.yaml"), false
}

// LoadDefaultConfig loads the file that ConfigPath names. A missing default
// file is an empty config (every registry static); a missing file named by
// $DOCKER_CREDENTIAL_MINT_CONFIG is an error.
func LoadDefaultConfig() (*Config, error) {
	path, explicit := ConfigPath()
	if path == "" {
		return &Config{Keychain: KeychainAuto}, nil
	}
	c, err := LoadConfigFile(path)
	if err != nil && !explicit && errors.Is(err, fs.ErrNotExist) {
		return &Config{File: path, Keychain: KeychainAuto}, nil
	}
	return c, err
}

// LoadConfigFile reads and parses the config file at path. A missing file is
// an error wrapping fs.ErrNotExist. A file, directory or exec command that
// another user could have written is refused (trust.go), wrapping
// ErrUntrusted.
func LoadConfigFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	if err := checkConfigFile(path, f); err != nil {
		return nil, err
	}
	c, err := LoadConfig(f, path)
	if err != nil {
		return nil, err
	}
	if err := checkCommands(c); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadConfig parses a config file read from r; name is used in messages.
// Every problem is reported as `config <name>:<line>: <key>: <what>`,
// wrapping ErrInvalidConfig: unknown keys, wrong types, bad durations or
// patterns, keys missing or not applicable for the entry's provider. An
// empty file is an empty config.
func LoadConfig(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("config %s: %w: larger than %d bytes", name, ErrInvalidConfig, MaxConfigSize)
	}
	c := &Config{File: name, Keychain: KeychainAuto}
	doc, err := yamlsub.Parse(data)
	if err != nil {
		return nil, yamlError(name, err)
	}
	p := parser{file: name}
	if err := p.top(doc, c); err != nil {
		return nil, err
	}
	return c, nil
}

// yamlError turns a yamlsub error into the config error shape: one about a
// key (duplicate, merge) names it as the checks below do; a syntax error
// says "YAML".
func yamlError(name string, err error) error {
	var e *yamlsub.Error
	if !errors.As(err, &e) {
		return configErr(name, 0, "", "YAML: "+OneLine(err.Error()))
	}
	if e.Key != "" {
		return configErr(name, e.Line, e.Key, e.Msg)
	}
	return configErr(name, e.Line, "", "YAML: "+e.Msg)
}

// configErr formats `config <file>:<line>: <key>: <what>`.
func configErr(file string, line int, key, what string) error {
	pos := file
	if line > 0 {
		pos = fmt.Sprintf("%s:%d", file, line)
	}
	if key != "" {
		return fmt.Errorf("config %s: %s: %w: %s", pos, key, ErrInvalidConfig, what)
	}
	return fmt.Errorf("config %s: %w: %s", pos, ErrInvalidConfig, what)
}

type parser struct{ file string }

func (p *parser) errf(n *yamlsub.Node, key, format string, args ...any) error {
	return configErr(p.file, n.Line, key, fmt.Sprintf(format, args...))
}

// mapping checks that n is a mapping with string keys, and calls f for each
// key/value pair in order. (yamlsub has already rejected aliases, merge
// keys and duplicate keys.)
func (p *parser) mapping(n *yamlsub.Node, what string, f func(key string, k, v *yamlsub.Node) error) error {
	if n.Kind != yamlsub.MappingNode {
		return p.errf(n, what, "must be a mapping, not %s", kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yamlsub.ScalarNode || k.ShortTag() != yamlsub.StrTag {
			return p.errf(k, what, "keys must be strings")
		}
		if err := f(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func kindName(n *yamlsub.Node) string {
	switch n.Kind {
	case yamlsub.MappingNode:
		return "a mapping"
	case yamlsub.SequenceNode:
		return "a list"
	case yamlsub.ScalarNode:
		if n.ShortTag() == yamlsub.NullTag {
			return "null"
		}
		return "a " + strings.TrimPrefix(n.ShortTag(), "!!")
	}
	return "something else"
}

func (p *parser) top(doc *yamlsub.Node, c *Config) error {
	n := doc
	if n.Kind == yamlsub.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n.Kind == yamlsub.ScalarNode && n.ShortTag() == yamlsub.NullTag {
		return nil // a file of only comments
	}
	return p.mapping(n, "top level", func(key string, k, v *yamlsub.Node) error {
		switch key {
		case "keychain":
			s, err := p.str(key, v)
			if err != nil {
				return err
			}
			switch s {
			case KeychainAuto, KeychainMacOS, KeychainWincred, KeychainSecretService, KeychainPass, KeychainFile:
				c.Keychain = s
			default:
				return p.errf(v, key, "%q is not one of auto, keychain, wincred, secretservice, pass, file", s)
			}
		case "detect_clouds":
			b, err := p.boolean(key, v)
			c.NoDetectClouds = !b
			return err
		case "registries":
			if v.Kind == yamlsub.ScalarNode && v.ShortTag() == yamlsub.NullTag {
				return nil
			}
			if v.Kind != yamlsub.SequenceNode {
				return p.errf(v, key, "must be a list, not %s", kindName(v))
			}
			c.Registries = make([]Registry, 0, len(v.Content))
			for _, item := range v.Content {
				r, err := p.registry(item)
				if err != nil {
					return err
				}
				c.Registries = append(c.Registries, r)
			}
		default:
			return p.errf(k, key, "unknown key")
		}
		return nil
	})
}

// allowedKeys returns the keys an entry of provider may have besides match
// and provider; ok is false for an unknown provider. Switches, not
// package-level maps: every get runs this package's init.
func allowedKeys(provider string) (keys []string, ok bool) {
	switch provider {
	case ProviderStatic:
		return nil, true
	case ProviderExec:
		return []string{"command", "format", "username", "lifetime", "timeout", "refresh_before"}, true
	case ProviderOAuth2:
		return []string{"token_url", "grant", "scopes", "username", "client_id", "auth_style", "refresh_before", "lifetime", "timeout", "insecure", "audience", "identity", "device_authorization_url"}, true
	case ProviderRegistry:
		return []string{"lifetime", "timeout", "insecure", "refresh_before"}, true
	case ProviderECR:
		return []string{"refresh_before", "timeout", "aws_profile", "aws_role_arn", "aws_region", "identity"}, true
	case ProviderGCR:
		return gcrKeys(), true
	case ProviderACR:
		return acrKeys(), true
	}
	return nil, false
}

// knownKey reports whether key is an entry key of any provider.
func knownKey(key string) bool {
	switch key {
	case "match", "provider", "token_url", "grant", "scopes", "username", "client_id", "refresh_before", "command",
		"format", "lifetime", "timeout", "insecure", "auth_style", "audience", "identity", "device_authorization_url",
		"aws_profile", "aws_role_arn", "aws_region":
		return true
	}
	return gcrKey(key) || isAzureKey(key)
}

func (p *parser) registry(n *yamlsub.Node) (Registry, error) {
	r := Registry{Line: n.Line}
	keys := map[string]*yamlsub.Node{}
	err := p.mapping(n, "registries", func(key string, k, v *yamlsub.Node) error {
		if !knownKey(key) {
			return p.errf(k, key, "unknown key")
		}
		keys[key] = k
		var err error
		switch key {
		case "match":
			if r.Match, err = p.str(key, v); err == nil {
				if r.Pattern, err = ParsePattern(r.Match); err != nil {
					err = p.errf(v, key, "%v", err)
				}
			}
		case "provider":
			r.Provider, err = p.str(key, v)
		case "token_url":
			r.TokenURL, err = p.str(key, v)
		case "grant":
			r.Grant, err = p.str(key, v)
		case "scopes":
			r.Scopes, err = p.strs(key, v, false)
		case "username":
			r.Username, err = p.str(key, v)
		case "client_id":
			r.ClientID, err = p.str(key, v)
		case "auth_style":
			if r.AuthStyle, err = p.str(key, v); err == nil && r.AuthStyle != AuthStyleHeader && r.AuthStyle != AuthStyleParams {
				err = p.errf(v, key, "%q is not one of header, params", r.AuthStyle)
			}
		case "command":
			r.Command, err = p.strs(key, v, true)
		case "format":
			r.Format, err = p.str(key, v)
		case "refresh_before":
			r.RefreshBefore, err = p.duration(key, v)
		case "lifetime":
			r.Lifetime, err = p.duration(key, v)
		case "timeout":
			r.Timeout, err = p.duration(key, v)
		case "insecure":
			r.Insecure, err = p.boolean(key, v)
		case "audience":
			r.Audience, err = p.str(key, v)
		case "identity":
			r.Identity, err = p.identity(v)
		case "device_authorization_url":
			r.DeviceAuthURL, err = p.str(key, v)
		case "aws_profile":
			r.AWSProfile, err = p.str(key, v)
		case "aws_role_arn":
			if r.AWSRoleARN, err = p.str(key, v); err == nil && !strings.HasPrefix(r.AWSRoleARN, "arn:") {
				err = p.errf(v, key, "must be a role ARN (arn:aws:iam::<account>:role/<name>)")
			}
		case "aws_region":
			if r.AWSRegion, err = p.str(key, v); err == nil && !regionLabel(r.AWSRegion) {
				err = p.errf(v, key, "%q is not an AWS region such as us-east-1", r.AWSRegion)
			}
		default:
			if err = p.gcrOption(&r, key, v); err == nil {
				err = p.azureKey(&r, key, v)
			}
		}
		return err
	})
	if err != nil {
		return r, err
	}
	if _, ok := keys["match"]; !ok {
		return r, p.errf(n, "match", "required")
	}
	if _, ok := keys["provider"]; !ok {
		return r, p.errf(n, "provider", "required")
	}
	ok, known := allowedKeys(r.Provider)
	if !known {
		return r, p.errf(keys["provider"], "provider", "%q is not one of static, exec, oauth2, registry, ecr, gcr, acr", r.Provider)
	}
	for key, k := range keys {
		if key != "match" && key != "provider" && !slices.Contains(ok, key) {
			return r, p.errf(k, key, "not valid for provider %s", r.Provider)
		}
	}
	need := func(key string) error {
		if _, ok := keys[key]; !ok {
			return p.errf(n, key, "required for provider %s", r.Provider)
		}
		return nil
	}
	switch r.Provider {
	case ProviderExec:
		if err := need("command"); err != nil {
			return r, err
		}
		switch r.Format {
		case "":
			r.Format = FormatPlain
		case FormatPlain, FormatHelperJSON, FormatKubelet:
		default:
			return r, p.errf(keys["format"], "format", "%q is not one of plain, helper-json, kubelet", r.Format)
		}
		if r.Format == FormatPlain && r.Username == "" {
			return r, p.errf(n, "username", "required for format plain")
		}
	case ProviderOAuth2:
		if err := need("token_url"); err != nil {
			return r, err
		}
		if err := need("username"); err != nil {
			return r, err
		}
		if err := checkTokenURL(r.TokenURL, r.Insecure); err != nil {
			return r, p.errf(keys["token_url"], "token_url", "%v", err)
		}
		switch r.Grant {
		case "":
			r.Grant = GrantClientCredentials
		case GrantClientCredentials, GrantRefreshToken, GrantTokenExchange, GrantJWTBearer, GrantDeviceCode:
		default:
			return r, p.errf(keys["grant"], "grant", "%q is not one of client_credentials, refresh_token, token_exchange, jwt_bearer, device_code", r.Grant)
		}
		if err := p.checkKeyless(&r, n, keys); err != nil {
			return r, err
		}
		if err := p.checkDevice(&r, n, keys); err != nil {
			return r, err
		}
		if r.ClientID != "" && r.Grant == GrantClientCredentials {
			return r, p.errf(keys["client_id"], "client_id", "only for grant refresh_token, token_exchange, jwt_bearer or device_code (client_credentials takes the client id from the stored username)")
		}
	case ProviderGCR:
		if err := p.checkGCR(&r, n, keys); err != nil {
			return r, err
		}
	case ProviderACR:
		if err := p.checkACR(&r, keys); err != nil {
			return r, err
		}
	case ProviderECR:
		if err := p.checkECRIdentity(&r, keys); err != nil {
			return r, err
		}
	}
	return r, nil
}

// checkTokenURL accepts an absolute https URL, or http when the host is
// loopback or insecure is set. The URL is not repeated in the message.
func checkTokenURL(s string, insecure bool) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("not an absolute URL")
	}
	if u.User != nil {
		return errors.New("must not contain user information (keep secrets in the keychain)")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !insecure && !IsLoopback(u.Hostname()) {
			return errors.New("plain http is allowed only for loopback hosts or with insecure: true")
		}
	default:
		return errors.New("scheme must be https")
	}
	return nil
}

// IsLoopback reports whether host (a name or IP literal, without port or
// brackets) is the local machine: localhost, 127.0.0.0/8 or ::1. These get
// plain http without being marked insecure, as Docker treats them.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if host == "::1" || host == "0:0:0:0:0:0:0:1" {
		return true
	}
	parts := strings.Split(host, ".")
	if len(parts) != 4 || parts[0] != "127" {
		return false
	}
	for _, s := range parts {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 255 || s == "" || (len(s) > 1 && s[0] == '0') {
			return false
		}
	}
	return true
}

func (p *parser) str(key string, v *yamlsub.Node) (string, error) {
	if v.Kind != yamlsub.ScalarNode {
		return "", p.errf(v, key, "must be a string, not %s", kindName(v))
	}
	switch v.ShortTag() {
	case yamlsub.StrTag, yamlsub.IntTag, yamlsub.FloatTag:
	default:
		return "", p.errf(v, key, "must be a string, not %s", kindName(v))
	}
	if v.Value == "" {
		return "", p.errf(v, key, "must not be empty")
	}
	return v.Value, nil
}

func (p *parser) strs(key string, v *yamlsub.Node, nonEmpty bool) ([]string, error) {
	if v.Kind != yamlsub.SequenceNode {
		return nil, p.errf(v, key, "must be a list, not %s", kindName(v))
	}
	if nonEmpty && len(v.Content) == 0 {
		return nil, p.errf(v, key, "must not be empty")
	}
	out := make([]string, 0, len(v.Content))
	for _, item := range v.Content {
		s, err := p.str(key, item)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *parser) duration(key string, v *yamlsub.Node) (time.Duration, error) {
	if v.Kind != yamlsub.ScalarNode || v.ShortTag() != yamlsub.StrTag {
		return 0, p.errf(v, key, "must be a duration such as 90s, 5m or 1h30m, not %s", kindName(v))
	}
	d, err := time.ParseDuration(v.Value)
	if err != nil {
		return 0, p.errf(v, key, "%q is not a duration such as 90s, 5m or 1h30m", v.Value)
	}
	if d <= 0 {
		return 0, p.errf(v, key, "must be positive")
	}
	return d, nil
}

func (p *parser) boolean(key string, v *yamlsub.Node) (bool, error) {
	if v.Kind != yamlsub.ScalarNode || v.ShortTag() != yamlsub.BoolTag {
		return false, p.errf(v, key, "must be true or false, not %s", kindName(v))
	}
	b, err := strconv.ParseBool(v.Value)
	if err != nil {
		return false, p.errf(v, key, "must be true or false")
	}
	return b, nil
}

// NeedsRoot reports whether r's provider mints only from a stored root
// credential (oauth2's client secret or refresh token, registry's
// password). An exec command is handed one on stdin only when one is
// stored, and so is a keyless oauth2 grant its client secret.
func (r *Registry) NeedsRoot() bool {
	return (r.Provider == ProviderOAuth2 && !IsKeyless(r.Grant)) || r.Provider == ProviderRegistry
}

// FixedUsername returns the Username that get answers for every registry r
// serves, when r's provider fixes it: "<token>" for registry, "AWS" for
// ecr, "oauth2accesstoken" for gcr, the nil UUID for acr, the configured
// username for oauth2 and plain exec. ok is false when it comes with each
// token (exec helper-json or kubelet output).
func (r *Registry) FixedUsername() (username string, ok bool) {
	switch {
	case r.Provider == ProviderRegistry:
		return TokenUsername, true
	case r.Provider == ProviderECR:
		return "AWS", true
	case r.Provider == ProviderGCR:
		return GCRUsername, true
	case r.Provider == ProviderACR:
		return ACRUsername, true
	case r.Provider == ProviderOAuth2, r.Provider == ProviderExec && r.Format == FormatPlain:
		return r.Username, true
	}
	return "", false
}

// MintsAlone reports whether r's provider mints with no stored root
// credential at all (an exec command that needs none, a keyless oauth2
// grant, ecr, gcr and acr from their cloud SDK's credentials), so that get
// answers for its registries before anyone logs in, and list names them.
func (r *Registry) MintsAlone() bool {
	return r.Provider == ProviderExec || r.Provider == ProviderECR || r.Provider == ProviderGCR || r.Provider == ProviderACR || (r.Provider == ProviderOAuth2 && IsKeyless(r.Grant))
}

// Pattern is a registry pattern of the config's match key, with kubelet
// matchImages semantics: host[:port][/path-prefix], where any host label
// may contain "*" globs, each matching within that one label ("*.example.com"
// matches "a.example.com" but neither "example.com" nor "a.b.example.com";
// "app*.example.com" matches "app1.example.com"). Paths have no globs.
//
// Ports follow the kubelet: a pattern with a port matches only that port,
// and a pattern without one matches only hosts on the default port (so
// "localhost" does not match "localhost:5000"). Default ports are dropped
// as ParseHost drops them, so "quay.io:443" is the pattern "quay.io".
type Pattern struct {
	// Labels are the host's labels, lower-case; a label holding "*" is a glob.
	// An IP literal is a single label.
	Labels []string
	// Port is the port, or "" for the default port.
	Port string
	// Path is the repository path prefix, or "".
	Path string
}

// globPlaceholder stands in for "*" while ParseHost normalises a pattern; it
// is a letter that ParseHost accepts in host names and nobody types.
const globPlaceholder = "\u01c2"

// ParsePattern parses and normalises a pattern as ParseHost normalises hosts
// (case, trailing dot, default port, scheme, /v2/). The error does not
// repeat the pattern.
func ParsePattern(s string) (Pattern, error) {
	if strings.Contains(s, globPlaceholder) {
		return Pattern{}, errors.New("bad character in pattern")
	}
	if strings.ContainsAny(s, "?#") {
		return Pattern{}, errors.New("a pattern has no query or fragment")
	}
	if strings.ContainsAny(s, "[]") && strings.Contains(s, "*") {
		return Pattern{}, errors.New("an IP literal takes no glob")
	}
	h, err := ParseHost(strings.ReplaceAll(s, "*", globPlaceholder))
	if err != nil {
		return Pattern{}, errors.New("bad pattern: " + strings.TrimPrefix(err.Error(), ErrInvalidServerURL.Error()+": "))
	}
	if strings.Contains(h.Path, globPlaceholder) {
		return Pattern{}, errors.New("globs are allowed only in host labels, not in the path")
	}
	name := strings.ReplaceAll(h.Name, globPlaceholder, "*")
	p := Pattern{Port: h.Port, Path: h.Path}
	if strings.HasPrefix(name, "[") {
		p.Labels = []string{name}
	} else {
		p.Labels = strings.Split(name, ".")
	}
	return p, nil
}

// String returns the normalised pattern.
func (p Pattern) String() string {
	s := strings.Join(p.Labels, ".")
	if p.Port != "" {
		s += ":" + p.Port
	}
	if p.Path != "" {
		s += "/" + p.Path
	}
	return s
}

// Matches reports whether h matches p: same number of labels, each label
// matching its glob, the same port, and p's path a prefix of h's path on a
// segment boundary ("quay.io/org" matches "quay.io/org/app", not
// "quay.io/organic").
func (p Pattern) Matches(h Host) bool {
	if len(p.Labels) == 0 || p.Port != h.Port {
		return false
	}
	if p.Path != "" && h.Path != p.Path && !strings.HasPrefix(h.Path, p.Path+"/") {
		return false
	}
	name := h.Name
	for i, l := range p.Labels {
		var label string
		if i == len(p.Labels)-1 {
			label, name = name, ""
			if strings.Contains(label, ".") && !strings.HasPrefix(label, "[") {
				return false
			}
		} else {
			var ok bool
			if label, name, ok = strings.Cut(name, "."); !ok {
				return false
			}
		}
		if !globLabel(l, label) {
			return false
		}
	}
	return true
}

// Host returns the one registry (with p's path prefix) that p matches, and
// false when p has a glob and so matches many.
func (p Pattern) Host() (Host, bool) {
	if len(p.Labels) == 0 {
		return Host{}, false
	}
	for _, l := range p.Labels {
		if strings.Contains(l, "*") {
			return Host{}, false
		}
	}
	return Host{Name: strings.Join(p.Labels, "."), Port: p.Port, Path: p.Path}, true
}

// Scope returns h cut down to what p names: h's registry with p's path
// prefix. Tokens minted for an entry are shared by every repository the
// entry covers, so this is the token cache's key.
func (p Pattern) Scope(h Host) Host {
	return Host{Name: h.Name, Port: h.Port, Path: p.Path}
}

// globLabel matches one label against a glob whose only metacharacter is
// "*" (any run of characters within the label, dots excluded by the caller).
func globLabel(glob, s string) bool {
	if !strings.Contains(glob, "*") {
		return glob == s
	}
	parts := strings.Split(glob, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
