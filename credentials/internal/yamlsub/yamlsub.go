// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package yamlsub parses the strict subset of YAML that the config file
// needs, into a tree shaped like gopkg.in/yaml.v3's Node.
//
// It exists for start-up cost, which every helper process (one per docker
// pull) pays. Measured with callgrind (GOMAXPROCS=1,
// GODEBUG=asyncpreemptoff=1, Go 1.26, yaml.v3 v3.0.1) on a program that
// reads DESIGN.md's example config (951 bytes) and does nothing else in
// 0.34 M instructions: linking yaml.v3 adds 0.28 M at start-up, with or
// without a config file, as its package init compiles regular expressions,
// and yaml.Unmarshal into a yaml.Node 0.4 M more; this package adds no
// init work and 0.05 M for Parse. Its errors also name the construct
// that is not supported, where yaml.v3's often name a token.
//
// Supported: block mappings and block sequences (including "- key: v"
// items and sequences at their key's indentation), flow sequences and flow
// mappings ("[a, b]", "{a: b}", nested, across lines), plain, single-quoted
// and double-quoted scalars (with YAML's escapes), "#" comments, empty
// values, a leading "---" and a closing "...", CRLF line ends, a UTF-8
// byte order mark, and UTF-16 after a byte order mark. Scalars are
// resolved to tags as yaml.v3 resolves them (see Node.ShortTag), so "8080"
// is a string while 8080 is an int, and yes, no, on and off are strings
// (YAML 1.2).
//
// Everything else is an error naming the line, never a different reading.
// The differential fuzz targets (FuzzDiff, FuzzDiffTokens) hold the package
// to yaml.v3, a test-only dependency: what yaml.v3 rejects, Parse rejects
// (control characters, invalid UTF-8, bad indentation, keys that repeat
// one's text, ...), and what both accept is the same tree: kinds, values,
// resolved tags, quoting and flow styles, lines and columns (a column here
// counts bytes, in yaml.v3 characters). Parse rejects, although yaml.v3
// reads them (TestParse_subset has an example of each):
//   - anchors and aliases, tags, block scalars (| and >), complex keys (?),
//     merge keys (<<) and directives (%);
//   - multi-line scalars: a plain or quoted scalar that goes on to the
//     next line, in block or flow context;
//   - a second document, and content on the "---" line;
//   - tabs in indentation, even on a blank line or inside a flow
//     collection;
//   - key: value pairs in a flow sequence ("[a: b]");
//   - a "#" right after a quoted scalar or a flow collection ("[a]#b");
//   - the line breaks U+0085, U+2028 and U+2029, and a byte order mark
//     after the start;
//   - keys that are equal as values: plain keys that are not strings are
//     compared by value too, so 1 and 0x1, or ~ and null, are duplicates
//     (yaml.v3 keeps the last of them), as are two timestamps of the same
//     instant in two zones (yaml.v3 keeps both);
//   - nesting deeper than MaxDepth, and more than MaxNodes nodes.
//
// A key's ":" must be on the key's line and at most 1024 characters after
// its start, as in YAML. Parsing takes time linear in the input's size and
// never panics.
package yamlsub

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits against hostile input. A real config file has a depth of five and
// a few hundred nodes.
const (
	// MaxDepth bounds how deeply collections nest.
	MaxDepth = 64
	// MaxNodes bounds the number of nodes in a document.
	MaxNodes = 1 << 16
)

// Kind is the kind of a Node.
type Kind uint8

// Kinds of nodes, named as in yaml.v3.
const (
	DocumentNode Kind = iota + 1
	SequenceNode
	MappingNode
	ScalarNode
)

// Style says how a node was written, as far as it matters: whether a scalar
// was quoted, and whether a collection was written in flow style.
type Style uint8

// Styles of nodes, named as in yaml.v3; the zero Style is plain (scalars)
// or block (collections).
const (
	SingleQuotedStyle Style = 1 << iota
	DoubleQuotedStyle
	FlowStyle
)

// Node is one node of a parsed document.
type Node struct {
	// Kind is the node's kind.
	Kind Kind
	// Style records quoting of scalars and flow style of collections.
	Style Style
	// Value is a scalar's text, quotes removed and escapes decoded.
	Value string
	// Line and Column locate the node's first character: 1-based, the
	// column counted in bytes. An empty value is placed just after its
	// key's ":" (or its item's "-").
	Line, Column int
	// Content holds a document's single node (none when the document is
	// empty), a sequence's items, or a mapping's keys and values
	// alternately.
	Content []*Node
}

