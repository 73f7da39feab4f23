// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keylesstest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/clitest"
	"github.com/docker-credential-mint/mint/cmd/docker-credential-mint/internal/wire"
	"github.com/docker-credential-mint/mint/store"
)

// deviceTTL is the life of the server's access tokens in the device test:
// short, so that the test sees gets refresh them.
const deviceTTL = 4 * time.Second

var (
	formRE   = regexp.MustCompile(`(?s)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
)

// browser is a person's browser at the server's own pages: a cookie jar
// that follows redirects.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}}
}

// page fetches a page and returns its final URL and its first form: the
// action and the hidden fields.
func (b *browser) do(req *http.Request) (action string, fields url.Values, body string) {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body = string(raw)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("%s %s: %s: %.300s", req.Method, req.URL, resp.Status, body)
	}
	fields = url.Values{}
	m := formRE.FindStringSubmatch(body)
	if m == nil {
		return "", fields, body
	}
	for _, h := range hiddenRE.FindAllStringSubmatch(m[2], -1) {
		fields.Set(h[1], html.UnescapeString(h[2]))
	}
	return html.UnescapeString(m[1]), fields, body
}

func (b *browser) get(u string) (string, url.Values, string) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) (string, url.Values, string) {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// approve enters userCode at the server's /device page and approves it as
// a person would: the code, its confirmation, a login (devInteractions
// takes any name and password) and the consent, each a form post.
func approve(t *testing.T, issuer, userCode string) {
	b := newBrowser(t)
	action, f, _ := b.get(issuer + "/device")
	f.Set("user_code", userCode)
	action, f, _ = b.post(action, f) // the confirmation page
	f.Set("confirm", "yes")
	action, f, body := b.post(action, f) // → the interaction's login page
	if !strings.Contains(body, `name="login"`) {
		t.Fatalf("no login form after confirming the code: %.500s", body)
	}
	f.Set("prompt", "login")
	f.Set("login", "alice")
	f.Set("password", "any")
	action, f, body = b.post(action, f) // → the consent page
	if !strings.Contains(body, "consent") && !strings.Contains(body, "Authorize") {
		t.Fatalf("no consent form after the login: %.500s", body)
	}
	f.Set("prompt", "consent")
	_, _, body = b.post(action, f)
	if !strings.Contains(strings.ToLower(body), "sign-in success") && !strings.Contains(strings.ToLower(body), "success") {
		t.Fatalf("the approval did not end on the success page: %.500s", body)
	}
}

// TestBinary_loginDevice: the whole device chain through the full build
// against node oidc-provider's own deviceFlow: login --device (with
// --provider writing the entry) shows the user code on stderr, a person
// approves it at the server's pages, login stores the refresh token in the
// file keychain and caches the access token; get answers that token with
// no request; once it has aged, get refreshes it with the stored refresh
// token, whose rotation is saved at once (the server no longer takes the
// old one), and so does the get after it. The access tokens are real: the
// server's userinfo endpoint takes them. No token, refresh token or device
// code shows in what login and get print.
func TestBinary_loginDevice(t *testing.T) {
	clientID := "device-" + randHex(4)
	s := startServer(t, deviceTTL, "MINT_OIDC_DEVICE_CLIENT_ID="+clientID)
	sb := clitest.New(t, clitest.Binary(t, ""))
	const reg = "registry.mint.test"

	args := []string{"login", reg, "--device", "--provider", "oauth2", "--grant", "device_code",
		"--device-authorization-url", s.url + "/device/auth", "--token-url", s.url + "/token",
		"--client-id", clientID, "--scope", "openid", "--scope", "offline_access", "--token-username", "oauth2"}
	cmd := exec.Command(sb.Program, args...)
	cmd.Env = sb.Env
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill() // a no-op once it has exited
		}
	})
	var stderr strings.Builder
	codeRE := regexp.MustCompile(`enter the code ([A-Z]{4}-[A-Z]{4})$`)
	sc := bufio.NewScanner(errPipe)
	userCode := ""
	for sc.Scan() {
		line := sc.Text()
		stderr.WriteString(line + "\n")
		if m := codeRE.FindStringSubmatch(line); m != nil {
			userCode = m[1]
			break
		}
	}
	if userCode == "" {
		_ = cmd.Wait()
		t.Fatalf("login printed no user code: stderr %q", stderr.String())
	}
	approve(t, s.url, userCode)
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login --device: %v; stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}
	wantErr := fmt.Sprintf("To log in to %s, open %s/device in a browser and enter the code %s\n"+
		"  (or open %s/device?user_code=%s, which carries the code)\n"+
		"Waiting for the approval (the code expires in ", reg, s.url, userCode, s.url, userCode)
	if !strings.HasPrefix(stderr.String(), wantErr) || strings.Count(stderr.String(), "\n") != 3 {
		t.Errorf("login stderr = %q, want it to start %q (three lines)", stderr.String(), wantErr)
	}
	if !strings.Contains(stdout.String(), "config.yaml: added the oauth2 entry for registry.mint.test\nLogin Succeeded: registry.mint.test as <token> (provider oauth2 minted a token valid for ") {
		t.Errorf("login stdout = %q", stdout.String())
	}

	// The refresh token is the root credential, in the file keychain.
	roots := openStore(t, sb, wire.NSCredentials)
	root := mustGet(t, roots, reg)
	if root.Username != "<token>" || root.Secret == "" {
		t.Fatalf("stored root = %q/%d bytes, want <token> and a refresh token", root.Username, len(root.Secret))
	}
	secrets := []string{root.Secret}

	// get answers the approval's access token without a request.
	before := s.stats(t)
	at1 := getToken(t, sb, reg)
	if after := s.stats(t); after.TokenRequests != before.TokenRequests {
		t.Errorf("the first get made %d token requests, want the cached access token", after.TokenRequests-before.TokenRequests)
	}
	s.userinfo(t, at1)
	secrets = append(secrets, at1)

	// Once it has aged, get refreshes it: one request, a rotated refresh
	// token saved, the old one dead at the server.
	oldRT := root.Secret
	time.Sleep(deviceTTL)
	at2 := getToken(t, sb, reg)
	if at2 == at1 {
		t.Fatal("get after the access token aged answered the same token")
	}
	s.userinfo(t, at2)
	root2 := mustGet(t, roots, reg)
	if root2.Secret == oldRT || root2.Username != "<token>" {
		t.Errorf("the rotated refresh token was not saved")
	}
	secrets = append(secrets, at2, root2.Secret)
	if code := s.refresh(t, clientID, oldRT); code != "invalid_grant" {
		t.Errorf("the server answered %q to the old refresh token, want invalid_grant (rotation)", code)
	}
	// The old token's reuse revokes the whole grant at oidc-provider, so
	// the chain's next step is login again: get says so in one line.
	time.Sleep(deviceTTL)
	out, errs, code := sb.Exec(reg, "get")
	if code != 1 || !strings.Contains(out, "run `docker-credential-mint login --device registry.mint.test`") || errs != "" {
		t.Errorf("get after the grant was revoked: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, sec := range secrets {
		if strings.Contains(stdout.String()+stderr.String()+out+errs, sec) {
			t.Error("login or get printed a token")
		}
	}
	if strings.Contains(strings.Join(args, " "), root.Secret) {
		t.Error("a secret is in login's argv")
	}
}

// TestBinary_loginDeviceRefreshChain: three generations of refresh tokens,
// each rotated and saved by get, each access token accepted by the
// server's userinfo endpoint.
func TestBinary_loginDeviceRefreshChain(t *testing.T) {
	clientID := "device-" + randHex(4)
	s := startServer(t, deviceTTL, "MINT_OIDC_DEVICE_CLIENT_ID="+clientID)
	sb := clitest.New(t, clitest.Binary(t, ""))
	const reg = "registry.mint.test"
	sb.WriteConfig(fmt.Sprintf(`registries:
  - match: %s
    provider: oauth2
    grant: device_code
    device_authorization_url: %s/device/auth
    token_url: %s/token
    client_id: %s
    scopes: [openid, offline_access]
    username: oauth2
`, reg, s.url, s.url, clientID))
	loginDevice(t, sb, s, reg)
	roots := openStore(t, sb, wire.NSCredentials)
	seen := map[string]bool{mustGet(t, roots, reg).Secret: true}
	prev := getToken(t, sb, reg)
	for i := range 2 {
		time.Sleep(deviceTTL)
		at := getToken(t, sb, reg)
		if at == prev {
			t.Fatalf("refresh %d: the same access token", i+1)
		}
		s.userinfo(t, at)
		rt := mustGet(t, roots, reg).Secret
		if seen[rt] {
			t.Fatalf("refresh %d: the refresh token was not rotated and saved", i+1)
		}
		seen[rt] = true
		prev = at
	}
}

// loginDevice runs login --device for reg's configured entry and approves
// its code.
func loginDevice(t *testing.T, sb *clitest.Sandbox, s *server, reg string) {
	t.Helper()
	cmd := exec.Command(sb.Program, "login", reg, "--device")
	cmd.Env = sb.Env
	errPipe, _ := cmd.StderrPipe()
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	})
	sc := bufio.NewScanner(errPipe)
	for sc.Scan() {
		if _, code, ok := strings.Cut(sc.Text(), "enter the code "); ok {
			approve(t, s.url, code)
			break
		}
	}
	for sc.Scan() {
	}
	if err := cmd.Wait(); err != nil || !strings.HasPrefix(stdout.String(), "Login Succeeded") {
		t.Fatalf("login --device: %v, stdout %q", err, stdout.String())
	}
}

func openStore(t *testing.T, sb *clitest.Sandbox, ns string) store.Backend {
	t.Helper()
	env := map[string]string{}
	for _, kv := range sb.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	b, err := wire.New(func(k string) string { return env[k] }, io.Discard).OpenBackend(context.Background(), "file", ns)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustGet(t *testing.T, b store.Backend, key string) store.Entry {
	t.Helper()
	e, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("stored %s: %v", key, err)
	}
	return e
}

// getToken runs get for reg and returns the access token it answers.
func getToken(t *testing.T, sb *clitest.Sandbox, reg string) string {
	t.Helper()
	var c struct{ ServerURL, Username, Secret string }
	if err := json.Unmarshal([]byte(sb.Must(reg, "get")), &c); err != nil || c.Username != "oauth2" || c.Secret == "" {
		t.Fatalf("get = %+v, %v", c, err)
	}
	return c.Secret
}

// userinfo checks that the server takes at as a bearer token.
func (s *server) userinfo(t *testing.T, at string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Sub string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK || v.Sub != "alice" {
		t.Errorf("userinfo with the access token: %s, %+v, %v", resp.Status, v, err)
	}
}

// refresh sends a refresh token grant itself and returns the error code
// ("" on success).
func (s *server) refresh(t *testing.T, clientID, rt string) string {
	t.Helper()
	resp, err := hc.PostForm(s.url+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Error string }
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return e.Error
}

// TestBinary_doctorExchange: doctor --exchange through the full build
// against the real server: the identity line of each entry, and the
// exchange's outcome in one line, the server's own reason when it refuses
// a subject token of another audience; no token is printed.
func TestBinary_doctorExchange(t *testing.T) {
	s := startServer(t, 600*time.Second)
	var extra []string
	for k, v := range s.actionsEnv() {
		extra = append(extra, k+"="+v)
	}
	sb := clitest.New(t, clitest.Binary(t, ""), extra...)
	entry := func(host, aud string) string {
		return fmt.Sprintf(`  - match: %s
    provider: oauth2
    grant: token_exchange
    token_url: %s/token
    client_id: %s
    audience: registry.mint.test
    username: oauth2
    identity:
      source: github-actions
      audience: %s
`, host, s.url, s.clientID, aud)
	}
	sb.WriteConfig("registries:\n" + entry("registry.mint.test", audience) + entry("other.mint.test", "someone-else"))
	before := s.stats(t)
	out, errs, code := sb.Exec("", "doctor", "--exchange")
	if code != 1 || errs != "" {
		t.Errorf("doctor --exchange: exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{
		"info   registry.mint.test: identity github-actions: ACTIONS_ID_TOKEN_REQUEST_URL set, asks audience " + audience + " (expires in ",
		"s, aud " + audience + ", iss " + s.url + "/ci, sub repo:mint/e2e)\n",
		"info   registry.mint.test: exchange at " + s.url + "/token: ok, a token valid for 10m0s (not cached)\n",
		"error  other.mint.test: exchange at " + s.url + `/token failed: the token endpoint refused the identity token from identity source github-actions (invalid_grant: subject token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "aud" claim value); check its issuer, audience and expiry against what the endpoint trusts` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor --exchange does not say\n%s\nit says:\n%s", want, out)
		}
	}
	if after := s.stats(t); after.Exchanges-before.Exchanges != 1 || after.ExchangeErrors-before.ExchangeErrors != 1 {
		t.Errorf("stats %+v → %+v, want one exchange and one refusal", before, after)
	}
	if strings.Contains(out, s.requestToken) || strings.Contains(out, "eyJ") {
		t.Error("doctor printed a token")
	}
	// doctor caches nothing: get still makes its own exchange.
	sb.Must("registry.mint.test", "get")
	if after := s.stats(t); after.Exchanges-before.Exchanges != 2 {
		t.Errorf("get after doctor made %d exchanges in all, want 2 (doctor cached its token)", after.Exchanges-before.Exchanges)
	}
}

// TestBinary_loginDeviceInterrupt: Ctrl-C (SIGINT) while login --device
// waits ends it in one line; nothing is stored and the config file is not
// written.
func TestBinary_loginDeviceInterrupt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGINT is Unix's")
	}
	clientID := "device-" + randHex(4)
	s := startServer(t, deviceTTL, "MINT_OIDC_DEVICE_CLIENT_ID="+clientID)
	sb := clitest.New(t, clitest.Binary(t, ""))
	cmd := exec.Command(sb.Program, "login", "registry.mint.test", "--device", "--provider", "oauth2", "--grant", "device_code",
		"--device-authorization-url", s.url+"/device/auth", "--token-url", s.url+"/token",
		"--client-id", clientID, "--scope", "offline_access", "--token-username", "oauth2")
	cmd.Env = sb.Env
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	})
	sc := bufio.NewScanner(errPipe)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.HasPrefix(sc.Text(), "Waiting for the approval") {
			break
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	err := cmd.Wait()
	last := lines[len(lines)-1]
	if err == nil || stdout.Len() != 0 || !strings.HasPrefix(last, "docker-credential-mint login: cancelled; nothing was stored, and ") || !strings.HasSuffix(last, "config.yaml is unchanged") {
		t.Errorf("login --device after SIGINT: %v, stdout %q, stderr %q", err, stdout.String(), lines)
	}
	if _, err := openStore(t, sb, wire.NSCredentials).Get(context.Background(), "registry.mint.test"); err == nil {
		t.Error("an interrupted login stored a credential")
	}
	if _, err := os.Stat(filepath.Join(sb.Home, "config", "docker-credential-mint", "config.yaml")); err == nil {
		t.Error("an interrupted login wrote the config file")
	}
}
