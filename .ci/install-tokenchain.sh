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
# module). The Debian docker-registry and crane come from .ci/install.sh.
#
# Idempotent and quiet: one line when it installs something, nothing when
# everything is already there.
#
# Usage: .ci/install-tokenchain.sh [--print-oidc-dir]
set -euo pipefail

TOOLS=${MINT_TOOLS:-$HOME/.cache/mint-tools}
OIDC=$TOOLS/oidc
# The major version the launcher is written for; the lock file pins the rest.
OIDC_PROVIDER=oidc-provider@9

if [[ ${1:-} == --print-oidc-dir ]]; then
	echo "$OIDC"
	exit 0
fi

for c in node npm; do
	command -v "$c" >/dev/null || {
		echo "install-tokenchain.sh: $c not found on PATH (Debian: apt-get install nodejs npm)" >&2
		exit 1
	}
done

# installed: whether $OIDC holds oidc-provider 9.x.
installed() {
	local pj=$OIDC/node_modules/oidc-provider/package.json
	[[ -f $pj ]] && node -e 'process.exit(/^9\./.test(require(process.argv[1]).version) ? 0 : 1)' "$pj"
}

installed && exit 0

LOG=$(mktemp -t mint-install-tokenchain.XXXXXX.log)
trap 'rm -f "$LOG"' EXIT
mkdir -p "$OIDC"
[[ -f $OIDC/package.json ]] || printf '{\n  "name": "mint-tokenchain-tools",\n  "private": true\n}\n' >"$OIDC/package.json"
if ! (cd "$OIDC" && npm install --no-audit --no-fund --loglevel=error "$OIDC_PROVIDER") >>"$LOG" 2>&1; then
	echo "install-tokenchain.sh: failed: npm install $OIDC_PROVIDER in $OIDC" >&2
	tail -n 40 "$LOG" >&2
	exit 1
fi
installed || {
	echo "install-tokenchain.sh: $OIDC has no oidc-provider 9.x after npm install" >&2
	exit 1
}
echo "installed $OIDC_PROVIDER ($OIDC/node_modules/oidc-provider $(node -p 'require(process.argv[1]).version' "$OIDC/node_modules/oidc-provider/package.json"))"
