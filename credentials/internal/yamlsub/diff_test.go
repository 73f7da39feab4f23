// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package yamlsub

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// This file holds yamlsub to real YAML: yaml.v3 is the reference, a
// test-only dependency that no binary links (TestNoYAMLv3InBinaries).
//
// The rules, for any input:
//
//   - yaml.v3 rejects (a syntax error, or decoding a document into an any
//     fails, as for a duplicate key) ⇒ yamlsub rejects;
//   - yaml.v3 reads two or more documents ⇒ yamlsub rejects;
//   - both accept ⇒ the trees are equal (sameTree), yamlsub's empty
//     document standing for no document or for one that is a lone empty
//     plain scalar, as yaml.v3 reads "---";
//   - yaml.v3 accepts and yamlsub rejects ⇒ allowed: the subset in the
//     package doc.

// v3Read is yaml.v3's reading of data: its documents, or the first error.
// A panic inside yaml.v3 is an error too, so yamlsub must reject that input.
func v3Read(data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("yaml.v3 panicked: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); errors.Is(err, io.EOF) {
			return docs, nil
		} else if err != nil {
			return nil, err
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		docs = append(docs, &n)
	}
}

// sameTree reports how yamlsub's document differs from yaml.v3's, or "".
// Nodes are equal when their kinds, resolved tags (ShortTag), values,
// quoting or flow style, lines and columns are; yamlsub counts a column in
// bytes and yaml.v3 in characters, so src (the input as UTF-8) converts.
// A mapping must also keep its size when yaml.v3 decodes it into an any:
// keys that differ as text but not as values (1 and 0x1, ~ and null)
// collapse there, a reading yamlsub must not differ from.
func sameTree(src string, doc *Node, v3 []*yaml.Node) string {
	lines := strings.Split(src, "\n")
	var walk func(path string, n *Node, m *yaml.Node) string
	walk = func(path string, n *Node, m *yaml.Node) string {
		kinds := map[Kind]yaml.Kind{
			DocumentNode: yaml.DocumentNode, SequenceNode: yaml.SequenceNode,
			MappingNode: yaml.MappingNode, ScalarNode: yaml.ScalarNode,
		}
		if kinds[n.Kind] != m.Kind {
			return fmt.Sprintf("%s: kind %d, yaml.v3 %d", path, n.Kind, m.Kind)
		}
		var style yaml.Style
		if n.Style&SingleQuotedStyle != 0 {
			style |= yaml.SingleQuotedStyle
		}
		if n.Style&DoubleQuotedStyle != 0 {
			style |= yaml.DoubleQuotedStyle
		}
		if n.Style&FlowStyle != 0 {
			style |= yaml.FlowStyle
		}
		if style != m.Style {
			return fmt.Sprintf("%s: style %d, yaml.v3 %d", path, style, m.Style)
		}
		if n.ShortTag() != m.ShortTag() || n.Value != m.Value {
			return fmt.Sprintf("%s: %s %q, yaml.v3 %s %q", path, n.ShortTag(), n.Value, m.ShortTag(), m.Value)
		}
		col := n.Column
		if n.Line >= 1 && n.Line <= len(lines) && n.Column-1 <= len(lines[n.Line-1]) {
			col = 1 + utf8.RuneCountInString(lines[n.Line-1][:n.Column-1])
		}
		if n.Kind != DocumentNode && (n.Line != m.Line || col != m.Column) {
			return fmt.Sprintf("%s: at %d:%d, yaml.v3 at %d:%d", path, n.Line, col, m.Line, m.Column)
		}
		if len(n.Content) != len(m.Content) {
			return fmt.Sprintf("%s: %d children, yaml.v3 %d", path, len(n.Content), len(m.Content))
		}
		if n.Kind == MappingNode {
			var v any
			if err := m.Decode(&v); err != nil {
				return fmt.Sprintf("%s: yaml.v3 cannot decode the mapping: %v", path, err)
			}
			if size := reflect.ValueOf(v).Len(); size != len(n.Content)/2 {
				return fmt.Sprintf("%s: %d keys, %d once yaml.v3 decodes them", path, len(n.Content)/2, size)
			}
		}
		for i := range n.Content {
			if d := walk(fmt.Sprintf("%s/%d", path, i), n.Content[i], m.Content[i]); d != "" {
				return d
			}
		}
		return ""
	}
	switch {
	case len(v3) > 1:
		return fmt.Sprintf("yaml.v3 reads %d documents", len(v3))
	case len(doc.Content) == 0:
		if len(v3) == 0 {
			return ""
		}
		if c := v3[0].Content; len(c) == 1 && c[0].Kind == yaml.ScalarNode && c[0].Style == 0 && c[0].Tag == NullTag && c[0].Value == "" {
			return ""
		}
		return "empty document, yaml.v3 reads " + fmt.Sprint(v3[0].Content)
	case len(v3) == 0:
		return "yaml.v3 reads no document"
	}
	return walk("doc", doc, v3[0])
}

