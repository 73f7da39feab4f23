// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package dockercfg finds, reads and edits the Docker and containers/image
// config files (config.json, auth.json): an edit rewrites only the members
// it touches, and a file is replaced atomically.
package dockercfg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker-credential-mint/mint/store/atomicfile"
	"github.com/docker-credential-mint/mint/store/trust"
)

// Object is a JSON object's text cut into members, so that an edit
// rewrites only the members it touches: every other byte (unknown keys, key
// order, indentation, the trailing newline) stays as it was. configure,
// configure --undo and import edit the Docker and containers config files
// through it; Docker itself would rewrite the whole file.
type Object struct {
	head    string // before '{' (top level: leading white space)
	members []jsonMember
	close   string // white space before '}'
	tail    string // after '}' (top level: the trailing newline)
	indent  string // one level of indentation, "" for compact text
	depth   int
}

// NewObject returns an empty object, tab-indented, as a new file's text.
func NewObject() *Object { return &Object{indent: "\t", tail: "\n"} }

// Member is a member's name and value, as Members returns them.
type Member struct {
	Key   string
	Value json.RawMessage
}

// Members returns o's members in order.
func (o *Object) Members() []Member {
	out := make([]Member, len(o.members))
	for i, m := range o.members {
		out[i] = Member{Key: m.key, Value: m.value}
	}
	return out
}

// jsonMember is one "key": value of an object. lead is the text before the
// key: white space for the first member, a comma and white space after.
type jsonMember struct {
	lead, rawKey, colon string
	key                 string
	value               json.RawMessage
}

// Parse cuts text, which must be one JSON object, into members.
func Parse(text []byte) (*Object, error) {
	if !json.Valid(text) {
		var v any
		err := json.Unmarshal(text, &v)
		if err == nil {
			err = errors.New("not valid JSON")
		}
		return nil, err
	}
	o, err := cutObject(string(text), 0, "")
	if err != nil {
		return nil, err
	}
	o.indent = detectIndent(o)
	return o, nil
}

// cutObject cuts valid JSON text holding one object at depth.
func cutObject(s string, depth int, indent string) (*Object, error) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	o := &Object{head: s[:i], depth: depth, indent: indent}
	i++
	for {
		j := skipSpace(s, i)
		if s[j] == '}' {
			o.close = s[i:j]
			o.tail = s[j+1:]
			return o, nil
		}
		var m jsonMember
		if s[j] == ',' {
			j = skipSpace(s, j+1)
		}
		m.lead = s[i:j]
		end := stringEnd(s, j)
		m.rawKey = s[j:end]
		if err := json.Unmarshal([]byte(m.rawKey), &m.key); err != nil {
			return nil, err
		}
		k := skipSpace(s, end)
		k = skipSpace(s, k+1) // past ':'
		m.colon = s[end:k]
		dec := json.NewDecoder(strings.NewReader(s[k:]))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		vend := k + int(dec.InputOffset())
		m.value = json.RawMessage(s[k:vend])
		o.members = append(o.members, m)
		i = vend
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the JSON string starting at s[i].
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}

// detectIndent finds the file's indentation unit from the top level's first
// member ("\t" as Docker writes, "  ", or "" for compact text).
func detectIndent(o *Object) string {
	if len(o.members) == 0 {
		return "\t"
	}
	lead := o.members[0].lead
	if i := strings.LastIndexByte(lead, '\n'); i >= 0 {
		return lead[i+1:]
	}
	return ""
}

// Bytes renders the object.
func (o *Object) Bytes() []byte {
	var b strings.Builder
	b.WriteString(o.head)
	b.WriteByte('{')
	for _, m := range o.members {
		b.WriteString(m.lead)
		b.WriteString(m.rawKey)
		b.WriteString(m.colon)
		b.Write(m.value)
	}
	if len(o.members) > 0 {
		b.WriteString(o.close)
	}
	b.WriteByte('}')
	b.WriteString(o.tail)
	return []byte(b.String())
}

// find returns the index of the last member named key (encoding/json
// keeps the last of duplicate keys), or -1.
func (o *Object) find(key string) int {
	for i := len(o.members) - 1; i >= 0; i-- {
		if o.members[i].key == key {
			return i
		}
	}
	return -1
}

// Get returns key's value.
func (o *Object) Get(key string) (json.RawMessage, bool) {
	if i := o.find(key); i >= 0 {
		return o.members[i].value, true
	}
	return nil, false
}

