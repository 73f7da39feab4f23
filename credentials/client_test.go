// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker-credential-helpers/client"
	dch "github.com/docker/docker-credential-helpers/credentials"

	"github.com/docker-credential-mint/mint/store"
)

// inProcess runs HandleCommand as docker-credential-helpers' client package
// would run the binary: stdout captured, exit status 1 on error.
type inProcess struct {
	h      Helper
	action string
	in     io.Reader
}

func (p *inProcess) Output() ([]byte, error) {
	var out bytes.Buffer
	code := Serve(context.Background(), []string{Name, p.action}, p.in, &out, func(context.Context) (Helper, error) { return p.h, nil })
	if code != 0 {
		return out.Bytes(), &exitError{code}
	}
	return out.Bytes(), nil
}

func (p *inProcess) Input(in io.Reader) { p.in = in }

type exitError struct{ code int }

func (e *exitError) Error() string { return "exit status 1" }

func programFunc(h Helper) client.ProgramFunc {
	return func(args ...string) client.Program {
		return &inProcess{h: h, action: args[0], in: strings.NewReader("")}
	}
}

func TestDockerClient_roundTrip(t *testing.T) {
	p := programFunc(NewHelper(store.NewMemory()))
	if _, err := client.Get(p, "registry.example"); !dch.IsErrCredentialsNotFound(err) {
		t.Fatalf("client.Get(missing) = %v, want ErrCredentialsNotFound", err)
	}
	creds := &dch.Credentials{ServerURL: "https://registry.example/v2/", Username: "alice", Secret: "alicepw"}
	if err := client.Store(p, creds); err != nil {
		t.Fatalf("client.Store = %v", err)
	}
	got, err := client.Get(p, "registry.example")
	if err != nil || got.Username != "alice" || got.Secret != "alicepw" || got.ServerURL != "registry.example" {
		t.Fatalf("client.Get = %+v, %v", got, err)
	}
	m, err := client.List(p)
	if err != nil || len(m) != 1 || m["https://registry.example/v2/"] != "alice" {
		t.Fatalf("client.List = %v, %v", m, err)
	}
	if err := client.Erase(p, "http://registry.example"); err != nil {
		t.Fatalf("client.Erase = %v", err)
	}
	if err := client.Erase(p, "registry.example"); err != nil {
		t.Fatalf("client.Erase(missing) = %v, want success", err)
	}
	if _, err := client.Get(p, "registry.example"); !dch.IsErrCredentialsNotFound(err) {
		t.Fatalf("client.Get after erase = %v, want ErrCredentialsNotFound", err)
	}
	if m, err := client.List(p); err != nil || len(m) != 0 {
		t.Fatalf("client.List after erase = %v, %v", m, err)
	}
}

func TestDockerClient_errors(t *testing.T) {
	p := programFunc(NewHelper(store.NewMemory()))
	// The client wraps these with %v, so match the exact text it quotes.
	wantOut := func(err error, msg string) bool {
		return err != nil && strings.HasSuffix(err.Error(), "out: `"+msg+"`")
	}
	if err := client.Store(p, &dch.Credentials{ServerURL: "", Username: "u"}); !wantOut(err, "no credentials server URL") {
		t.Errorf("Store(empty URL) = %v, want missing server URL", err)
	}
	if err := client.Store(p, &dch.Credentials{ServerURL: "r", Username: ""}); !wantOut(err, "no credentials username") {
		t.Errorf("Store(empty username) = %v, want missing username", err)
	}
	if _, err := client.Get(p, ""); !wantOut(err, "no credentials server URL") {
		t.Errorf("Get(empty) = %v, want missing server URL", err)
	}
}

func TestDockerClient_identityToken(t *testing.T) {
	p := programFunc(NewHelper(store.NewMemory()))
	if err := client.Store(p, &dch.Credentials{ServerURL: "127.0.0.1:15000", Username: TokenUsername, Secret: "rt"}); err != nil {
		t.Fatal(err)
	}
	got, err := client.Get(p, "127.0.0.1:15000")
	if err != nil || got.Username != TokenUsername || got.Secret != "rt" {
		t.Fatalf("Get = %+v, %v; want <token>/rt", got, err)
	}
}

func FuzzHandleCommand(f *testing.F) {
	for _, s := range []string{"", "registry.example", `{"ServerURL":"a","Username":"u","Secret":"s"}`, "\x00\xff", "https://u:p@h", "unused", `{"ServerURL":1}`} {
		for _, a := range []string{ActionStore, ActionGet, ActionErase, ActionList} {
			f.Add(a, s)
		}
	}
	f.Fuzz(func(t *testing.T, action, in string) {
		b := store.NewMemory()
		h := NewHelper(b)
		ctx := context.Background()
		canary := "canary-secret-9f3a"
		_ = HandleCommand(ctx, h, ActionStore, strings.NewReader(`{"ServerURL":"other.example","Username":"o","Secret":"`+canary+`"}`), io.Discard)
		var out bytes.Buffer
		code := Serve(ctx, []string{Name, action}, strings.NewReader(in), &out, func(context.Context) (Helper, error) { return h, nil })
		s := out.String()
		if code != 0 && strings.Count(s, "\n") != 1 {
			t.Errorf("error output %q is not one line", s)
		}
		if strings.Contains(s, canary) {
			if action != ActionGet {
				t.Errorf("%s printed another key's secret", action)
			} else if hh, err := ParseHost(strings.TrimSpace(in)); err != nil || hh.Key() != "other.example" {
				t.Errorf("get %q printed another key's secret", in)
			}
		}
	})
}

// TestHelper_List_leavesOutExpired: a static entry whose secret has expired
// is refused by get, so list must not offer it (the Docker CLI gets every
// listed key before a classic build and drops everything when one fails).
func TestHelper_List_leavesOutExpired(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	expiry := func(secret string) (time.Time, bool) {
		if secret == "expired-jwt" {
			return past, true
		}
		return time.Time{}, false
	}
	check := func(h Host, e store.Entry) error {
		if !e.Expiry.IsZero() && e.Expiry.Before(time.Now()) {
			return errors.New("expired")
		}
		return nil
	}
	h := NewHelper(store.NewMemory(), WithSecretExpiry(expiry), WithStaticCheck(check))
	ctx := context.Background()
	for _, c := range []Credentials{
		{ServerURL: "fresh.example", Username: "u", Secret: "ok"},
		{ServerURL: "old.example", Username: "u", Secret: "expired-jwt"},
	} {
		if err := h.Store(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	m, err := h.List(ctx)
	if err != nil || len(m) != 1 || m["fresh.example"] != "u" {
		t.Errorf("List = %v, %v; want only fresh.example", m, err)
	}
	if _, err := h.Get(ctx, "old.example"); err == nil {
		t.Errorf("Get(old.example) succeeded, want the expiry error")
	}
}
