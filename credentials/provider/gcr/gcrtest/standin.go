// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package gcrtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// New returns a Server for a program that serves it on a listener of its
// own (it is an http.Handler) at url (http://127.0.0.1:port). Tests use
// NewServer.
func New(url string) *Server {
	return &Server{URL: url, Host: strings.TrimPrefix(url, "http://"),
		keys: map[string]*rsa.PublicKey{}, subs: map[string]bool{}, given: map[string]bool{}}
}

// ServeHTTP answers one request as the stand-in (token endpoints and the
// metadata server).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }

// Minted reports whether tok is an access token s handed out: what a
// registry in front of this stand-in accepts as the password of user
// oauth2accesstoken.
func (s *Server) Minted(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.given[tok]
}

// WriteServiceAccountKey writes a service account key file for email into
// dir (a fresh 2048-bit RSA key, token_uri at the stand-in), makes the
// stand-in accept assertions signed with it, and returns the file's path
// and the key's PEM (the root secret, for checks that it never travels
// where it should not).
func (s *Server) WriteServiceAccountKey(dir, email string) (path, keyPEM string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	data, err := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "test-project",
		"private_key_id": "k1",
		"private_key":    keyPEM,
		"client_email":   email,
		"client_id":      "1234567890",
		"token_uri":      s.URL + "/token",
	})
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "sa-"+strings.Split(email, "@")[0]+".json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", "", fmt.Errorf("write the service account key: %w", err)
	}
	s.mu.Lock()
	s.keys[email] = &key.PublicKey
	s.mu.Unlock()
	return path, keyPEM, nil
}
