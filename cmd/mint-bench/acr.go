// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docker-credential-mint/mint/credentials/provider/acr/acrtest"
)

// ACR figures against acrtest (an Entra ID authority and the registry's
// /oauth2/exchange, over TLS with a throw-away CA) served by this process
// on loopback. The exchange is at https://myreg.azurecr.io/oauth2/exchange:
// the helpers reach it through HTTPS_PROXY, a CONNECT proxy of this
// process that carries myreg.azurecr.io:443 (and nothing else) to the
// stand-in; the authority, on 127.0.0.1, is reached directly.
const (
	acrBenchHost   = "myreg.azurecr.io"
	acrEnvModule   = "github.com/chrismellard/docker-credential-acr-env"
	acrEnvVersion  = "v0.0.0-20230304212654-82a0ddb27589"
	acrResourceURL = "https://containerregistry.azure.net"
)

func startACR(c *config) *cloudStandIn {
	dir, err := os.MkdirTemp(c.tmp, "acr-")
	check(err)
	cert, caFile, err := benchCert(dir, acrBenchHost)
	check(err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := acrtest.NewUnstarted(l, cert, acrBenchHost)
	var reqs atomic.Int64
	inner := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqs.Add(1)
		if r.Method == http.MethodPost && r.URL.Path == "/"+acrtest.Tenant+"/oauth2/token" {
			entraV1(inner, w, r)
			return
		}
		inner.ServeHTTP(w, r)
	})
	srv.StartTLS()
	proxy := connectProxy(acrBenchHost+":443", l.Addr().String())
	s := &cloudStandIn{
		cloud: "acr",
		host:  acrBenchHost,
		title: "One ACR mint on a cold cache (no config; acrtest's Entra ID authority and /oauth2/exchange over TLS on loopback)",
		note:  "mint (acr cache): " + acrBenchHost + " with no config (detected by its host name), its refresh token (client secret from the environment → Entra ID → /oauth2/exchange) cached by one get through the stand-in; the other registries are static logins in the file store. The protocol binary answers from the cache with no Azure SDK (it does not link azidentity) and no hand-off.",
		after: "Each get runs in a fresh HOME with an empty token cache (mint's file store already holds one login, so its key exists): azidentity's DefaultAzureCredential (environment client secret; the authority's OpenID configuration, then its v2.0 token endpoint), then the exchange through the CONNECT proxy, the refresh token cached. docker-credential-acr-env caches nothing (every get is a mint) and speaks Entra ID's v1 endpoint (go-autorest's adal, resource instead of scope): the stand-in answers it from its v2.0 endpoint (scope = resource/.default, expires_on added), counted as one request.",
		mints: srv.Exchanges,
		reqs:  reqs.Load,
		extra: []string{"AZURE_TENANT_ID=" + acrtest.Tenant, "AZURE_CLIENT_ID=" + acrtest.ClientID, "AZURE_CLIENT_SECRET=" + acrtest.ClientSecret,
			"AZURE_AUTHORITY_HOST=" + srv.AuthorityHost(), "SSL_CERT_FILE=" + caFile, "HTTPS_PROXY=" + proxy, "HTTP_PROXY=" + proxy},
	}
	if slices.Contains(c.refs, "acr-env") {
		bin, err := buildRef(c, "docker-credential-acr-env", acrEnvModule, acrEnvVersion, acrEnvModule)
		if err != nil {
			s.skips = append(s.skips, fmt.Sprintf("docker-credential-acr-env %s: it did not build: %v", acrEnvVersion, firstLine(err.Error())))
		} else {
			envFile := filepath.Join(dir, "azure-env.json")
			b, _ := json.Marshal(map[string]string{"name": "AzureStackCloud", "activeDirectoryEndpoint": srv.AuthorityHost(),
				"resourceManagerEndpoint": acrResourceURL, "tokenAudience": acrResourceURL, "containerRegistryDNSSuffix": "azurecr.io"})
			check(os.WriteFile(envFile, b, 0o600))
			extra := append(slices.Clone(s.extra), "AZURE_ENVIRONMENT=AzureStackCloud", "AZURE_ENVIRONMENT_FILEPATH="+envFile, "AZURE_AD_RESOURCE="+acrResourceURL)
			s.refs = append(s.refs, cloudMinter{name: "docker-credential-acr-env (" + acrEnvVersion[len(acrEnvVersion)-12:] + ")", bin: bin, extra: extra})
		}
	}
	s.stop = srv.Close
	return s
}

// entraV1 answers Entra ID's v1 client-credentials request (resource) from
// the stand-in's v2.0 endpoint (scope = resource/.default), with the v1
// reply's expires_on.
func entraV1(v2 http.Handler, w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	form := r.PostForm
	form.Set("scope", strings.TrimSuffix(form.Get("resource"), "/")+"/.default")
	form.Del("resource")
	body := form.Encode()
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + acrtest.Tenant + "/oauth2/v2.0/token"
	r2.URL.RawQuery = ""
	r2.Body = io.NopCloser(strings.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.PostForm, r2.Form = nil, nil
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	v2.ServeHTTP(rec, r2)
	var m map[string]any
	if rec.code == http.StatusOK && json.Unmarshal(rec.body.Bytes(), &m) == nil {
		m["expires_on"] = strconv.FormatInt(time.Now().Add(3599*time.Second).Unix(), 10)
		m["expires_in"] = "3599"
		m["resource"] = form.Get("scope")
		b, _ := json.Marshal(m)
		rec.body.Reset()
		rec.body.Write(b)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rec.code)
	_, _ = w.Write(rec.body.Bytes())
}

// recorder is a minimal http.ResponseWriter that keeps the answer.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

// connectProxy is an HTTP CONNECT proxy on loopback that carries target
// (host:port) to addr and refuses every other destination; it returns its
// URL.
func connectProxy(target, addr string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				if req.Method != http.MethodConnect || req.Host != target {
					fmt.Fprintf(conn, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
					return
				}
				up, err := net.Dial("tcp", addr)
				if err != nil {
					fmt.Fprintf(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					return
				}
				defer up.Close()
				fmt.Fprintf(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(up, br); done <- struct{}{} }()
				go func() { _, _ = io.Copy(conn, up); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return (&url.URL{Scheme: "http", Host: l.Addr().String()}).String()
}

// benchCert makes a throw-away CA (written to dir/ca.pem, for
// SSL_CERT_FILE) and a certificate for host and 127.0.0.1 from it.
func benchCert(dir, host string) (tls.Certificate, string, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mint-bench throw-away CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{host},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		return tls.Certificate{}, "", err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile, nil
}
