// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package secretservice

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/docker-credential-mint/mint/store"
	"github.com/godbus/dbus/v5"
)

const (
	busName           = "org.freedesktop.secrets"
	servicePath       = dbus.ObjectPath("/org/freedesktop/secrets")
	loginCollection   = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	ifaceService      = "org.freedesktop.Secret.Service"
	ifaceCollection   = "org.freedesktop.Secret.Collection"
	ifaceItem         = "org.freedesktop.Secret.Item"
	ifacePrompt       = "org.freedesktop.Secret.Prompt"
	ifaceProperties   = "org.freedesktop.DBus.Properties"
	errServiceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
	errNameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner"
	errNoReply        = "org.freedesktop.DBus.Error.NoReply"
	errTimeout        = "org.freedesktop.DBus.Error.Timeout"
	errDisconnected   = "org.freedesktop.DBus.Error.Disconnected"
	errNotSupported   = "org.freedesktop.DBus.Error.NotSupported"
	errUnknownObject  = "org.freedesktop.DBus.Error.UnknownObject"
	errUnknownMethod  = "org.freedesktop.DBus.Error.UnknownMethod"
	errIsLocked       = "org.freedesktop.Secret.Error.IsLocked"
	errNoSuchObject   = "org.freedesktop.Secret.Error.NoSuchObject"
	noPrompt          = dbus.ObjectPath("/")
)

// secret is the Secret struct of the specification, (oayays).
type secret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// session is an open Secret Service session; key is nil for "plain".
type session struct {
	path dbus.ObjectPath
	key  []byte
}

// client is what one operation uses: a connection, the collection and a
// lazily opened session.
type client struct {
	b    *Backend
	conn *dbus.Conn
	coll dbus.ObjectPath
}

// address is the bus to connect to, or "" when there is none.
func (b *Backend) address() string {
	if b.opts.Address != "" {
		return b.opts.Address
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a
	}
	// systemd's user bus, which pam_systemd does not always advertise.
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		p := filepath.Join(d, "bus")
		if fi, err := os.Stat(p); err == nil && fi.Mode().Type() == os.ModeSocket {
			return "unix:path=" + p
		}
	}
	return ""
}

// connect returns the Backend's connection, dialling it within ctx.
func (b *Backend) connect(ctx context.Context) (*dbus.Conn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.connectLocked(ctx)
}

func (b *Backend) connectLocked(ctx context.Context) (*dbus.Conn, error) {
	if b.conn != nil && b.conn.Connected() {
		return b.conn, nil
	}
	b.conn, b.coll, b.sess = nil, "", nil
	addr := b.address()
	if addr == "" {
		return nil, fmt.Errorf("%w: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)", store.ErrUnavailable)
	}
	conn, err := dial(ctx, addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: the D-Bus session bus did not answer in time: %w", store.ErrUnavailable, ctx.Err())
		}
		return nil, fmt.Errorf("%w: cannot connect to the D-Bus session bus: %v", store.ErrUnavailable, oneLine(err.Error()))
	}
	b.conn = conn
	return conn, nil
}

