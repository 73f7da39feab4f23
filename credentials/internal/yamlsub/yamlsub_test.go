// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package yamlsub

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// dump writes n compactly: a plain scalar as its tag and quoted value
// (int"8080"), a quoted one as sq"…" or dq"…", collections as {k: v, …}
// and [a, …], and a document as its node (or "empty").
func dump(n *Node) string {
	var b strings.Builder
	var walk func(n *Node)
	walk = func(n *Node) {
		switch n.Kind {
		case DocumentNode:
			if len(n.Content) == 0 {
				b.WriteString("empty")
			}
			for _, c := range n.Content {
				walk(c)
			}
		case ScalarNode:
			switch {
			case n.Style&SingleQuotedStyle != 0:
				b.WriteString("sq")
			case n.Style&DoubleQuotedStyle != 0:
				b.WriteString("dq")
			default:
				b.WriteString(strings.TrimPrefix(n.ShortTag(), "!!"))
			}
			b.WriteString(strconv.Quote(n.Value))
		case SequenceNode, MappingNode:
			open, end := "[", "]"
			if n.Kind == MappingNode {
				open, end = "{", "}"
			}
			b.WriteString(open)
			for i, c := range n.Content {
				switch {
				case i == 0:
				case n.Kind == MappingNode && i%2 == 1:
					b.WriteString(": ")
				default:
					b.WriteString(", ")
				}
				walk(c)
			}
			b.WriteString(end)
		default:
			fmt.Fprintf(&b, "?%d", n.Kind)
		}
	}
	walk(n)
	return b.String()
}

