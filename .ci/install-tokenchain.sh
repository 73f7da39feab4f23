#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The docker-credential-mint authors
#
# install-tokenchain.sh installs what the short-lived token chain of the e2e
# tests and `make demo` needs beyond .ci/install.sh: the node oidc-provider
# package (a real OAuth2 server with client_credentials and RFC 7662
# introspection), into
#
#	${MINT_TOOLS:-$HOME/.cache/mint-tools}/oidc/node_modules
#
# never into the repository. The launcher that uses it is committed at
# cmd/docker-credential-mint/e2e/tokenchain/oidc-server.mjs; the test-only
# token service there is built by the tests themselves (go build, no extra
# module). The Debian docker-registry and crane come from .ci/install.sh, and
# so do Debian's nodejs and npm when node or npm is missing.
#
# Idempotent and quiet: one line when it installs something, nothing when
# everything is already there. It never stops without a word: a failure
# prints the tail of the failing command's output, indented, then one line
#
#	install-tokenchain.sh: <what failed>; fix: <what to do>
#
# and exits 1.
#
# Usage: .ci/install-tokenchain.sh [--print-oidc-dir]
set -Eeuo pipefail

SELF=install-tokenchain.sh
TOOLS=${MINT_TOOLS:-$HOME/.cache/mint-tools}
OIDC=$TOOLS/oidc
# The major version the launcher is written for.
OIDC_PROVIDER=oidc-provider@9
# The oldest Node.js major it is known to run on (oidc-provider 9 warns below
# the 22 LTS but works on 20).
NODE_MIN=20

if [[ ${1:-} == --print-oidc-dir ]]; then
	echo "$OIDC"
	exit 0
fi

failed=0

# fail WHAT FIX [LOG]: reports a failure: the tail of LOG, indented, then one
# line naming what failed and the fix.
fail() {
	failed=1
	if [[ -n ${3:-} && -s ${3:-} ]]; then
		tail -n 12 "$3" | sed 's/^/    /' >&2
		echo "$SELF: $1; fix: $2 (full output: $3)" >&2
	else
		echo "$SELF: $1; fix: $2" >&2
	fi
}

trap 'rc=$?; ((BASH_SUBSHELL)) || echo "$SELF: line $LINENO: \"$BASH_COMMAND\" failed (exit $rc), which this script does not expect; fix: run bash -x .ci/install-tokenchain.sh to see why" >&2' ERR

for c in node npm; do
	command -v "$c" >/dev/null ||
		fail "$c not found on PATH, so $OIDC_PROVIDER (the OAuth2 server of the token-chain tests and the demo) was not installed" "run .ci/install.sh (it installs Debian's nodejs and npm when they are missing), or install Node.js $NODE_MIN or newer with npm"
done
((failed)) && exit 1

node_version=$(node --version 2>/dev/null) || node_version=
if [[ ! $node_version =~ ^v([0-9]+)\. ]] || ((BASH_REMATCH[1] < NODE_MIN)); then
	fail "node on PATH ($(command -v node), ${node_version:-version unknown}) is older than Node.js $NODE_MIN, which $OIDC_PROVIDER needs" "install Node.js $NODE_MIN or newer (Debian 13's nodejs, or NodeSource's packages) first on PATH, then re-run make deps"
	exit 1
fi

# oidc_version: the version of the oidc-provider in $OIDC, if any (the
# "version" field of its package.json).
oidc_version() {
	[[ -f $OIDC/node_modules/oidc-provider/package.json ]] || return 0
	sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' \
		"$OIDC/node_modules/oidc-provider/package.json" 2>/dev/null | head -n 1
}

[[ $(oidc_version) == 9.* ]] && exit 0

LOGDIR=$(mktemp -d -t mint-install-tokenchain.XXXXXX) || {
	echo "$SELF: cannot create a temporary directory; fix: make ${TMPDIR:-/tmp} writable or point TMPDIR at a writable directory" >&2
	exit 1
}
trap '((failed)) || rm -rf "$LOGDIR"' EXIT
LOG=$LOGDIR/npm.log

if ! { mkdir -p "$OIDC" && { [[ -f $OIDC/package.json ]] ||
	printf '{\n  "name": "mint-tokenchain-tools",\n  "private": true\n}\n' >"$OIDC/package.json"; }; } 2>"$LOG"; then
	fail "cannot create $OIDC/package.json, so $OIDC_PROVIDER was not installed" "make $OIDC writable, or point MINT_TOOLS at a writable directory" "$LOG"
	exit 1
fi
start=$SECONDS
echo "installing $OIDC_PROVIDER (npm) into $OIDC"
if ! (cd "$OIDC" && npm install --no-audit --no-fund --loglevel=error "$OIDC_PROVIDER") >>"$LOG" 2>&1; then
	fail "npm install $OIDC_PROVIDER in $OIDC failed" "check that npm can reach its registry (npm config get registry; npm ping), then re-run make deps" "$LOG"
	exit 1
fi
v=$(oidc_version)
if [[ $v != 9.* ]]; then
	got="has no oidc-provider"
	[[ -z $v ]] || got="has oidc-provider $v, not 9.x"
	fail "npm install $OIDC_PROVIDER succeeded but $OIDC/node_modules $got" "remove $OIDC and re-run make deps" "$LOG"
	exit 1
fi
echo "installed $OIDC_PROVIDER $v in $((SECONDS - start))s ($OIDC/node_modules/oidc-provider)"