// GetString returns key's value when it is a string.
func (o *Object) GetString(key string) (string, bool) {
	raw, ok := o.Get(key)
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// Child returns key's value as an object to edit, nested one level deeper;
// nil when key is absent or not an object.
func (o *Object) Child(key string) *Object {
	raw, ok := o.Get(key)
	if !ok {
		return nil
	}
	c, err := cutObject(string(raw), o.depth+1, o.indent)
	if err != nil {
		return nil
	}
	return c
}

// NewChild returns an empty object to be set as a member's value.
func (o *Object) NewChild() *Object {
	return &Object{depth: o.depth + 1, indent: o.indent}
}

// Set replaces key's value in place, or appends key after the last member
// in the style of the others.
func (o *Object) Set(key string, value json.RawMessage) {
	if i := o.find(key); i >= 0 {
		o.members[i].value = value
		return
	}
	rawKey, _ := json.Marshal(key)
	m := jsonMember{rawKey: string(rawKey), key: key, value: value}
	if n := len(o.members); n > 0 {
		last := o.members[n-1]
		m.lead = "," + strings.TrimPrefix(last.lead, ",")
		m.colon = last.colon
	} else if o.indent == "" {
		m.colon = ":" // compact text stays compact
	} else {
		m.lead = "\n" + strings.Repeat(o.indent, o.depth+1)
		m.colon = ": "
		o.close = "\n" + strings.Repeat(o.indent, o.depth)
	}
	o.members = append(o.members, m)
}

// SetString sets key to the JSON string v.
func (o *Object) SetString(key, v string) {
	raw, _ := json.Marshal(v)
	o.Set(key, raw)
}

// SetChild sets key to the rendered child object.
func (o *Object) SetChild(key string, c *Object) { o.Set(key, c.Bytes()) }

// Remove deletes every member named key; it reports whether there was one.
func (o *Object) Remove(key string) bool {
	found := false
	for i := len(o.members) - 1; i >= 0; i-- {
		if o.members[i].key != key {
			continue
		}
		found = true
		if i == 0 && len(o.members) > 1 {
			o.members[1].lead = o.members[0].lead
		}
		o.members = append(o.members[:i], o.members[i+1:]...)
	}
	return found
}

// ReadFile reads and cuts a JSON config file. A missing file is
// (nil, fs.ErrNotExist); an empty one is an empty object, as Docker reads it.
func ReadFile(path string) (*Object, fs.FileMode, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return &Object{indent: "\t", tail: "\n"}, fi.Mode().Perm(), nil
	}
	o, err := Parse(b)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: does not parse as JSON: %v", path, err)
	}
	return o, fi.Mode().Perm(), nil
}

// WriteFileAtomic replaces path with data: a temporary file in the same
// directory, given mode, synced, then renamed over path, and the directory
// synced, so a crash leaves the old file or the new one, never a mix.
//
// A symbolic link (a config.json kept in a dotfiles repository) is
// followed, its target replaced and the link kept, only when no other user
// could have planted or redirected it: every link on the way and the final
// file belong to this user or root, and the directories holding them are
// writable by no one else (see package trust). Any other link is refused in
// one line naming the fix, and nothing is written: a link planted in a
// shared directory would otherwise make root overwrite any file, as the
// kernel's protected_symlinks, which such a resolution bypasses, prevents.
func WriteFileAtomic(path string, data []byte, mode fs.FileMode) error {
	target, err := followTrusted(path)
	if err != nil {
		return err
	}
	return writeFile(target, data, mode)
}

// WriteFileNoFollow replaces path as WriteFileAtomic does, but refuses
// when path is a symbolic link, whoever owns it: export --output writes
// credentials, and a link is not what the user named.
func WriteFileNoFollow(path string, data []byte, mode fs.FileMode) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link: not writing credentials through it (another user could have planted it); remove it or name the file it points to", path)
	}
	return writeFile(path, data, mode)
}

// writeFile creates path's directory (0700) when missing and replaces path.
// The rename replaces a directory entry and never follows a link.
func writeFile(path string, data []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, mode)
}

// maxLinks bounds a chain of symbolic links, as the kernel's MAXSYMLINKS.
const maxLinks = 40

// followTrusted resolves path's final component through symbolic links
// that no other user could have planted, and returns the file to replace
// (path itself when it is not a link; a link's target that does not exist
// yet is created). Links in path's directories are the kernel's to follow.
func followTrusted(path string) (string, error) {
	p := path
	for range maxLinks {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			if p != path {
				if err := trust.Dir(filepath.Dir(p)); err != nil {
					return "", refuseLink(path, err)
				}
			}
			return p, nil
		}
		if err != nil {
			return "", err
		}
		if p != path || fi.Mode()&fs.ModeSymlink != 0 {
			// A link, or a link's target: it and its directory must be
			// this user's or root's alone.
			if err := trust.Owner(p, fi); err != nil {
				return "", refuseLink(path, err)
			}
			if err := trust.Dir(filepath.Dir(p)); err != nil {
				return "", refuseLink(path, err)
			}
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		dst, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dst) {
			dst = filepath.Join(filepath.Dir(p), dst)
		}
		p = dst
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// refuseLink is the one-line refusal of a link another user could have
// planted or redirected.
func refuseLink(path string, err error) error {
	return fmt.Errorf("%s is a symbolic link another user could have planted or redirected, not followed: %w, or remove the link", path, err)
}
