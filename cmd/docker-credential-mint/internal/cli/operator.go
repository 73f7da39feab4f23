// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker-credential-mint/mint/credentials"
)

// This file is the plumbing the operator commands share: flag parsing with
// --help, one-line errors, time formatting. None of it runs on the
// protocol's path.

// now is the operator commands' clock; tests set it for stable goldens.
var now = time.Now

// opTimeout bounds an operator command's keychain and network calls (one
// login proof, one status listing); people wait longer than docker pull.
const opTimeout = 60 * time.Second

// usage describes a command for its --help: the synopsis after the binary's
// name, a paragraph, and examples.
type usage struct {
	name, synopsis, text string
	examples             []string
}

// newFlags returns a FlagSet for the command that never prints on its own:
// parse reports errors as one line and --help on stdout.
func newFlags(u usage) *flag.FlagSet {
	fs := flag.NewFlagSet(u.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// printUsage writes the command's --help.
func printUsage(w io.Writer, u usage, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: docker-credential-mint %s %s\n\n%s\n", u.name, u.synopsis, strings.TrimSpace(u.text))
	if len(u.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, ex := range u.examples {
			fmt.Fprintln(w, "  "+ex)
		}
	}
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// parseArgs parses args with fs, allowing flags after positional
// arguments (`login quay.io --username u`), and returns the positional
// arguments. done is true when the command must stop with status code:
// 0 after --help, 2 after a usage error (reported on stderr in one line).
func parseArgs(u usage, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, u, fs)
			return nil, 0, true
		}
		if err != nil {
			fmt.Fprintf(stderr, "docker-credential-mint %s: %v (see docker-credential-mint %s --help)\n", u.name, err, u.name)
			return nil, 2, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, false
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), 0, false
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError reports a wrong use of the command in one line; it returns 2.
func usageError(stderr io.Writer, u usage, format string, args ...any) int {
	fmt.Fprintf(stderr, "docker-credential-mint %s: %s (see docker-credential-mint %s --help)\n", u.name, fmt.Sprintf(format, args...), u.name)
	return 2
}

// fail reports err on one line and returns 1.
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "docker-credential-mint %s: %s\n", name, credentials.OneLine(err.Error()))
	return 1
}

// multiFlag is a repeatable string flag (--registry a --registry b).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// providerOf names the provider serving h: the first matching config entry's,
// else static.
func providerOf(cfg *credentials.Config, h credentials.Host) string {
	if r, ok := cfg.Match(h); ok {
		return r.Provider
	}
	return credentials.ProviderStatic
}

// serverURLFor is the server URL that login stores for h: what the Docker
// CLI itself would store (its Docker Hub key, host[:port][/path] for the
// others), so that list answers keys the Docker CLI recognises.
func serverURLFor(h credentials.Host) string {
	if h.Registry() == credentials.DockerHub && h.Path == "" {
		return credentials.DockerHubServerURL
	}
	return h.Key()
}

// humanDuration prints d rounded for people: 11h59m, 4m30s, 45s.
func humanDuration(d time.Duration) string {
	abs := d
	if abs < 0 {
		abs = -abs
	}
	switch {
	case abs >= 48*time.Hour:
		return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(abs%(24*time.Hour)/time.Hour))
	case abs.Round(time.Second) >= time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	default:
		return d.Round(time.Second).String()
	}
}
