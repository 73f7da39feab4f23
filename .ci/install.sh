#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The docker-credential-mint authors
#
# install.sh installs what the tests and the demo need: Debian packages (the
# real registry, dockerd, containerd, skopeo, podman, the keyring daemons, and
# Node.js when node is missing) and the Go-built clients (crane, oras, regctl,
# nerdctl) and distribution's token-server in a cache directory outside the
# repository.
#
# It is idempotent and quiet: nothing is printed when everything is already
# there, so CI can run it before every test run. On a machine where things are
# missing it says what it is installing before each slow step and how long the
# step took after it. Go tools are built into
#
#	${MINT_TOOLS:-$HOME/.cache/mint-tools}/bin
#
# which is where the e2e tests look for them (they read MINT_TOOLS, with the
# same default). nerdctl is the slowest build (about 5 minutes on 2 busy cores
# with an empty Go cache); only the nerdctl tests need it: skip it with
# MINT_INSTALL_NERDCTL=0. The kubelet's plugin runner (mint-kubelet-runner,
# k8s.io/kubernetes) is about as slow; skip it with
# MINT_INSTALL_KUBELET_RUNNER=0.
#
# It never stops without a word. A step that fails prints the tail of its
# output, indented, and then one line
#
#	install.sh: <what failed>; fix: <what to do>
#
# and the script goes on with the steps that do not depend on it, so one run
# shows every problem; it exits 1 if any step failed, 0 only when everything
# it checks is there. apt-get waits up to MINT_APT_LOCK_TIMEOUT seconds
# (default 600) for another apt-get or dpkg to finish instead of failing.
#
# Usage: .ci/install.sh [--print-tools-dir]
set -Eeuo pipefail

SELF=install.sh
TOOLS=${MINT_TOOLS:-$HOME/.cache/mint-tools}
BIN=$TOOLS/bin
LOCK_TIMEOUT=${MINT_APT_LOCK_TIMEOUT:-600}

if [[ ${1:-} == --print-tools-dir ]]; then
	echo "$BIN"
	exit 0
fi

failed=0

# fail WHAT FIX [LOG]: reports a failed step: the tail of LOG, indented, then
# one line naming what failed and the fix. The script goes on; it exits 1 at
# the end.
fail() {
	failed=1
	if [[ -n ${3:-} && -s ${3:-} ]]; then
		tail -n 12 "$3" | sed 's/^/    /' >&2
		echo "$SELF: $1; fix: $2 (full output: $3)" >&2
	else
		echo "$SELF: $1; fix: $2" >&2
	fi
}

# A command that fails where the script does not expect it still gets its
# line (only the top-level shell reports, so a failing subshell is not told
# twice).
trap 'rc=$?; ((BASH_SUBSHELL)) || echo "$SELF: line $LINENO: \"$BASH_COMMAND\" failed (exit $rc), which this script does not expect; fix: run bash -x .ci/install.sh to see why" >&2' ERR

LOGDIR=$(mktemp -d -t mint-install.XXXXXX) || {
	echo "$SELF: cannot create a temporary directory; fix: make ${TMPDIR:-/tmp} writable or point TMPDIR at a writable directory" >&2
	exit 1
}
# Logs stay when something failed: the failure lines name them.
trap '((failed)) || rm -rf "$LOGDIR"' EXIT

# ---------------------------------------------------------------------------
# Debian packages. apt-get update only runs when something is missing.

APT_PACKAGES=(
	# registry + clients
	docker-registry apache2-utils jq curl
	# the cloud registries' private network namespace (unshare -n -m, ip link)
	util-linux iproute2
	docker.io containerd runc
	skopeo podman
	# what rootful podman needs here (cgroup v1, vfs, no systemd)
	conmon crun uidmap fuse-overlayfs slirp4netns containernetworking-plugins
	golang-github-containers-common
	# keychain backends
	gnome-keyring pass gnupg dbus dbus-x11 dbus-user-session libsecret-tools
	# benchmarks (make bench): instruction counts, peak RSS, and the stock
	# docker-credential-secretservice built for comparison
	hyperfine valgrind time libsecret-1-dev pkg-config
	# the Windows build under Wine (.ci/wine.sh): Wine's Credential Manager,
	# and the assembler and linker of its ProcessPrng shim DLL
	wine64 binutils-mingw-w64-x86-64
)
# The OAuth2 server of the token-chain tests runs on Node.js
# (.ci/install-tokenchain.sh). Debian's packages are asked for only when the
# commands are missing, so a Node.js installed some other way is kept.
command -v node >/dev/null || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null || APT_PACKAGES+=(npm)