// Tags that ShortTag returns, as yaml.v3 spells them.
const (
	NullTag      = "!!null"
	BoolTag      = "!!bool"
	StrTag       = "!!str"
	IntTag       = "!!int"
	FloatTag     = "!!float"
	TimestampTag = "!!timestamp"
	SeqTag       = "!!seq"
	MapTag       = "!!map"
	MergeTag     = "!!merge"
)

// ShortTag returns the node's resolved tag, as yaml.v3's Node.ShortTag does
// for untagged nodes: quoted scalars are strings, and plain scalars are
// null ("", ~, null), bool (true, false in three casings), int, float,
// timestamp (a date or date-time), merge ("<<") or else string. A
// document has no tag.
func (n *Node) ShortTag() string {
	switch n.Kind {
	case MappingNode:
		return MapTag
	case SequenceNode:
		return SeqTag
	case ScalarNode:
		if n.Style&(SingleQuotedStyle|DoubleQuotedStyle) != 0 {
			return StrTag
		}
		return resolve(n.Value)
	}
	return ""
}

// Error is a syntax error, or input this package does not support.
type Error struct {
	// Line is the 1-based line the error is on.
	Line int
	// Key is the mapping key the error is about (a duplicate or merge
	// key), or "".
	Key string
	// Msg says what is wrong, on one line.
	Msg string
}

func (e *Error) Error() string {
	if e.Key != "" {
		return fmt.Sprintf("yaml: line %d: %s: %s", e.Line, e.Key, e.Msg)
	}
	return fmt.Sprintf("yaml: line %d: %s", e.Line, e.Msg)
}

// Parse parses data, which must hold at most one document, and returns a
// DocumentNode. An empty document (nothing but comments, blank lines and
// markers) has no Content. Every error is an *Error.
func Parse(data []byte) (doc *Node, err error) {
	p := parser{line: 1, stack: make([]*Node, 0, 32)}
	switch {
	case len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff):
		if p.src, err = fromUTF16(data); err != nil {
			return nil, err
		}
	default:
		p.src = strings.TrimPrefix(string(data), "\uFEFF")
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			doc, err = nil, e.err
		}
	}()
	return p.document(), nil
}

// bailout carries an *Error up the parser's recursion to Parse, as
// go/parser and text/template do; it never leaves Parse.
type bailout struct{ err *Error }

type parser struct {
	src       string
	pos       int // next byte to read
	line      int // 1-based line of pos
	lineStart int // offset of the line's first byte
	indent    int // after peek: the content line's indentation
	started   bool
	nodes     []Node  // unused nodes of the current chunk
	ptrs      []*Node // unused Content slots of the current chunk
	stack     []*Node // children of the collections being parsed
	count     int     // nodes so far
	mappings  int     // mappings so far, for their ids
	seen      map[mapKey]*Node
}

func (p *parser) failAt(line int, format string, args ...any) {
	panic(bailout{&Error{Line: line, Msg: fmt.Sprintf(format, args...)}})
}

func (p *parser) fail(format string, args ...any) {
	p.failAt(p.line, format, args...)
}

// check rejects what YAML does not allow anywhere: invalid UTF-8, control
// characters and a carriage return that does not end a line; and, where
// yaml.v3 reads them differently, Unicode line breaks and inner byte order
// marks.
func (p *parser) check() *Error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < ' ' && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return &Error{Line: lineOf(s, i), Msg: fmt.Sprintf("control character %U is not allowed", c)}
			}
			if c == '\r' && (i+1 == len(s) || s[i+1] != '\n') {
				return &Error{Line: lineOf(s, i), Msg: "a carriage return must be followed by a line feed"}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return &Error{Line: lineOf(s, i), Msg: "invalid UTF-8"}
		case r >= 0x80 && r <= 0x9f && r != 0x85, r == 0xfffe, r == 0xffff:
			return &Error{Line: lineOf(s, i), Msg: fmt.Sprintf("control character %U is not allowed", r)}
		case r == 0x85 || r == 0x2028 || r == 0x2029:
			// yaml.v3 (YAML 1.1) reads these as line breaks.
			return &Error{Line: lineOf(s, i), Msg: fmt.Sprintf("line break character %U is not supported", r)}
		case r == 0xfeff:
			// yaml.v3 skips it at the start of a line, not elsewhere.
			return &Error{Line: lineOf(s, i), Msg: "a byte order mark (U+FEFF) is allowed only at the start"}
		}
		i += size
	}
	return nil
}