// utf8Source is data as Parse reads it, for sameTree's columns.
func utf8Source(data []byte) string {
	if len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff) {
		s, _ := fromUTF16(data)
		return s
	}
	return strings.TrimPrefix(string(data), "\uFEFF")
}

// checkAgainstV3 applies the rules above to one input.
func checkAgainstV3(t *testing.T, data []byte) {
	t.Helper()
	doc, err := Parse(data)
	v3, v3err := v3Read(data)
	switch {
	case err != nil:
		return // a rejection is always allowed
	case v3err != nil:
		t.Fatalf("yamlsub accepts %q (%s), yaml.v3 rejects it: %v", data, dump(doc), v3err)
	}
	if d := sameTree(utf8Source(data), doc, v3); d != "" {
		t.Fatalf("yamlsub reads %q as %s; %s", data, dump(doc), d)
	}
}

// FuzzDiff holds yamlsub to yaml.v3 (see the rules at the top). Its seeds,
// and testdata/fuzz/FuzzDiff with the inputs it once failed on, run in
// every go test.
func FuzzDiff(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.in))
	}
	for _, tt := range subsetTests {
		if len(tt) < 1<<10 { // big inputs slow every mutation down
			f.Add([]byte(tt))
		}
	}
	f.Add([]byte(designExample))
	f.Fuzz(checkAgainstV3)
}

// yamlTokens are the pieces FuzzDiffTokens builds documents from: each
// input byte picks one, so that mutations change the structure, where
// FuzzDiff's byte mutations mostly make syntax errors.
var yamlTokens = [...]string{
	"\n", " ", "  ", "- ", ": ", ":", "a", "b", "k: ", "- k: ", "\n  ", "\n- ", "\n  - ",
	"[", "]", "{", "}", ", ", ",", "'", "''", "\"", "\\", "\\n", "#", " # c", "\t",
	"~", "null", "true", "True", "yes", "1", "01", "0x1F", "0o7", "0b1", "-1", "+1", "1.5", ".5",
	"1e3", ".inf", ".nan", "1_0", "2001-12-14", "2001-12-14T21:59:43Z", "---", "...", "\n---\n",
	"\n...\n", "?", "? ", "!", "&x ", "*x", "|", ">", "%", "@", "`", "<<", "é", "\u2028", "\ufeff",
	"\r\n", "\r", "\x00", "http://h:1/p", "-", ".", "a b", "a:b", "a#b", "a: b", "\n\n",
	"    ", "\n    ", "'a''b'", "\"a\\\"b\"", "\"\\x41\"", "\"\\u00e9\"", "::", ":-", "-:", "[]", "{}",
}

