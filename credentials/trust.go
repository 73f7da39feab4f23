// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker-credential-mint/mint/store/trust"
)

// The config file names commands that run and endpoints that receive
// secrets, so one that another local user could have written is refused,
// as OpenSSH refuses such a config (DESIGN §7): on unix, the file and the
// directory holding it must belong to this user or root and must not be
// writable by group or others; the same for an exec command's own file.

// ErrUntrusted is wrapped by the error about a config file, its directory
// or an exec command that another user could have written. The message is
// one line naming the path and the command that fixes it.
var ErrUntrusted = trust.ErrUntrusted

// CheckTrustedFile returns an error wrapping ErrUntrusted when the file at
// path (symbolic links followed) or the directory holding it belongs to
// another user than this one and root, or is writable by group or others.
// A missing file is no error (running it fails on its own). It does
// nothing on systems without unix owners and modes.
func CheckTrustedFile(path string) error {
	return trust.FileAndDir(path)
}

// checkConfigFile refuses the opened config file f, read from path, when
// another user could have written it or its directory.
func checkConfigFile(path string, f *os.File) error {
	if err := trust.OpenedFile(path, f); err != nil {
		return fmt.Errorf("config %s: refused: %w", path, err)
	}
	return nil
}

// checkCommands refuses an exec entry's command, or an identity block's
// command, that is an absolute path another user could have written.
func checkCommands(c *Config) error {
	for i := range c.Registries {
		r := &c.Registries[i]
		key, argv := "command", r.Command
		if r.Provider != ProviderExec {
			argv = nil
		}
		if r.Identity != nil && r.Identity.Source == IdentityExec {
			key, argv = "identity.command", r.Identity.Command
		}
		if len(argv) == 0 || !filepath.IsAbs(argv[0]) {
			continue
		}
		if err := CheckTrustedFile(argv[0]); err != nil {
			return fmt.Errorf("config %s:%d: %s: refused: %w", c.File, r.Line, key, err)
		}
	}
	return nil
}
