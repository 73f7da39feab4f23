// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

// hangBound is how long the stdin tests wait before calling a request
// blocked: far beyond any deadline they set, so only a hang fails them.
const hangBound = 30 * time.Second

// runBounded runs HandleCommand in the background and fails t if it has
// not returned within hangBound.
func runBounded(t *testing.T, ctx context.Context, h Helper, action string, in io.Reader) (string, error) {
	t.Helper()
	type result struct {
		out string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var out bytes.Buffer
		err := HandleCommand(ctx, h, action, in, &out)
		ch <- result{out.String(), err}
	}()
	select {
	case r := <-ch:
		return r.out, r.err
	case <-time.After(hangBound):
		t.Fatalf("%s still blocked on stdin after %v", action, hangBound)
		return "", nil
	}
}

// openStdin returns a stdin that holds req and is never closed by the
// client (closed when the test ends, so no goroutine outlives it).
func openStdin(t *testing.T, req string) io.Reader {
	t.Helper()
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	go w.Write([]byte(req)) // returns once read, or with an error at cleanup
	return r
}

// TestHandleCommand_stdinLeftOpen: a client that sends its request and
// keeps stdin open is answered: a request is one line (get, erase) or one
// JSON object (store), not everything until the end of input.
func TestHandleCommand_stdinLeftOpen(t *testing.T) {
	h := NewHelper(store.NewMemory())
	ctx := context.Background()
	if _, err := runBounded(t, ctx, h, ActionStore, openStdin(t, `{"ServerURL":"r.example","Username":"u","Secret":"s3cret"}`)); err != nil {
		t.Fatalf("store: %v", err)
	}
	for _, req := range []string{"r.example\n", "https://r.example/\r\n", "\n  r.example  \n"} {
		out, err := runBounded(t, ctx, h, ActionGet, openStdin(t, req))
		if err != nil || !strings.Contains(out, `"Secret":"s3cret"`) {
			t.Errorf("get %q = %q, %v", req, out, err)
		}
	}
	if _, err := runBounded(t, ctx, h, ActionErase, openStdin(t, "r.example\n")); err != nil {
		t.Fatalf("erase: %v", err)
	}
	if _, err := h.Get(ctx, "r.example"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after erase: get = %v, want not found", err)
	}
}

// TestHandleCommand_stdinDeadline: a client that sends nothing (or half a
// request) and never closes stdin gets an error once the invocation's
// deadline passes, and nothing is stored.
func TestHandleCommand_stdinDeadline(t *testing.T) {
	for _, c := range []struct{ action, req string }{
		{ActionGet, ""},
		{ActionGet, "r.example"}, // no newline yet
		{ActionErase, ""},
		{ActionStore, ""},
		{ActionStore, `{"ServerURL":"r.example","Username":"u","Secret":"s3`},
	} {
		b := store.NewMemory()
		h := NewHelper(b)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, err := runBounded(t, ctx, h, c.action, openStdin(t, c.req))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), c.action+": ") || strings.Count(err.Error(), c.action+":") != 1 {
			t.Errorf("%s with stdin %q left open: error %v, want one line naming the action, wrapping the deadline", c.action, c.req, err)
		}
		if strings.Contains(fmt.Sprint(err), "s3") {
			t.Errorf("%s: error %q quotes the request", c.action, err)
		}
		if keys, _ := b.List(context.Background()); len(keys) != 0 {
			t.Errorf("%s: stored %v", c.action, keys)
		}
	}
}

// TestHandleCommand_storeNotText: encoding/json turns invalid UTF-8 and
// unpaired surrogate escapes into U+FFFD; store refuses them in one line
// instead of storing something other than what was sent.
func TestHandleCommand_storeNotText(t *testing.T) {
	for _, c := range []struct {
		name, req, want string // want: "" for refused, else the stored secret
	}{
		{"invalid UTF-8", "{\"ServerURL\":\"r.example\",\"Username\":\"u\",\"Secret\":\"pw\xff\xfe\"}", ""},
		{"invalid UTF-8 username", "{\"ServerURL\":\"r.example\",\"Username\":\"u\xc3\",\"Secret\":\"pw\"}", ""},
		{"lone high surrogate", `{"ServerURL":"r.example","Username":"u","Secret":"pw\ud83d"}`, ""},
		{"lone low surrogate", `{"ServerURL":"r.example","Username":"u","Secret":"\uDE00pw"}`, ""},
		{"reversed pair", `{"ServerURL":"r.example","Username":"u","Secret":"\ude00\ud83d"}`, ""},
		{"pair", `{"ServerURL":"r.example","Username":"u","Secret":"pw\ud83d\ude00"}`, "pw😀"},
		{"escaped backslash", `{"ServerURL":"r.example","Username":"u","Secret":"\\ud800"}`, `\ud800`},
		{"U+FFFD sent", `{"ServerURL":"r.example","Username":"u","Secret":"\ufffd�"}`, "\ufffd\ufffd"},
	} {
		b := store.NewMemory()
		h := NewHelper(b)
		err := HandleCommand(context.Background(), h, ActionStore, strings.NewReader(c.req), io.Discard)
		e, gerr := b.Get(context.Background(), "r.example")
		if c.want == "" {
			if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "store: ") || strings.Contains(err.Error(), "pw") {
				t.Errorf("%s: error %v, want one line starting store: without the secret", c.name, err)
			}
			if gerr == nil {
				t.Errorf("%s: stored %q", c.name, e.Secret)
			}
			continue
		}
		if err != nil || gerr != nil || e.Secret != c.want {
			t.Errorf("%s: store = %v; stored %q (%v), want %q", c.name, err, e.Secret, gerr, c.want)
		}
	}
}