// fromUTF16 decodes data, UTF-16 after a byte order mark (PowerShell 5
// writes files so), as yaml.v3 does.
func fromUTF16(data []byte) (string, error) {
	if len(data)%2 != 0 {
		return "", &Error{Line: 1, Msg: "invalid UTF-16: odd length"}
	}
	be := data[0] == 0xfe
	b := make([]byte, 0, len(data))
	line := 1
	for i := 2; i < len(data); i += 2 {
		r := rune(data[i])<<8 | rune(data[i+1])
		if !be {
			r = rune(data[i+1])<<8 | rune(data[i])
		}
		if utf16.IsSurrogate(r) {
			var r2 rune = utf8.RuneError
			if i += 2; i < len(data) {
				r2 = rune(data[i])<<8 | rune(data[i+1])
				if !be {
					r2 = rune(data[i+1])<<8 | rune(data[i])
				}
			}
			if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
				return "", &Error{Line: line, Msg: "invalid UTF-16: unpaired surrogate"}
			}
		}
		if r == '\n' {
			line++
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b), nil
}

func lineOf(s string, i int) int {
	return 1 + strings.Count(s[:i], "\n")
}

// node returns a new node from the current chunk; nodes are allocated in
// chunks to keep a parse to a handful of allocations.
func (p *parser) node(kind Kind, style Style, line, col int) *Node {
	if p.count++; p.count > MaxNodes {
		p.failAt(line, "more than %d nodes", MaxNodes)
	}
	if len(p.nodes) == 0 {
		p.nodes = make([]Node, min(max(p.count, 32), 512)) // doubling, up to a bound
	}
	n := &p.nodes[0]
	p.nodes = p.nodes[1:]
	n.Kind, n.Style, n.Line, n.Column = kind, style, line, col
	return n
}

// finish moves the children pushed since base into n.Content.
func (p *parser) finish(n *Node, base int) {
	k := len(p.stack) - base
	if k == 0 {
		return
	}
	if len(p.ptrs) < k {
		p.ptrs = make([]*Node, max(k, 64))
	}
	n.Content = p.ptrs[:k:k]
	p.ptrs = p.ptrs[k:]
	copy(n.Content, p.stack[base:])
	clear(p.stack[base:])
	p.stack = p.stack[:base]
}

// at returns the byte at pos+i, or 0 past the end (check has rejected
// NUL bytes, so 0 means the end).
func (p *parser) at(i int) byte {
	if p.pos+i < len(p.src) {
		return p.src[p.pos+i]
	}
	return 0
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) col() int { return p.pos - p.lineStart + 1 }

// blankAt reports whether the byte at pos+i ends a token in block context:
// a space, a tab, a line end or the end of input.
func (p *parser) blankAt(i int) bool {
	switch p.at(i) {
	case ' ', '\t', '\r', '\n', 0:
		return true
	}
	return false
}

func (p *parser) skipSpaces() (n int) {
	for !p.eof() && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
		n++
	}
	return n
}

// afterSpace reports whether pos is at the start of a line or after white
// space, where "#" starts a comment.
func (p *parser) afterSpace() bool {
	return p.pos == p.lineStart || p.src[p.pos-1] == ' ' || p.src[p.pos-1] == '\t'
}

// newline consumes a line end at pos, if there is one.
func (p *parser) newline() bool {
	switch {
	case p.at(0) == '\n':
		p.pos++
	case p.at(0) == '\r' && p.at(1) == '\n':
		p.pos += 2
	default:
		return false
	}
	p.line++
	p.lineStart = p.pos
	return true
}

func (p *parser) skipComment() {
	if i := strings.IndexByte(p.src[p.pos:], '\n'); i >= 0 {
		p.pos += i
		if p.pos > 0 && p.src[p.pos-1] == '\r' {
			p.pos--
		}
	} else {
		p.pos = len(p.src)
	}
}

// endLine checks that the rest of the line is blank or a comment, and
// moves to the next line.
func (p *parser) endLine() {
	if p.skipSpaces(); p.at(0) == '#' && p.afterSpace() {
		p.skipComment()
	}
	if !p.newline() && !p.eof() {
		if p.at(0) == ':' {
			p.fail("mapping values are not allowed in this context")
		}
		p.fail("unexpected %s after the value", quoteChar(p.src[p.pos:]))
	}
}

// peek moves to the first character of the next line with content,
// skipping blank and comment lines and handling document markers, and sets
// p.indent. At the end of input, it leaves eof() true.
func (p *parser) peek() {
	for !p.eof() {
		n := p.indentation()
		if p.eof() || p.newline() {
			continue
		} else if p.at(0) == '#' {
			p.skipComment()
			p.newline()
			continue
		}
		if n == 0 && p.marker() {
			continue
		}
		p.started = true
		p.indent = n
		return
	}
}

