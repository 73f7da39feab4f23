// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Command cloudlab is the cloud side of a cloud registry, for the end-to-end
// tests and make demo: a stand-in for the cloud's token API, a registry
// token service that accepts exactly the registry passwords that stand-in
// minted, and Debian's docker-registry serving the cloud's registry host
// name over TLS on port 443 with token auth from that service. It is meant
// to run in a private network and mount namespace (unshare -n -m) whose
// /etc/hosts names the registry host 127.0.0.1: then clients and the helper
// reach "the cloud" by its real host name and default port, and nothing
// can leave the machine.
//
// -cloud picks the cloud; the cloud's credentials come from the
// environment, never argv, and the lab removes them from its own:
//
//   - ecr serves ECR's GetAuthorizationToken (package ecrtest: JSON 1.1,
//     SigV4 checked) for AWS_ENDPOINT_URL_ECR; the token service accepts
//     user AWS with a password the stand-in minted. The access key id, its
//     secret and the password prefix come from CLOUDLAB_AWS_ACCESS_KEY_ID,
//     CLOUDLAB_AWS_SECRET_ACCESS_KEY and CLOUDLAB_PASSWORD.
//   - gcr serves Google's token endpoint and metadata server (package
//     gcrtest: a service account key's RS256 assertion verified) and writes
//     a service account key file whose token_uri is that endpoint (printed
//     as "credentials PATH", for GOOGLE_APPLICATION_CREDENTIALS; the
//     endpoint's host is GCE_METADATA_HOST's too); the token service accepts
//     user oauth2accesstoken with an access token the stand-in minted.
//   - acr serves a Microsoft Entra ID authority over TLS (package acrtest;
//     its URL is AZURE_AUTHORITY_HOST; client id, tenant and secret are
//     acrtest's) and puts ACR's own endpoints in front of the registry, as
//     ACR does: https://HOST/oauth2/exchange (acrtest: an Entra ID access
//     token the authority issued, for an ACR refresh token),
//     https://HOST/oauth2/token (the realm: user
//     00000000-0000-0000-0000-000000000000 with a refresh token the exchange
//     issued) and /v2/ passed on to docker-registry on loopback.
//
// Another cloud adds a case to newCloud.
//
// It writes into -dir a throw-away CA (ca.pem; for Go clients'
// SSL_CERT_FILE, and certs.d/HOST/ca.crt for containers/image), the
// registry's certificate and config, and logs; prints one "NAME URL" line
// per endpoint (cloud, token, registry, stats) and then "ready"; answers
// GET /stats on the stats URL with its counters as JSON; and on SIGTERM or
// SIGINT stops the registry by its PID and exits. Not for production.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/e2e/internal/regtoken"

	"github.com/docker-credential-mint/mint/credentials"
	"github.com/docker-credential-mint/mint/credentials/provider/acr/acrtest"
	"github.com/docker-credential-mint/mint/credentials/provider/ecr/ecrtest"
	"github.com/docker-credential-mint/mint/credentials/provider/gcr/gcrtest"
)

const issuer = "mint-cloudlab"

func main() {
	log.SetFlags(0)
	log.SetPrefix("cloudlab: ")
	var (
		dir          = flag.String("dir", "", "state directory (certificates, registry config and data, logs)")
		hosts        = flag.String("host", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "the registry's host name(s), comma-separated; the first is the registry's")
		cloudName    = flag.String("cloud", "ecr", "which cloud's token API to stand in for (ecr, gcr, acr)")
		registryAddr = flag.String("registry-addr", "127.0.0.1:443", "where docker-registry listens (TLS)")
		ttl          = flag.Duration("ttl", 5*time.Minute, "life of the registry's bearer tokens")
	)
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	names := strings.Split(*hosts, ",")
	lab, err := newLab(*dir, names, *ttl)
	if err != nil {
		log.Fatal(err)
	}
	cloudL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	if err := lab.newCloud(*cloudName, cloudL); err != nil {
		log.Fatal(err)
	}
	if err := lab.run(*registryAddr, cloudL); err != nil {
		log.Fatal(err)
	}
}

// cloud is one cloud's stand-in: its API, and which registry credentials
// it minted.
type cloud struct {
	api       http.Handler
	url       string                           // where api is served
	tls       bool                             // api is served over TLS (the lab's certificate)
	calls     func() int                       // tokens the cloud minted
	exchanges func() int                       // ACR: refresh tokens the exchange issued
	accept    func(user, password string) bool // the registry credentials it minted
	secrets   []string                         // the cloud credentials that must never reach the registry side
	lines     []string                         // more "NAME VALUE" lines to print
	// front, when set, is served on the registry's host and port in front
	// of docker-registry: the paths it claims are the cloud's (ACR's
	// /oauth2/exchange), its realm is the host's own /oauth2/token, and
	// the rest goes on to docker-registry on loopback.
	front http.Handler
}

