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

// gone are the errors of a call on an object that does not exist (any more).
var gone = []string{errNoSuchObject, errUnknownObject, errUnknownMethod}

// maxInFlight caps the calls one operation has waiting for a reply at
// once. dbus-daemon refuses a connection more than max_replies_per_connection
// of them (128 unless the bus configuration raises it, as the stock
// session.conf does); 32 already keeps the service busy.
const maxInFlight = 32

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

// client is what one operation uses: a connection, the default collection
// ("" until known) and the session, if open.
type client struct {
	b       *Backend
	conn    *dbus.Conn
	addr    string
	refused func() error // see dial
	coll    dbus.ObjectPath
	sess    *session
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
	conn, refused, err := dial(ctx, addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: the D-Bus session bus did not answer in time: %w", store.ErrUnavailable, ctx.Err())
		}
		return nil, fmt.Errorf("%w: cannot connect to the D-Bus session bus: %v", store.ErrUnavailable, firstLine(err.Error()))
	}
	b.conn, b.addr, b.refused = conn, addr, refused
	return conn, nil
}

// client returns a client on the Backend's connection.
func (b *Backend) client(ctx context.Context, op string) (*client, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	conn, err := b.connectLocked(ctx)
	if err != nil {
		return nil, fmt.Errorf("secretservice: %s: %w", op, err)
	}
	c := &client{b: b, conn: conn, addr: b.addr, refused: b.refused, coll: b.coll, sess: b.sess}
	return c, nil
}

// start is the first round trip of every operation. It connects and sends
// at once the search for query and ReadAlias("default") (once per
// connection), and returns the unlocked items found. Items of ours that are
// locked fail the operation with store.ErrUnavailable, unless AllowPrompt
// lets the user unlock them; so does a locked default collection when
// nothing was found (a service may hide a locked collection's items).
//
// OpenSession is not part of it: see beginSession.
//
// also, if not nil, is called with the client once the search is sent, to
// send calls that go with it.
func (b *Backend) start(ctx context.Context, op string, query map[string]string, also func(*client)) (*client, []dbus.ObjectPath, error) {
	c, err := b.client(ctx, op)
	if err != nil {
		return nil, nil, err
	}
	svc := c.conn.Object(busName, servicePath)
	search := svc.GoWithContext(ctx, ifaceService+".SearchItems", 0, nil, query)
	var alias *dbus.Call
	if c.coll == "" {
		alias = svc.GoWithContext(ctx, ifaceService+".ReadAlias", 0, nil, "default")
	}
	if also != nil {
		also(c)
	}
	paths, err := c.searchUnlocked(ctx, query, search, alias)
	if err != nil {
		if r := c.refused(); r != nil {
			err = r // the calls only saw the connection close
		}
		return nil, nil, b.fail(op, err)
	}
	return c, paths, nil
}

// searchUnlocked is start's lock check of the SearchItems call search;
// alias, if not nil, is the ReadAlias call sent with it.
//
// The search is the service's, over every collection, rather than the
// default collection's: it tells locked items from unlocked ones, which
// saves reading the collection's Locked property on every operation, and
// it needs no collection path. (The default collection's alias path,
// /org/freedesktop/secrets/aliases/default, would save the ReadAlias too,
// but gnome-keyring resolves it on its D-Bus thread while its main thread
// may be replacing the alias for a client that just connected, and then
// answers with a path made of freed memory.)
func (c *client) searchUnlocked(ctx context.Context, query map[string]string, search, alias *dbus.Call) ([]dbus.ObjectPath, error) {
	if alias != nil {
		var p dbus.ObjectPath
		if err := (<-alias.Done).Store(&p); err != nil && !isDBusError(err, gone...) {
			return nil, err
		}
		c.setCollection(p)
	}
	for prompted := false; ; prompted = true {
		var unlocked, locked []dbus.ObjectPath
		err := (<-search.Done).Store(&unlocked, &locked)
		if isDBusError(err, errUnknownMethod) && !prompted {
			// See beginSession: gnome-keyring served the call before it knew
			// us ("not implemented"), and answers when asked again.
			err = c.conn.Object(busName, servicePath).CallWithContext(ctx, ifaceService+".SearchItems", 0, query).Store(&unlocked, &locked)
		}
		if err != nil {
			return nil, err
		}
		if len(unlocked) == 0 && len(locked) == 0 {
			var err error
			if locked, err = c.lockedDefault(ctx); err != nil {
				return nil, err
			}
		}
		if len(locked) == 0 {
			return unlocked, nil
		}
		if !c.b.opts.AllowPrompt || prompted {
			return nil, fmt.Errorf("%w: %s", store.ErrUnavailable, msgLocked)
		}
		if err := c.unlock(ctx, locked); err != nil {
			return nil, err
		}
		search = c.conn.Object(busName, servicePath).GoWithContext(ctx, ifaceService+".SearchItems", 0, nil, query)
	}
}