// indentation skips the spaces at the start of a line and returns how many
// there were. A tab among them is an error, as in yaml.v3, even on a blank
// line.
func (p *parser) indentation() int {
	n := 0
	for p.at(n) == ' ' {
		n++
	}
	p.pos += n
	if p.at(0) == '\t' {
		p.fail("tabs are not allowed in indentation")
	}
	return n
}

// marker handles a "---" or "..." line at pos; it reports whether there
// was one.
func (p *parser) marker() bool {
	rest := p.src[p.pos:]
	if !(strings.HasPrefix(rest, "---") || strings.HasPrefix(rest, "...")) || !p.blankAt(3) {
		return false
	}
	if rest[0] == '-' {
		if p.started {
			p.fail("more than one document")
		}
		p.started = true
		p.pos += 3
		if n := p.skipSpaces(); !(p.at(0) == '#' && n > 0) && !p.blankAt(0) {
			p.fail("content on the --- line is not supported")
		}
		p.endLine()
		return true
	}
	// "..." ends the document: only comments may follow.
	if !p.started {
		p.fail("document end (...) without a document")
	}
	line := p.line
	p.pos += 3
	p.endLine()
	if p.peekNoMarker(); !p.eof() {
		p.failAt(line, "content after the document end (...)")
	}
	return true
}

// peekNoMarker is peek without document markers, for after "...".
func (p *parser) peekNoMarker() {
	for !p.eof() {
		p.indentation()
		if p.eof() || p.newline() {
			continue
		}
		if p.at(0) != '#' {
			return
		}
		p.skipComment()
		p.newline()
	}
}

func (p *parser) document() *Node {
	doc := p.node(DocumentNode, 0, 1, 1)
	p.peek()
	if p.eof() {
		return doc
	}
	doc.Line, doc.Column = p.line, p.col()
	col := p.indent
	p.stack = append(p.stack, p.block(1))
	if !p.eof() {
		if p.indent == col {
			p.fail("unexpected content after the top-level node (multi-line scalars are not supported)")
		}
		p.fail("bad indentation")
	}
	p.finish(doc, 0)
	return doc
}

// block parses the node at pos, the first content of its line or the
// content after a "- " on it. It returns with the parser on the next
// content line (see peek).
func (p *parser) block(depth int) *Node {
	if depth > MaxDepth {
		p.fail("nested more than %d levels deep", MaxDepth)
	}
	col := p.pos - p.lineStart
	if p.at(0) == '-' && p.blankAt(1) {
		return p.sequence(col, depth, false)
	}
	n := p.inline(depth, false)
	p.skipSpaces()
	if p.at(0) == ':' && p.blankAt(1) {
		if n.Kind != ScalarNode {
			p.fail("complex keys are not supported (a key must be a scalar)")
		}
		p.implicitKey(n)
		return p.mapping(n, col, depth)
	}
	p.endLine()
	p.peek()
	return n
}

// sequence parses a block sequence whose items' "-" are at column col;
// inMapping says that it is the value of a key at that same column, so a
// line there without "-" ends it.
func (p *parser) sequence(col, depth int, inMapping bool) *Node {
	s := p.node(SequenceNode, 0, p.line, p.col())
	base := len(p.stack)
	for {
		line, c := p.line, p.col()
		p.pos++ // the "-"
		for p.at(0) == ' ' {
			p.pos++
		}
		if p.at(0) == '\t' {
			p.fail("tabs are not allowed in indentation")
		}
		if p.at(0) == '#' || p.blankAt(0) {
			p.endLine()
			p.peek()
			if !p.eof() && p.indent > col {
				p.stack = append(p.stack, p.block(depth+1))
			} else {
				p.stack = append(p.stack, p.node(ScalarNode, 0, line, c+1))
			}
		} else {
			p.stack = append(p.stack, p.block(depth+1))
		}
		if p.eof() || p.indent < col {
			break
		}
		if p.indent > col {
			p.fail("bad indentation of a sequence item")
		}
		if p.at(0) != '-' || !p.blankAt(1) {
			if inMapping {
				break
			}
			p.fail("expected a sequence item (- ) at this indentation")
		}
	}
	p.finish(s, base)
	return s
}