// parseTests maps input to the dumped tree, or to "line N: " and the
// start of the error message.
var parseTests = []struct{ in, want string }{
	// Empty documents.
	{"", "empty"},
	{"# only a comment\n\n   # another\n", "empty"},
	{"---\n", "empty"},
	{"--- # start\n# c\n", "empty"},
	{"---\na: 1\n...\n# end\n", `{str"a": int"1"}`},

	// Block mappings and sequences.
	{"a: b\nc: d\n", `{str"a": str"b", str"c": str"d"}`},
	{"a: b", `{str"a": str"b"}`},
	{"a : b  \n", `{str"a": str"b"}`},
	{"a:\tb\n", `{str"a": str"b"}`},
	{"a:\n  b:\n    c: d\n  e: f\ng: h\n", `{str"a": {str"b": {str"c": str"d"}, str"e": str"f"}, str"g": str"h"}`},
	{"- a\n- b\n", `[str"a", str"b"]`},
	{"a:\n- b\n- c\nd: e\n", `{str"a": [str"b", str"c"], str"d": str"e"}`},
	{"a:\n  - b\n  - c\n", `{str"a": [str"b", str"c"]}`},
	{"- a: 1\n  b: 2\n- c: 3\n", `[{str"a": int"1", str"b": int"2"}, {str"c": int"3"}]`},
	{"-   a: 1\n    b: 2\n", `[{str"a": int"1", str"b": int"2"}]`},
	{"- - a\n  - b\n- c\n", `[[str"a", str"b"], str"c"]`},
	{"-\n  a: 1\n-\n", `[{str"a": int"1"}, null""]`},
	{"- a:\n  - b\n", `[{str"a": [str"b"]}]`},
	{"  a: 1\n  b: 2\n", `{str"a": int"1", str"b": int"2"}`},
	{"registries:\n  - match: x\n    provider: static\n\n  # comment\n  - match: y\n    provider: ecr\n",
		`{str"registries": [{str"match": str"x", str"provider": str"static"}, {str"match": str"y", str"provider": str"ecr"}]}`},

	// Empty values and null.
	{"a:\nb: ~\nc: null\nd: # c\n", `{str"a": null"", str"b": null"~", str"c": null"null", str"d": null""}`},
	{"a:\n", `{str"a": null""}`},
	{"- \n-\n", `[null"", null""]`},
	{"~\n", `null"~"`},

	// Plain scalars.
	{"a: b c  d\n", `{str"a": str"b c  d"}`},
	{"a: http://x:80/y?q#f\n", `{str"a": str"http://x:80/y?q#f"}`},
	{"a: b # comment\n", `{str"a": str"b"}`},
	{"a: b#c\n", `{str"a": str"b#c"}`},
	{"a:b\n", `str"a:b"`},
	{"a: -1m\n", `{str"a": str"-1m"}`},
	{"a: [x], b: c\n", "line 1: unexpected ','"},
	{"a: b,c\n", `{str"a": str"b,c"}`},
	{"a: 'b' # c\n", `{str"a": sq"b"}`},
	{"a: :x\n", `{str"a": str":x"}`},
	{"a: x]\n", `{str"a": str"x]"}`},

	// Tags as yaml.v3 resolves them.
	{"[8080, '8080', \"8080\", 1.5, .5, 1e3, 0x1F, 0o17, 017, 1_000, -0b101, +.inf, .NaN]",
		`[int"8080", sq"8080", dq"8080", float"1.5", float".5", float"1e3", int"0x1F", int"0o17", int"017", int"1_000", int"-0b101", float"+.inf", float".NaN"]`},
	{"[true, True, TRUE, false, yes, no, on, off, y, tRUE]",
		`[bool"true", bool"True", bool"TRUE", bool"false", str"yes", str"no", str"on", str"off", str"y", str"tRUE"]`},
	{"[2001-12-14, 2001-12-14T21:59:43.10Z, 2001-12-14 21:59:43.10, 2001-13-14, 10m, 1h30m, 09, 1.2.3, -, +, .]",
		`[timestamp"2001-12-14", timestamp"2001-12-14T21:59:43.10Z", timestamp"2001-12-14 21:59:43.10", str"2001-13-14", str"10m", str"1h30m", float"09", str"1.2.3", str"-", str"+", str"."]`},

	// Quoted scalars.
	{`a: 'it''s # not a comment'`, `{str"a": sq"it's # not a comment"}`},
	{`a: ''`, `{str"a": sq""}`},
	{`a: "tab\tnl\nq\"bs\\sl\'sp\ e\e0\0x\x41u\u00e9U\U0001F600N\N_\_L\LP\P"`,
		`{str"a": dq"tab\tnl\nq\"bs\\sl'sp e\x1b0\x00xAuéU😀N\u0085_\u00a0L\u2028P\u2029"}`},
	{`a: "\a\b\v\f\r"`, `{str"a": dq"\a\b\v\f\r"}`},
	{`"a b": 'c: d'`, `{dq"a b": sq"c: d"}`},
	{`'a' : b`, `{sq"a": str"b"}`},
	{`a: "x" # c`, `{str"a": dq"x"}`},
	{`a: "x"y`, "line 1: unexpected 'y' after the value"},
	{`a: "x`, "line 1: unterminated double-quoted"},
	{"a: 'x\n  y'", "line 1: unterminated single-quoted"},
	{"a: \"x\\\n  y\"", "line 1: unterminated double-quoted"},
	{`a: "\q"`, `line 1: unknown escape \q`},
	{`a: "\/"`, `line 1: unknown escape \/`},
	{`a: "\x4"`, `line 1: bad \x escape`},
	{`a: "\u+123"`, `line 1: bad \u escape`},
	{`a: "\uD800"`, `line 1: \u escape of an invalid Unicode character`},
	{`a: "\U00110000"`, `line 1: \U escape of an invalid`},
	{`a: "\u12"`, `line 1: short \u escape`},

	// Flow collections.
	{"a: [b, 'c', \"d e\"]", `{str"a": [str"b", sq"c", dq"d e"]}`},
	{"a: []\nb: {}\n", `{str"a": [], str"b": {}}`},
	{"a: [b, c,]", `{str"a": [str"b", str"c"]}`},
	{"a: {b: c, d: [e, f], g: {h: i}}", `{str"a": {str"b": str"c", str"d": [str"e", str"f"], str"g": {str"h": str"i"}}}`},
	{"- {match: a, provider: static}\n- [x]\n", `[{str"match": str"a", str"provider": str"static"}, [str"x"]]`},
	{"a: {b: , c}", `{str"a": {str"b": null"", str"c": null""}}`},
	{"a: {b:}", `{str"a": {str"b:": null""}}`},
	{`a: {"b":c}`, `{str"a": {dq"b": str"c"}}`},
	{"a: [http://x:1/y, b:c]", `{str"a": [str"http://x:1/y", str"b:c"]}`},
	{"a: [\n  b,  # first\n  c\n]\n", `{str"a": [str"b", str"c"]}`},
	{"a: [b # c\n  ]", `{str"a": [str"b"]}`},
	{"[a, b]", `[str"a", str"b"]`},
	{"a: [b, c", "line 1: unterminated flow collection"},
	{"a: [b c]", `{str"a": [str"b c"]}`},
	{"a: [b\n  c]", "line 2: did not find expected ',' or ']'"},
	{"a: [b: c]", "line 1: key: value pairs in a flow sequence are not supported"},
	{"a: [,]", "line 1: ',' cannot start a plain scalar"},
	{"a: {b c}", `{str"a": {str"b c": null""}}`},
	{`a: {"b" c}`, "line 1: could not find expected ':'"},
	{"a: [b]x", "line 1: unexpected 'x' after the value"},
	{"a: [\n---\n]", "line 2: document marker inside a flow collection"},
	{"a: {[b]: c}", "line 1: complex keys are not supported"},
	{"a: {b\n: c}", "line 2: the ':' after a key must be on the key's line"},
	{"{'a' # c\n: b}", "line 2: the ':' after a key must be on the key's line"},
	{"{a\n:b}", "line 2: the ':' after a key must be on the key's line"},
	{"a: {b:\n  c}", `{str"a": {str"b": str"c"}}`},
	{"a: [? b]", "line 1: complex keys (?) are not supported"},

	// Line ends, byte order marks, encodings.
	{"a: b\r\nc:\r\n  - d\r\n", `{str"a": str"b", str"c": [str"d"]}`},
	{"a: 'b'\r\n", `{str"a": sq"b"}`},
	{"\ufeffa: b\n", `{str"a": str"b"}`},
	{"a: b\rc: d", "line 1: a carriage return must be followed by a line feed"},
	{"a: b\n\x00", "line 2: control character U+0000"},
	{"a: \x85\n", "line 1: invalid UTF-8"},
	{"a: x\u2028b: c\n", "line 1: line break character U+2028 is not supported"},
	{"a: b\n\x7f", "line 2: control character U+007F"},
	{"\ufeff\ufeffa: b", "line 1: a byte order mark (U+FEFF) is allowed only at the start"},

	// Indentation.
	{"a:\n\tb: c\n", "line 2: tabs are not allowed in indentation"},
	{"a: b\n\t\n", "line 2: tabs are not allowed in indentation"},
	{"-\tb\n", "line 1: tabs are not allowed in indentation"},
	{"a:\n  b: 1\n   c: 2\n", "line 3: bad indentation of a mapping entry"},
	{"a:\n    b: 1\n  c: 2\n", "line 3: bad indentation of a mapping entry"},
	{"- a\n  - b\n", "line 2: bad indentation of a sequence item"},
	{"- a\nb: c\n", "line 2: expected a sequence item"},
	{"a: b\n- c\n", "line 2: a sequence item where a mapping key was expected"},
	{"a: - b\n", "line 1: block sequence entries are not allowed in this context"},
	{"a: b\n  c\n", "line 2: bad indentation of a mapping entry (multi-line scalars are not supported)"},
	{"a\nb\n", "line 2: unexpected content after the top-level node (multi-line scalars are not supported)"},
	{"  a: 1\nb: 2\n", "line 2: bad indentation"},
	{"a: b\nc\n", "line 2: could not find expected ':'"},
	{"a: b: c\n", "line 1: mapping values are not allowed in this context"},
	{"- match: example.com: 5000\n", "line 1: mapping values are not allowed in this context"},

	// Unsupported YAML.
	{"a: &x b\nc: *x\n", "line 1: anchors and aliases (& and *) are not supported"},
	{"- *x\n", "line 1: anchors and aliases"},
	{"a: !!str 1\n", "line 1: tags (!) are not supported"},
	{"a: !Ref x\n", "line 1: tags (!) are not supported"},
	{"a: |\n  x\n", "line 1: block scalars (| and >) are not supported"},
	{"a: >-\n  x\n", "line 1: block scalars (| and >) are not supported"},
	{"? a\n: b\n", "line 1: complex keys (?) are not supported"},
	{"[a]: b\n", "line 1: complex keys are not supported"},
	{"<<: {a: b}\n", "line 1: <<: merge keys are not supported"},
	{"a: {<<: b}\n", "line 1: <<: merge keys are not supported"},
	{"%YAML 1.2\n---\na: b\n", "line 1: directives (%) are not supported"},
	{"a: @b\n", "line 1: '@' cannot start a plain scalar"},
	{"a: `b`\n", "line 1: '`' cannot start a plain scalar"},
	{"a: b\n---\nc: d\n", "line 2: more than one document"},
	{"---\n---\n", "line 2: more than one document"},
	{"--- a: b\n", "line 1: content on the --- line is not supported"},
	{"a: b\n...\nc: d\n", "line 2: content after the document end (...)"},
	{"...\n", "line 1: document end (...) without a document"},
	{"a\n...\n\t\n", "line 3: tabs are not allowed in indentation"},
	{"a\n...\t# c\n  # c\n", `str"a"`},
	{": a\n", "line 1: unexpected ':'"},
	{strings.Repeat("k", 1023) + " : v", `{str"` + strings.Repeat("k", 1023) + `": str"v"}`},
	{strings.Repeat("k", 1024) + " : v", "line 1: a key longer than 1024 characters"},
	{"- " + strings.Repeat("é", 1024) + ": v", `[{str"` + strings.Repeat("é", 1024) + `": str"v"}]`},
	{"- " + strings.Repeat("é", 1025) + ": v", "line 1: a key longer than 1024 characters"},
	{"a: b\n'" + strings.Repeat("k", 1023) + "': v", "line 2: a key longer than 1024 characters"},
	{"{" + strings.Repeat("k", 1025) + ": v}", "line 1: a key longer than 1024 characters"},
	{"a: [" + strings.Repeat("k", 1025) + "]", `{str"a": [str"` + strings.Repeat("k", 1025) + `"]}`},

	// Duplicate keys.
	{"a: 1\nb: 2\na: 3\n", "line 3: a: duplicate key"},
	{"a: 1\n'a': 2\n", "line 2: a: duplicate key"},
	{"x: {a: 1, a: 2}\n", "line 1: a: duplicate key"},
	{"- a: 1\n- a: 2\n", `[{str"a": int"1"}, {str"a": int"2"}]`},
	{"a: {a: {a: a}}\n", `{str"a": {str"a": {str"a": str"a"}}}`},
	{"0: \n00:", "line 2: 00: duplicate key (the same int as 0 on line 1)"},
	{"{0x1F: a, 0o37: b}", "line 1: 0o37: duplicate key (the same int as 0x1F on line 1)"},
	{"~: a\nnull: b\n", "line 2: null: duplicate key (the same null as ~ on line 1)"},
	{"{TRUE: a, true: b}", "line 1: true: duplicate key (the same bool as TRUE"},
	{"{-0.0: a, .0: b}", "line 1: .0: duplicate key (the same float as -0.0"},
	{"{1e3: a, 1_000.0: b}", "line 1: 1_000.0: duplicate key (the same float"},
	{"{.inf: a, +.Inf: b}", "line 1: +.Inf: duplicate key (the same float"},
	{"{2001-12-14: a, 2001-12-14 0:0:0: b}", "line 1: 2001-12-14 0:0:0: duplicate key (the same timestamp"},
	{"{1: a, 1.0: b, .nan: c, .NaN: d, '': e, ~: f}", `{int"1": str"a", float"1.0": str"b", float".nan": str"c", float".NaN": str"d", sq"": str"e", null"~": str"f"}`},
	{"{9223372036854775808: a, 0x8000000000000000: b}", "line 1: 0x8000000000000000: duplicate key (the same int"},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		doc, err := Parse([]byte(tt.in))
		got := ""
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("Parse(%q) error %v is not an *Error", tt.in, err)
				continue
			}
			got = fmt.Sprintf("line %d: %s", e.Line, e.Msg)
			if e.Key != "" {
				got = fmt.Sprintf("line %d: %s: %s", e.Line, e.Key, e.Msg)
			}
			if strings.HasPrefix(tt.want, "line ") && strings.HasPrefix(got, tt.want) {
				continue
			}
		} else {
			got = dump(doc)
		}
		if got != tt.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func TestParse_positions(t *testing.T) {
	doc, err := Parse([]byte("# c\nkeychain: auto\nregistries:\n  - match: a  # c\n    scopes: [x, 'y']\n    empty:\n  -\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var walk func(n *Node)
	walk = func(n *Node) {
		got = append(got, fmt.Sprintf("%d:%d:%s", n.Line, n.Column, n.Value))
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(doc)
	want := "2:1: 2:1: 2:1:keychain 2:11:auto 3:1:registries 4:3: 4:5: 4:5:match 4:12:a " +
		"5:5:scopes 5:13: 5:14:x 5:17:y 6:5:empty 6:11: 7:4:"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("positions\n got %s\nwant %s", s, want)
	}
}

func TestParse_encodings(t *testing.T) {
	const want = `{str"a": [str"é", str"b"]}`
	in := "a: [é, b]\n"
	utf16le := []byte{0xff, 0xfe}
	utf16be := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(in)) {
		utf16le = append(utf16le, byte(u), byte(u>>8))
		utf16be = append(utf16be, byte(u>>8), byte(u))
	}
	for name, data := range map[string][]byte{
		"utf-8":          []byte(in),
		"utf-8 with bom": []byte("\ufeff" + in),
		"crlf":           []byte(strings.ReplaceAll(in, "\n", "\r\n")),
		"utf-16le":       utf16le,
		"utf-16be":       utf16be,
	} {
		doc, err := Parse(data)
		if err != nil || dump(doc) != want {
			t.Errorf("%s: Parse = %v, %v; want %s", name, dump0(doc), err, want)
		}
	}
	for _, bad := range [][]byte{{0xff, 0xfe, 'a'}, {0xff, 0xfe, 0x00, 0xd8, 'a', 0}} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "UTF-16") {
			t.Errorf("Parse(%q) = %v, want a UTF-16 error", bad, err)
		}
	}
}

