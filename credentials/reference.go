// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"errors"
	"fmt"
	"strings"
)

// Reference is an image reference parsed with Docker's reference grammar
// (github.com/distribution/reference, ParseNormalizedNamed):
//
//	reference  := name [ ":" tag ] [ "@" digest ]
//	name       := [ domain "/" ] path-component [ "/" path-component ]*
//	domain     := host [ ":" port ]
//
// Only image references use this grammar: kubelet mode and export. A server
// URL, as the credential-helper protocol sends it, is always a registry
// (ParseHost), even a single word.
type Reference struct {
	// Host is the registry and the repository path, normalised as ParseHost
	// normalises them (Docker Hub is "docker.io", single names get
	// "library/", default ports are dropped), ready for the longest-prefix
	// lookup of the store and for provider routing.
	Host Host
	// Domain is the registry as written ("Quay.io:443"), or "" when the
	// reference names none and so is on Docker Hub.
	Domain string
	// Name is the reference as written without its tag and digest:
	// what the kubelet keys its per-image cache by.
	Name string
	// Tag is the tag, or "" (no default "latest" is filled in).
	Tag string
	// Digest is "algorithm:hex", or "".
	Digest string
}

// ErrInvalidReference is wrapped by every ParseReference error.
var ErrInvalidReference = errors.New("invalid image reference")

// maxNameLength is distribution's bound on a repository name with its
// domain, after normalisation ("docker.io/library/…").
const maxNameLength = 255

// maxTagLength is distribution's bound on a tag.
const maxTagLength = 128

// ParseReference parses an image reference such as "app",
// "library/app@sha256:…", "localhost:5000/group/app:1.0" or
// "ghcr.io/o/r:tag@sha256:…". As Docker decides, the first path component
// is a registry only when it holds a dot or a port, is "localhost", or has
// upper-case letters (which repository paths cannot have); otherwise the
// image is on Docker Hub. The error names the problem, not the input.
func ParseReference(s string) (Reference, error) {
	if s == "" {
		return Reference{}, fmt.Errorf("%w: empty", ErrInvalidReference)
	}
	if len(s) > maxServerURL {
		return Reference{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidReference, maxServerURL)
	}
	if isIdentifier(s) {
		return Reference{}, fmt.Errorf("%w: a 64-character hexadecimal string is an image ID, not a repository name", ErrInvalidReference)
	}
	var ref Reference
	name := s
	if i := strings.IndexByte(name, '@'); i >= 0 {
		ref.Digest = name[i+1:]
		name = name[:i]
		if err := checkDigest(ref.Digest); err != nil {
			return Reference{}, err
		}
	}
	// A tag follows the last colon after the last slash; a colon before it
	// belongs to the domain's port.
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		ref.Tag = name[i+1:]
		name = name[:i]
		if err := checkTag(ref.Tag); err != nil {
			return Reference{}, err
		}
	}
	if name == "" {
		return Reference{}, fmt.Errorf("%w: no repository name", ErrInvalidReference)
	}
	ref.Name = name
	domain, path := splitDomain(name)
	if domain != DockerHub || strings.HasPrefix(name, DockerHub+"/") {
		ref.Domain = domain
	}
	if err := checkDomain(domain); err != nil {
		return Reference{}, err
	}
	if err := checkPath(path); err != nil {
		return Reference{}, err
	}
	h, err := ParseHost(domain)
	if err != nil {
		return Reference{}, fmt.Errorf("%w: bad registry: %s", ErrInvalidReference, strings.TrimPrefix(err.Error(), ErrInvalidServerURL.Error()+": "))
	}
	if h.Name == DockerHub && h.Port == "" && !strings.Contains(path, "/") {
		path = "library/" + path
	}
	h.Path = path
	if len(h.Key()) > maxNameLength {
		return Reference{}, fmt.Errorf("%w: repository name longer than %d characters", ErrInvalidReference, maxNameLength)
	}
	ref.Host = h
	return ref, nil
}

// splitDomain splits a name into its domain and repository path, as
// distribution's splitDockerDomain does: no slash, or a first component
// without ".", ":" or upper case that is not "localhost", means Docker Hub.
func splitDomain(name string) (domain, path string) {
	i := strings.IndexByte(name, '/')
	if i < 0 {
		return DockerHub, name
	}
	first := name[:i]
	if !strings.ContainsAny(first, ".:") && first != "localhost" && strings.ToLower(first) == first {
		return DockerHub, name
	}
	return first, name[i+1:]
}