// mapping parses a block mapping whose keys are at column col; key is its
// first key, already parsed, and pos is at the ":" after it.
func (p *parser) mapping(key *Node, col, depth int) *Node {
	m := p.node(MappingNode, 0, key.Line, key.Column)
	base := len(p.stack)
	p.mappings++
	id := p.mappings
	for {
		p.pos++ // the ":"
		p.addKey(id, base, key)
		p.stack = append(p.stack, p.value(key, col, depth+1))
		if p.eof() || p.indent < col {
			break
		}
		if p.indent > col {
			p.fail("bad indentation of a mapping entry (multi-line scalars are not supported)")
		}
		if p.at(0) == '-' && p.blankAt(1) {
			p.fail("a sequence item where a mapping key was expected")
		}
		key = p.inline(depth, false)
		p.skipSpaces()
		if key.Kind != ScalarNode {
			p.fail("complex keys are not supported (a key must be a scalar)")
		}
		if p.at(0) != ':' || !p.blankAt(1) {
			p.fail("could not find expected ':' (multi-line scalars are not supported)")
		}
		p.implicitKey(key)
	}
	p.finish(m, base)
	return m
}

// value parses a block mapping's value; pos is just after the ":".
func (p *parser) value(key *Node, col, depth int) *Node {
	if depth > MaxDepth {
		p.fail("nested more than %d levels deep", MaxDepth)
	}
	line, c := p.line, p.col()
	if p.skipSpaces(); p.at(0) == '#' || p.blankAt(0) {
		p.endLine()
		p.peek()
		switch {
		case p.eof():
		case p.indent > col:
			return p.block(depth)
		case p.indent == col && p.at(0) == '-' && p.blankAt(1):
			return p.sequence(col, depth, true)
		}
		return p.node(ScalarNode, 0, line, c)
	}
	if p.at(0) == '-' && p.blankAt(1) {
		p.fail("block sequence entries are not allowed in this context")
	}
	n := p.inline(depth, false)
	p.skipSpaces()
	if p.at(0) == ':' && p.blankAt(1) {
		p.fail("mapping values are not allowed in this context")
	}
	p.endLine()
	p.peek()
	return n
}

// addKey checks key, the next key of the mapping id whose children start at
// base in the stack, and pushes it. Keys are compared by text, so "1" and 1
// count as the same key (yaml.v3 rejects them too), and plain keys that are
// not strings also by value, so 1 and 0x1 count as the same key (yaml.v3
// would keep one of them).
func (p *parser) addKey(id, base int, key *Node) {
	if key.Style == 0 && key.Value == "<<" {
		panic(bailout{&Error{Line: key.Line, Key: key.Value, Msg: "merge keys are not supported"}})
	}
	keys := p.stack[base:]
	kv := keyValue(key)
	var dup *Node
	if n := len(keys) / 2; n < 16 { // linear for the small mappings of a config file
		for i := 0; i < len(keys) && dup == nil; i += 2 {
			if keys[i].Value == key.Value || kv != "" && keyValue(keys[i]) == kv {
				dup = keys[i]
			}
		}
	} else { // a map beyond, so that hostile input stays linear
		if p.seen == nil {
			p.seen = make(map[mapKey]*Node)
		}
		if n == 16 {
			for i := 0; i < len(keys); i += 2 {
				p.seen[mapKey{id, keys[i].Value}] = keys[i]
				if v := keyValue(keys[i]); v != "" {
					p.seen[mapKey{id, v}] = keys[i]
				}
			}
		}
		if dup = p.seen[mapKey{id, key.Value}]; dup == nil && kv != "" {
			dup = p.seen[mapKey{id, kv}]
		}
		p.seen[mapKey{id, key.Value}] = key
		if kv != "" {
			p.seen[mapKey{id, kv}] = key
		}
	}
	switch {
	case dup == nil:
		p.stack = append(p.stack, key)
	case dup.Value == key.Value:
		panic(bailout{&Error{Line: key.Line, Key: key.Value, Msg: "duplicate key"}})
	default:
		panic(bailout{&Error{Line: key.Line, Key: key.Value, Msg: fmt.Sprintf(
			"duplicate key (the same %s as %s on line %d)", strings.TrimPrefix(key.ShortTag(), "!!"), dup.Value, dup.Line)}})
	}
}

// keyValue returns the value of a plain key that is not a string, for
// addKey: its tag and resolveValue's spelling after a byte that no text
// holds (0xff is never in UTF-8). It returns "" for other keys, which are
// compared by text alone.
func keyValue(n *Node) string {
	if n.Style != 0 || n.Value != "" && strings.IndexByte("~nNtTfF.+-0123456789", n.Value[0]) < 0 {
		return "" // quoted, or a plain string by its first byte
	}
	tag, v := resolveValue(n.Value, true)
	if v == "" {
		return ""
	}
	return "\xff" + tag + " " + v
}

