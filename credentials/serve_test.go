// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store"
)

var update = flag.Bool("update", false, "update golden files")

// A transcript is a protocol conversation kept in testdata/protocol/*.txt:
//
//	-- setup --      optional store requests, one JSON object a line
//	-- action --     the verb (or several words: the whole argv after the program name)
//	-- stdin --      the request, verbatim (a trailing newline is removed)
//	-- stdout --     what must be printed
//	-- exit --       the exit status
//	-- after --      optional: list output after the action (nothing changed on failure)
type transcript struct {
	sections map[string]string
	order    []string
}

func parseTranscript(b []byte) (*transcript, error) {
	tr := &transcript{sections: map[string]string{}}
	var cur string
	for _, line := range strings.SplitAfter(string(b), "\n") {
		trim := strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(trim, "-- ") && strings.HasSuffix(trim, " --") && len(trim) > 6 {
			cur = trim[3 : len(trim)-3]
			tr.order = append(tr.order, cur)
			tr.sections[cur] = ""
			continue
		}
		if cur == "" {
			continue
		}
		tr.sections[cur] += line
	}
	if _, ok := tr.sections["action"]; !ok {
		return nil, fmt.Errorf("no action section")
	}
	return tr, nil
}

func (tr *transcript) format() []byte {
	var b bytes.Buffer
	for _, name := range tr.order {
		fmt.Fprintf(&b, "-- %s --\n%s", name, tr.sections[name])
		if s := tr.sections[name]; s != "" && !strings.HasSuffix(s, "\n") {
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

func (tr *transcript) set(name, val string) {
	if _, ok := tr.sections[name]; !ok {
		tr.order = append(tr.order, name)
	}
	tr.sections[name] = val
}

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/protocol/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := parseTranscript(raw)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			ctx := context.Background()
			b := store.NewMemory()
			h := NewHelper(b)
			for _, line := range strings.Split(strings.TrimSpace(tr.sections["setup"]), "\n") {
				if line == "" {
					continue
				}
				if err := HandleCommand(ctx, h, ActionStore, strings.NewReader(line), &bytes.Buffer{}); err != nil {
					t.Fatalf("setup %q: %v", line, err)
				}
			}
			before := listing(t, h)
			args := append([]string{Name}, strings.Fields(tr.sections["action"])...)
			stdin := strings.TrimSuffix(tr.sections["stdin"], "\n")
			var out bytes.Buffer
			code := Serve(ctx, args, strings.NewReader(stdin), &out, func(context.Context) (Helper, error) { return h, nil })
			after := listing(t, h)
			if *update {
				tr.set("stdout", out.String())
				tr.set("exit", strconv.Itoa(code)+"\n")
				if _, ok := tr.sections["after"]; ok || code != 0 {
					tr.set("after", after)
				}
				if err := os.WriteFile(file, tr.format(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got, want := out.String(), tr.sections["stdout"]; got != want {
				t.Errorf("stdout = %q, want %q", got, want)
			}
			if got, want := strconv.Itoa(code)+"\n", tr.sections["exit"]; got != want {
				t.Errorf("exit = %q, want %q", got, want)
			}
			if want, ok := tr.sections["after"]; ok && after != want {
				t.Errorf("list after = %q, want %q", after, want)
			}
			if code != 0 && after != before {
				t.Errorf("a failed %s changed the store: before %s after %s", args[1:], before, after)
			}
			if code != 0 && strings.Count(out.String(), "\n") != 1 {
				t.Errorf("error output %q is not exactly one line", out.String())
			}
		})
	}
}

// listing returns list's output plus every secret, to compare stores.
func listing(t *testing.T, h Helper) string {
	t.Helper()
	m, err := h.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	return string(b) + "\n"
}