# missing_packages PKG...: prints, one a line, those of PKG that dpkg does not
# have installed. dpkg-query exits 1 when any PKG is unknown to it, which is
# the point here, not an error.
missing_packages() {
	local status p rest
	local -A ok=()
	status=$(dpkg-query -W --showformat='${Package} ${Status}\n' "$@" 2>/dev/null) || true
	while read -r p rest; do
		[[ ${rest##* } != installed ]] || ok[$p]=1
	done <<<"$status"
	for p in "$@"; do
		[[ -n ${ok[$p]:-} ]] || echo "$p"
	done
}

# apt_retry LOG CMD...: runs an apt-get command with its output appended to
# LOG. apt-get waits for the dpkg lock itself (DPkg::Lock::Timeout), but not
# for the lock of its package lists (apt-get update) or of its download
# cache; while it fails only because another apt holds one of those, it is
# tried again every 2 seconds, for up to LOCK_TIMEOUT seconds.
apt_retry() {
	local log=$1 i
	shift
	for ((i = 0; ; i++)); do
		if "$@" >"$log.try" 2>&1; then
			cat "$log.try" >>"$log"
			rm -f "$log.try"
			return 0
		fi
		cat "$log.try" >>"$log"
		if ! grep -q 'Could not get lock' "$log.try" || ((i >= LOCK_TIMEOUT / 2)); then
			rm -f "$log.try"
			return 1
		fi
		((i)) || echo "waiting for another apt-get or dpkg to finish (up to ${LOCK_TIMEOUT}s)"
		sleep 2
	done
}

# apt_install PKG...: installs the Debian packages PKG, as root or through
# sudo, and checks that dpkg has them all afterwards.
apt_install() {
	local sudo=() uid
	uid=$(id -u)
	if [[ $uid != 0 ]]; then
		if ! command -v sudo >/dev/null; then
			fail "missing Debian packages not installed (not root, and no sudo): $*" "as root run: apt-get install -y $*"
			return
		fi
		sudo=(sudo)
	fi
	local log=$LOGDIR/apt.log start=$SECONDS still=()
	# LC_ALL=C: apt_retry reads apt-get's English messages.
	local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get -o "DPkg::Lock::Timeout=$LOCK_TIMEOUT")
	echo "installing Debian packages (apt-get; a few minutes): $*"
	if ! apt_retry "$log" "${apt[@]}" update -qq; then
		fail "apt-get update failed, so these Debian packages were not installed: $*" "run ${sudo[*]:+${sudo[*]} }apt-get update by hand and fix what it reports (sources in /etc/apt/sources.list*, network), then re-run make deps" "$log"
		return
	fi
	if ! apt_retry "$log" "${apt[@]}" install -y -qq \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; then
		fail "apt-get install failed for: $*" "run ${sudo[*]:+${sudo[*]} }apt-get install $* by hand, fix what it reports, then re-run make deps" "$log"
		return
	fi
	mapfile -t still < <(missing_packages "$@")
	if ((${#still[@]})); then
		fail "apt-get install succeeded but dpkg still has these Debian packages not installed: ${still[*]}" "run ${sudo[*]:+${sudo[*]} }apt-get install ${still[*]} by hand and check dpkg -s ${still[*]}" "$log"
		return
	fi
	echo "installed Debian packages in $((SECONDS - start))s: $*"
}

if ! command -v dpkg-query >/dev/null; then
	fail "dpkg-query not found, so the Debian packages the tests need were neither checked nor installed" "on Debian or Ubuntu put dpkg-query (package dpkg) on PATH; elsewhere install the equivalents of: ${APT_PACKAGES[*]}"
else
	mapfile -t missing < <(missing_packages "${APT_PACKAGES[@]}")
	if ((${#missing[@]})); then
		apt_install "${missing[@]}"
	fi
fi

# ---------------------------------------------------------------------------
# Go tools, built into $BIN. Each is skipped when $BIN/<name> already reports
# the wanted module version (go version -m).

# have NAME MODULE VERSION: whether $BIN/NAME was built from MODULE@VERSION.
have() {
	[[ -x $BIN/$1 ]] || return 1
	go version -m "$BIN/$1" 2>/dev/null |
		awk -v m="$2" -v v="$3" '$1 == "mod" && $2 == m && $3 == v { ok = 1 } END { exit !ok }'
}

# go_tool HOW NAME PACKAGE MODULE VERSION [FIX]: builds PACKAGE@VERSION as
# $BIN/NAME. HOW is "install" (go install; when that fails, for instance
# because the module proxy refuses the version list that go install reads for
# deprecation notices, "loading deprecation ... 403", it builds through a
# throw-away wrapper module instead) or "wrapped" (the wrapper module only).
# FIX is added to the fix of a failure line.
go_tool() {
	local how=$1 name=$2 pkg=$3 mod=$4 ver=$5 fix=${6:-}
	have "$name" "$mod" "$ver" && return 0
	local log=$LOGDIR/$name.log start=$SECONDS
	echo "building $name $ver ($mod)"
	if [[ $how == wrapped ]] || ! GOBIN=$BIN GOFLAGS=-buildvcs=false go install "$pkg@$ver" >>"$log" 2>&1; then
		[[ $how == wrapped ]] || echo "-- go install failed; building through a wrapper module" >>"$log"
		if ! go_wrapped "$name" "$pkg" "$mod" "$ver" >>"$log" 2>&1; then
			fail "go build of $name ($mod@$ver) failed" "check that the Go module proxy is reachable (go env GOPROXY) and there is disk space for GOMODCACHE and GOCACHE, then re-run make deps$fix" "$log"
			return
		fi
	fi
	if ! have "$name" "$mod" "$ver"; then
		fail "$BIN/$name is not $mod@$ver after building it" "remove $BIN/$name and re-run make deps$fix" "$log"
		return
	fi
	echo "installed $name $ver in $((SECONDS - start))s ($BIN/$name)"
}

# go_wrapped NAME PACKAGE MODULE VERSION: builds PACKAGE from a temporary
# module that requires MODULE@VERSION.
go_wrapped() {
	local name=$1 pkg=$2 mod=$3 ver=$4 dir rc=0
	dir=$(mktemp -d -t mint-tool.XXXXXX) || return 1
	printf 'module minttools/%s\n\ngo 1.22\n' "$name" >"$dir/go.mod" &&
		printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >"$dir/tools.go" &&
		(
			cd "$dir" &&
				GOFLAGS=-mod=mod go get "$mod@$ver" &&
				GOFLAGS=-mod=mod go mod tidy &&
				GOFLAGS=-buildvcs=false go build -o "$BIN/$name" "$pkg"
		) || rc=1
	rm -rf "$dir"
	return $rc
}

# kubelet_runner: builds the e2e tests' driver of the kubelet's own
# credential provider plugin runner (cmd/docker-credential-mint/e2e/testdata/
# kubeletrunner, a module of its own requiring k8s.io/kubernetes) as
# $BIN/mint-kubelet-runner, unless the binary there was built from the same
# sources.
kubelet_runner() {
	local src sum log=$LOGDIR/mint-kubelet-runner.log start=$SECONDS
	src=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)/cmd/docker-credential-mint/e2e/testdata/kubeletrunner
	sum=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum) || sum=
	sum=${sum%% *}
	if [[ -x $BIN/mint-kubelet-runner && $(cat "$BIN/mint-kubelet-runner.sum" 2>/dev/null) == "$sum" ]]; then
		return 0
	fi
	echo "building mint-kubelet-runner (k8s.io/kubernetes v1.37.2's plugin runner; minutes with an empty Go cache)"
	if (cd "$src" && GOFLAGS=-buildvcs=false go build -trimpath -o "$BIN/mint-kubelet-runner" .) >"$log" 2>&1; then
		echo "$sum" >"$BIN/mint-kubelet-runner.sum"
		echo "installed mint-kubelet-runner in $((SECONDS - start))s ($BIN/mint-kubelet-runner)"
	else
		fail "go build of mint-kubelet-runner failed" "check that the Go module proxy is reachable (go env GOPROXY) and there is disk space for GOMODCACHE and GOCACHE, then re-run make deps (or skip it with MINT_INSTALL_KUBELET_RUNNER=0)" "$log"
	fi
}

# go_ok: whether go is there and can build the tools (1.21 or newer fetches
# the toolchain a tool's go.mod asks for through the module proxy).
go_ok() {
	if ! command -v go >/dev/null; then
		fail "go not found on PATH, so crane, oras, regctl, token-server, golangci-lint and nerdctl were not built" "install Go 1.21 or newer (https://go.dev/dl) and put its bin directory on PATH, then re-run make deps"
		return 1
	fi
	local v
	v=$(go env GOVERSION 2>/dev/null) || v=
	if [[ ! $v =~ ^go1\.([0-9]+) ]] || ((BASH_REMATCH[1] < 21)); then
		fail "go on PATH ($(command -v go), ${v:-version unknown}) is older than 1.21, so the Go tools were not built" "install Go 1.21 or newer (https://go.dev/dl) first on PATH, then re-run make deps"
		return 1
	fi
	if ! mkdir -p "$BIN" 2>"$LOGDIR/mkdir.log"; then
		fail "cannot create $BIN, so the Go tools were not built" "make it writable, or point MINT_TOOLS at a writable directory" "$LOGDIR/mkdir.log"
		return 1
	fi
}

if go_ok; then
	go_tool install crane github.com/google/go-containerregistry/cmd/crane github.com/google/go-containerregistry v0.22.1
	go_tool install oras oras.land/oras/cmd/oras oras.land/oras v1.3.6
	go_tool install regctl github.com/regclient/regclient/cmd/regctl github.com/regclient/regclient v0.11.7
	# distribution's own token server (GET and POST /token/, refresh tokens):
	# the realm for the identity-token tests.
	go_tool install token-server github.com/docker/distribution/contrib/token-server github.com/docker/distribution v2.8.3+incompatible
	# make lint's linter, pinned (.golangci.yml is its configuration); make
	# demo does not need it (MINT_INSTALL_LINT=0).
	if [[ ${MINT_INSTALL_LINT:-1} == 1 ]]; then
		go_tool install golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint github.com/golangci/golangci-lint/v2 v2.15.0
	fi
	# nerdctl (slow): go install fails on the proxy's deprecation check, so it
	# goes straight through the wrapper module.
	if [[ ${MINT_INSTALL_NERDCTL:-1} == 1 ]]; then
		go_tool wrapped nerdctl github.com/containerd/nerdctl/cmd/nerdctl github.com/containerd/nerdctl v1.7.7 \
			" (or skip nerdctl with MINT_INSTALL_NERDCTL=0)"
	fi
	# The kubelet's plugin runner (slow too: k8s.io/kubernetes, 4 to 6
	# minutes on 2 busy cores with an empty Go cache, under a second after).
	if [[ ${MINT_INSTALL_KUBELET_RUNNER:-1} == 1 ]]; then
		kubelet_runner
	fi
fi

# ---------------------------------------------------------------------------
# moto's server: the ECR and STS of the ecr provider's integration tests
# (credentials/provider/ecr). It comes from PyPI; nothing is done when
# python3 already imports it.
MOTO_VERSION=5.2.1
if [[ ${MINT_INSTALL_MOTO:-1} != 1 ]]; then
	: # make demo does not need it
elif ! command -v python3 >/dev/null; then
	fail "python3 not found, so moto (the ECR tests' server) was not installed" "install python3 and pip, then run: python3 -m pip install 'moto[server]==$MOTO_VERSION'"
elif ! python3 -c 'import moto.server' >/dev/null 2>&1; then
	log=$LOGDIR/moto.log start=$SECONDS
	echo "installing moto $MOTO_VERSION (pip)"
	if python3 -m pip install --quiet "moto[server]==$MOTO_VERSION" >"$log" 2>&1 && python3 -c 'import moto.server' >>"$log" 2>&1; then
		echo "installed moto $MOTO_VERSION in $((SECONDS - start))s"
	else
		fail "pip install of moto $MOTO_VERSION failed" "run python3 -m pip install 'moto[server]==$MOTO_VERSION' by hand and fix what it reports (PyPI reachable, pip present)" "$log"
	fi
fi

exit $failed