// implicitKey checks key, a mapping key whose ":" is at pos. As YAML has
// it, the ":" must be on the key's line and at most 1024 characters after
// the key's start (yaml.v3 reads a longer key as a plain scalar, or
// fails).
func (p *parser) implicitKey(key *Node) {
	if key.Line != p.line {
		p.fail("the ':' after a key must be on the key's line")
	}
	start := p.lineStart + key.Column - 1
	if p.pos-start > 1024 && utf8.RuneCountInString(p.src[start:p.pos]) > 1024 {
		p.failAt(key.Line, "a key longer than 1024 characters (counted to its ':')")
	}
}

// mapKey identifies a key within the mapping with the given id.
type mapKey struct {
	id  int
	key string
}

// inline parses a scalar or a flow collection at pos; flow says that pos is
// inside a flow collection.
func (p *parser) inline(depth int, flow bool) *Node {
	c := p.at(0)
	switch c {
	case '[', '{':
		return p.flow(depth)
	case '\'':
		return p.single()
	case '"':
		return p.double()
	case '&', '*':
		p.fail("anchors and aliases (& and *) are not supported")
	case '!':
		p.fail("tags (!) are not supported")
	case '|', '>':
		p.fail("block scalars (| and >) are not supported")
	case '%':
		p.fail("directives (%%) are not supported")
	case '?':
		if p.blankAt(1) || flow {
			p.fail("complex keys (?) are not supported")
		}
	case ':':
		if p.blankAt(1) || flow {
			p.fail("unexpected ':'")
		}
	case '-':
		if p.blankAt(1) {
			p.fail("unexpected '-'")
		}
	case '#', ',', ']', '}', '@', '`':
		p.fail("%s cannot start a plain scalar (quote the value)", quoteChar(p.src[p.pos:]))
	case 0:
		p.fail("unexpected end of input")
	}
	return p.plain(flow)
}

// quoteChar quotes the first character of s for a message.
func quoteChar(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return strconv.QuoteRune(r)
}

// plain parses a plain scalar, which ends at a line end, at ": " or
// " #", and in flow context also at ",?[]{}" (so, as in yaml.v3, "{a:}"
// is the key "a:").
func (p *parser) plain(flow bool) *Node {
	n := p.node(ScalarNode, 0, p.line, p.col())
	start, end := p.pos, p.pos
scan:
	for ; !p.eof(); p.pos++ {
		switch p.src[p.pos] {
		case '\r', '\n':
			break scan
		case ' ', '\t':
			continue // not part of the value unless more follows
		case '#':
			if c := p.src[p.pos-1]; c == ' ' || c == '\t' {
				break scan
			}
		case ':':
			if p.blankAt(1) {
				break scan
			}
		case ',', '?', '[', ']', '{', '}':
			if flow {
				break scan
			}
		}
		end = p.pos + 1
	}
	p.pos = end
	n.Value = p.src[start:end]
	return n
}

// single parses a single-quoted scalar, in which a doubled quote stands
// for one.
func (p *parser) single() *Node {
	n := p.node(ScalarNode, SingleQuotedStyle, p.line, p.col())
	p.pos++
	start := p.pos
	var b []byte
	for {
		i := strings.IndexAny(p.src[p.pos:], "'\r\n")
		if i < 0 || p.src[p.pos+i] != '\'' {
			p.fail("unterminated single-quoted scalar (multi-line scalars are not supported)")
		}
		p.pos += i
		if p.at(1) != '\'' {
			break
		}
		b = append(b, p.src[start:p.pos+1]...)
		p.pos += 2
		start = p.pos
	}
	if b == nil {
		n.Value = p.src[start:p.pos]
	} else {
		n.Value = string(append(b, p.src[start:p.pos]...))
	}
	p.pos++
	return n
}

