// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package installtest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	installSh    = "install.sh"
	tokenchainSh = "install-tokenchain.sh"
)

// goTools are the programs install.sh builds into $MINT_TOOLS/bin.
var goTools = []string{"crane", "oras", "regctl", "token-server", "golangci-lint", "nerdctl"}

// corePackages are Debian packages install.sh must always check for (the
// registry, its htpasswd tool, the daemons and clients the e2e tests drive,
// Wine and the binutils of .ci/wine.sh).
var corePackages = []string{"docker-registry", "apache2-utils", "jq", "docker.io", "skopeo", "podman", "gnome-keyring", "pass", "wine64", "binutils-mingw-w64-x86-64"}

// realPrograms are the programs the scripts and the stand-ins run for real.
var realPrograms = []string{"bash", "env", "mktemp", "rm", "mkdir", "cat", "tail", "head", "sed", "grep", "awk", "chmod", "sha256sum"}

// The stand-ins. Each is a bash script; SHIM_STATE is their shared directory.
// Its file "installed" lists the installed Debian packages, one a line;
// "config-files" lists packages removed but not purged.
var shims = map[string]string{
	"dpkg-query": `
fmt='${Package}\t${Version}\n'
pkgs=()
while (($#)); do
	case $1 in
	-W | --show) ;;
	-f | --showformat) fmt=$2; shift ;;
	-f=* | --showformat=*) fmt=${1#*=} ;;
	-*) echo "dpkg-query (test stand-in): unsupported option $1" >&2; exit 2 ;;
	*) pkgs+=("$1") ;;
	esac
	shift
done
((${#pkgs[@]})) || { echo "dpkg-query (test stand-in): no package named" >&2; exit 2; }
rc=0
for p in "${pkgs[@]}"; do
	echo "$p" >>"$SHIM_STATE/dpkg-queried"
	if grep -qxF -- "$p" "$SHIM_STATE/installed"; then
		status='install ok installed' abbrev='ii ' word=installed
	elif grep -qxF -- "$p" "$SHIM_STATE/config-files"; then
		status='deinstall ok config-files' abbrev='rc ' word=config-files
	else
		echo "dpkg-query: no packages found matching $p" >&2
		rc=1
		continue
	fi
	line=${fmt//'${Package}'/$p}
	line=${line//'${Status}'/$status}
	line=${line//'${db:Status-Status}'/$word}
	line=${line//'${db:Status-Abbrev}'/$abbrev}
	line=${line//'${Version}'/1.0-test}
	printf '%b' "$line"
done
exit $rc
`,
	// apt-get: update may report the lists lock held (SHIM_APT_LOCKED_UPDATES
	// times); install "installs" by adding to SHIM_STATE/installed, fails
	// with SHIM_APT_FAIL, and silently leaves out the packages named in
	// SHIM_APT_DROP.
	"apt-get": `
{ echo "DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-}"; printf '%s\n' "$@"; echo "@@end"; } >>"$SHIM_STATE/apt-get.calls"
sub= pkgs=()
while (($#)); do
	case $1 in
	-o | -c | -t) shift ;;
	-*) ;;
	*) if [[ -z $sub ]]; then sub=$1; else pkgs+=("$1"); fi ;;
	esac
	shift
done
case $sub in
update)
	n=$(cat "$SHIM_STATE/update-count" 2>/dev/null || echo 0)
	echo $((n + 1)) >"$SHIM_STATE/update-count"
	if ((n < ${SHIM_APT_LOCKED_UPDATES:-0})); then
		echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
		echo "E: Unable to lock directory /var/lib/apt/lists/" >&2
		exit 100
	fi
	echo "Reading package lists..."
	;;
install)
	if [[ -n ${SHIM_APT_FAIL:-} ]]; then
		echo "E: Unable to locate package ${pkgs[0]}" >&2
		exit 100
	fi
	for p in "${pkgs[@]}"; do
		[[ " ${SHIM_APT_DROP:-} " == *" $p "* ]] && continue
		echo "$p" >>"$SHIM_STATE/installed"
		echo "Setting up $p (1.0-test) ..."
	done
	;;
*) echo "apt-get (test stand-in): unexpected command: $sub" >&2; exit 100 ;;
esac
`,
	"sudo": `
echo "$*" >>"$SHIM_STATE/sudo.calls"
exec "$@"
`,
	"id": `
if [[ ${1:-} == -u ]]; then echo "${SHIM_UID:-0}"; else echo "uid=${SHIM_UID:-0}"; fi
`,
	"sleep": `
echo "$*" >>"$SHIM_STATE/sleep.calls"
`,
	// python3: imports moto unless SHIM_NO_MOTO is set; pip "installs" it
	// (a marker file) unless SHIM_PIP_FAIL is set.
	"python3": `
echo "$*" >>"$SHIM_STATE/python3.calls"
case "$*" in
"-c import moto.server")
	[[ -z ${SHIM_NO_MOTO:-} || -f $SHIM_STATE/moto ]] ;;
"-m pip install"*)
	[[ -z ${SHIM_PIP_FAIL:-} ]] || { echo "pip: no network (test stand-in)" >&2; exit 1; }
	: >"$SHIM_STATE/moto" ;;
*) echo "python3 (test stand-in): unexpected: python3 $*" >&2; exit 2 ;;
esac
`,
	// go: "builds" a stand-in binary that go version -m describes as built
	// from the package's module (every path prefix of the package is listed
	// as a module, so whichever is the module matches). The names in
	// SHIM_GO_FAIL fail to build; those in SHIM_GO_NOOP "build" without
	// writing anything; SHIM_GO_INSTALL_REFUSED makes every go install fail
	// as the module proxy's deprecation check does.
	"go": `
echo "$* (in $PWD)" >>"$SHIM_STATE/go.calls"
ver=${SHIM_GO_VERSION:-go1.26.0}
bin() {
	mkdir -p "${1%/*}"
	{
		echo "$1: $ver"
		printf '\tpath\t%s\n' "$2"
		local p=$2
		while :; do
			printf '\tmod\t%s\t%s\th1:test=\n' "$p" "$3"
			[[ $p == */* ]] || break
			p=${p%/*}
		done
	} >"$1"
	chmod +x "$1"
}
listed() { [[ " $2 " == *" $1 "* ]]; }
case $1 in
env)
	case $2 in
	GOVERSION) echo "$ver" ;;
	GOPROXY) echo "https://proxy.test" ;;
	esac
	;;
version)
	if [[ ${2:-} == -m ]]; then
		[[ -f $3 ]] || { echo "go: open $3: no such file or directory" >&2; exit 1; }
		cat "$3"
	else
		echo "go version $ver linux/amd64"
	fi
	;;
install)
	spec=${!#} pkg=${spec%@*} v=${spec##*@} name=${spec%@*}
	name=${name##*/}
	if [[ -n ${SHIM_GO_INSTALL_REFUSED:-} ]] || listed "$name" "${SHIM_GO_FAIL:-}"; then
		echo "go: $spec: loading deprecation: 403 Forbidden (test stand-in)" >&2
		exit 1
	fi
	listed "$name" "${SHIM_GO_NOOP:-}" && exit 0
	[[ -n ${GOBIN:-} ]] || { echo "go (test stand-in): GOBIN is not set" >&2; exit 1; }
	bin "$GOBIN/$name" "$pkg" "$v"
	;;
get)
	spec=$2
	printf 'require %s %s\n' "${spec%@*}" "${spec##*@}" >>go.mod
	;;
mod) ;;
build)
	out= pkg=${!#}
	shift
	while (($#)); do
		[[ $1 == -o ]] && { out=$2; shift; }
		shift
	done
	[[ -n $out ]] || { echo "go (test stand-in): go build without -o" >&2; exit 2; }
	name=${out##*/}
	v=$(sed -n 's/^require [^ ]* //p' go.mod | head -n 1)
	if listed "$name" "${SHIM_GO_FAIL:-}"; then
		echo "$pkg: undefined: something (test stand-in compile error)" >&2
		exit 1
	fi
	listed "$name" "${SHIM_GO_NOOP:-}" && exit 0
	bin "$out" "$pkg" "$v"
	;;
*) echo "go (test stand-in): unexpected: go $*" >&2; exit 2 ;;
esac
`,
	"node": `
echo "$*" >>"$SHIM_STATE/node.calls"
case ${1:-} in
--version) echo "${SHIM_NODE_VERSION:-v20.20.2}" ;;
*) echo "node (test stand-in): unexpected: node $*" >&2; exit 2 ;;
esac
`,
	// npm: "installs" oidc-provider into ./node_modules; fails with
	// SHIM_NPM_FAIL, does nothing with SHIM_NPM_NOOP.
	"npm": `
echo "$* (in $PWD)" >>"$SHIM_STATE/npm.calls"
[[ ${1:-} == install ]] || { echo "npm (test stand-in): unexpected: npm $*" >&2; exit 1; }
spec=${!#}
[[ $spec == oidc-provider@* ]] || { echo "npm (test stand-in): unexpected package $spec" >&2; exit 1; }
if [[ -n ${SHIM_NPM_FAIL:-} ]]; then
	echo "npm ERR! code E404" >&2
	echo "npm ERR! 404 Not Found - GET oidc-provider (test stand-in)" >&2
	exit 1
fi
[[ -n ${SHIM_NPM_NOOP:-} ]] && exit 0
mkdir -p node_modules/oidc-provider
printf '{\n  "name": "oidc-provider",\n  "version": "%s",\n  "type": "module"\n}\n' "${SHIM_NPM_VERSION:-9.13.3}" >node_modules/oidc-provider/package.json
`,
}