// FuzzDiffTokens is FuzzDiff on documents built from yamlTokens.
func FuzzDiffTokens(f *testing.F) {
	for _, doc := range [][]string{
		{"k: ", "a", "\n", "k: ", "b"},
		{"a", ": ", "[", "a", ", ", "b", "]", "\n", "b", ": ", "{}"},
		{"- k: ", "a", "\n  ", "b", ": ", "1", "\n- ", "a"},
		{"k: ", "\n  - ", "a", "\n  - ", "{", "a", ": ", "b", "}"},
	} {
		f.Add(tokenPicks(doc...))
	}
	f.Fuzz(func(t *testing.T, picks []byte) {
		var b strings.Builder
		for _, i := range picks {
			b.WriteString(yamlTokens[int(i)%len(yamlTokens)])
		}
		checkAgainstV3(t, []byte(b.String()))
	})
}

// tokenPicks returns the input that makes FuzzDiffTokens build the
// document of tokens.
func tokenPicks(tokens ...string) []byte {
	var picks []byte
	for _, tok := range tokens {
		i := slices.Index(yamlTokens[:], tok)
		if i < 0 {
			panic("not in yamlTokens: " + tok)
		}
		picks = append(picks, byte(i))
	}
	return picks
}

// TestParse_againstV3 runs the table's inputs through the differential
// rules, and checks that the table's trees are yaml.v3's.
func TestParse_againstV3(t *testing.T) {
	for _, tt := range parseTests {
		t.Run("", func(t *testing.T) { checkAgainstV3(t, []byte(tt.in)) })
	}
}

// subsetTests are valid YAML that yamlsub rejects on purpose: one example
// of each omission the package doc lists.
var subsetTests = []string{
	// Anchors and aliases, tags, block scalars, complex keys, merge keys
	// and directives.
	"a: &x b\nc: *x\n",
	"a: !!str 1\n",
	"a: |\n  x\n",
	"a: >-\n  x\n",
	"? a\n: b\n",
	"<<: {a: b}\n",
	"%YAML 1.1\n---\na: b\n",
	// Multi-line scalars, in block or flow context.
	"a: b\n  c\n",
	"a: 'b\n  c'\n",
	"a: \"b\\\n  c\"\n",
	"[a\nb]\n",
	"{a\n:b}\n",
	// A second document, content on the --- line.
	"a: b\n---\nc: d\n",
	"--- a\n",
	"---\ta\n",
	// Tabs in indentation, even on a blank line or in a flow collection.
	"a: b\n \t\n",
	"a: [\n\tb]\n",
	// Pairs in a flow sequence.
	"a: [b: c]\n",
	// A "#" right after a quoted scalar or a flow collection.
	"a: {b: c}#x\n",
	"a: 'b'#x\n",
	// Unicode line breaks, a byte order mark after the start.
	"a: x\u0085b: c\n",
	"a: x\u2028b: c\n",
	"\ufeff\ufeffa: b\n",
	// Keys equal as values.
	"{1: a, 0x1: b}\n",
	"{~: a, null: b}\n",
	"{2001-12-14T01:00:00+01:00: a, 2001-12-14T00:00:00Z: b}\n",
	// Beyond MaxDepth and MaxNodes.
	"a: " + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
	"[" + strings.Repeat("a,", MaxNodes) + "]",
}

// TestParse_subset checks that each of subsetTests is YAML that yaml.v3
// reads and yamlsub rejects: the subset is deliberate, not a bug.
func TestParse_subset(t *testing.T) {
	for _, in := range subsetTests {
		if _, err := v3Read([]byte(in)); err != nil {
			t.Errorf("yaml.v3 rejects %q: %v; not an example of the subset", in, err)
		}
		if doc, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) = %s, want an error", in, dump(doc))
		}
	}
}

// TestNoYAMLv3InBinaries checks that yaml.v3 stays test-only: no package
// of the module links it (yamlsub exists so that they need not).
func TestNoYAMLv3InBinaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/docker-credential-mint/mint/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "gopkg.in/yaml.v3" || pkg == "go.yaml.in/yaml/v3" { // and its fork
			t.Errorf("%s is linked into the module's packages; yaml.v3 is for tests only", pkg)
		}
	}
}
