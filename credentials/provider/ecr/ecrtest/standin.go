// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package ecrtest

import (
	"net/http"
	"strconv"
	"strings"
)

// New returns a Server that accepts the access key keyID with secret and
// mints "AWS:<password>-<n>", for a program that serves it on a listener
// of its own (it is an http.Handler; set URL to where it listens). Tests
// use NewServer.
func New(keyID, secret, password string) *Server {
	return &Server{Keys: map[string]string{keyID: secret}, Password: password}
}

// ServeHTTP answers one GetAuthorizationToken call (ECR or ECR Public).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }

// Minted reports whether password is one that s has handed out: what a
// registry in front of this stand-in accepts as the password of user AWS.
func (s *Server) Minted(password string) bool {
	rest, ok := strings.CutPrefix(password, s.Password+"-")
	if !ok || s.Password == "" {
		return false
	}
	n, err := strconv.Atoi(rest)
	return err == nil && n >= 1 && n <= s.Calls() && strconv.Itoa(n) == rest
}
