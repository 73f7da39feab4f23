// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build linux

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// registry is a Debian docker-registry on 127.0.0.1.
type registry struct {
	host  string // 127.0.0.1:PORT
	dir   string
	users map[string]string
	proc  *proc
	// The token server (startTokenRegistry only): its process, arguments
	// and log (one logfmt line per step of each request, with its method,
	// URI and id).
	tokenServer *proc
	tokenArgs   []string
	tokenLog    string
}

// startRegistry starts a registry with htpasswd (bcrypt) auth for users
// (name → password) on a free port. It is stopped when t ends.
func startRegistry(t *testing.T, users map[string]string) *registry {
	t.Helper()
	needTools(t, "docker-registry", "htpasswd")
	dir := t.TempDir()
	htpasswd := writeHtpasswd(t, dir, users)
	return runRegistry(t, dir, users, 401, fmt.Sprintf(`
  htpasswd:
    realm: mint-e2e
    path: %s
`, htpasswd))
}

// registrySetup is the start of most client tests: the helper binary and
// the named client programs, a fresh env whose Docker config names the
// helper as credsStore, and a registry with htpasswd users (name →
// password).
func registrySetup(t *testing.T, users map[string]string, tools ...string) (*env, *registry) {
	t.Helper()
	needHelper(t)
	needTools(t, tools...)
	e := newEnv(t)
	r := startRegistry(t, users)
	e.writeDockerConfig(configName, nil)
	return e, r
}

// startTokenRegistry starts distribution's contrib/token-server and a
// registry that trusts its tokens, each on a free port. The token server
// gives user U access to repositories U/* only, and hands out refresh tokens
// (docker login stores them as identity tokens, Username "<token>").
func startTokenRegistry(t *testing.T, users map[string]string) *registry {
	t.Helper()
	needTools(t, "docker-registry", "htpasswd", "token-server")
	dir := t.TempDir()
	htpasswd := writeHtpasswd(t, dir, users)
	key, cert := writeSigningKey(t, dir)

	var ts *proc
	var realm, last string
	var args []string
	for attempt := 0; attempt < 3 && ts == nil; attempt++ {
		addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		args = []string{"-addr", addr, "-issuer", "mint-e2e-issuer", "-key", key, "-passwd", htpasswd, "-realm", "mint-e2e"}
		p, err := runTokenServer(dir, fmt.Sprintf("token-server-%d.log", attempt), args)
		if err != nil {
			last = err.Error()
			continue
		}
		ts = p
		// crane (go-containerregistry ≥ v0.22) refuses a realm on a
		// loopback IP literal other than the registry's own host:port:
		// name it localhost.
		realm = "http://localhost:" + strings.TrimPrefix(addr, "127.0.0.1:") + "/token/"
	}
	if ts == nil {
		t.Fatalf("token-server did not start:\n%s", last)
	}
	var r *registry
	t.Cleanup(func() {
		p := ts // r.tokenServer once it is set: a restart replaces it
		if r != nil {
			p = r.tokenServer
		}
		p.stop(10 * time.Second)
		if t.Failed() {
			t.Logf("token-server log:\n%s", p.logTail(12))
		}
	})
	r = runRegistry(t, dir, users, 401, fmt.Sprintf(`
  token:
    realm: %s
    service: mint-e2e-registry
    issuer: mint-e2e-issuer
    rootcertbundle: %s
`, realm, cert))
	r.tokenServer, r.tokenArgs, r.tokenLog = ts, args, ts.log
	return r
}

// runTokenServer starts token-server with args in dir, its output in
// logName there, and waits until it answers.
func runTokenServer(dir, logName string, args []string) (*proc, error) {
	p, err := startProc([]string{"PATH=" + pkgState.path, "HOME=" + dir}, dir, filepath.Join(dir, logName), "token-server", args...)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(p, "http://"+args[1]+"/token/", 0, 15*time.Second); err != nil {
		p.stop(5 * time.Second)
		return nil, fmt.Errorf("%v\n%s", err, p.logTail(20))
	}
	return p, nil
}

// restartTokenServer stops the token server by its PID and starts it again
// on the same address: it forgets every refresh token it issued (it keeps
// them in memory only). Its log starts anew.
func (r *registry) restartTokenServer(t *testing.T) {
	t.Helper()
	r.tokenServer.stop(10 * time.Second)
	p, err := runTokenServer(r.dir, "token-server-restarted.log", r.tokenArgs)
	if err != nil {
		t.Fatalf("token-server did not start again on %s:\n%v", r.tokenArgs[1], err)
	}
	r.tokenServer, r.tokenLog = p, p.log
}

// writeHtpasswd writes an htpasswd file with bcrypt hashes (the only kind the
// registry accepts) and returns its path.
func writeHtpasswd(t *testing.T, dir string, users map[string]string) string {
	t.Helper()
	var b strings.Builder
	for u, pw := range users {
		out, err := exec.Command(mustLook(t, "htpasswd"), "-Bbn", u, pw).Output()
		if err != nil {
			t.Fatalf("htpasswd -Bbn %s: %v", u, err)
		}
		b.WriteString(strings.TrimSpace(string(out)) + "\n")
	}
	f := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// writeSigningKey writes the token server's P-256 key ("EC PRIVATE KEY" PEM,
// which libtrust loads) and a self-signed certificate for it (the registry's
// rootcertbundle).
func writeSigningKey(t *testing.T, dir string) (keyFile, certFile string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mint-e2e-token-issuer"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, certFile = filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}), 0o644); err != nil {
		t.Fatal(err)
	}
	return keyFile, certFile
}

// startOpenRegistry starts a registry without auth: anyone may pull and push.
func startOpenRegistry(t *testing.T) *registry {
	t.Helper()
	needTools(t, "docker-registry")
	return runRegistry(t, t.TempDir(), nil, 200, " {}\n")
}

// runRegistry starts docker-registry with the given auth section on a free
// port (a few tries, in case another process takes the port first), waits
// until /v2/ answers status, and stops it when t ends.
func runRegistry(t *testing.T, dir string, users map[string]string, status int, auth string) *registry {
	t.Helper()
	var last string
	for attempt := 0; attempt < 3; attempt++ {
		host := "127.0.0.1:" + strconv.Itoa(freePort(t))
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
  cache:
    blobdescriptor: inmemory
http:
  addr: %s
  secret: %s
auth:%s`, filepath.Join(dir, "data"), host, randHex(16), auth)
		cfgFile := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := startProc([]string{"PATH=" + pkgState.path, "HOME=" + dir}, dir,
			filepath.Join(dir, fmt.Sprintf("registry-%d.log", attempt)), "docker-registry", "serve", cfgFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := waitHTTP(p, "http://"+host+"/v2/", status, 15*time.Second); err != nil {
			p.stop(5 * time.Second)
			last = fmt.Sprintf("%v\n%s", err, p.logTail(20))
			continue
		}
		t.Cleanup(func() {
			p.stop(10 * time.Second)
			if t.Failed() {
				t.Logf("registry %s log:\n%s", host, p.logTail(12))
			}
		})
		return &registry{host: host, dir: dir, users: users, proc: p}
	}
	t.Fatalf("registry did not start:\n%s", last)
	return nil
}