// checkDomain checks host[:port], host being DNS labels of letters, digits
// and inner hyphens, or a bracketed IPv6 literal.
func checkDomain(d string) error {
	host, port := d, ""
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 {
			return fmt.Errorf("%w: unterminated IPv6 literal in registry", ErrInvalidReference)
		}
		host, port = d[:end+1], d[end+1:]
		if port != "" && port[0] != ':' {
			return fmt.Errorf("%w: junk after IPv6 literal in registry", ErrInvalidReference)
		}
		if inner := host[1:end]; inner == "" || strings.Trim(inner, "0123456789abcdefABCDEF:") != "" {
			return fmt.Errorf("%w: bad IPv6 literal in registry", ErrInvalidReference)
		}
	} else {
		if i := strings.IndexByte(d, ':'); i >= 0 {
			host, port = d[:i], d[i:]
		}
		for _, label := range strings.Split(host, ".") {
			if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
				return fmt.Errorf("%w: bad registry host name", ErrInvalidReference)
			}
			for _, r := range label {
				if !(r == '-' || isAlnum(r) || r >= 'A' && r <= 'Z') {
					return fmt.Errorf("%w: bad registry host name", ErrInvalidReference)
				}
			}
		}
	}
	if port != "" {
		p := port[1:]
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return fmt.Errorf("%w: bad registry port", ErrInvalidReference)
		}
	}
	return nil
}

// checkPath checks path-component ["/" path-component]*, where a component
// is lower-case alphanumerics joined by ".", "_", "__" or runs of "-".
func checkPath(p string) error {
	for _, c := range strings.Split(p, "/") {
		if c == "" {
			return fmt.Errorf("%w: empty path component", ErrInvalidReference)
		}
		for i := 0; i < len(c); {
			r := rune(c[i])
			if isAlnum(r) {
				i++
				continue
			}
			if r >= 'A' && r <= 'Z' {
				return fmt.Errorf("%w: repository name must be lowercase", ErrInvalidReference)
			}
			// A separator: ".", "_", "__" or "-"+, between alphanumerics.
			j := i
			switch r {
			case '.':
				j++
			case '_':
				j++
				if j < len(c) && c[j] == '_' {
					j++
				}
			case '-':
				for j < len(c) && c[j] == '-' {
					j++
				}
			default:
				return fmt.Errorf("%w: bad character in repository name", ErrInvalidReference)
			}
			if i == 0 || j == len(c) || !isAlnum(rune(c[j])) {
				return fmt.Errorf("%w: bad separator in repository name", ErrInvalidReference)
			}
			i = j
		}
	}
	return nil
}

// checkTag checks [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func checkTag(t string) error {
	if t == "" || len(t) > maxTagLength {
		return fmt.Errorf("%w: bad tag", ErrInvalidReference)
	}
	for i, r := range t {
		if !(isAlnum(r) || r >= 'A' && r <= 'Z' || r == '_' || i > 0 && (r == '.' || r == '-')) {
			return fmt.Errorf("%w: bad tag", ErrInvalidReference)
		}
	}
	return nil
}

// checkDigest checks algorithm ":" encoded as go-digest does: sha256 and
// sha512 need exactly 64 and 128 lower-case hex digits; another algorithm
// (letters and digits joined by "+", ".", "_" or "-") needs at least 32
// hex digits.
func checkDigest(d string) error {
	alg, enc, ok := strings.Cut(d, ":")
	if !ok {
		return fmt.Errorf("%w: bad digest", ErrInvalidReference)
	}
	if !digestAlgorithm(alg) {
		return fmt.Errorf("%w: bad digest algorithm", ErrInvalidReference)
	}
	want := 0
	switch alg {
	case "sha256":
		want = 64
	case "sha512":
		want = 128
	}
	if want > 0 && (len(enc) != want || strings.Trim(enc, "0123456789abcdef") != "") {
		return fmt.Errorf("%w: bad %s digest", ErrInvalidReference, alg)
	}
	if want == 0 && (len(enc) < 32 || strings.Trim(enc, "0123456789abcdefABCDEF") != "") {
		return fmt.Errorf("%w: bad digest", ErrInvalidReference)
	}
	return nil
}

// digestAlgorithm reports whether alg is components [A-Za-z][A-Za-z0-9]*
// joined by single "+", ".", "_" or "-".
func digestAlgorithm(alg string) bool {
	start := true // at the start of a component: a letter must come
	for i := 0; i < len(alg); i++ {
		switch c := alg[i]; {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			start = false
		case c >= '0' && c <= '9':
			if start {
				return false
			}
		case c == '+' || c == '.' || c == '_' || c == '-':
			if start {
				return false
			}
			start = true
		default:
			return false
		}
	}
	return !start
}

// isIdentifier reports whether s is 64 lower-case hex digits, which Docker
// refuses as a reference (it reads as an image ID).
func isIdentifier(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

func isAlnum(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' }

// String returns the reference in canonical form: registry, repository
// path, then ":tag" and "@digest" when present ("docker.io/library/app:1").
// A registry that only its upper case marked as one ("Myhost/app") comes
// out lower case, and so reads as a Docker Hub name.
func (r Reference) String() string {
	s := r.Host.Key()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}