// double parses a double-quoted scalar and its escapes.
func (p *parser) double() *Node {
	n := p.node(ScalarNode, DoubleQuotedStyle, p.line, p.col())
	p.pos++
	start := p.pos
	var b []byte
	escaped := false
	for {
		i := strings.IndexAny(p.src[p.pos:], "\"\\\r\n")
		if i < 0 || p.src[p.pos+i] == '\r' || p.src[p.pos+i] == '\n' {
			p.fail("unterminated double-quoted scalar (multi-line scalars are not supported)")
		}
		p.pos += i
		if p.src[p.pos] == '"' {
			break
		}
		b = append(b, p.src[start:p.pos]...)
		escaped = true
		p.pos++
		c := p.at(0)
		p.pos++
		size := 0
		switch c {
		case '0':
			b = append(b, 0)
		case 'a':
			b = append(b, '\a')
		case 'b':
			b = append(b, '\b')
		case 't', '\t':
			b = append(b, '\t')
		case 'n':
			b = append(b, '\n')
		case 'v':
			b = append(b, '\v')
		case 'f':
			b = append(b, '\f')
		case 'r':
			b = append(b, '\r')
		case 'e':
			b = append(b, 0x1b)
		case ' ', '"', '\'', '\\':
			b = append(b, c)
		case 'N':
			b = utf8.AppendRune(b, 0x85)
		case '_':
			b = utf8.AppendRune(b, 0xa0)
		case 'L':
			b = utf8.AppendRune(b, 0x2028)
		case 'P':
			b = utf8.AppendRune(b, 0x2029)
		case 'x':
			size = 2
		case 'u':
			size = 4
		case 'U':
			size = 8
		case '\r', '\n', 0:
			p.fail("unterminated double-quoted scalar (multi-line scalars are not supported)")
		default:
			p.pos--
			p.fail("unknown escape \\%s in a double-quoted scalar", strings.Trim(quoteChar(p.src[p.pos:]), "'"))
		}
		if size > 0 {
			if p.pos+size > len(p.src) {
				p.fail("short \\%c escape in a double-quoted scalar", c)
			}
			r, err := strconv.ParseUint(p.src[p.pos:p.pos+size], 16, 32)
			if err != nil {
				p.fail("bad \\%c escape in a double-quoted scalar", c)
			}
			ch := rune(r) //nolint:gosec // G115: 32 bits at most; one that wraps negative is refused next
			if !utf8.ValidRune(ch) {
				p.fail("\\%c escape of an invalid Unicode character", c)
			}
			b = utf8.AppendRune(b, ch)
			p.pos += size
		}
		start = p.pos
	}
	if escaped {
		n.Value = string(append(b, p.src[start:p.pos]...))
	} else {
		n.Value = p.src[start:p.pos]
	}
	p.pos++
	return n
}

// flow parses a flow sequence or mapping.
func (p *parser) flow(depth int) *Node {
	if depth > MaxDepth {
		p.fail("nested more than %d levels deep", MaxDepth)
	}
	kind, end, id := SequenceNode, byte(']'), 0
	if p.at(0) == '{' {
		p.mappings++
		kind, end, id = MappingNode, '}', p.mappings
	}
	n := p.node(kind, FlowStyle, p.line, p.col())
	base := len(p.stack)
	p.pos++
	for {
		p.flowSpace()
		if p.at(0) == end {
			p.pos++
			break
		}
		if p.eof() {
			p.failAt(n.Line, "unterminated flow collection (no closing %c)", end)
		}
		item := p.inline(depth+1, true)
		p.flowSpace()
		if kind == SequenceNode {
			if p.at(0) == ':' {
				p.fail("key: value pairs in a flow sequence are not supported")
			}
			p.stack = append(p.stack, item)
		} else {
			if item.Kind != ScalarNode {
				p.fail("complex keys are not supported (a key must be a scalar)")
			}
			p.addKey(id, base, item)
			switch c := p.at(0); {
			case c == ':':
				p.implicitKey(item)
				p.pos++
				p.flowSpace()
			case c != ',' && c != end:
				p.fail("could not find expected ':' after a flow mapping key (multi-line scalars are not supported)")
			}
			if c := p.at(0); c == ',' || c == end { // {a: } or {a}
				p.stack = append(p.stack, p.node(ScalarNode, 0, p.line, p.col()))
			} else {
				p.stack = append(p.stack, p.inline(depth+1, true))
				p.flowSpace()
			}
		}
		if p.at(0) == ',' {
			p.pos++
			continue
		}
		if p.at(0) == end {
			p.pos++
			break
		}
		if p.eof() {
			p.failAt(n.Line, "unterminated flow collection (no closing %c)", end)
		}
		p.fail("did not find expected ',' or '%c' (multi-line scalars are not supported)", end)
	}
	p.finish(n, base)
	return n
}

// flowSpace skips white space, comments and line ends inside a flow
// collection. As in yaml.v3, the indentation of continuation lines does not
// matter (the brackets delimit the collection), but tabs in it do.
func (p *parser) flowSpace() {
	for {
		p.skipSpaces()
		switch p.at(0) {
		case '#':
			if !p.afterSpace() {
				return
			}
			p.skipComment()
		case '\r', '\n':
			p.newline()
			if p.indentation() == 0 && p.marker0() {
				p.fail("document marker inside a flow collection")
			}
		default:
			return
		}
	}
}

