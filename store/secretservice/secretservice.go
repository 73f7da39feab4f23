// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package secretservice is a store.Backend kept by a Secret Service
// (GNOME Keyring, KeePassXC, KWallet's bridge) over the D-Bus session bus,
// in pure Go (no libsecret, no cgo).
//
// Each key is one item, written to the default collection (normally
// "login") and found in any collection (so an item written before the
// default changed is still read, replaced and erased). The item's secret is the entry's Secret and nothing else; everything else is
// kept in the item's attributes, so that List reads attributes only and never
// asks for a secret:
//
//	service   = "docker-credential-mint"
//	namespace = the Backend's namespace
//	key       = the key
//	server    = Entry.ServerURL
//	username  = Entry.Username
//	expiry    = Entry.Expiry in Unix seconds (absent when zero)
//	mtime     = when the item was written, Unix nanoseconds (orders duplicates)
//
// D-Bus strings must be UTF-8 without NUL bytes: a key, server or username
// that is not is kept base64url-encoded in "key-b64", "server-b64" or
// "username-b64" instead. Items are labelled "docker-credential-mint: <ServerURL>".
//
// On a session bus that is a unix socket (nearly always), secrets travel
// over the bus in the specification's "plain" algorithm: only the user and
// root can read that bus, and both can read the unlocked keyring itself. On
// any other bus they are encrypted with its
// dh-ietf1024-sha256-aes128-cbc-pkcs7 algorithm, or plain when the service
// does not offer it.
//
// Connecting costs no round trip, and a get three: the search (which tells
// locked items from unlocked ones) with the default collection's lookup,
// then the found items' attributes with the session's opening, then their
// secrets. On a connection with a session open, the last two are one.
// A Put that keeps the entry's server URL, username and expiry rewrites
// the one item in place (CreateItem with replace): the keyring writes its
// file once, where a new item and the old one's removal cost it twice.
// List reads the attributes of items it has not seen before only: it
// remembers the others in a file in $XDG_RUNTIME_DIR, voided when the bus
// or the service's daemon changes (see listcache_linux.go).
//
// At a thousand items, gnome-keyring's own time sets the floor: it looks
// every item up among all of them (about 0.4 ms per attribute read, 10 ms
// for a search that returns all thousand), and every write re-encrypts and
// rewrites the whole keyring file (50 to 100 ms).
//
// The Backend never shows a prompt unless Options.AllowPrompt is set: a
// locked collection is an error wrapping store.ErrUnavailable. Every D-Bus
// call carries the caller's deadline (or DefaultTimeout), so a hung or
// stopped daemon gives an error, never a hang.
//
// On other operating systems than Linux, New returns a Backend whose methods
// fail with store.ErrUnsupportedPlatform.
//
// Specification: https://specifications.freedesktop.org/secret-service-spec/latest/
package secretservice

import "time"

// Service is the value of the "service" attribute of every item this
// package writes; List and Get look at nothing else.
const Service = "docker-credential-mint"

// DefaultTimeout bounds every operation whose context has no deadline. It
// covers a Secret Service started by D-Bus activation on a slow machine
// (gnome-keyring-daemon takes about half a second) many times over, while
// still turning a hung daemon into an error before users give up.
const DefaultTimeout = 10 * time.Second

// Options configures a Backend. The zero value is the user's session bus,
// no prompts.
type Options struct {
	// Address is the D-Bus address to connect to. Empty means the session
	// bus: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus.
	Address string
	// AllowPrompt lets the Backend ask the Secret Service to unlock a locked
	// collection, which shows a password dialog on the user's desktop and
	// waits (within the context's deadline) for it. Leave it false whenever
	// nobody may be watching the screen: Docker runs helpers without a TTY.
	AllowPrompt bool
}

// Attribute names of the items (see the package documentation).
const (
	attrService   = "service"
	attrNamespace = "namespace"
	attrKey       = "key"
	attrServer    = "server"
	attrUsername  = "username"
	attrExpiry    = "expiry"
	attrMtime     = "mtime"
	b64Suffix     = "-b64"
	labelPrefix   = "docker-credential-mint: "
)