// newCloud sets up the stand-in named name from the environment; its API
// is to be served on ln.
func (l *lab) newCloud(name string, ln net.Listener) error {
	addr := ln.Addr().String()
	switch name {
	case "ecr":
		keyID := envOr("CLOUDLAB_AWS_ACCESS_KEY_ID", "AKIDTEST")
		secret := envOr("CLOUDLAB_AWS_SECRET_ACCESS_KEY", "testsecret")
		password := envOr("CLOUDLAB_PASSWORD", "ecr-password-"+randHex(8))
		s := ecrtest.New(keyID, secret, password)
		l.cloud = &cloud{
			api:     s,
			url:     "http://" + addr,
			calls:   s.Calls,
			accept:  func(user, pw string) bool { return user == "AWS" && s.Minted(pw) },
			secrets: []string{secret},
		}
		return nil
	case "gcr":
		url := "http://" + addr
		s := gcrtest.New(url)
		keyFile, keyPEM, err := s.WriteServiceAccountKey(l.dir, "puller@test-project.iam.gserviceaccount.com")
		if err != nil {
			return err
		}
		l.cloud = &cloud{
			api:     s,
			url:     url,
			calls:   s.Calls,
			accept:  func(user, pw string) bool { return user == credentials.GCRUsername && s.Minted(pw) },
			secrets: pemLines(keyPEM),
			lines:   []string{"credentials " + keyFile},
		}
		return nil
	case "acr":
		s := acrtest.NewUnstarted(ln, l.tlsCert, l.hosts[0])
		s.StartTLS()
		front := http.NewServeMux()
		front.Handle("POST /oauth2/exchange", s)
		l.cloud = &cloud{
			api:       nil, // acrtest serves ln itself
			url:       s.AuthorityHost(),
			tls:       true,
			calls:     s.TokenCalls,
			exchanges: s.Exchanges,
			accept:    func(user, pw string) bool { return user == acrtest.Username && s.IsRefreshToken(pw) },
			secrets:   []string{acrtest.ClientSecret},
			front:     front,
		}
		return nil
	}
	return fmt.Errorf("unknown cloud %q (known: ecr, gcr, acr)", name)
}

// pemLines are the base64 lines of a PEM block: any of them in a request
// means the key travelled.
func pemLines(p string) []string {
	var out []string
	for _, line := range strings.Split(p, "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	return out
}

// envOr returns the variable's value (then removes it from the
// environment, so no child sees it), or def.
func envOr(name, def string) string {
	v, ok := os.LookupEnv(name)
	os.Unsetenv(name)
	if !ok || v == "" {
		return def
	}
	return v
}

// lab is the whole cloud side.
type lab struct {
	dir      string
	hosts    []string
	ttl      time.Duration
	cloud    *cloud
	service  string // the registry's token service name
	tlsCert  tls.Certificate
	caFile   string
	certFile string
	keyFile  string
	signKey  *ecdsa.PrivateKey
	signDER  []byte

	requests, issued, denied, unminted, secretSeen atomic.Int64
	mu                                             sync.Mutex
	passwords                                      map[[32]byte]bool
}

// Stats is what GET /stats answers.
type Stats struct {
	// CloudCalls is how many tokens the cloud stand-in minted (ACR: how
	// many token requests Entra ID answered).
	CloudCalls int `json:"cloud_calls"`
	// Exchanges is how many exchanges ACR's /oauth2/exchange answered.
	Exchanges int `json:"exchanges"`
	// TokenRequests counts GET /token at the token service.
	TokenRequests int64 `json:"token_requests"`
	// Issued counts the bearer tokens it issued.
	Issued int64 `json:"issued"`
	// Denied counts its 401s (no credential, or one the cloud did not mint).
	Denied int64 `json:"denied"`
	// Passwords is how many distinct passwords were presented to it.
	Passwords int `json:"passwords"`
	// Unminted counts requests whose password the cloud never minted.
	Unminted int64 `json:"unminted"`
	// SecretKeySeen counts requests that carried the cloud secret (the
	// root credential: AWS secret key, service account private key, client
	// secret) anywhere in their URL, headers or body.
	SecretKeySeen int64 `json:"secret_key_seen"`
}

func newLab(dir string, hosts []string, ttl time.Duration) (*lab, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	l := &lab{dir: dir, hosts: hosts, ttl: ttl, passwords: map[[32]byte]bool{}}
	if err := l.writeTLS(); err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	l.signKey = k
	l.signDER, err = selfSigned(k, issuer)
	return l, err
}

// writeTLS makes the throw-away CA and the hosts' certificate.
func (l *lab) writeTLS() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caDER, err := selfSigned(caKey, "mint cloudlab throw-away CA")
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: l.hosts[0]},
		DNSNames:     append(append([]string(nil), l.hosts...), "localhost"),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	l.caFile = filepath.Join(l.dir, "ca.pem")
	l.certFile = filepath.Join(l.dir, "server.pem")
	l.keyFile = filepath.Join(l.dir, "server-key.pem")
	files := map[string][]byte{l.caFile: caPEM, l.certFile: certPEM, l.keyFile: keyPEM}
	for _, h := range l.hosts {
		files[filepath.Join(l.dir, "certs.d", h, "ca.crt")] = caPEM
	}
	for f, b := range files {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(f, b, 0o600); err != nil {
			return err
		}
	}
	l.tlsCert, err = tls.X509KeyPair(certPEM, keyPEM)
	return err
}

