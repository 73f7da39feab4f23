// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import "strings"

// GCRDomain is Google Container Registry's domain: gcr.io itself and its
// one-label subdomains (us.gcr.io, eu.gcr.io, asia.gcr.io, marketplace.gcr.io,
// mirror.gcr.io, …) are served from Artifact Registry today.
const GCRDomain = "gcr.io"

// ArtifactRegistrySuffix ends the host of every Artifact Registry Docker
// repository: <location>-docker.pkg.dev, for a region (us-central1) or a
// multi-region (us, europe, asia).
const ArtifactRegistrySuffix = "-docker.pkg.dev"

// IsGCRHost reports whether h is a Google registry on the default port:
// gcr.io, <label>.gcr.io, or <location>-docker.pkg.dev (Artifact
// Registry's Docker format). It is a string check only (no regexp, no
// allocation), cheap enough for the get path of every registry.
func IsGCRHost(h Host) bool {
	if h.Port != "" {
		return false
	}
	name := h.Name
	if name == GCRDomain {
		return true
	}
	if label, ok := strings.CutSuffix(name, "."+GCRDomain); ok {
		return hostLabel(label)
	}
	if location, ok := strings.CutSuffix(name, ArtifactRegistrySuffix); ok {
		return hostLabel(location)
	}
	return false
}

// hostLabel reports whether s is one DNS label: lower-case letters, digits
// and dashes, not empty, not starting or ending with a dash. (ParseHost has
// already lower-cased the name.)
func hostLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// mayBeGCRKey reports, from a stored key (host[:port][/path], as Key makes
// it) alone, whether its host could be a Google registry: the host part ends
// in gcr.io or -docker.pkg.dev. A cheap filter, not a match.
func mayBeGCRKey(key string) bool {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		key = key[:i]
	}
	// The last byte first: most keys (.com, .org, ports) end in neither.
	switch {
	case key == "":
		return false
	case key[len(key)-1] == 'o':
		return strings.HasSuffix(key, GCRDomain)
	case key[len(key)-1] == 'v':
		return strings.HasSuffix(key, ArtifactRegistrySuffix)
	}
	return false
}
