// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Host is a registry, and optionally a repository path prefix inside it, in
// canonical form. It is the single normalisation point: store keys, lookups
// and provider routing all go through ParseHost.
//
// These spellings are one Host: https://index.docker.io/v1/, index.docker.io,
// docker.io, registry-1.docker.io; localhost:5000, http://localhost:5000,
// https://localhost:5000/, localhost:5000/v2/; quay.io, quay.io:443,
// https://quay.io:443.
type Host struct {
	// Name is the lower-case host name or IP literal ("[::1]" keeps its brackets).
	Name string
	// Port is the port, or "" for the default port.
	Port string
	// Path is a repository path prefix without leading or trailing slash, or "".
	Path string
}

// DockerHub is the canonical name of Docker Hub.
const DockerHub = "docker.io"

// maxServerURL bounds what ParseHost accepts; registry URLs are short.
const maxServerURL = 2048

// ErrInvalidServerURL is wrapped by every ParseHost error.
var ErrInvalidServerURL = errors.New("invalid server URL")

var dockerHubAliases = map[string]bool{
	"docker.io":            true,
	"index.docker.io":      true,
	"registry-1.docker.io": true,
	"registry.docker.io":   true,
}

// ParseHost parses a server URL as credential-helper clients send it: with or
// without scheme (http and https only), default ports, /v1/ or /v2/ suffixes,
// repository paths, any case. Userinfo is rejected (it would put a password
// in a key); a query or fragment is dropped. The error never repeats the
// input, which may hold a secret.
func ParseHost(serverURL string) (Host, error) {
	s := strings.TrimSpace(serverURL)
	if s == "" {
		return Host{}, fmt.Errorf("%w: empty", ErrInvalidServerURL)
	}
	if len(s) > maxServerURL {
		return Host{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidServerURL, maxServerURL)
	}
	if !utf8.ValidString(s) {
		return Host{}, fmt.Errorf("%w: not UTF-8", ErrInvalidServerURL)
	}
	scheme := ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme = strings.ToLower(s[:i])
		s = s[i+3:]
		if scheme != "http" && scheme != "https" {
			return Host{}, fmt.Errorf("%w: unsupported scheme", ErrInvalidServerURL)
		}
	} else {
		s = strings.TrimPrefix(s, "//")
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	authority, path, _ := strings.Cut(s, "/")
	if strings.Contains(authority, "@") {
		return Host{}, fmt.Errorf("%w: user information is not allowed", ErrInvalidServerURL)
	}
	name, port, err := splitHostPort(authority)
	if err != nil {
		return Host{}, err
	}
	switch {
	case port == "443":
		port = ""
	case port == "80" && scheme == "http":
		port = ""
	}
	if port == "" && dockerHubAliases[name] {
		name = DockerHub
	}
	p, err := cleanPath(path)
	if err != nil {
		return Host{}, err
	}
	return Host{Name: name, Port: port, Path: p}, nil
}

func splitHostPort(a string) (name, port string, err error) {
	if a == "" {
		return "", "", fmt.Errorf("%w: no host name", ErrInvalidServerURL)
	}
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", fmt.Errorf("%w: unterminated IPv6 literal", ErrInvalidServerURL)
		}
		name, rest := a[:end+1], a[end+1:]
		for _, r := range name[1:end] {
			if !(r == ':' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
				return "", "", fmt.Errorf("%w: bad IPv6 literal", ErrInvalidServerURL)
			}
		}
		if end == 1 {
			return "", "", fmt.Errorf("%w: empty IPv6 literal", ErrInvalidServerURL)
		}
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return "", "", fmt.Errorf("%w: junk after IPv6 literal", ErrInvalidServerURL)
			}
			if port, err = checkPort(rest[1:]); err != nil {
				return "", "", err
			}
		}
		return strings.ToLower(name), port, nil
	}
	name = a
	if i := strings.LastIndexByte(a, ':'); i >= 0 {
		name = a[:i]
		if port, err = checkPort(a[i+1:]); err != nil {
			return "", "", err
		}
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == "" {
		return "", "", fmt.Errorf("%w: no host name", ErrInvalidServerURL)
	}
	if len(name) > 253 {
		return "", "", fmt.Errorf("%w: host name too long", ErrInvalidServerURL)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return "", "", fmt.Errorf("%w: empty label in host name", ErrInvalidServerURL)
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > unicode.MaxASCII && unicode.IsLetter(r) || r > unicode.MaxASCII && unicode.IsDigit(r)) {
				return "", "", fmt.Errorf("%w: bad character in host name", ErrInvalidServerURL)
			}
		}
	}
	return name, port, nil
}

func checkPort(p string) (string, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || p[0] == '0' || p[0] == '+' {
		return "", fmt.Errorf("%w: bad port", ErrInvalidServerURL)
	}
	return p, nil
}

// cleanPath turns "v2/", "/org/repo/" into "" and "org/repo". A path that is
// only a v1 or v2 API prefix names the whole registry; any other path is kept,
// so Docker Hub's v1/access-token and v1/refresh-token stay separate keys.
func cleanPath(p string) (string, error) {
	p = strings.Trim(strings.ToLower(p), "/")
	if p == "v1" || p == "v2" {
		return "", nil
	}
	if p == "" {
		return "", nil
	}
	parts := strings.Split(p, "/")
	out := parts[:0]
	for _, seg := range parts {
		switch seg {
		case "":
			continue
		case ".", "..":
			return "", fmt.Errorf("%w: dot segment in path", ErrInvalidServerURL)
		}
		for _, r := range seg {
			if r < 0x21 || r == 0x7f || r == '\\' {
				return "", fmt.Errorf("%w: bad character in path", ErrInvalidServerURL)
			}
		}
		out = append(out, seg)
	}
	return strings.Join(out, "/"), nil
}

// Registry returns host[:port], the key of the whole registry.
func (h Host) Registry() string {
	if h.Port == "" {
		return h.Name
	}
	return h.Name + ":" + h.Port
}

// Key returns the canonical store key: host[:port][/path].
func (h Host) Key() string {
	if h.Path == "" {
		return h.Registry()
	}
	return h.Registry() + "/" + h.Path
}

// String returns Key.
func (h Host) String() string { return h.Key() }

// Parent returns h with the last path segment removed; ok is false when h
// has no path.
func (h Host) Parent() (Host, bool) {
	if h.Path == "" {
		return h, false
	}
	i := strings.LastIndexByte(h.Path, '/')
	if i < 0 {
		h.Path = ""
	} else {
		h.Path = h.Path[:i]
	}
	return h, true
}

// DockerHubServerURL is the server URL under which the Docker CLI stores
// Docker Hub's credential.
const DockerHubServerURL = "https://index.docker.io/v1/"

// IsDockerHubToken reports whether h is one of the Docker CLI's own Docker
// Hub token keys, https://index.docker.io/v1/access-token and
// …/refresh-token. They belong to the Docker CLI, which refreshes them
// itself: the helper keeps and returns them untouched (DESIGN §3), never
// routes them to a provider, never checks their expiry, and never counts
// them as a repository-scoped credential.
func (h Host) IsDockerHubToken() bool {
	return h.Registry() == DockerHub && (h.Path == "v1/access-token" || h.Path == "v1/refresh-token")
}
