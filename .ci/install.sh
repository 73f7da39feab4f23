#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The docker-credential-mint authors
#
# install.sh installs what the tests need: Debian packages (the real registry,
# dockerd, containerd, skopeo, podman, the keyring daemons) and the Go-built
# clients (crane, oras, regctl) and distribution's token-server in a cache
# directory outside the repository.
#
# It is idempotent and quiet: it prints one line for each thing it actually
# installs and nothing when everything is already there, so CI can run it
# before every test run. Go tools are built into
#
#	${MINT_TOOLS:-$HOME/.cache/mint-tools}/bin
#
# which is where the e2e tests look for them (they read MINT_TOOLS, with the
# same default). nerdctl is built too (slow on a fresh machine; skip it with
# MINT_INSTALL_NERDCTL=0;
# 5-7 minutes on 2 cores).
#
# Usage: .ci/install.sh [--print-tools-dir]
set -euo pipefail

TOOLS=${MINT_TOOLS:-$HOME/.cache/mint-tools}
BIN=$TOOLS/bin

if [[ ${1:-} == --print-tools-dir ]]; then
	echo "$BIN"
	exit 0
fi

LOG=$(mktemp -t mint-install.XXXXXX.log)
trap 'rm -f "$LOG"' EXIT

# run runs a command with its output sent to $LOG; on failure it prints the
# log's tail and stops the script.
run() {
	if ! "$@" >>"$LOG" 2>&1; then
		echo "install.sh: failed: $*" >&2
		tail -n 40 "$LOG" >&2
		exit 1
	fi
}

# ---------------------------------------------------------------------------
# Debian packages. apt-get update only runs when something is missing.

APT_PACKAGES=(
	# registry + clients
	docker-registry apache2-utils jq curl
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
)

missing=()
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null |
	awk '$NF == "installed" { printf "%s ", $1 }')"
for p in "${APT_PACKAGES[@]}"; do
	[[ $installed == *" $p "* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) != 0 ]]; then
		SUDO=sudo
	else
		SUDO=
	fi
	run $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	run $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}"
	for p in "${missing[@]}"; do
		echo "installed apt package $p"
	done
fi

# ---------------------------------------------------------------------------
# Go tools, built into $BIN. Each is skipped when $BIN/<name> already reports
# the wanted module version (go version -m).

command -v go >/dev/null || {
	echo "install.sh: go not found on PATH" >&2
	exit 1
}
mkdir -p "$BIN"

# have NAME MODULE VERSION: whether $BIN/NAME was built from MODULE@VERSION.
have() {
	[[ -x $BIN/$1 ]] || return 1
	go version -m "$BIN/$1" 2>/dev/null |
		awk -v m="$2" -v v="$3" '$1 == "mod" && $2 == m && $3 == v { ok = 1 } END { exit !ok }'
}

# go_tool NAME PACKAGE MODULE VERSION: go install PACKAGE@VERSION as $BIN/NAME.
# When the module proxy refuses the version list that go install reads for
# deprecation notices ("loading deprecation ... 403"), it builds through a
# throw-away wrapper module instead.
go_tool() {
	local name=$1 pkg=$2 mod=$3 ver=$4
	have "$name" "$mod" "$ver" && return 0
	if ! GOBIN=$BIN GOFLAGS=-buildvcs=false go install "$pkg@$ver" >>"$LOG" 2>&1; then
		go_wrapped "$name" "$pkg" "$mod" "$ver"
	fi
	have "$name" "$mod" "$ver" || {
		echo "install.sh: $BIN/$name is not $mod@$ver after building it" >&2
		tail -n 40 "$LOG" >&2
		exit 1
	}
	echo "installed $name $ver ($BIN/$name)"
}

# go_wrapped NAME PACKAGE MODULE VERSION [REPLACE...]: builds PACKAGE from a
# temporary module that requires MODULE@VERSION. Each REPLACE is a
# "old => new version" line copied from the tool's own go.mod.
go_wrapped() {
	local name=$1 pkg=$2 mod=$3 ver=$4
	shift 4
	local dir
	dir=$(mktemp -d -t mint-tool.XXXXXX)
	{
		printf 'module minttools/%s\n\ngo 1.22\n' "$name"
		for r in "$@"; do
			printf 'replace %s\n' "$r"
		done
	} >"$dir/go.mod"
	printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >"$dir/tools.go"
	(
		cd "$dir"
		run env GOFLAGS=-mod=mod go get "$mod@$ver"
		run env GOFLAGS=-mod=mod go mod tidy
		run env GOFLAGS=-buildvcs=false go build -o "$BIN/$name" "$pkg"
	)
	rm -rf "$dir"
}

go_tool crane github.com/google/go-containerregistry/cmd/crane github.com/google/go-containerregistry v0.22.1
go_tool oras oras.land/oras/cmd/oras oras.land/oras v1.3.6
go_tool regctl github.com/regclient/regclient/cmd/regctl github.com/regclient/regclient v0.11.7
# distribution's own token server (GET and POST /token/, refresh tokens):
# the realm for the identity-token tests.
go_tool token-server github.com/docker/distribution/contrib/token-server github.com/docker/distribution v2.8.3+incompatible

# nerdctl (opt-in, slow): go install fails on the proxy's deprecation check,
# so it always goes through the wrapper module.
if [[ ${MINT_INSTALL_NERDCTL:-1} == 1 ]] && ! have nerdctl github.com/containerd/nerdctl v1.7.7; then
	go_wrapped nerdctl github.com/containerd/nerdctl/cmd/nerdctl github.com/containerd/nerdctl v1.7.7
	have nerdctl github.com/containerd/nerdctl v1.7.7 || {
		echo "install.sh: nerdctl build failed" >&2
		exit 1
	}
	echo "installed nerdctl v1.7.7 ($BIN/nerdctl)"
fi