// run starts the endpoints and the registry, prints them, and waits for a
// signal or the registry's end. cloudL is the cloud API's listener.
func (l *lab) run(registryAddr string, cloudL net.Listener) error {
	if l.cloud.api != nil {
		ln := cloudL
		if l.cloud.tls {
			ln = tls.NewListener(cloudL, l.serverTLS())
		}
		go serve(ln, l.cloud.api)
	}
	statsL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go serve(statsL, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/stats" {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, http.StatusOK, l.stats())
	}))

	_, port, _ := net.SplitHostPort(registryAddr)
	regURL := "https://" + l.hosts[0]
	if port != "443" {
		regURL += ":" + port
	}
	var realm, backend, service string
	if l.cloud.front != nil {
		// The registry's own host answers the realm and the cloud's paths;
		// docker-registry listens on loopback behind it.
		realm, service = regURL+"/oauth2/token", l.hosts[0]
		bl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		backend = bl.Addr().String()
		bl.Close()
		frontL, err := net.Listen("tcp", registryAddr)
		if err != nil {
			return err
		}
		target := &url.URL{Scheme: "http", Host: backend}
		mux := http.NewServeMux()
		mux.Handle("/", &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		}, ErrorLog: log.New(os.Stderr, "cloudlab: proxy: ", 0)})
		mux.HandleFunc("/oauth2/token", l.token)
		mux.Handle("/oauth2/", l.cloud.front)
		go serve(tls.NewListener(frontL, l.serverTLS()), mux)
	} else {
		tokenL, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		go serve(tls.NewListener(tokenL, l.serverTLS()), http.HandlerFunc(l.token))
		realm = fmt.Sprintf("https://%s:%d/token", l.hosts[0], tokenL.Addr().(*net.TCPAddr).Port)
		backend, service = registryAddr, "mint-cloudlab-registry"
	}
	l.service = service

	reg, err := l.startRegistry(backend, realm, l.cloud.front == nil)
	if err != nil {
		return err
	}
	stop := func() {
		_ = reg.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _, _ = reg.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = reg.Process.Kill()
			<-done
		}
	}
	if err := l.waitRegistry(registryAddr); err != nil {
		stop()
		return err
	}
	fmt.Printf("cloud %s\n", l.cloud.url)
	fmt.Printf("token %s\n", realm)
	fmt.Printf("registry %s\n", regURL)
	fmt.Printf("stats http://%s/stats\n", statsL.Addr())
	fmt.Printf("ca %s\n", l.caFile)
	for _, line := range l.cloud.lines {
		fmt.Println(line)
	}
	fmt.Println("ready")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	stop()
	return nil
}

// serverTLS is the TLS configuration of every endpoint: the hosts'
// certificate from the lab's CA.
func (l *lab) serverTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{l.tlsCert}, MinVersion: tls.VersionTLS12}
}

func serve(l net.Listener, h http.Handler) {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(os.Stderr, "cloudlab: http: ", 0)}
	if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
	}
}

