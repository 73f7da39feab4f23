// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package acrtest

import (
	"crypto/rand"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
)

// NewUnstarted returns a stand-in to be served on l over TLS with cert, for
// a program that runs it outside a test: the caller may wrap
// Config.Handler, then calls StartTLS (its URL is then https://<l's
// address>) and, at the end, Close. registry is the name the exchange
// expects as service, such as myreg.azurecr.io. Tests use NewServer or
// NewServerFor.
func NewUnstarted(l net.Listener, cert tls.Certificate, registry string) *Server {
	s := &Server{key: make([]byte, 32), access: map[string]bool{}, refresh: map[string]bool{}, Host: registry}
	if _, err := rand.Read(s.key); err != nil {
		panic(err)
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Listener.Close()
	s.Listener = l
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return s
}

// ServeHTTP answers one request as the stand-in: a program whose registry
// host fronts another registry hands it the paths that are ACR's own, such
// as /oauth2/exchange.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }
