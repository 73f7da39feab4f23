#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The docker-credential-mint authors
#
# test-windows.sh runs the Windows build's tests under Wine (make
# test-windows), inside .ci/wine.sh's throw-away prefix:
#
#   - the keyring backend against Wine's Credential Manager (store/keyring's
#     TestWincred: the conformance suite, secrets of 1 to 65,536 bytes around
#     the 2,560-byte blob limit, overwrite, erase, a list of 50), and the
#     tests of the other store packages a Windows build uses (the file store,
#     atomic writes, LockFileEx locks) built for Windows;
#   - the protocol binary and the full build, both built for Windows side by
#     side, driven by the Windows test binary of
#     cmd/docker-credential-mint/e2e/wintest: store/get/list/erase with the
#     file store and with wincred, the hand-off of an operator command to the
#     full build, and crane.exe auth login/get/logout through the helper.
#
# crane.exe (go-containerregistry's crane, the version .ci/install.sh builds
# for Linux) is built once into ${MINT_TOOLS:-$HOME/.cache/mint-tools}/windows_amd64.
#
# Usage: .ci/test-windows.sh [go test flags...]
set -Eeuo pipefail
cd "$(dirname "$0")/.."

if [[ -z ${MINT_WINE_OVERLAY:-} ]]; then
	exec bash .ci/wine.sh bash .ci/test-windows.sh "$@"
fi

SELF=test-windows.sh
CRANE_MOD=github.com/google/go-containerregistry
CRANE_VER=v0.22.1
TOOLS=${MINT_TOOLS:-$HOME/.cache/mint-tools}/windows_amd64

# The products are built as shipped: without the standard library overlay
# that only the test binaries need (their t.TempDir clean-up).
product_goflags=${GOFLAGS/-overlay=$MINT_WINE_OVERLAY/}

BIN=$(mktemp -d -t mint-winbin.XXXXXX)
trap 'rm -rf "$BIN"' EXIT

start=$SECONDS
GOFLAGS=$product_goflags go build -trimpath -tags lean -o "$BIN/docker-credential-mint.exe" ./cmd/docker-credential-mint
GOFLAGS=$product_goflags go build -trimpath -o "$BIN/docker-credential-mint-full.exe" ./cmd/docker-credential-mint

# crane.exe, built once.
have_crane() {
	[[ -f $TOOLS/crane.exe ]] &&
		go version -m "$TOOLS/crane.exe" 2>/dev/null | awk -v m="$CRANE_MOD" -v v="$CRANE_VER" '$1 == "mod" && $2 == m && $3 == v { ok = 1 } END { exit !ok }'
}
if ! have_crane; then
	echo "building crane.exe $CRANE_VER for Windows (once, into $TOOLS)"
	mkdir -p "$TOOLS"
	dir=$(mktemp -d -t mint-crane.XXXXXX)
	printf 'module minttools/crane\n\ngo 1.22\n' >"$dir/go.mod"
	printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/crane"\n' "$CRANE_MOD" >"$dir/tools.go"
	if ! (
		cd "$dir" &&
			GOOS= GOARCH= GOFLAGS=-mod=mod go get "$CRANE_MOD@$CRANE_VER" &&
			GOOS= GOARCH= GOFLAGS=-mod=mod go mod tidy &&
			GOFLAGS=-buildvcs=false go build -trimpath -o "$TOOLS/crane.exe" "$CRANE_MOD/cmd/crane"
	) >"$dir.log" 2>&1; then
		sed 's/^/    /' "$dir.log" | tail -n 12 >&2
		echo "$SELF: building crane.exe ($CRANE_MOD@$CRANE_VER for windows/amd64) failed; fix: check that the Go module proxy is reachable (go env GOPROXY), then run make test-windows again" >&2
		rm -rf "$dir" "$dir.log"
		exit 1
	fi
	rm -rf "$dir" "$dir.log"
fi
cp "$TOOLS/crane.exe" "$BIN/crane.exe"
echo "built the Windows binaries in $((SECONDS - start))s"

# The store packages a Windows build uses (wire/backends_windows.go: wincred
# and the file store; pass and the Secret Service are not offered there),
# then the binaries.
export MINT_WIN_BIN=$BIN
go test -count=1 "$@" ./store ./store/atomicfile ./store/file ./store/keyring ./store/lockfile \
	./cmd/docker-credential-mint/e2e/wintest/