func dump0(n *Node) string {
	if n == nil {
		return "<nil>"
	}
	return dump(n)
}

// TestParse_limits feeds hostile input: deep nesting, many nodes and
// megabyte-long lines must fail (or pass) without a panic. (Speed is for
// the benchmarks and the fuzzer's own hang detection, not for assertions
// that a loaded CI machine would break.)
func TestParse_limits(t *testing.T) {
	const mb = 1 << 20
	deepBlock := strings.Builder{}
	for i := range MaxDepth + 2 {
		deepBlock.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	for _, tt := range []struct{ name, in, want string }{
		{"deep flow", strings.Repeat("[", 10000), "nested more than"},
		{"deep compact", strings.Repeat("- ", 10000) + "a", "nested more than"},
		{"deep block", deepBlock.String(), "nested more than"},
		{"many nodes", "[" + strings.Repeat("a,", MaxNodes) + "]", "more than 65536 nodes"},
		{"many keys", "{" + strings.ReplaceAll(genKeys(MaxNodes/2), "\n", ", ") + "}", "more than 65536 nodes"},
		{"long plain", "a: " + strings.Repeat("x ", mb/2), ""},
		{"long comment", "#" + strings.Repeat("x", mb), ""},
		{"long quoted", `a: "` + strings.Repeat(`\t`, mb/2) + `"`, ""},
		{"long single", `a: '` + strings.Repeat(`''`, mb/2) + `'`, ""},
		{"many spaces", strings.Repeat(" ", mb) + "a", ""},
		{"colons", "a: " + strings.Repeat(":x", mb/2), ""},
		{"unterminated", "a: [" + strings.Repeat("'x', ", 50000), "unterminated flow collection"},
		{"many lines", strings.Repeat("\n", mb) + "a: b", ""},
		{"many keys ok", genKeys(10000), ""},
		{"duplicate late", genKeys(10000) + "k0: x\n", "k0: duplicate key"},
	} {
		_, err := Parse([]byte(tt.in))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Parse = %v, want no error", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: Parse = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// genKeys returns a block mapping of n keys k0 … kn-1.
func genKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d: v\n", i)
	}
	return b.String()
}

// designExample is DESIGN.md §5's config, the typical parse.
const designExample = `keychain: auto          # auto | keychain | wincred | secretservice | pass | file
registries:             # first match wins; a host that matches nothing is static
  - match: registry.example.com          # host[:port][/path-prefix], labels may be "*"
    provider: oauth2
    token_url: https://auth.example.com/oauth2/token
    grant: client_credentials            # or refresh_token
    scopes: [registry.pull]
    username: oauth2accesstoken          # the Username that get returns
    refresh_before: 2m                   # optional
  - match: localhost:5000
    provider: exec
    command: [/usr/local/bin/make-token, --audience, registry]   # argv, no shell
    format: plain                        # plain | helper-json | kubelet
    username: token                      # for plain
    lifetime: 10m                        # for plain: how long a printed token lives
    timeout: 10s
  - match: "*.dkr.ecr.*.amazonaws.com"
    provider: ecr
`

// TestParse_allocs keeps the parse that every get pays to a few
// allocations: the string copy, node and Content chunks, the stack.
func TestParse_allocs(t *testing.T) {
	data := []byte(designExample)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Parse(data); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 12 {
		t.Errorf("Parse(design example) made %v allocations, want at most 12", allocs)
	}
}

func BenchmarkParse(b *testing.B) {
	data := []byte(designExample)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParse checks that no input panics, that errors are
// *Error on one line with a line number inside the input, and that trees
// are well formed and within the limits.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.in))
	}
	f.Add([]byte(designExample))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		lines := 1 + strings.Count(string(data), "\n")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.Line < 1 || e.Line > lines || e.Msg == "" || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("bad error %q for %d lines", err, lines)
			}
			return
		}
		if doc.Kind != DocumentNode || len(doc.Content) > 1 {
			t.Fatalf("bad document %+v", doc)
		}
		nodes := 0
		var walk func(n *Node, depth int)
		walk = func(n *Node, depth int) {
			nodes++
			if n.Line < 1 || n.Line > lines || n.Column < 1 || depth > MaxDepth+1 {
				t.Fatalf("node %+v at depth %d out of range", n, depth)
			}
			switch n.Kind {
			case ScalarNode:
				if len(n.Content) != 0 {
					t.Fatalf("scalar with content: %+v", n)
				}
			case MappingNode:
				if len(n.Content)%2 != 0 {
					t.Fatalf("mapping with %d children", len(n.Content))
				}
				seen := map[string]bool{}
				for i := 0; i < len(n.Content); i += 2 {
					k := n.Content[i]
					if k.Kind != ScalarNode || seen[k.Value] || (k.Value == "<<" && k.Style == 0) {
						t.Fatalf("bad key %+v", k)
					}
					seen[k.Value] = true
				}
			case SequenceNode:
			default:
				t.Fatalf("bad kind %d", n.Kind)
			}
			for _, c := range n.Content {
				walk(c, depth+1)
			}
		}
		for _, c := range doc.Content {
			walk(c, 1)
		}
		if nodes >= MaxNodes {
			t.Fatalf("%d nodes", nodes)
		}
	})
}
