// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keylesstest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/credentials"
)

// TestReadme_configExamples: every helper config in the README loads: the
// yaml blocks that are a config file, and the configs that the CI examples
// write with a heredoc (GitHub Actions, GitLab CI). The keyless ones name
// the identity source they document.
func TestReadme_configExamples(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var configs []string
	for _, chunk := range strings.Split(string(b), "```yaml\n")[1:] {
		body, _, _ := strings.Cut(chunk, "```")
		if strings.HasPrefix(body, "registries:") || strings.HasPrefix(body, "keychain:") {
			configs = append(configs, body)
		}
		// A config written by a CI step: the lines between <<'EOF' and EOF,
		// less their indentation.
		for _, here := range strings.Split(body, "<<'EOF'\n")[1:] {
			var lines []string
			indent := -1
			for _, line := range strings.Split(here, "\n") {
				trimmed := strings.TrimLeft(line, " ")
				if trimmed == "EOF" {
					break
				}
				if indent < 0 {
					indent = len(line) - len(trimmed)
				}
				lines = append(lines, line[min(indent, len(line)-len(trimmed)):])
			}
			configs = append(configs, strings.Join(lines, "\n"))
		}
	}
	sources := map[string]bool{}
	for i, c := range configs {
		cfg, err := credentials.LoadConfig(strings.NewReader(c), "README.md")
		if err != nil {
			t.Errorf("README config %d does not load: %v\n%s", i, err, c)
			continue
		}
		for _, r := range cfg.Registries {
			if r.Identity != nil {
				sources[r.Provider+"/"+r.Identity.Source] = true
			}
		}
	}
	for _, want := range []string{"oauth2/github-actions", "oauth2/gitlab", "oauth2/kubelet", "ecr/github-actions"} {
		if !sources[want] {
			t.Errorf("no README config of provider/identity source %s (found %v)", want, sources)
		}
	}
}