// marker0 reports whether pos is at a "---" or "..." marker.
func (p *parser) marker0() bool {
	rest := p.src[p.pos:]
	return (strings.HasPrefix(rest, "---") || strings.HasPrefix(rest, "...")) && p.blankAt(3)
}

// resolve returns the tag of a plain scalar, as yaml.v3's resolve does for
// untagged values.
func resolve(s string) string {
	tag, _ := resolveValue(s, false)
	return tag
}

// resolveValue returns the tag of the plain scalar s and, if value is set
// and s is not a string, the value yaml.v3 decodes it to, spelled so that
// two scalars of a tag decode to equal map keys when their spellings are
// equal: 0x1F and 31 are "31", ~ and null "null", 1e3 and 1000.0 "1000",
// and timestamps are spelled by their instant in UTC (so equal instants in
// two zones count as equal, more than yaml.v3 does). A NaN has no spelling:
// it equals nothing, as in a Go map.
func resolveValue(s string, value bool) (tag, v string) {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return NullTag, "null"
	case "true", "True", "TRUE":
		return BoolTag, "true"
	case "false", "False", "FALSE":
		return BoolTag, "false"
	case "<<":
		return MergeTag, "" // as a key, rejected by the parser
	case ".nan", ".NaN", ".NAN":
		return FloatTag, ""
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return FloatTag, "+Inf"
	case "-.inf", "-.Inf", "-.INF":
		return FloatTag, "-Inf"
	}
	switch c := s[0]; {
	case c == '.':
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return FloatTag, floatValue(f, value)
		}
	case c == '+' || c == '-' || '0' <= c && c <= '9':
		if t, ok := timestamp(s); ok {
			if value {
				v = t.UTC().Format(time.RFC3339Nano)
			}
			return TimestampTag, v
		}
		plain := strings.ReplaceAll(s, "_", "")
		if neg, mag, ok := parseInt(plain); ok {
			if value {
				v = strconv.FormatUint(mag, 10)
				if neg && mag != 0 {
					v = "-" + v
				}
			}
			return IntTag, v
		}
		if isYAMLFloat(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return FloatTag, floatValue(f, value)
			}
		}
	}
	return StrTag, ""
}

// floatValue spells f for resolveValue.
func floatValue(f float64, value bool) string {
	switch {
	case !value || f != f:
		return ""
	case f == 0:
		return "0" // -0 too: they are equal map keys
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// parseInt parses plain (a plain scalar without its "_") as yaml.v3 reads
// an int: as Go source does (0x, 0o, 0b, and 0 for octal), then after a 0b
// or 0o prefix with a sign after it ("0b-101" is -5). It returns the value
// as a sign and a magnitude.
func parseInt(plain string) (neg bool, mag uint64, ok bool) {
	if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return signed(i)
	}
	if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return false, u, true
	}
	for _, prefix := range [...]struct {
		s    string
		base int
	}{{"0b", 2}, {"-0b", 2}, {"0o", 8}, {"-0o", 8}} {
		digits, ok := strings.CutPrefix(plain, prefix.s)
		if !ok {
			continue
		}
		if prefix.s[0] == '-' {
			digits = "-" + digits
		}
		if i, err := strconv.ParseInt(digits, prefix.base, 64); err == nil {
			return signed(i)
		}
		if u, err := strconv.ParseUint(digits, prefix.base, 64); err == nil {
			return false, u, true
		}
	}
	return false, 0, false
}

func signed(i int64) (neg bool, mag uint64, ok bool) {
	if i < 0 {
		return true, uint64(-i), true // -MinInt64 wraps to the right magnitude
	}
	return false, uint64(i), true
}

// isYAMLFloat matches ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$,
// yaml.v3's yamlStyleFloat.
func isYAMLFloat(s string) bool {
	digits := func() int {
		n := 0
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		s = s[n:]
		return n
	}
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s != "" && s[0] == '.' {
		s = s[1:]
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if s != "" && s[0] == '.' {
			s = s[1:]
			digits()
		}
	}
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s != "" && (s[0] == '-' || s[0] == '+') {
			s = s[1:]
		}
		if digits() == 0 {
			return false
		}
	}
	return s == ""
}

// timestampFormats are those yaml.v3 resolves plain scalars with.
var timestampFormats = [...]string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

// timestamp parses s as yaml.v3 resolves a !!timestamp.
func timestamp(s string) (time.Time, bool) {
	if len(s) < 5 || s[4] != '-' {
		return time.Time{}, false
	}
	for i := range 4 {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
	}
	for _, f := range timestampFormats {
		if t, err := time.Parse(f, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
