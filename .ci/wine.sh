#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The docker-credential-mint authors
#
# wine.sh runs a command with the Windows build of the project executed under
# Wine (Debian's wine64, 8.0) on this Linux machine:
#
#	.ci/wine.sh go test ./store/keyring/...
#
# runs the package's tests built with GOOS=windows GOARCH=amd64, each test
# binary started through go_windows_amd64_exec, which this script puts on
# PATH and which runs it under wine64. The test binary therefore talks to
# Wine's Credential Manager (CredWriteW/CredReadW/CredEnumerateW/CredDeleteW),
# the real wincred code path of go-keyring, not a mock.
#
# Everything happens in a throw-away WINEPREFIX in a temporary directory,
# removed at the end, so nothing of the user's own Wine set-up (or its
# credentials) is read or changed. Set-up, in order:
#
#   - a shim bcryptprimitives.dll in the prefix's system32. Go 1.24 and later
#     get their random numbers from bcryptprimitives!ProcessPrng, which Wine
#     8.0 does not have; the shim forwards ProcessPrng to
#     advapi32!SystemFunction036 (RtlGenRandom, same arguments). It is built
#     here from a .def file and a 2-instruction entry point with Debian's
#     binutils-mingw-w64-x86-64 (no C compiler).
#   - a go -overlay of the standard library's internal/syscall/windows/
#     at_windows.go that also takes deleteat's fallback (plain delete
#     disposition) on STATUS_NOT_IMPLEMENTED: Wine 8 answers Go's
#     FileDispositionInformationEx with it, so os.RemoveAll, and with it
#     t.TempDir's clean-up, fails on every non-empty directory. The overlay
#     is in GOFLAGS, so it applies to what the command builds for Windows
#     (and only to that: the linux build cache keys do not change).
#   - our own wineserver (wineserver -f -p), started in the background so
#     that its PID is known, then wineboot with its output discarded: the
#     first wine call starts Wine's services, which inherit its stdout and
#     stderr and would keep go test's pipes open. DLLs Wine would offer to
#     download (Mono, Gecko) are disabled.
#
# At the end (also on failure or interrupt) the wineserver is told to end
# every process of the prefix (wineserver -k, which only reaches this
# prefix's processes), then stopped by its PID, and the prefix is removed.
#
# Environment: WINE64 overrides the wine64 program (default: wine64 on PATH,
# else /usr/lib/wine/wine64, Debian's place for it). MINT_WINE_KEEP=1 keeps
# the prefix for inspection (its path is printed).
set -Eeuo pipefail

SELF=wine.sh
if (($# == 0)); then
	echo "usage: .ci/wine.sh COMMAND [ARG...]   (for example: .ci/wine.sh go test ./store/keyring/...)" >&2
	exit 2
fi

die() {
	echo "$SELF: $1; fix: $2" >&2
	exit 1
}

WINE64=${WINE64:-}
if [[ -z $WINE64 ]]; then
	WINE64=$(command -v wine64 || true)
	[[ -n $WINE64 ]] || WINE64=/usr/lib/wine/wine64
fi
[[ -x $WINE64 ]] || die "wine64 not found (not on PATH, not $WINE64)" "run make deps (.ci/install.sh installs Debian's wine64)"
WINEDIR=$(dirname "$(readlink -f "$WINE64")")
WINESERVER=$WINEDIR/wineserver
[[ -x $WINESERVER ]] || WINESERVER=$(command -v wineserver || true)
[[ -n $WINESERVER && -x $WINESERVER ]] || die "wineserver not found next to $WINE64 nor on PATH" "reinstall Debian's wine64 (make deps)"
for t in x86_64-w64-mingw32-as x86_64-w64-mingw32-dlltool x86_64-w64-mingw32-ld; do
	command -v "$t" >/dev/null || die "$t not found" "run make deps (.ci/install.sh installs binutils-mingw-w64-x86-64)"
done

WORK=$(mktemp -d -t mint-wine.XXXXXX) || die "cannot create a temporary directory" "make ${TMPDIR:-/tmp} writable"
server_pid=
cleanup() {
	local rc=$?
	if [[ -n $server_pid ]]; then
		WINEPREFIX=$WORK/prefix "$WINESERVER" -k >/dev/null 2>&1 || true
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [[ ${MINT_WINE_KEEP:-} == 1 ]]; then
		echo "$SELF: kept the Wine prefix in $WORK/prefix" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The shim DLL.
mkdir -p "$WORK/shim" "$WORK/bin"
cat >"$WORK/shim/bcryptprimitives.def" <<'EOF'
LIBRARY bcryptprimitives.dll
EXPORTS
ProcessPrng = advapi32.SystemFunction036
EOF
cat >"$WORK/shim/entry.s" <<'EOF'
	.text
	.globl DllMain
DllMain:
	movl $1, %eax
	ret
EOF
(
	cd "$WORK/shim"
	x86_64-w64-mingw32-as -o entry.o entry.s &&
		x86_64-w64-mingw32-dlltool --def bcryptprimitives.def --output-exp bcryptprimitives.exp &&
		x86_64-w64-mingw32-ld -shared --entry DllMain -o bcryptprimitives.dll entry.o bcryptprimitives.exp
) >"$WORK/shim/build.log" 2>&1 || {
	sed 's/^/    /' "$WORK/shim/build.log" >&2
	die "building the ProcessPrng shim DLL failed" "check that binutils-mingw-w64-x86-64 is installed whole (make deps)"
}

# The standard library overlay.
GOROOT_SRC=$(go env GOROOT)/src
AT=$GOROOT_SRC/internal/syscall/windows/at_windows.go
[[ -f $AT ]] || die "$AT not found" "this script knows Go 1.24 and later; check go version"
sed 's/^\([[:space:]]*\)STATUS_NOT_SUPPORTED:/\1STATUS_NOT_SUPPORTED, NTStatus(0xC0000002): \/\/ STATUS_NOT_IMPLEMENTED (Wine 8)\n\1/' "$AT" >"$WORK/at_windows.go"
grep -q 0xC0000002 "$WORK/at_windows.go" ||
	die "the os.RemoveAll fix no longer applies to $AT (its deleteat fallback list changed)" "update the sed expression in .ci/wine.sh for this Go version, or drop it if Wine or Go no longer need it"
printf '{"Replace":{"%s":"%s"}}\n' "$AT" "$WORK/at_windows.go" >"$WORK/overlay.json"

# go_windows_amd64_exec: how go test and go run start a windows/amd64 binary.
cat >"$WORK/bin/go_windows_amd64_exec" <<EOF
#!/bin/sh
exec "$WINE64" "\$@"
EOF
chmod +x "$WORK/bin/go_windows_amd64_exec"

export WINEPREFIX=$WORK/prefix
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY
export PATH=$WORK/bin:$PATH
export GOOS=windows GOARCH=amd64 CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-overlay=$WORK/overlay.json"
# So that a script can build a product as shipped, without the overlay.
export MINT_WINE_OVERLAY=$WORK/overlay.json
# For scripts and tests that start wine64 themselves.
export MINT_WINE64=$WINE64
# The keyring tests may write to the Credential Manager: it is the prefix's.
export MINT_WINCRED_TEST=1

mkdir -p "$WINEPREFIX"
# Wine keeps its server sockets in /tmp/.wine-<uid>; when it finds that
# directory missing or half made (another prefix's wineserver ending at the
# same moment) it repairs it and asks to be run again ("fixed a temporary
# directory error"): so the server start and wineboot are tried up to 3 times.
for try in 1 2 3; do
	"$WINESERVER" -f -p </dev/null >"$WORK/wineserver.log" 2>&1 &
	server_pid=$!
	if "$WINE64" wineboot -i </dev/null >"$WORK/wineboot.log" 2>&1; then
		break
	fi
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
	if ((try == 3)) || ! grep -q 'try.* again' "$WORK/wineboot.log" "$WORK/wineserver.log"; then
		cat "$WORK/wineserver.log" "$WORK/wineboot.log" | tail -n 12 | sed 's/^/    /' >&2
		die "wineboot failed to set up the prefix $WINEPREFIX" "run WINEPREFIX=\$(mktemp -d) $WINE64 wineboot -i by hand and fix what it reports"
	fi
done
cp "$WORK/shim/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

"$@"
