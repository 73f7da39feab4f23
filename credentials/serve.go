// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxRequest bounds what is read from stdin: a store request holds at most
// a 64 KiB secret, which JSON escaping can grow sixfold.
const MaxRequest = 1 << 20

// Usage is the usage line printed for a wrong number of arguments.
func Usage() string {
	return "Usage: " + Name + " <store|get|erase|list|version>"
}

// VersionLine is what the version action prints.
func VersionLine() string {
	return Name + " (" + Package + ") " + Version
}

// Serve runs one protocol action as named by args[1] and returns the exit
// status: 0 on success, 1 with the error as one line on stdout otherwise
// (clients read errors from stdout, as docker-credential-helpers does).
// newHelper is called only for actions that need the store, so version and
// usage never open a keychain. stderr is the user's terminal and stays
// silent here.
func Serve(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, newHelper func(context.Context) (Helper, error)) int {
	if len(args) != 2 {
		fmt.Fprintln(stdout, Usage())
		return 1
	}
	action := args[1]
	switch action {
	case "--help", "-h", "help":
		fmt.Fprintln(stdout, Usage())
		return 0
	case "--version", "-v":
		action = ActionVersion
	}
	var h Helper
	switch action {
	case ActionStore, ActionGet, ActionErase, ActionList:
		var err error
		if h, err = newHelper(ctx); err != nil {
			fmt.Fprintln(stdout, wireError(err))
			return 1
		}
	}
	if err := HandleCommand(ctx, h, action, stdin, stdout); err != nil {
		fmt.Fprintln(stdout, wireError(err))
		return 1
	}
	return 0
}

// HandleCommand runs action against h, reading the request from in and
// writing the answer to out. It is the testable core of Serve: the returned
// error is what Serve prints.
func HandleCommand(ctx context.Context, h Helper, action string, in io.Reader, out io.Writer) error {
	switch action {
	case ActionStore:
		c, err := readCredentials(ctx, in)
		if err != nil {
			return err
		}
		return h.Store(ctx, c)
	case ActionGet:
		url, err := readServerURL(ctx, in, action)
		if err != nil {
			return err
		}
		c, err := h.Get(ctx, url)
		if err != nil {
			return err
		}
		_, err = out.Write(encodeCredentials(c))
		return err
	case ActionErase:
		url, err := readServerURL(ctx, in, action)
		if err != nil {
			return err
		}
		return h.Erase(ctx, url)
	case ActionList:
		// Clients write "unused" (or nothing); the request is ignored.
		m, err := h.List(ctx)
		if err != nil {
			return err
		}
		_, err = out.Write(encodeList(m))
		return err
	case ActionVersion:
		_, err := fmt.Fprintln(out, VersionLine())
		return err
	}
	return fmt.Errorf("%s: unknown action: %s", Name, printable(action))
}

// A request is read until it is complete, not until stdin closes: one line
// for get and erase, one JSON value for store. A client that keeps stdin
// open after its request is answered all the same, and the read as a whole
// is bounded by ctx's deadline, so that a client that sends nothing and
// never closes stdin cannot hold the helper (and its keychain) forever.

// errTooLarge is what a request reader returns past MaxRequest bytes.
var errTooLarge = fmt.Errorf("request larger than %d bytes", MaxRequest)

// limited reads from r and fails with errTooLarge past MaxRequest bytes.
type limited struct {
	r io.Reader
	n int
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n > MaxRequest {
		return 0, errTooLarge
	}
	if room := MaxRequest + 1 - l.n; len(p) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.n += n
	if l.n > MaxRequest {
		return n, errTooLarge
	}
	return n, err
}

// bounded runs read, the reading of one request, and returns its result,
// or an error once ctx is done. The reader may then stay blocked until
// stdin closes or the process exits; nothing uses what it reads.
func bounded[T any](ctx context.Context, action string, read func() (T, error)) (T, error) {
	if ctx.Done() == nil {
		return read()
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := read()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%s: no complete request on stdin in time (a request is one line for get and erase, one JSON object for store): %w", action, ctx.Err())
	}
}

