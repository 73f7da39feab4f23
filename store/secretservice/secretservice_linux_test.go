// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package secretservice_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/secretservice"
	"github.com/docker-credential-mint/mint/store/secretservice/sstest"
	"github.com/docker-credential-mint/mint/store/storetest"
	"github.com/godbus/dbus/v5"
)

var (
	sharedOnce sync.Once
	sharedEnv  *sstest.Env
	sharedErr  error
)

func TestMain(m *testing.M) {
	// Hermetic: nothing in this process may reach the user's own bus or home.
	home, err := os.MkdirTemp("", "sstest-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("HOME", home)
	os.Setenv("XDG_RUNTIME_DIR", home)
	os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
	code := m.Run()
	if sharedEnv != nil {
		if err := sharedEnv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.RemoveAll(home)
	os.Exit(code)
}

// shared returns one keyring for the tests that do not disturb it.
func shared(t *testing.T) *sstest.Env {
	t.Helper()
	sstest.Require(t, sstest.Programs...)
	sharedOnce.Do(func() { sharedEnv, sharedErr = sstest.New(sstest.Options{}) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedEnv
}

func newBackend(t *testing.T, env *sstest.Env, ns string) *secretservice.Backend {
	b := secretservice.New(ns, secretservice.Options{Address: env.Address})
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBackend_conformance(t *testing.T) {
	env := shared(t)
	storetest.Run(t, func(t *testing.T, ns string) store.Backend { return newBackend(t, env, ns) })
}

// items returns the attributes of every item of ns, by path.
func items(t *testing.T, env *sstest.Env, query map[string]string) map[dbus.ObjectPath]map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := env.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var paths []dbus.ObjectPath
	err = conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets/collection/login").
		CallWithContext(ctx, "org.freedesktop.Secret.Collection.SearchItems", 0, query).Store(&paths)
	if err != nil {
		t.Fatal(err)
	}
	out := map[dbus.ObjectPath]map[string]string{}
	for _, p := range paths {
		obj := conn.Object("org.freedesktop.secrets", p)
		v, err := obj.GetProperty("org.freedesktop.Secret.Item.Attributes")
		if err != nil {
			t.Fatal(err)
		}
		attrs := v.Value().(map[string]string)
		l, err := obj.GetProperty("org.freedesktop.Secret.Item.Label")
		if err != nil {
			t.Fatal(err)
		}
		attrs["(label)"] = l.Value().(string)
		out[p] = attrs
	}
	return out
}

func TestBackend_layout(t *testing.T) {
	env := shared(t)
	ctx := context.Background()
	b := newBackend(t, env, "layout")
	exp := time.Unix(1893456000, 0)
	secret := "hunter2-very-secret"
	if err := b.Put(ctx, "registry.example:5000", store.Entry{ServerURL: "https://registry.example:5000", Username: "alice", Secret: secret, Expiry: exp}); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "bin.example", store.Entry{ServerURL: "bin\x00\xff.example", Username: "u\xfe", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	got := items(t, env, map[string]string{"service": "docker-credential-mint", "namespace": "layout"})
	if len(got) != 2 {
		t.Fatalf("%d items, want 2: %v", len(got), got)
	}
	var plain map[string]string
	for _, attrs := range got {
		for k, v := range attrs {
			if strings.Contains(v, secret) {
				t.Errorf("attribute %s carries the secret", k)
			}
		}
		if attrs["key"] == "registry.example:5000" {
			plain = attrs
		}
	}
	want := map[string]string{
		"service": "docker-credential-mint", "namespace": "layout", "key": "registry.example:5000",
		"server": "https://registry.example:5000", "username": "alice", "expiry": "1893456000",
		"(label)": "docker-credential-mint: https://registry.example:5000",
	}
	for k, v := range want {
		if plain[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, plain[k], v)
		}
	}
	if plain["mtime"] == "" {
		t.Errorf("no mtime attribute")
	}
	e, err := b.Get(ctx, "bin.example")
	if err != nil || e.ServerURL != "bin\x00\xff.example" || e.Username != "u\xfe" || e.Secret != secret {
		t.Errorf("Get(bin.example) = %q %q, %v", e.ServerURL, e.Username, err)
	}
}

// TestBackend_secretTool checks the encrypted session against libsecret's
// own client: what we write, secret-tool reads, and the other way round.
func TestBackend_secretTool(t *testing.T) {
	env := shared(t)
	sstest.Require(t, "secret-tool")
	ctx := context.Background()
	b := newBackend(t, env, "interop")
	secret := "p\u00e4ss\nw0rd with a length that is not a multiple of 16"
	if err := b.Put(ctx, "interop.example", store.Entry{ServerURL: "interop.example", Username: "u", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("secret-tool", "lookup", "service", "docker-credential-mint", "namespace", "interop", "key", "interop.example")
	cmd.Env = env.Environ()
	out, err := cmd.Output()
	if err != nil || string(out) != secret {
		t.Errorf("secret-tool lookup = %q, %v; want %q", out, err, secret)
	}
	cmd = exec.Command("secret-tool", "store", "--label=by secret-tool", "service", "docker-credential-mint",
		"namespace", "interop", "key", "other.example", "server", "other.example", "username", "bob")
	cmd.Env = env.Environ()
	cmd.Stdin = strings.NewReader("from-secret-tool")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
	e, err := b.Get(ctx, "other.example")
	if err != nil || e.Secret != "from-secret-tool" || e.Username != "bob" {
		t.Errorf("Get(written by secret-tool) = %q/%d bytes, %v", e.Username, len(e.Secret), err)
	}
	// Put replaces the foreign item (no mtime attribute) too.
	if err := b.Put(ctx, "other.example", store.Entry{ServerURL: "other.example", Username: "carol", Secret: "new"}); err != nil {
		t.Fatal(err)
	}
	if n := len(items(t, env, map[string]string{"namespace": "interop", "key": "other.example"})); n != 1 {
		t.Errorf("%d items after Put over a foreign item, want 1", n)
	}
}

func TestBackend_Put_replacesAll(t *testing.T) {
	env := shared(t)
	ctx := context.Background()
	b := newBackend(t, env, "replace")
	for i, u := range []string{"alice", "bob", "carol"} {
		e := store.Entry{ServerURL: fmt.Sprintf("https://r%d.example", i), Username: u, Secret: "pw-" + u}
		if err := b.Put(ctx, "r.example", e); err != nil {
			t.Fatal(err)
		}
		got := items(t, env, map[string]string{"namespace": "replace", "key": "r.example"})
		if len(got) != 1 {
			t.Fatalf("after Put #%d: %d items, want 1", i, len(got))
		}
	}
	if e, err := b.Get(ctx, "r.example"); err != nil || e.Username != "carol" || e.Secret != "pw-carol" {
		t.Errorf("Get = %q, %v", e.Username, err)
	}
}

// TestBackend_Put_concurrentSameKey: separate connections (as separate
// processes would) write one key at once; exactly one item survives.
func TestBackend_Put_concurrentSameKey(t *testing.T) {
	env := shared(t)
	ctx := context.Background()
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := newBackend(t, env, "race")
			u := fmt.Sprintf("user%d", i)
			if err := b.Put(ctx, "race.example", store.Entry{ServerURL: "race.example", Username: u, Secret: "pw-" + u}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := items(t, env, map[string]string{"namespace": "race"}); len(got) != 1 {
		t.Errorf("%d items after concurrent Puts, want 1", len(got))
	}
	e, err := newBackend(t, env, "race").Get(ctx, "race.example")
	if err != nil || e.Secret != "pw-"+e.Username {
		t.Errorf("Get = %q (%d bytes), %v: entry mixed from two writes", e.Username, len(e.Secret), err)
	}
}

func TestBackend_locked(t *testing.T) {
	env := sstest.Start(t, sstest.Options{})
	ctx := context.Background()
	b := newBackend(t, env, "locked")
	if err := b.Put(ctx, "l.example", store.Entry{ServerURL: "l.example", Username: "u", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	if err := env.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(context.Context) error{
		"Get":    func(ctx context.Context) error { _, err := b.Get(ctx, "l.example"); return err },
		"miss":   func(ctx context.Context) error { _, err := b.Get(ctx, "nothere.example"); return err },
		"Put":    func(ctx context.Context) error { return b.Put(ctx, "l.example", store.Entry{Secret: "x"}) },
		"Delete": func(ctx context.Context) error { return b.Delete(ctx, "l.example") },
		"List":   func(ctx context.Context) error { _, err := b.List(ctx); return err },
	}
	for name, op := range ops {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		start := time.Now()
		err := op(ctx)
		cancel()
		if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "locked") {
			t.Errorf("%s on a locked keyring = %v, want ErrUnavailable naming the lock", name, err)
		}
		// Well under the 5 s deadline: it did not wait for a prompt.
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("%s on a locked keyring took %v", name, d)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
	}
	if err := env.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if e, err := b.Get(ctx, "l.example"); err != nil || e.Secret != "s" {
		t.Errorf("Get after unlock = %v", err)
	}
}

// TestBackend_locked_prompt: with prompting allowed and nobody to answer
// (no prompter on this bus), the deadline still holds.
func TestBackend_locked_prompt(t *testing.T) {
	env := sstest.Start(t, sstest.Options{})
	ctx := context.Background()
	if err := env.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	b := secretservice.New("prompt", secretservice.Options{Address: env.Address, AllowPrompt: true})
	defer b.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := b.Get(ctx, "p.example")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get with an unanswerable prompt = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	t.Logf("error: %v (%v)", err, time.Since(start))
}

func TestBackend_stoppedKeyring(t *testing.T) {
	env := sstest.Start(t, sstest.Options{})
	ctx := context.Background()
	b := newBackend(t, env, "stopped")
	if err := b.Put(ctx, "s.example", store.Entry{ServerURL: "s.example", Username: "u", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	if err := env.PauseKeyring(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			env.ResumeKeyring()
		}
	}()
	for name, bk := range map[string]*secretservice.Backend{"connected": b, "fresh": newBackend(t, env, "stopped")} {
		tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		start := time.Now()
		_, err := bk.Get(tctx, "s.example")
		cancel()
		d := time.Since(start)
		if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: Get from a stopped daemon = %v, want ErrUnavailable and DeadlineExceeded", name, err)
		}
		if d > 3*time.Second {
			t.Errorf("%s: Get from a stopped daemon took %v, deadline 300ms", name, d)
		}
	}
	if err := env.ResumeKeyring(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	if e, err := b.Get(ctx, "s.example"); err != nil || e.Secret != "s" {
		t.Errorf("Get after the daemon resumed = %v", err)
	}
}

func TestBackend_stoppedBus(t *testing.T) {
	env := sstest.Start(t, sstest.Options{NoKeyring: true})
	if err := env.PauseBus(); err != nil {
		t.Fatal(err)
	}
	defer env.ResumeBus()
	b := newBackend(t, env, "stopped")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := b.List(ctx)
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("List with a stopped bus = %v, want ErrUnavailable and DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("List with a stopped bus took %v, deadline 300ms", d)
	}
	if err := secretservice.Available(ctx); err == nil {
		t.Errorf("Available with a stopped bus = nil")
	}
}

func TestAvailable(t *testing.T) {
	sstest.Require(t, sstest.Programs...)
	ctx := context.Background()
	t.Run("no bus", func(t *testing.T) {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
		t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
		err := secretservice.Available(ctx)
		if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "DBUS_SESSION_BUS_ADDRESS unset") {
			t.Errorf("Available() = %v", err)
		}
		_, err = secretservice.New("x", secretservice.Options{}).List(ctx)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("List() = %v", err)
		}
	})
	t.Run("dead socket", func(t *testing.T) {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/nothing")
		if err := secretservice.Available(ctx); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("Available() = %v", err)
		}
	})
	t.Run("no service", func(t *testing.T) {
		env := sstest.Start(t, sstest.Options{NoKeyring: true})
		env.Setenv(t)
		err := secretservice.Available(ctx)
		if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "gnome-keyring") {
			t.Errorf("Available() = %v", err)
		}
		_, err = newBackend(t, env, "x").Get(ctx, "a.example")
		if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "gnome-keyring") {
			t.Errorf("Get() = %v", err)
		}
	})
	t.Run("keyring", func(t *testing.T) {
		shared(t).Setenv(t)
		if err := secretservice.Available(ctx); err != nil {
			t.Errorf("Available() = %v", err)
		}
	})
}

func BenchmarkBackend(b *testing.B) {
	sstest.Require(b, sstest.Programs...)
	env := sstest.Start(b, sstest.Options{})
	ctx := context.Background()
	bk := secretservice.New("bench", secretservice.Options{Address: env.Address})
	defer bk.Close()
	storetest.Bench(b, bk, 100)
	// A helper process connects for one get: a hit takes three round
	// trips, a miss two (see TestBackend_calls).
	b.Run("ColdGet", func(b *testing.B) {
		for b.Loop() {
			fresh := secretservice.New("bench", secretservice.Options{Address: env.Address})
			if _, err := fresh.Get(ctx, "host50.example"); err != nil {
				b.Fatal(err)
			}
			fresh.Close()
		}
	})
	b.Run("ColdMiss", func(b *testing.B) {
		for b.Loop() {
			fresh := secretservice.New("bench", secretservice.Options{Address: env.Address})
			if _, err := fresh.Get(ctx, "nothere.example"); !errors.Is(err, store.ErrNotFound) {
				b.Fatal(err)
			}
			fresh.Close()
		}
	})
}

// TestBackend_List_many lists more items than dbus-daemon lets a
// connection wait on replies for at once (128 on sstest's bus).
func TestBackend_List_many(t *testing.T) {
	env := sstest.Start(t, sstest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 300
	conn, err := env.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out dbus.Variant
	var session dbus.ObjectPath
	svc := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	if err := svc.CallWithContext(ctx, "org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		t.Fatal(err)
	}
	// In gnome-keyring's in-memory collection, made the default: the login
	// keyring rewrites its file on every write, which takes 6 s for 300
	// items. Written in batches of 32: the bus limit holds for the test too.
	const memory = dbus.ObjectPath("/org/freedesktop/secrets/collection/session")
	if err := svc.CallWithContext(ctx, "org.freedesktop.Secret.Service.SetAlias", 0, "default", memory).Err; err != nil {
		t.Fatal(err)
	}
	coll := conn.Object("org.freedesktop.secrets", memory)
	for i := 0; i < n; i += 32 {
		var calls []*dbus.Call
		for j := i; j < min(i+32, n); j++ {
			h := fmt.Sprintf("host%d.example", j)
			props := map[string]dbus.Variant{
				"org.freedesktop.Secret.Item.Label": dbus.MakeVariant("docker-credential-mint: " + h),
				"org.freedesktop.Secret.Item.Attributes": dbus.MakeVariant(map[string]string{
					"service": "docker-credential-mint", "namespace": "many", "key": h, "server": h, "username": "u", "mtime": "1",
				}),
			}
			sec := struct {
				Session     dbus.ObjectPath
				Parameters  []byte
				Value       []byte
				ContentType string
			}{session, []byte{}, []byte("s"), "text/plain"}
			calls = append(calls, coll.GoWithContext(ctx, "org.freedesktop.Secret.Collection.CreateItem", 0, nil, props, sec, true))
		}
		for _, c := range calls {
			if err := (<-c.Done).Err; err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := newBackend(t, env, "many").List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || got["host299.example"].ServerURL != "host299.example" {
		t.Errorf("List = %d entries, want %d", len(got), n)
	}
	if e, err := newBackend(t, env, "many").Get(ctx, "host7.example"); err != nil || e.Secret != "s" {
		t.Errorf("Get = %v", err)
	}
}

// monitor records the method calls on a bus to the Secret Service.
type monitor struct {
	conn *dbus.Conn
	ch   chan *dbus.Message
}

func newMonitor(t *testing.T, env *sstest.Env) *monitor {
	t.Helper()
	conn, err := env.Conn(context.Background()) // the connection lives as long as this context
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	m := &monitor{conn: conn, ch: make(chan *dbus.Message, 1024)}
	// A monitor must not answer what it sees: godbus would, so every
	// message goes to ch instead, BecomeMonitor's reply first.
	conn.Eavesdrop(m.ch)
	conn.BusObject().Go("org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, nil,
		[]string{"type='method_call',destination='org.freedesktop.secrets'"}, uint32(0))
	for msg := range m.ch {
		if msg.Type == dbus.TypeMethodReply || msg.Type == dbus.TypeError {
			if msg.Type == dbus.TypeError {
				t.Fatalf("BecomeMonitor: %v", msg.Body)
			}
			break
		}
	}
	return m
}

// calls returns the calls seen since the last time, as "member path"
// ("Get" with the property name), up to a GetMachineId that it sends
// itself to know it has seen everything before.
func (m *monitor) calls(t *testing.T, env *sstest.Env) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := env.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Object("org.freedesktop.secrets", "/").CallWithContext(ctx, "org.freedesktop.DBus.Peer.GetMachineId", 0).Err; err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		select {
		case msg := <-m.ch:
			member, _ := msg.Headers[dbus.FieldMember].Value().(string)
			path, _ := msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
			if member == "GetMachineId" {
				return out
			}
			if member == "Get" && len(msg.Body) == 2 {
				member += " " + msg.Body[1].(string)
			}
			out = append(out, member+" "+strings.TrimPrefix(string(path), "/org/freedesktop/secrets"))
		case <-ctx.Done():
			t.Fatal("the monitor saw no GetMachineId")
		}
	}
}

// TestBackend_calls pins the calls of each operation: a cold get is three
// round trips, the search (which tells locked items) with ReadAlias, the
// item's attributes with the session's opening, and the secret.
func TestBackend_calls(t *testing.T) {
	env := sstest.Start(t, sstest.Options{})
	ctx := context.Background()
	seed := newBackend(t, env, "calls")
	if err := seed.Put(ctx, "c.example", store.Entry{ServerURL: "c.example", Username: "u", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	seed.Close()
	m := newMonitor(t, env)
	m.calls(t, env)
	warm := newBackend(t, env, "calls")
	round1 := []string{"Ping /", "SearchItems ", "ReadAlias "}
	attrs := "Get Attributes /collection/login/1"
	for _, tc := range []struct {
		name string
		op   func() error
		want []string
	}{
		{"cold get", func() error { _, err := newBackend(t, env, "calls").Get(ctx, "c.example"); return err },
			append(round1, "OpenSession ", attrs, "GetSecrets ")},
		// A miss makes sure the default collection is not locked.
		{"cold get, miss", func() error { _, err := newBackend(t, env, "calls").Get(ctx, "x.example"); return err },
			append(round1, "Get Locked /collection/login")},
		{"list", func() error { _, err := newBackend(t, env, "calls").List(ctx); return err },
			append(round1, attrs)},
		// The attributes of an item seen before are remembered.
		{"list again", func() error { _, err := newBackend(t, env, "calls").List(ctx); return err },
			round1},
		{"first get", func() error { _, err := warm.Get(ctx, "c.example"); return err },
			append(round1, "OpenSession ", attrs, "GetSecrets ")},
		{"second get", func() error { _, err := warm.Get(ctx, "c.example"); return err },
			[]string{"SearchItems ", "GetSecrets ", attrs}},
		// A new secret for the same server URL and username rewrites the
		// item in place: one write, no removal, no second search.
		{"put, same user", func() error {
			return newBackend(t, env, "calls").Put(ctx, "c.example", store.Entry{ServerURL: "c.example", Username: "u", Secret: "s2"})
		}, append(round1, "OpenSession ", attrs, "CreateItem /collection/login")},
		// Another username: a new item, then the old one removed.
		{"put, other user", func() error {
			return newBackend(t, env, "calls").Put(ctx, "c.example", store.Entry{ServerURL: "c.example", Username: "v", Secret: "s3"})
		}, append(round1, "OpenSession ", attrs, "CreateItem /collection/login", "SearchItems ",
			attrs, "Get Attributes /collection/login/2", "Delete /collection/login/1")},
	} {
		err := tc.op()
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := sortReads(m.calls(t, env)); strings.Join(got, "\n") != strings.Join(sortReads(tc.want), "\n") {
			t.Errorf("%s: calls\n\t%s\nwant\n\t%s", tc.name, strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
		}
	}
}

// sortReads sorts each run of attribute reads in calls: they are pipelined,
// in the order the service listed the items.
func sortReads(calls []string) []string {
	calls = slices.Clone(calls)
	for i := 0; i < len(calls); {
		j := i
		for j < len(calls) && strings.HasPrefix(calls[j], "Get Attributes ") {
			j++
		}
		slices.Sort(calls[i:j])
		i = max(j, i+1)
	}
	return calls
}

// TestBackend_Get_newConnections: gets on new connections from several
// goroutines at once, as from concurrent helper processes. It found
// gnome-keyring 42 crashing when OpenSession came with a new client's
// first calls (see beginSession), in about half the runs.
func TestBackend_Get_newConnections(t *testing.T) {
	env := sstest.Start(t, sstest.Options{})
	ctx := context.Background()
	if err := newBackend(t, env, "new").Put(ctx, "n.example", store.Entry{ServerURL: "n.example", Username: "u", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for range 100 {
				b := secretservice.New("new", secretservice.Options{Address: env.Address})
				e, err := b.Get(ctx, "n.example")
				b.Close()
				if err != nil || e.Secret != "s" {
					t.Errorf("Get = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestBackend_List_cache: List remembers the attributes of the items it
// has read, and still sees what other programs add and remove.
func TestBackend_List_cache(t *testing.T) {
	env := sstest.Start(t, sstest.Options{})
	sstest.Require(t, "secret-tool")
	ctx := context.Background()
	b := newBackend(t, env, "cache")
	for _, h := range []string{"a.example", "b.example", "d.example"} {
		if err := b.Put(ctx, h, store.Entry{ServerURL: "https://" + h, Username: "u-" + h, Secret: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	list := func() map[string]string {
		t.Helper()
		got, err := newBackend(t, env, "cache").List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for k, e := range got {
			out[k] = e.ServerURL + " " + e.Username
		}
		return out
	}
	want := map[string]string{"a.example": "https://a.example u-a.example", "b.example": "https://b.example u-b.example", "d.example": "https://d.example u-d.example"}
	if got := list(); !maps.Equal(got, want) {
		t.Fatalf("List = %v, want %v", got, want)
	}
	m := newMonitor(t, env)
	m.calls(t, env)
	// Another program removes one, adds one of ours and one that is not.
	secretTool := func(stdin string, args ...string) {
		t.Helper()
		cmd := exec.Command("secret-tool", args...)
		cmd.Env = env.Environ()
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("secret-tool %v: %v: %s", args, err, out)
		}
	}
	secretTool("", "clear", "service", "docker-credential-mint", "namespace", "cache", "key", "b.example")
	secretTool("s", "store", "--label=c", "service", "docker-credential-mint", "namespace", "cache",
		"key", "c.example", "server", "c.example", "username", "carol")
	secretTool("s", "store", "--label=not ours", "service", "docker-credential-mint", "namespace", "cache", "other", "x")
	// A new username for d: a new item, the old one removed.
	if err := b.Put(ctx, "d.example", store.Entry{ServerURL: "https://d.example", Username: "dave", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	m.calls(t, env)
	delete(want, "b.example")
	want["c.example"] = "c.example carol"
	want["d.example"] = "https://d.example dave"
	if got := list(); !maps.Equal(got, want) {
		t.Errorf("List after changes = %v, want %v", got, want)
	}
	var reads int
	for _, c := range m.calls(t, env) {
		if strings.HasPrefix(c, "Get Attributes") {
			reads++
		}
	}
	if reads != 3 {
		t.Errorf("List read the attributes of %d items, want 3 (c, d's new item, the foreign item)", reads)
	}
	if got := list(); !maps.Equal(got, want) {
		t.Errorf("List, again = %v, want %v", got, want)
	}
	for _, c := range m.calls(t, env) {
		if strings.HasPrefix(c, "Get Attributes") {
			t.Errorf("List of items all seen before: %s", c)
		}
	}
	// A damaged file is replaced.
	files, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "docker-credential-mint", "secretservice-list-*"))
	if len(files) == 0 {
		t.Fatal("no list cache file")
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte("docker-credential-mint secretservice list 1\n\x05junk"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := list(); !maps.Equal(got, want) {
		t.Errorf("List with a damaged cache = %v, want %v", got, want)
	}
}