// startRegistry writes the registry's config and starts it on addr (over
// TLS with the hosts' certificate when tlsOn, else plain http behind the
// lab's front), in its own process group and killed with this process.
func (l *lab) startRegistry(addr, realm string, tlsOn bool) (*exec.Cmd, error) {
	bundle := filepath.Join(l.dir, "token-signing.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: l.signDER}), 0o644); err != nil {
		return nil, err
	}
	tlsCfg := ""
	if tlsOn {
		tlsCfg = fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", l.certFile, l.keyFile)
	}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  secret: %s
%sauth:
  token:
    realm: %s
    service: %s
    issuer: %s
    rootcertbundle: %s
`, filepath.Join(l.dir, "registry-data"), addr, randHex(16), tlsCfg, realm, l.service, issuer, bundle)
	cfgFile := filepath.Join(l.dir, "registry.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(l.dir, "registry.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command("docker-registry", "serve", cfgFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + l.dir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start docker-registry: %w", err)
	}
	return cmd, nil
}

// waitRegistry waits until the registry answers /v2/ over TLS with 401 (it
// wants a token), dialling addr whatever the host name resolves to.
func (l *lab) waitRegistry(addr string) error {
	pool := x509.NewCertPool()
	b, err := os.ReadFile(l.caFile)
	if err != nil {
		return err
	}
	pool.AppendCertsFromPEM(b)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		Proxy:           nil,
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: l.hosts[0]},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := hc.Get("https://" + l.hosts[0] + "/v2/")
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			return nil
		}
		last = fmt.Errorf("/v2/ answered %s", resp.Status)
	}
	tail, _ := os.ReadFile(filepath.Join(l.dir, "registry.log"))
	return fmt.Errorf("docker-registry did not come up on %s: %v\n%s", addr, last, tail)
}

func (l *lab) stats() Stats {
	l.mu.Lock()
	n := len(l.passwords)
	l.mu.Unlock()
	ex := 0
	if l.cloud.exchanges != nil {
		ex = l.cloud.exchanges()
	}
	return Stats{
		CloudCalls: l.cloud.calls(), Exchanges: ex, TokenRequests: l.requests.Load(), Issued: l.issued.Load(),
		Denied: l.denied.Load(), Passwords: n, Unminted: l.unminted.Load(), SecretKeySeen: l.secretSeen.Load(),
	}
}

// token is the registry's realm: GET /token (ACR: /oauth2/token) with
// Basic credentials the cloud minted gets a bearer token for the scopes it
// asks.
func (l *lab) token(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/token" && r.URL.Path != "/oauth2/token" {
		http.NotFound(w, r)
		return
	}
	l.requests.Add(1)
	raw, err := httputil.DumpRequest(r, true)
	if err == nil && l.carriesSecret(string(raw)) {
		l.secretSeen.Add(1)
	}
	user, password, ok := r.BasicAuth()
	if ok && l.carriesSecret(user+":"+password) {
		l.secretSeen.Add(1)
	}
	if ok {
		l.mu.Lock()
		l.passwords[sha256.Sum256([]byte(password))] = true
		l.mu.Unlock()
	}
	status := http.StatusOK
	defer func() {
		log.Printf("GET /token scope=%q user=%q -> %d", r.URL.Query()["scope"], user, status)
	}()
	if !ok || !l.cloud.accept(user, password) {
		if ok {
			l.unminted.Add(1)
		}
		l.denied.Add(1)
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="mint-cloudlab"`)
		writeJSON(w, status, map[string]any{"errors": []map[string]string{{"code": "UNAUTHORIZED", "message": "a registry password the cloud minted is required"}}})
		return
	}
	access, err := parseScopes(r.URL.Query()["scope"])
	if err != nil {
		status = http.StatusBadRequest
		writeJSON(w, status, map[string]any{"errors": []map[string]string{{"code": "INVALID_SCOPE", "message": err.Error()}}})
		return
	}
	now := time.Now()
	tok, err := l.sign(map[string]any{
		"iss": issuer, "sub": user, "aud": l.service,
		"exp": now.Add(l.ttl).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
		"jti": randHex(16), "access": access,
	})
	if err != nil {
		status = http.StatusInternalServerError
		http.Error(w, err.Error(), status)
		return
	}
	l.issued.Add(1)
	writeJSON(w, status, map[string]any{"token": tok, "access_token": tok, "expires_in": int(l.ttl / time.Second), "issued_at": now.UTC().Format(time.RFC3339)})
}

// carriesSecret reports whether text holds one of the cloud's secrets.
func (l *lab) carriesSecret(text string) bool {
	for _, s := range l.cloud.secrets {
		if s != "" && strings.Contains(text, s) {
			return true
		}
	}
	return false
}

type resourceActions struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// parseScopes parses "type:name:action[,action]" scopes (a name may hold
// colons: the type is up to the first, the actions after the last).
func parseScopes(scopes []string) ([]resourceActions, error) {
	access := []resourceActions{}
	for _, param := range scopes {
		for _, sc := range strings.Fields(param) {
			i, j := strings.Index(sc, ":"), strings.LastIndex(sc, ":")
			if i <= 0 || j <= i+1 || j == len(sc)-1 {
				return nil, fmt.Errorf("malformed scope %q", sc)
			}
			access = append(access, resourceActions{Type: sc[:i], Name: sc[i+1 : j], Actions: strings.Split(sc[j+1:], ",")})
		}
	}
	return access, nil
}

// sign returns the compact ES256 JWS of claims, the signing certificate in
// x5c (what docker-registry's token auth checks against rootcertbundle).
func (l *lab) sign(claims map[string]any) (string, error) {
	return regtoken.Sign(l.signKey, l.signDER, claims)
}

// selfSigned returns a self-signed CA certificate for k.
func selfSigned(k *ecdsa.PrivateKey, cn string) ([]byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	return x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err)
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