// dial connects and authenticates to addr. godbus has no deadline for the
// authentication handshake, so it runs aside and the connection is closed
// under it when ctx ends (a stopped bus daemon accepts but never answers).
func dial(ctx context.Context, addr string) (*dbus.Conn, error) {
	type result struct {
		conn *dbus.Conn
		err  error
	}
	var (
		mu        sync.Mutex
		pending   *dbus.Conn
		abandoned bool
	)
	done := make(chan result, 1)
	go func() {
		conn, err := dbus.Dial(addr)
		if err != nil {
			done <- result{nil, err}
			return
		}
		mu.Lock()
		if abandoned {
			mu.Unlock()
			_ = conn.Close()
			return
		}
		pending = conn
		mu.Unlock()
		if err = conn.Auth(nil); err == nil {
			err = conn.Hello()
		}
		if err != nil {
			_ = conn.Close()
			done <- result{nil, err}
			return
		}
		done <- result{conn, nil}
	}()
	select {
	case r := <-done:
		return r.conn, r.err
	case <-ctx.Done():
		mu.Lock()
		abandoned = true
		if pending != nil {
			_ = pending.Close()
		}
		mu.Unlock()
		go func() {
			if r := <-done; r.conn != nil {
				_ = r.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// ready connects, finds the collection and makes sure it is unlocked (or
// fails with store.ErrUnavailable, unless AllowPrompt lets the user unlock it).
func (b *Backend) ready(ctx context.Context, op string) (*client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	conn, err := b.connectLocked(ctx)
	if err != nil {
		return nil, fmt.Errorf("secretservice: %s: %w", op, err)
	}
	c := &client{b: b, conn: conn, coll: b.coll}
	if c.coll == "" {
		if c.coll, err = c.defaultCollection(ctx); err != nil {
			return nil, b.fail(op, err)
		}
		b.coll = c.coll
	}
	var locked bool
	if err := c.property(ctx, c.coll, ifaceCollection, "Locked", &locked); err != nil {
		if isDBusError(err, errNoSuchObject, errUnknownObject, errUnknownMethod) {
			b.coll = "" // the collection went away: look again next time
			err = fmt.Errorf("%w: %s", store.ErrUnavailable, msgNoDefault)
		}
		return nil, b.fail(op, err)
	}
	if locked {
		if !b.opts.AllowPrompt {
			return nil, fmt.Errorf("secretservice: %s: %w: %s", op, store.ErrUnavailable, msgLocked)
		}
		if err := c.unlock(ctx); err != nil {
			return nil, b.fail(op, err)
		}
	}
	return c, nil
}

// defaultCollection resolves the "default" alias, falling back to "login".
func (c *client) defaultCollection(ctx context.Context) (dbus.ObjectPath, error) {
	var p dbus.ObjectPath
	err := c.conn.Object(busName, servicePath).CallWithContext(ctx, ifaceService+".ReadAlias", 0, "default").Store(&p)
	if err != nil {
		return "", err
	}
	if p != noPrompt && p != "" {
		return p, nil
	}
	var label string
	if err := c.property(ctx, loginCollection, ifaceCollection, "Label", &label); err == nil {
		return loginCollection, nil
	}
	return "", fmt.Errorf("%w: %s", store.ErrUnavailable, msgNoDefault)
}

// property reads one D-Bus property into v.
func (c *client) property(ctx context.Context, path dbus.ObjectPath, iface, name string, v any) error {
	var variant dbus.Variant
	err := c.conn.Object(busName, path).CallWithContext(ctx, ifaceProperties+".Get", 0, iface, name).Store(&variant)
	if err != nil {
		return err
	}
	return variant.Store(v)
}

// unlock asks the service to unlock the collection, showing its prompt.
func (c *client) unlock(ctx context.Context) error {
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := c.conn.Object(busName, servicePath).CallWithContext(ctx, ifaceService+".Unlock", 0, []dbus.ObjectPath{c.coll}).Store(&unlocked, &prompt)
	if err != nil {
		return err
	}
	if prompt == noPrompt {
		if slices.Contains(unlocked, c.coll) {
			return nil
		}
		return fmt.Errorf("%w: the Secret Service did not unlock the keyring", store.ErrUnavailable)
	}
	dismissed, err := c.prompt(ctx, prompt)
	if err != nil {
		return err
	}
	if dismissed {
		return fmt.Errorf("%w: unlocking the keyring was dismissed", store.ErrUnavailable)
	}
	return nil
}

// prompt shows a prompt and waits for its Completed signal within ctx. It
// is only reached when Options.AllowPrompt is set.
func (c *client) prompt(ctx context.Context, p dbus.ObjectPath) (dismissed bool, err error) {
	match := []dbus.MatchOption{dbus.WithMatchObjectPath(p), dbus.WithMatchInterface(ifacePrompt), dbus.WithMatchMember("Completed")}
	if err := c.conn.AddMatchSignalContext(ctx, match...); err != nil {
		return false, err
	}
	signals := make(chan *dbus.Signal, 8)
	c.conn.Signal(signals)
	defer func() {
		c.conn.RemoveSignal(signals)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeoutCleanup)
		defer cancel()
		_ = c.conn.RemoveMatchSignalContext(rctx, match...)
	}()
	obj := c.conn.Object(busName, p)
	if err := obj.CallWithContext(ctx, ifacePrompt+".Prompt", 0, "").Err; err != nil {
		return false, err
	}
	for {
		select {
		case s := <-signals:
			if s == nil || s.Path != p || s.Name != ifacePrompt+".Completed" || len(s.Body) < 1 {
				continue
			}
			d, _ := s.Body[0].(bool)
			return d, nil
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeoutCleanup)
			_ = obj.CallWithContext(dctx, ifacePrompt+".Dismiss", 0).Err
			cancel()
			return false, ctx.Err()
		}
	}
}

// timeoutCleanup bounds the calls that tidy up after a context ended
// (dismissing a prompt, removing a signal match): short, since nothing waits
// on their result.
const timeoutCleanup = 500 * time.Millisecond

// find searches the collection and reads the attributes of every match. The
// attribute reads are pipelined: one round trip of latency for any number of
// items.
func (c *client) find(ctx context.Context, query map[string]string) ([]item, error) {
	var paths []dbus.ObjectPath
	if err := c.conn.Object(busName, c.coll).CallWithContext(ctx, ifaceCollection+".SearchItems", 0, query).Store(&paths); err != nil {
		return nil, err
	}
	calls := make([]*dbus.Call, len(paths))
	for i, p := range paths {
		calls[i] = c.conn.Object(busName, p).GoWithContext(ctx, ifaceProperties+".Get", 0, nil, ifaceItem, "Attributes")
	}
	items := make([]item, 0, len(paths))
	var firstErr error
	for i, call := range calls {
		<-call.Done
		var v dbus.Variant
		err := call.Store(&v)
		var attrs map[string]string
		if err == nil {
			err = v.Store(&attrs)
		}
		if isDBusError(err, errNoSuchObject, errUnknownObject, errUnknownMethod) {
			continue // deleted since the search
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		// The service matched the query already; check it again in case it
		// matches loosely, and skip what is not ours.
		if !matches(attrs, query) {
			continue
		}
		if it, ok := parseItem(paths[i], attrs); ok {
			items = append(items, it)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return items, nil
}

func matches(attrs, query map[string]string) bool {
	for k, v := range query {
		if attrs[k] != v {
			return false
		}
	}
	return true
}

// session returns the Backend's Secret Service session, opening it on first
// use: encrypted if the service supports it, else plain.
func (c *client) session(ctx context.Context) (*session, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	if c.b.sess != nil && c.b.conn == c.conn {
		return c.b.sess, nil
	}
	s, err := openSession(ctx, c.conn)
	if err != nil {
		return nil, err
	}
	if c.b.conn == c.conn {
		c.b.sess = s
	}
	return s, nil
}

// sessionAlgorithms are tried in order; tests may shorten the list.
var sessionAlgorithms = []string{algDH, "plain"}

func openSession(ctx context.Context, conn *dbus.Conn) (*session, error) {
	svc := conn.Object(busName, servicePath)
	var err error
	for _, alg := range sessionAlgorithms {
		var s *session
		if s, err = tryOpenSession(ctx, svc, alg); !isDBusError(err, errNotSupported) {
			return s, err
		}
	}
	return nil, err
}

func tryOpenSession(ctx context.Context, svc dbus.BusObject, alg string) (*session, error) {
	var out dbus.Variant
	var path dbus.ObjectPath
	if alg == "plain" {
		if err := svc.CallWithContext(ctx, ifaceService+".OpenSession", 0, alg, dbus.MakeVariant("")).Store(&out, &path); err != nil {
			return nil, err
		}
		return &session{path: path}, nil
	}
	kp, err := newDHKeyPair()
	if err != nil {
		return nil, err
	}
	if err := svc.CallWithContext(ctx, ifaceService+".OpenSession", 0, alg, dbus.MakeVariant(kp.publicBytes())).Store(&out, &path); err != nil {
		return nil, err
	}
	peer, ok := out.Value().([]byte)
	if !ok {
		return nil, errors.New("unexpected OpenSession reply")
	}
	key, err := kp.aesKey(peer)
	if err != nil {
		return nil, err
	}
	return &session{path: path, key: key}, nil
}

// getSecret reads and decrypts an item's secret.
func (c *client) getSecret(ctx context.Context, path dbus.ObjectPath) ([]byte, error) {
	s, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	var sec secret
	if err := c.conn.Object(busName, path).CallWithContext(ctx, ifaceItem+".GetSecret", 0, s.path).Store(&sec); err != nil {
		return nil, err
	}
	if s.key == nil {
		return sec.Value, nil
	}
	plain, err := decrypt(s.key, sec.Parameters, sec.Value)
	if err != nil {
		return nil, fmt.Errorf("decrypt secret: %w", err)
	}
	return plain, nil
}

// createItem writes a new item (replacing one with identical attributes).
func (c *client) createItem(ctx context.Context, label string, attrs map[string]string, value []byte) error {
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	sec := secret{Session: s.path, Parameters: []byte{}, Value: value, ContentType: "text/plain"}
	if !utf8.Valid(value) {
		sec.ContentType = "application/octet-stream"
	}
	if s.key != nil {
		if sec.Parameters, sec.Value, err = encrypt(s.key, value); err != nil {
			return err
		}
	}
	props := map[string]dbus.Variant{
		ifaceItem + ".Label":      dbus.MakeVariant(label),
		ifaceItem + ".Attributes": dbus.MakeVariant(attrs),
	}
	var itemPath, prompt dbus.ObjectPath
	if err := c.conn.Object(busName, c.coll).CallWithContext(ctx, ifaceCollection+".CreateItem", 0, props, sec, true).Store(&itemPath, &prompt); err != nil {
		return err
	}
	return c.handlePrompt(ctx, prompt)
}

// deleteItem removes an item.
func (c *client) deleteItem(ctx context.Context, path dbus.ObjectPath) error {
	var prompt dbus.ObjectPath
	if err := c.conn.Object(busName, path).CallWithContext(ctx, ifaceItem+".Delete", 0).Store(&prompt); err != nil {
		return err
	}
	return c.handlePrompt(ctx, prompt)
}

// handlePrompt follows a prompt the service asked for, if prompting is
// allowed; otherwise the operation fails with store.ErrUnavailable.
func (c *client) handlePrompt(ctx context.Context, p dbus.ObjectPath) error {
	if p == noPrompt || p == "" {
		return nil
	}
	if !c.b.opts.AllowPrompt {
		return fmt.Errorf("%w: the Secret Service wants to show a prompt and prompting is off", store.ErrUnavailable)
	}
	dismissed, err := c.prompt(ctx, p)
	if err != nil {
		return err
	}
	if dismissed {
		return fmt.Errorf("%w: the Secret Service prompt was dismissed", store.ErrUnavailable)
	}
	return nil
}

// isDBusError reports whether err is a D-Bus error with one of names.
func isDBusError(err error, names ...string) bool {
	if err == nil {
		return false
	}
	var derr dbus.Error
	if errors.As(err, &derr) {
		return slices.Contains(names, derr.Name)
	}
	var perr *dbus.Error
	if errors.As(err, &perr) {
		return slices.Contains(names, perr.Name)
	}
	return false
}
