// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keylesstest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/credentials"
)

// fence is one fenced code block of a markdown text.
type fence struct {
	lang, body string
}

// fences returns the fenced code blocks of md, in order.
func fences(md string) []fence {
	var out []fence
	var cur *fence
	var body []string
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			if cur == nil {
				cur = &fence{lang: strings.TrimPrefix(line, "```")}
				body = nil
				continue
			}
			cur.body = strings.Join(body, "\n") + "\n"
			out = append(out, *cur)
			cur = nil
			continue
		}
		if cur != nil {
			body = append(body, line)
		}
	}
	return out
}

// heredocConfigs returns the documents that body writes with <<'EOF',
// less the indentation of their first line.
func heredocConfigs(body string) []string {
	var configs []string
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
	return configs
}

// mdSection returns the part of md from the heading line head up to the
// next heading of the same or a higher level (outside code blocks, where
// "# " starts a comment); "" when there is none.
func mdSection(md, head string) string {
	level := strings.Index(head, " ")
	start := strings.Index(md, "\n"+head+"\n")
	if start < 0 {
		return ""
	}
	rest := md[start+1:]
	lines := strings.Split(rest, "\n")
	inFence := false
	for i, line := range lines[1:] {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		n := len(line) - len(strings.TrimLeft(line, "#"))
		if !inFence && n > 0 && n <= level && strings.HasPrefix(line[n:], " ") {
			return strings.Join(lines[:i+1], "\n")
		}
	}
	return rest
}

var (
	identityCell   = regexp.MustCompile("`(identity: \\{[^`]*\\})`")
	identitySource = regexp.MustCompile(`source: ([a-z-]+)`)
)

// TestReadme_ciSystems: the README's "CI systems" section has a
// subsection per CI system, each with a complete job (install, a config
// written by the job, configure, a pull) whose config loads and takes the
// CI's token the way the section says; every identity block of its
// per-CI table loads in place of the identity block of each per-cloud
// entry (ecr, gcr, acr, keyless oauth2), as the section tells readers to
// combine them.
func TestReadme_ciSystems(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sec := mdSection(string(b), "## CI systems")
	if sec == "" {
		t.Fatal(`README.md has no "## CI systems" section`)
	}
	load := func(what, doc string) *credentials.Config {
		t.Helper()
		cfg, err := credentials.LoadConfig(strings.NewReader(doc), "README.md")
		if err != nil {
			t.Errorf("%s does not load: %v\n%s", what, err, doc)
			return nil
		}
		return cfg
	}

	// The per-cloud entries, each ending in an identity block that a row
	// of the per-CI table replaces.
	var clouds []string
	for _, f := range fences(mdSection(sec, "### The entry for each cloud")) {
		if f.lang == "yaml" && strings.HasPrefix(f.body, "registries:") {
			clouds = append(clouds, f.body)
		}
	}
	var providers []string
	for _, c := range clouds {
		if cfg := load("per-cloud entry", c); cfg != nil {
			providers = append(providers, cfg.Registries[0].Provider)
		}
	}
	slices.Sort(providers)
	if want := []string{"acr", "ecr", "gcr", "oauth2"}; !slices.Equal(providers, want) {
		t.Errorf("per-cloud entries of providers %v, want %v", providers, want)
	}

	cells := identityCell.FindAllStringSubmatch(mdSection(sec, "### The identity block of each CI"), -1)
	if len(cells) < 8 {
		t.Errorf("%d identity blocks in the per-CI table, want one per CI (8)", len(cells))
	}
	for _, cell := range cells {
		block := strings.ReplaceAll(cell[1], "AUD", "sts.example.com")
		src := identitySource.FindStringSubmatch(block)
		if src == nil {
			t.Errorf("identity block %q names no source", block)
			continue
		}
		for _, c := range clouds {
			at := strings.Index(c, "identity: {")
			if at < 0 {
				t.Fatalf("per-cloud entry without a one-line identity block:\n%s", c)
			}
			end := at + strings.Index(c[at:], "\n")
			doc := c[:at] + block + c[end:]
			cfg := load("identity block "+block+" in a per-cloud entry", doc)
			if cfg == nil {
				continue
			}
			r := cfg.Registries[0]
			if r.Identity == nil || r.Identity.Source != src[1] {
				t.Errorf("%s in a %s entry: identity %+v, want source %s", block, r.Provider, r.Identity, src[1])
			}
		}
	}

	// One complete job per CI system, taking the token as its row says.
	jobs := []struct {
		head, source, env, command string
	}{
		{"### GitHub Actions", credentials.IdentityGitHubActions, "", ""},
		{"### GitLab CI", credentials.IdentityGitLab, "AZURE_ID_TOKEN", ""},
		{"### CircleCI", credentials.IdentityGitLab, "CIRCLE_OIDC_TOKEN_V2", ""},
		{"### Buildkite", credentials.IdentityExec, "", "buildkite-agent"},
		{"### Bitbucket Pipelines", credentials.IdentityGitLab, "BITBUCKET_STEP_OIDC_TOKEN", ""},
		{"### Jenkins and self-hosted runners", credentials.IdentityGitLab, "REGISTRY_ID_TOKEN", ""},
	}
	for _, j := range jobs {
		sub := mdSection(sec, j.head)
		if sub == "" {
			t.Errorf("no %q subsection", j.head)
			continue
		}
		fs := fences(sub)
		if len(fs) == 0 {
			t.Errorf("%s: no job", j.head)
			continue
		}
		job := fs[0].body
		for _, step := range []string{
			"go install github.com/docker-credential-mint/mint/cmd/docker-credential-mint@latest",
			"~/.config/docker-credential-mint/config.yaml <<'EOF'",
			"docker-credential-mint configure",
			"docker pull ",
		} {
			if !strings.Contains(job, step) {
				t.Errorf("%s: the job lacks %q", j.head, step)
			}
		}
		docs := heredocConfigs(job)
		if len(docs) != 1 {
			t.Errorf("%s: the job writes %d configs, want 1", j.head, len(docs))
			continue
		}
		cfg := load(j.head+" job's config", docs[0])
		if cfg == nil {
			continue
		}
		id := cfg.Registries[0].Identity
		switch {
		case id == nil || id.Source != j.source:
			t.Errorf("%s: identity %+v, want source %s", j.head, id, j.source)
		case id.Env != j.env:
			t.Errorf("%s: identity env %q, want %q", j.head, id.Env, j.env)
		case j.command != "" && (len(id.Command) == 0 || id.Command[0] != j.command):
			t.Errorf("%s: identity command %q, want %s", j.head, id.Command, j.command)
		}
		if j.env != "" && j.head == "### GitLab CI" && !strings.Contains(job, "id_tokens:\n    "+j.env+":") {
			t.Errorf("%s: the job's id_tokens does not set %s", j.head, j.env)
		}
	}
	if mdSection(sec, "### Kubernetes pods") == "" {
		t.Error(`no "### Kubernetes pods" subsection`)
	}

	// Every other config of the section loads too (the yaml entries and
	// what any block writes with a heredoc, the Jenkinsfile's included).
	for _, f := range fences(sec) {
		if f.lang == "yaml" && (strings.HasPrefix(f.body, "registries:") || strings.HasPrefix(f.body, "keychain:")) {
			load("config", f.body)
		}
		for _, doc := range heredocConfigs(f.body) {
			load("config written by a "+f.lang+" block", doc)
		}
	}
}
