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
		req, err := readRequest(in, action)
		if err != nil {
			return err
		}
		c, err := decodeCredentials(req)
		if err != nil {
			return err
		}
		return h.Store(ctx, c)
	case ActionGet:
		url, err := readServerURL(in, action)
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
		url, err := readServerURL(in, action)
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

func readRequest(in io.Reader, action string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(in, MaxRequest+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read request: %w", action, err)
	}
	if len(b) > MaxRequest {
		return nil, fmt.Errorf("%s: request larger than %d bytes", action, MaxRequest)
	}
	return b, nil
}

func readServerURL(in io.Reader, action string) (string, error) {
	b, err := readRequest(in, action)
	if err != nil {
		return "", err
	}
	url := strings.TrimSpace(string(b))
	if url == "" {
		return "", ErrMissingServerURL
	}
	if !utf8.ValidString(url) || strings.ContainsAny(url, "\x00\n\r") {
		return "", fmt.Errorf("%s: %w: not a single line of text", action, ErrInvalidServerURL)
	}
	return url, nil
}

// decodeCredentials parses a store request. Its errors say where the JSON
// broke but never quote it: the request holds a secret.
func decodeCredentials(b []byte) (Credentials, error) {
	var c Credentials
	if len(bytes.TrimSpace(b)) == 0 {
		return c, errors.New(`store: empty request: want {"ServerURL":…,"Username":…,"Secret":…}`)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&c); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return Credentials{}, fmt.Errorf("store: malformed JSON at byte %d", syn.Offset)
		case errors.As(err, &typ) && typ.Field != "":
			return Credentials{}, fmt.Errorf("store: field %s must be a string", printable(typ.Field))
		case errors.As(err, &typ):
			return Credentials{}, errors.New("store: request must be a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return Credentials{}, errors.New("store: truncated JSON")
		}
		return Credentials{}, errors.New("store: malformed JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Credentials{}, errors.New("store: trailing data after the JSON object")
	}
	if !utf8.ValidString(c.ServerURL) || !utf8.ValidString(c.Username) {
		return Credentials{}, errors.New("store: ServerURL and Username must be UTF-8")
	}
	return c, nil
}

// printable quotes what a user typed, shortened, for an error line.
func printable(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}
