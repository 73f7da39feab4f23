// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package wire

import (
	"context"
	"io"
	"testing"

	"github.com/docker-credential-mint/mint/store/file"
)

// The file keychain's token cache is a cache store (its writes skip the
// directory sync); the credential store is not.
func TestOpenBackend_fileTokenCacheIsCache(t *testing.T) {
	dir := t.TempDir()
	e := New(func(k string) string {
		if k == EnvDataDir {
			return dir
		}
		return ""
	}, io.Discard)
	for ns, want := range map[string]bool{NSTokens: true, NSCredentials: false} {
		b, err := e.OpenBackend(context.Background(), "file", ns)
		if err != nil {
			t.Fatalf("OpenBackend(file, %s) = %v", ns, err)
		}
		s, ok := b.(*file.Store)
		if !ok {
			t.Fatalf("OpenBackend(file, %s) = %T, want *file.Store", ns, b)
		}
		if s.IsCache() != want {
			t.Errorf("%s: IsCache = %v, want %v", ns, s.IsCache(), want)
		}
	}
}