// lockedDefault returns the default collection if it is locked.
func (c *client) lockedDefault(ctx context.Context) ([]dbus.ObjectPath, error) {
	coll, err := c.collection(ctx)
	if errors.Is(err, store.ErrUnavailable) {
		return nil, nil // no default collection: nothing stored
	}
	if err != nil {
		return nil, err
	}
	var locked dbus.Variant
	err = c.conn.Object(busName, coll).CallWithContext(ctx, ifaceProperties+".Get", 0, ifaceCollection, "Locked").Store(&locked)
	if isDBusError(err, gone...) {
		c.setCollection("") // the collection went away: look again next time
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if v, _ := locked.Value().(bool); v {
		return []dbus.ObjectPath{coll}, nil
	}
	return nil, nil
}

// setCollection sets the default collection of the client and, for later
// operations on its connection, of the Backend. "/" and "" are none.
func (c *client) setCollection(p dbus.ObjectPath) {
	if p == noPrompt {
		p = ""
	}
	c.coll = p
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	if c.b.conn == c.conn {
		c.b.coll = p
	}
}

// collection returns the default collection: the "default" alias as
// start read it, else "login" if there is one.
func (c *client) collection(ctx context.Context) (dbus.ObjectPath, error) {
	if c.coll != "" {
		return c.coll, nil
	}
	var label dbus.Variant
	err := c.conn.Object(busName, loginCollection).CallWithContext(ctx, ifaceProperties+".Get", 0, ifaceCollection, "Label").Store(&label)
	if isDBusError(err, gone...) {
		return "", fmt.Errorf("%w: %s", store.ErrUnavailable, msgNoDefault)
	}
	if err != nil {
		return "", err
	}
	c.setCollection(loginCollection)
	return loginCollection, nil
}

// search searches every collection for query and returns the unlocked
// items.
func (c *client) search(ctx context.Context, query map[string]string) ([]dbus.ObjectPath, error) {
	var unlocked, locked []dbus.ObjectPath
	err := c.conn.Object(busName, servicePath).CallWithContext(ctx, ifaceService+".SearchItems", 0, query).Store(&unlocked, &locked)
	return unlocked, err
}

// unlock asks the service to unlock objects, showing its prompt.
func (c *client) unlock(ctx context.Context, objects []dbus.ObjectPath) error {
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := c.conn.Object(busName, servicePath).CallWithContext(ctx, ifaceService+".Unlock", 0, objects).Store(&unlocked, &prompt)
	if err != nil {
		return err
	}
	if prompt == noPrompt {
		if len(unlocked) > 0 {
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

// pipelined sends send(i, ch) for every i < n, with at most maxInFlight
// calls unanswered at once, and hands each answered call to got as it
// arrives (in arrival order), so that nothing keeps a thousand replies
// alive at once. send must pass ch to godbus as the call's done channel.
func pipelined(n int, send func(i int, ch chan *dbus.Call) *dbus.Call, got func(i int, call *dbus.Call)) {
	ch := make(chan *dbus.Call, min(n, maxInFlight))
	index := make(map[*dbus.Call]int, min(n, maxInFlight))
	next, pending := 0, 0
	for next < n || pending > 0 {
		for ; next < n && pending < maxInFlight; next, pending = next+1, pending+1 {
			index[send(next, ch)] = next
		}
		call := <-ch
		i := index[call]
		delete(index, call)
		pending--
		got(i, call)
	}
}

// items reads the attributes of paths (found by query) and returns our
// items among them, by path. The reads are pipelined: one round trip of
// latency for up to maxInFlight items.
func (c *client) items(ctx context.Context, paths []dbus.ObjectPath, query map[string]string) (map[dbus.ObjectPath]item, error) {
	return c.itemsOr(ctx, paths, query, nil)
}

// itemsOr is items, calling foreign, if not nil, with each path read that
// is not a well-formed item of ours.
func (c *client) itemsOr(ctx context.Context, paths []dbus.ObjectPath, query map[string]string, foreign func(dbus.ObjectPath)) (map[dbus.ObjectPath]item, error) {
	items := make(map[dbus.ObjectPath]item, len(paths))
	var firstErr error
	pipelined(len(paths), func(i int, ch chan *dbus.Call) *dbus.Call {
		return c.conn.Object(busName, paths[i]).GoWithContext(ctx, ifaceProperties+".Get", 0, ch, ifaceItem, "Attributes")
	}, func(i int, call *dbus.Call) {
		var v dbus.Variant
		err := call.Store(&v)
		var attrs map[string]string
		if err == nil {
			err = v.Store(&attrs)
		}
		switch {
		case isDBusError(err, gone...): // deleted since the search
		case err != nil:
			if firstErr == nil {
				firstErr = err
			}
		// The service matched the query already; check it again in case
		// it matches loosely, and skip what is not ours.
		case matches(attrs, query):
			if it, ok := parseItem(paths[i], attrs); ok {
				items[paths[i]] = it
			} else if foreign != nil {
				foreign(paths[i])
			}
		case foreign != nil:
			foreign(paths[i])
		}
	})
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

// sessionAlgorithms returns the session algorithms to try, in order, on
// the bus at addr; tests replace it.
//
// On a unix socket, plain comes first. The Secret Service's encryption is
// against someone reading the bus traffic, and on a local bus only root and
// the user themselves can (BecomeMonitor or eavesdropping needs the bus
// owner's uid), and both can already ask the unlocked keyring for every
// secret, or read this process's memory. Against that, the exchange costs
// two 1024-bit modular exponentiations on each side, the largest part of a
// get's work. libsecret and every service implement plain; secret-tool,
// Python's keyring and go-keyring use it too. What plain gives up: a
// dbus-monitor capture the user takes themselves shows the secrets. On any
// other bus (TCP), the messages cross a network: the encrypted algorithm
// first.
var sessionAlgorithms = func(addr string) []string {
	if localBus(addr) {
		return []string{algPlain, algDH}
	}
	return []string{algDH, algPlain}
}

const algPlain = "plain"

// openingSession is an OpenSession call on its way.
type openingSession struct {
	call *dbus.Call
	kp   *dhKeyPair // nil for plain
}

// sendOpenSession sends OpenSession for alg, without waiting for the reply.
func (c *client) sendOpenSession(ctx context.Context, alg string) (*openingSession, error) {
	o := &openingSession{}
	input := dbus.MakeVariant("")
	if alg != algPlain {
		var err error
		if o.kp, err = newDHKeyPair(); err != nil {
			return nil, err
		}
		input = dbus.MakeVariant(o.kp.publicBytes())
	}
	o.call = c.conn.Object(busName, servicePath).GoWithContext(ctx, ifaceService+".OpenSession", 0, nil, alg, input)
	return o, nil
}

// wait waits for the reply and completes the session.
func (o *openingSession) wait() (*session, error) {
	var out dbus.Variant
	var path dbus.ObjectPath
	if err := (<-o.call.Done).Store(&out, &path); err != nil {
		return nil, err
	}
	if o.kp == nil {
		return &session{path: path}, nil
	}
	peer, ok := out.Value().([]byte)
	if !ok {
		return nil, errors.New("unexpected OpenSession reply")
	}
	key, err := o.kp.aesKey(peer)
	if err != nil {
		return nil, err
	}
	return &session{path: path, key: key}, nil
}

// beginSession sends OpenSession if the client has no session yet, and
// returns the call for session to wait on (nil when there is a session).
//
// It must follow a successful search (start). gnome-keyring 42 sets up its
// state for a new client from an idle callback queued as each of the
// client's messages comes in, and now and then serves a call before that
// state exists; an OpenSession then crashes the daemon ("assertion 'client'
// failed", then a GLib error). Six processes getting at once, each
// connecting anew, crashed it in 3 runs of 7 when OpenSession went out with
// the search, in none of 8 when it waited for the search's answer: the
// search needs the same state, so its answer proves it exists.
func (c *client) beginSession(ctx context.Context) (*openingSession, error) {
	if c.sess != nil {
		return nil, nil
	}
	return c.sendOpenSession(ctx, sessionAlgorithms(c.addr)[0])
}

// session returns the client's session, opening it if there is none yet:
// with sessionAlgorithms' first algorithm through first, if not nil (sent
// already), then with the others while the service answers NotSupported.
// The Backend keeps it for the connection's later operations.
func (c *client) session(ctx context.Context, first *openingSession) (*session, error) {
	if c.sess != nil {
		return c.sess, nil
	}
	var err error
	for i, alg := range sessionAlgorithms(c.addr) {
		o := first
		if i > 0 || o == nil {
			if o, err = c.sendOpenSession(ctx, alg); err != nil {
				return nil, err
			}
		}
		var s *session
		if s, err = o.wait(); isDBusError(err, errNotSupported) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c.sess = s
		c.b.mu.Lock()
		if c.b.conn == c.conn {
			c.b.sess = s
		}
		c.b.mu.Unlock()
		return s, nil
	}
	return nil, err
}

// sendGetSecrets asks for the secrets of paths in one call, without
// waiting for the reply. The session must be open.
func (c *client) sendGetSecrets(ctx context.Context, paths []dbus.ObjectPath) *dbus.Call {
	return c.conn.Object(busName, servicePath).GoWithContext(ctx, ifaceService+".GetSecrets", 0, nil, paths, c.sess.path)
}

// secrets waits for sendGetSecrets' call and returns the secrets by path;
// items deleted since the search are missing.
func (c *client) secrets(call *dbus.Call) (map[dbus.ObjectPath]secret, error) {
	var secs map[dbus.ObjectPath]secret
	if err := (<-call.Done).Store(&secs); err != nil {
		return nil, err
	}
	return secs, nil
}

// getSecret reads one item's secret (for services without GetSecrets).
func (c *client) getSecret(ctx context.Context, path dbus.ObjectPath) (secret, error) {
	var sec secret
	err := c.conn.Object(busName, path).CallWithContext(ctx, ifaceItem+".GetSecret", 0, c.sess.path).Store(&sec)
	return sec, err
}

// open decrypts a secret of the client's session.
func (c *client) open(sec secret) ([]byte, error) {
	if c.sess.key == nil {
		return sec.Value, nil
	}
	plain, err := decrypt(c.sess.key, sec.Parameters, sec.Value)
	if err != nil {
		return nil, fmt.Errorf("decrypt secret: %w", err)
	}
	return plain, nil
}

// createItem writes a new item, or replaces the one whose attributes
// include all of attrs, and returns its path. The session must be open.
func (c *client) createItem(ctx context.Context, label string, attrs map[string]string, value []byte) (dbus.ObjectPath, error) {
	s := c.sess
	sec := secret{Session: s.path, Parameters: []byte{}, Value: value, ContentType: "text/plain"}
	if !utf8.Valid(value) {
		sec.ContentType = "application/octet-stream"
	}
	var err error
	if s.key != nil {
		if sec.Parameters, sec.Value, err = encrypt(s.key, value); err != nil {
			return "", err
		}
	}
	props := map[string]dbus.Variant{
		ifaceItem + ".Label":      dbus.MakeVariant(label),
		ifaceItem + ".Attributes": dbus.MakeVariant(attrs),
	}
	coll, err := c.collection(ctx)
	if err != nil {
		return "", err
	}
	var itemPath, prompt dbus.ObjectPath
	err = c.conn.Object(busName, coll).CallWithContext(ctx, ifaceCollection+".CreateItem", 0, props, sec, true).Store(&itemPath, &prompt)
	if isDBusError(err, gone...) {
		c.setCollection("") // the collection went away: look again next time
		return "", fmt.Errorf("%w: %s", store.ErrUnavailable, msgNoDefault)
	}
	if err != nil {
		return "", err
	}
	if err := c.handlePrompt(ctx, prompt); err != nil {
		return "", err
	}
	// After a prompt the service has made the item but told no path ("/"):
	// the caller's search finds it.
	return itemPath, nil
}

// deleteItems removes the items at paths, pipelined, and returns how many
// it removed; items already gone do not count and are no error.
func (c *client) deleteItems(ctx context.Context, paths []dbus.ObjectPath) (int, error) {
	n := 0
	var firstErr error
	pipelined(len(paths), func(i int, ch chan *dbus.Call) *dbus.Call {
		return c.conn.Object(busName, paths[i]).GoWithContext(ctx, ifaceItem+".Delete", 0, ch)
	}, func(_ int, call *dbus.Call) {
		var prompt dbus.ObjectPath
		err := call.Store(&prompt)
		if err == nil {
			err = c.handlePrompt(ctx, prompt)
		}
		switch {
		case err == nil:
			n++
		case isDBusError(err, gone...): // removed concurrently
		case firstErr == nil:
			firstErr = err
		}
	})
	return n, firstErr
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