// readServerURL reads a get or erase request: the first line that is not
// blank, ended by a newline or the end of input. What came with it after
// the newline must be blank: a second URL is an error, not ignored.
func readServerURL(ctx context.Context, in io.Reader, action string) (string, error) {
	line, err := bounded(ctx, action, func() ([]byte, error) { return readLine(&limited{r: in}) })
	switch {
	case errors.Is(err, errTooLarge):
		return "", fmt.Errorf("%s: %w", action, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "", err // from bounded: it names the action
	case err != nil:
		return "", fmt.Errorf("%s: read request: %w", action, err)
	}
	url := strings.TrimSpace(string(line))
	if url == "" {
		return "", ErrMissingServerURL
	}
	if !utf8.ValidString(url) || strings.ContainsAny(url, "\x00\n\r") {
		return "", fmt.Errorf("%s: %w: not a single line of text", action, ErrInvalidServerURL)
	}
	return url, nil
}

// readLine reads until a newline that follows something other than white
// space, or the end of input, and returns what it read (everything that
// came in the same reads, so that the caller sees a second line sent along
// with the first).
func readLine(in io.Reader) ([]byte, error) {
	var b []byte
	buf := make([]byte, 4096)
	text := false // a character other than white space has come
	for {
		n, err := in.Read(buf)
		for _, c := range buf[:n] {
			if c == '\n' && text {
				return append(b, buf[:n]...), nil
			}
			text = text || !isSpace(c)
		}
		b = append(b, buf[:n]...)
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// isSpace reports whether c is ASCII white space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// readCredentials reads and parses a store request: one JSON object. The
// raw bytes are checked before the strings are decoded: encoding/json
// would silently turn invalid UTF-8 and unpaired surrogate escapes into
// U+FFFD, and what is stored must be what was sent. Errors say where the
// JSON broke but never quote it: the request holds a secret.
func readCredentials(ctx context.Context, in io.Reader) (Credentials, error) {
	type request struct {
		raw  json.RawMessage
		rest []byte
	}
	req, err := bounded(ctx, ActionStore, func() (request, error) {
		dec := json.NewDecoder(&limited{r: in})
		var r request
		err := dec.Decode(&r.raw)
		if err == nil {
			// Only what arrived with the object: the client may keep
			// stdin open after it.
			r.rest, _ = io.ReadAll(dec.Buffered())
		}
		return r, err
	})
	if err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			return Credentials{}, errors.New(`store: empty request: want {"ServerURL":…,"Username":…,"Secret":…}`)
		case errors.Is(err, errTooLarge):
			return Credentials{}, fmt.Errorf("store: %w", err)
		case errors.As(err, &syn):
			return Credentials{}, fmt.Errorf("store: malformed JSON at byte %d", syn.Offset)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return Credentials{}, errors.New("store: truncated JSON")
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			return Credentials{}, err // from bounded: it names the action
		}
		return Credentials{}, fmt.Errorf("store: read request: %w", err)
	}
	if len(bytes.TrimSpace(req.rest)) != 0 {
		return Credentials{}, errors.New("store: trailing data after the JSON object")
	}
	if !utf8.Valid(req.raw) {
		return Credentials{}, errors.New("store: the request is not valid UTF-8 (a secret must be text: encode a binary one, e.g. in base64)")
	}
	if i := unpairedSurrogate(req.raw); i >= 0 {
		return Credentials{}, fmt.Errorf("store: unpaired UTF-16 surrogate escape at byte %d (a secret must be text)", i)
	}
	var c Credentials
	if err := json.Unmarshal(req.raw, &c); err != nil {
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ) && typ.Field != "":
			return Credentials{}, fmt.Errorf("store: field %s must be a string", printable(typ.Field))
		case errors.As(err, &typ):
			return Credentials{}, errors.New("store: request must be a JSON object")
		}
		return Credentials{}, errors.New("store: malformed JSON")
	}
	return c, nil
}

// unpairedSurrogate returns the offset of the first \uXXXX escape in the
// JSON text b that is a UTF-16 surrogate without its other half, or -1.
func unpairedSurrogate(b []byte) int {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		var r rune
		for _, c := range b[i+2 : i+6] {
			switch {
			case '0' <= c && c <= '9':
				r = r<<4 | rune(c-'0')
			case 'a' <= c && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case 'A' <= c && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // an escape of one character, maybe a backslash
			continue
		}
		switch {
		case 0xd800 <= r && r < 0xdc00:
			if lo, ok := hex4(i + 6); ok && 0xdc00 <= lo && lo < 0xe000 {
				i += 11
				continue
			}
			return i
		case 0xdc00 <= r && r < 0xe000:
			return i
		}
		i += 5
	}
	return -1
}

// printable quotes what a user typed, shortened, for an error line.
func printable(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}