// machine is a fresh machine as the install scripts see it.
type machine struct {
	t     *testing.T
	root  string // the repository
	bash  string
	dir   string
	bin   string // the only directory on PATH
	state string // SHIM_STATE
	tools string // MINT_TOOLS
	env   map[string]string
}

// newMachine returns a machine on which dpkg has only the Debian packages
// installed, and every stand-in is on PATH.
func newMachine(t *testing.T, installed ...string) *machine {
	t.Helper()
	dir := t.TempDir()
	m := &machine{
		t:     t,
		root:  repoRoot(t),
		dir:   dir,
		bin:   filepath.Join(dir, "bin"),
		state: filepath.Join(dir, "state"),
		tools: filepath.Join(dir, "tools"),
		env:   map[string]string{},
	}
	for _, d := range []string{m.bin, m.state, filepath.Join(dir, "home"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range realPrograms {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("%s, which the install scripts run, is not on PATH: %v", name, err)
		}
		if name == "bash" {
			m.bash = p
		}
		if err := os.Symlink(p, filepath.Join(m.bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range shims {
		m.shim(name, body)
	}
	m.writeState("installed", installed...)
	m.writeState("config-files")
	return m
}

// repoRoot is the directory holding go.mod above the test's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// shim writes the stand-in NAME.
func (m *machine) shim(name, body string) {
	m.t.Helper()
	script := "#!" + m.bash + "\n# " + name + ": a stand-in written by the install tests.\nset -uo pipefail\n" + body
	if err := os.WriteFile(filepath.Join(m.bin, name), []byte(script), 0o755); err != nil {
		m.t.Fatal(err)
	}
}

// without takes programs off the machine's PATH.
func (m *machine) without(names ...string) {
	m.t.Helper()
	for _, n := range names {
		if err := os.Remove(filepath.Join(m.bin, n)); err != nil {
			m.t.Fatal(err)
		}
	}
}

func (m *machine) writeState(file string, lines ...string) {
	m.t.Helper()
	s := strings.Join(lines, "\n")
	if s != "" {
		s += "\n"
	}
	if err := os.WriteFile(filepath.Join(m.state, file), []byte(s), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

// readState returns the lines of a state file (none when it does not exist).
func (m *machine) readState(file string) []string {
	m.t.Helper()
	b, err := os.ReadFile(filepath.Join(m.state, file))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		m.t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs .ci/SCRIPT on the machine, with only the environment a fresh
// machine would give it plus m.env.
func (m *machine) run(script string) result {
	m.t.Helper()
	// A guard against a script that hangs, not a timed assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.bash, filepath.Join(m.root, ".ci", script))
	cmd.Dir = m.root
	cmd.Env = []string{
		"PATH=" + m.bin,
		"HOME=" + filepath.Join(m.dir, "home"),
		"TMPDIR=" + filepath.Join(m.dir, "tmp"),
		"MINT_TOOLS=" + m.tools,
		"SHIM_STATE=" + m.state,
	}
	for k, v := range m.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		r.code = ee.ExitCode()
	default:
		m.t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", script, err, r.stdout, r.stderr)
	}
	m.t.Logf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", script, r.code, r.stdout, r.stderr)
	return r
}

// failureLines checks that every line of r.stderr is either an indented
// line (the tail of a failing command's output) or one line reporting a
// failure, "SCRIPT: <what failed>; fix: <what to do>", and returns those.
func failureLines(t *testing.T, script string, r result) []string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		switch {
		case l == "" && r.stderr == "":
		case strings.HasPrefix(l, "    "):
		case strings.HasPrefix(l, script+": "):
			what, fix, ok := strings.Cut(strings.TrimPrefix(l, script+": "), "; fix: ")
			if !ok || strings.TrimSpace(what) == "" || strings.TrimSpace(fix) == "" {
				t.Errorf("failure line %q does not say what failed and the fix (\"%s: <what>; fix: <how>\")", l, script)
			}
			lines = append(lines, l)
		default:
			t.Errorf("stderr line %q is neither a failure line (%q) nor indented output", l, script+": ")
		}
	}
	return lines
}

// wantFailures checks that the script exited 1 with exactly one failure line
// for each element of want, each holding all the words of its element.
func wantFailures(t *testing.T, script string, r result, want ...[]string) {
	t.Helper()
	if r.code != 1 {
		t.Errorf("%s exited %d, want 1 (something it should install is missing)", script, r.code)
	}
	lines := failureLines(t, script, r)
	if len(lines) != len(want) {
		t.Errorf("%s printed %d failure lines, want %d:\n%s", script, len(lines), len(want), strings.Join(lines, "\n"))
	}
	for _, words := range want {
		found := false
		for _, l := range lines {
			if containsAll(l, words) {
				found = true
			}
		}
		if !found {
			t.Errorf("no failure line of %s names %q; lines:\n%s", script, words, strings.Join(lines, "\n"))
		}
	}
}

// wantOK checks that the script exited 0 without a failure line.
func wantOK(t *testing.T, script string, r result) {
	t.Helper()
	if r.code != 0 {
		t.Errorf("%s exited %d, want 0", script, r.code)
	}
	if lines := failureLines(t, script, r); len(lines) > 0 {
		t.Errorf("%s printed failure lines:\n%s", script, strings.Join(lines, "\n"))
	}
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// aptCall is one recorded apt-get command line.
type aptCall struct {
	frontend string // DEBIAN_FRONTEND as apt-get saw it
	args     []string
}

func (m *machine) aptCalls() []aptCall {
	var calls []aptCall
	var cur *aptCall
	for _, l := range m.readState("apt-get.calls") {
		switch {
		case cur == nil:
			calls = append(calls, aptCall{frontend: strings.TrimPrefix(l, "DEBIAN_FRONTEND=")})
			cur = &calls[len(calls)-1]
		case l == "@@end":
			cur = nil
		default:
			cur.args = append(cur.args, l)
		}
	}
	return calls
}

// parse returns the apt-get command (update, install) and its packages.
func (c aptCall) parse() (sub string, pkgs []string) {
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a == "-o" || a == "-c" || a == "-t":
			i++
		case strings.HasPrefix(a, "-"):
		case sub == "":
			sub = a
		default:
			pkgs = append(pkgs, a)
		}
	}
	return sub, pkgs
}

var lockTimeoutRE = regexp.MustCompile(`(?i)^(?:-o)?dpkg::lock::timeout=(-?[0-9]+)$`)

// lockTimeout returns the DPkg::Lock::Timeout the call sets, if any.
func (c aptCall) lockTimeout() (int, bool) {
	for _, a := range c.args {
		if m := lockTimeoutRE.FindStringSubmatch(a); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n, true
		}
	}
	return 0, false
}

// aptInstalls returns the packages of each apt-get install, checking that
// every apt-get command is non-interactive and waits for the dpkg lock.
func (m *machine) aptInstalls() [][]string {
	m.t.Helper()
	var installs [][]string
	for _, c := range m.aptCalls() {
		sub, pkgs := c.parse()
		if c.frontend != "noninteractive" {
			m.t.Errorf("apt-get %s ran with DEBIAN_FRONTEND=%q, want noninteractive", sub, c.frontend)
		}
		if n, ok := c.lockTimeout(); !ok || n <= 0 {
			m.t.Errorf("apt-get %s: %q sets no positive DPkg::Lock::Timeout: it fails at once when another apt runs", sub, c.args)
		}
		if sub == "install" {
			installs = append(installs, pkgs)
		}
	}
	return installs
}

// queried returns the Debian packages install.sh asked dpkg-query about.
func (m *machine) queried() []string {
	q := slices.Clone(m.readState("dpkg-queried"))
	slices.Sort(q)
	return slices.Compact(q)
}

// wantGoTools checks which Go tools are in $MINT_TOOLS/bin.
func (m *machine) wantGoTools(present ...string) {
	m.t.Helper()
	for _, name := range goTools {
		_, err := os.Stat(filepath.Join(m.tools, "bin", name))
		if slices.Contains(present, name) && err != nil {
			m.t.Errorf("%s was not built: %v (did the script stop early?)", name, err)
		}
		if !slices.Contains(present, name) && err == nil {
			m.t.Errorf("%s is in %s/bin, want it missing", name, m.tools)
		}
	}
}

// wantMissingInstalled checks that install.sh asked dpkg about the core
// packages and had apt-get install, in one command, exactly those that were
// not installed.
func (m *machine) wantMissingInstalled(installed ...string) {
	m.t.Helper()
	q := m.queried()
	for _, p := range corePackages {
		if !slices.Contains(q, p) {
			m.t.Errorf("install.sh never asked dpkg-query about %s", p)
		}
	}
	var want []string
	for _, p := range q {
		if !slices.Contains(installed, p) {
			want = append(want, p)
		}
	}
	installs := m.aptInstalls()
	if len(installs) != 1 {
		m.t.Fatalf("install.sh ran apt-get install %d times, want once: %q", len(installs), installs)
	}
	got := slices.Clone(installs[0])
	slices.Sort(got)
	if !slices.Equal(got, want) {
		m.t.Errorf("apt-get install %q\nwant the missing packages %q", got, want)
	}
}

// A machine where most Debian packages, every Go tool and oidc-provider are
// missing, and one package was removed but not purged: everything is
// installed, in one apt-get install of exactly the missing packages, and a
// second run does nothing and prints nothing.
func TestInstall_freshMachine(t *testing.T) {
	t.Parallel()
	m := newMachine(t, "curl", "gnupg")
	m.writeState("config-files", "hyperfine")

	r := m.run(installSh)
	wantOK(t, installSh, r)
	m.wantMissingInstalled("curl", "gnupg")
	if installs := m.aptInstalls(); len(installs) == 1 && !slices.Contains(installs[0], "hyperfine") {
		t.Errorf("apt-get install %q leaves out hyperfine, which is removed (config-files) but not installed", installs[0])
	}
	if slices.Contains(m.queried(), "nodejs") {
		t.Errorf("install.sh asked about Debian's nodejs although node is on PATH")
	}
	m.wantGoTools(goTools...)
	if _, err := os.Stat(filepath.Join(m.tools, "bin", "mint-kubelet-runner.sum")); err != nil {
		t.Errorf("mint-kubelet-runner not built: %v", err)
	}

	r = m.run(tokenchainSh)
	wantOK(t, tokenchainSh, r)
	if _, err := os.Stat(filepath.Join(m.tools, "oidc", "node_modules", "oidc-provider", "package.json")); err != nil {
		t.Errorf("oidc-provider not installed: %v", err)
	}

	// Everything is there now: both scripts are quiet and install nothing.
	calls := map[string]int{}
	for _, f := range []string{"apt-get.calls", "go.calls", "npm.calls"} {
		calls[f] = len(m.readState(f))
	}
	for _, s := range []string{installSh, tokenchainSh} {
		r := m.run(s)
		if r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Errorf("%s again: exit %d, stdout %q, stderr %q; want 0 and nothing printed", s, r.code, r.stdout, r.stderr)
		}
	}
	for _, f := range []string{"apt-get.calls", "npm.calls"} {
		if n := len(m.readState(f)); n != calls[f] {
			t.Errorf("the second run called %s again", strings.TrimSuffix(f, ".calls"))
		}
	}
	for _, c := range m.readState("go.calls")[calls["go.calls"]:] {
		if !strings.HasPrefix(c, "version ") && !strings.HasPrefix(c, "env ") {
			t.Errorf("the second run ran go %s", c)
		}
	}
}

// apt-get install "succeeds" but leaves two packages out: the script must
// not exit 0, and it names them.
func TestInstall_aptLeavesPackagesMissing(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_APT_DROP"] = "jq docker-registry"
	r := m.run(installSh)
	wantFailures(t, installSh, r, []string{"still", "docker-registry jq"})
	m.wantGoTools(goTools...)
}

// apt-get install fails: one line, the rest of the install still runs.
func TestInstall_aptFails(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_APT_FAIL"] = "1"
	r := m.run(installSh)
	wantFailures(t, installSh, r, []string{"apt-get install", "docker-registry"})
	if !strings.Contains(r.stderr, "    E: Unable to locate package") {
		t.Errorf("stderr does not show apt-get's own error, indented")
	}
	m.wantGoTools(goTools...)
}

// Another apt holds the package lists lock (which DPkg::Lock::Timeout does
// not cover): apt-get update is tried again until it is free.
func TestInstall_aptListsLockWait(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_APT_LOCKED_UPDATES"] = "3"
	r := m.run(installSh)
	wantOK(t, installSh, r)
	if got := m.readState("update-count"); len(got) != 1 || got[0] != "4" {
		t.Errorf("apt-get update ran %q times, want 4 (3 refused for the lock, then one that works)", got)
	}
	m.wantMissingInstalled()
}

// The lists lock is never released: the wait is bounded, and ends in a line.
func TestInstall_aptListsLockNeverFree(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_APT_LOCKED_UPDATES"] = "1000"
	m.env["MINT_APT_LOCK_TIMEOUT"] = "10"
	r := m.run(installSh)
	wantFailures(t, installSh, r, []string{"apt-get update"})
	if n := len(m.readState("apt-get.calls")); n == 0 || n > 1000 {
		t.Errorf("apt-get ran %d times", n)
	}
	m.wantGoTools(goTools...)
}

// Not root and no sudo: nothing can be installed from Debian; one line says
// what to run as root, and the Go tools are still built.
func TestInstall_noRootNoSudo(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.without("sudo")
	m.env["SHIM_UID"] = "1000"
	r := m.run(installSh)
	wantFailures(t, installSh, r, []string{"sudo", "apt-get install", "docker-registry"})
	if calls := m.aptCalls(); len(calls) != 0 {
		t.Errorf("apt-get ran without root: %q", calls)
	}
	m.wantGoTools(goTools...)
}

// Not root, with sudo: apt-get runs through sudo.
func TestInstall_notRootWithSudo(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_UID"] = "1000"
	r := m.run(installSh)
	wantOK(t, installSh, r)
	m.wantMissingInstalled()
	sudo := m.readState("sudo.calls")
	if len(sudo) == 0 || !strings.Contains(strings.Join(sudo, "\n"), "apt-get") {
		t.Errorf("apt-get did not run through sudo: sudo calls %q", sudo)
	}
}

// No dpkg-query (not a Debian system): one line, the Go tools still built.
func TestInstall_noDpkg(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.without("dpkg-query")
	r := m.run(installSh)
	wantFailures(t, installSh, r, []string{"dpkg-query", "docker-registry"})
	m.wantGoTools(goTools...)
}

// No go: the Debian packages are still installed, one line names go.
func TestInstall_goMissing(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.without("go")
	r := m.run(installSh)
	wantFailures(t, installSh, r, []string{"go not found"})
	m.wantMissingInstalled()
	m.wantGoTools()
}

// A go too old to fetch the toolchains the tools need.
func TestInstall_goTooOld(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_GO_VERSION"] = "go1.19.8"
	r := m.run(installSh)
	wantFailures(t, installSh, r, []string{"go1.19.8", "1.21"})
	m.wantGoTools()
}

// Two Go tools fail to build (go install and the wrapper module): one line
// each, the others are built.
func TestInstall_goBuildFails(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_GO_FAIL"] = "crane nerdctl"
	r := m.run(installSh)
	wantFailures(t, installSh, r, []string{"crane"}, []string{"nerdctl", "MINT_INSTALL_NERDCTL=0"})
	if !strings.Contains(r.stderr, "    ") || !strings.Contains(r.stderr, "test stand-in compile error") {
		t.Errorf("stderr does not show the compiler's error, indented")
	}
	m.wantGoTools("oras", "regctl", "token-server", "golangci-lint")
}

// go install is refused (the proxy's deprecation check): the wrapper module
// builds every tool.
func TestInstall_goInstallRefused(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_GO_INSTALL_REFUSED"] = "1"
	r := m.run(installSh)
	wantOK(t, installSh, r)
	m.wantGoTools(goTools...)
}

// A build that "succeeds" without producing the tool must not pass.
func TestInstall_goBuildMakesNothing(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_GO_NOOP"] = "oras"
	r := m.run(installSh)
	wantFailures(t, installSh, r, []string{"oras", "oras.land/oras@v1.3.6"})
	m.wantGoTools("crane", "regctl", "token-server", "golangci-lint", "nerdctl")
}

// MINT_INSTALL_NERDCTL=0 skips nerdctl.
func TestInstall_withoutNerdctl(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["MINT_INSTALL_NERDCTL"] = "0"
	wantOK(t, installSh, m.run(installSh))
	m.wantGoTools("crane", "oras", "regctl", "token-server", "golangci-lint")
}

// MINT_INSTALL_LINT=0 (make demo) skips golangci-lint.
func TestInstall_withoutLint(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["MINT_INSTALL_LINT"] = "0"
	wantOK(t, installSh, m.run(installSh))
	m.wantGoTools("crane", "oras", "regctl", "token-server", "nerdctl")
}

// MINT_TOOLS cannot be created: one line from each script.
func TestInstall_toolsDirUnwritable(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	file := filepath.Join(m.dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m.tools = filepath.Join(file, "tools")
	wantFailures(t, installSh, m.run(installSh), []string{"cannot create", "MINT_TOOLS"})
	wantFailures(t, tokenchainSh, m.run(tokenchainSh), []string{"cannot create", "MINT_TOOLS"})
}

// No node and no npm: install.sh installs Debian's nodejs and npm;
// install-tokenchain.sh alone names both.
func TestInstall_nodeMissing(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.without("node", "npm")
	wantOK(t, installSh, m.run(installSh))
	m.wantMissingInstalled()
	if installs := m.aptInstalls(); len(installs) == 1 && (!slices.Contains(installs[0], "nodejs") || !slices.Contains(installs[0], "npm")) {
		t.Errorf("apt-get install %q, want nodejs and npm in it", installs[0])
	}
	wantFailures(t, tokenchainSh, m.run(tokenchainSh), []string{"node not found"}, []string{"npm not found"})
}

// node without npm: install.sh asks for Debian's npm only.
func TestInstall_npmMissing(t *testing.T) {
	t.Parallel()
	m := newMachine(t, "jq")
	m.without("npm")
	wantOK(t, installSh, m.run(installSh))
	m.wantMissingInstalled("jq")
	if q := m.queried(); slices.Contains(q, "nodejs") || !slices.Contains(q, "npm") {
		t.Errorf("install.sh asked dpkg about %q; want npm and not nodejs", q)
	}
}

// A node too old for oidc-provider 9.
func TestInstallTokenchain_oldNode(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_NODE_VERSION"] = "v18.19.0"
	wantFailures(t, tokenchainSh, m.run(tokenchainSh), []string{"v18.19.0", "Node.js 20"})
	if calls := m.readState("npm.calls"); len(calls) != 0 {
		t.Errorf("npm ran with a node too old: %q", calls)
	}
}

// npm install fails: one line, npm's error shown indented.
func TestInstallTokenchain_npmFails(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_NPM_FAIL"] = "1"
	r := m.run(tokenchainSh)
	wantFailures(t, tokenchainSh, r, []string{"npm install oidc-provider@9"})
	if !strings.Contains(r.stderr, "    npm ERR! code E404") {
		t.Errorf("stderr does not show npm's error, indented")
	}
}

// npm install "succeeds" without installing oidc-provider, or installs the
// wrong major: never exit 0.
func TestInstallTokenchain_npmInstallsNothing(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_NPM_NOOP"] = "1"
	wantFailures(t, tokenchainSh, m.run(tokenchainSh), []string{"has no oidc-provider"})

	m = newMachine(t)
	m.env["SHIM_NPM_VERSION"] = "8.5.0"
	wantFailures(t, tokenchainSh, m.run(tokenchainSh), []string{"8.5.0", "not 9.x"})
}

// moto missing: pip installs it, one line; pip failing: one failure line
// naming the fix; MINT_INSTALL_MOTO=0 (make demo) leaves it alone.
func TestInstall_moto(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	m.env["SHIM_NO_MOTO"] = "1"
	r := m.run(installSh)
	wantOK(t, installSh, r)
	if !strings.Contains(r.stdout, "installed moto") {
		t.Errorf("stdout %q does not say moto was installed", r.stdout)
	}

	m = newMachine(t)
	m.env["SHIM_NO_MOTO"] = "1"
	m.env["SHIM_PIP_FAIL"] = "1"
	wantFailures(t, installSh, m.run(installSh), []string{"moto", "pip install"})

	m = newMachine(t)
	m.env["SHIM_NO_MOTO"] = "1"
	m.env["SHIM_PIP_FAIL"] = "1"
	m.env["MINT_INSTALL_MOTO"] = "0"
	wantOK(t, installSh, m.run(installSh))
}
