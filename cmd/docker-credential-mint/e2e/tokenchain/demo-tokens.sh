#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The docker-credential-mint authors
#
# demo-tokens.sh shows the helper keeping a registry reachable across several
# lifetimes of a short-lived OAuth2 access token. It starts, on free ports on
# 127.0.0.1:
#
#   - a real OAuth2 server (node oidc-provider, oidc-server.mjs; access
#     tokens live MINT_DEMO_TTL seconds, 10 by default),
#   - the introspecting registry token service of this directory,
#   - Debian's docker-registry, whose realm is that token service,
#
# configures the helper's oauth2 provider for the registry (DESIGN §5),
# stores the client id and secret through `docker-credential-mint store`
# (stdin), pushes an image and then pulls it with crane every few seconds
# across three token lifetimes, printing for each pull the token's hash and
# length (never the token), its remaining life and the servers' counters.
# Every process it starts is stopped by its PID on exit; everything it writes
# is under one temporary directory, removed on exit.
#
# Environment:
#   MINT_HELPER      the docker-credential-mint binary (default: on PATH)
#   MINT_TOOLS       tools dir of .ci/install.sh and .ci/install-tokenchain.sh
#                    (default $HOME/.cache/mint-tools: bin/crane, oidc/)
#   MINT_TOKENCHAIN  a prebuilt token service (default: go build it here)
#   MINT_DEMO_TTL    access token life in seconds (default 10)
#
# Needs: node, docker-registry, jq, curl, crane.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=${MINT_TOOLS:-$HOME/.cache/mint-tools}
TTL=${MINT_DEMO_TTL:-10}
LIFETIMES=3
EVERY=$(((TTL + 2) / 3)) # seconds between pulls: about three per lifetime

die() {
	echo "demo-tokens: $*" >&2
	exit 1
}

HELPER=${MINT_HELPER:-$(command -v docker-credential-mint || true)}
[[ -x $HELPER ]] || die "no helper binary: set MINT_HELPER"
HELPER=$(cd "$(dirname "$HELPER")" && pwd)/$(basename "$HELPER")
CRANE=$(command -v crane || echo "$TOOLS/bin/crane")
[[ -x $CRANE ]] || die "crane not found (run .ci/install.sh)"
[[ -f $TOOLS/oidc/node_modules/oidc-provider/package.json ]] || die "oidc-provider not in $TOOLS/oidc (run .ci/install-tokenchain.sh)"
for c in node docker-registry jq curl timeout sha256sum; do
	command -v "$c" >/dev/null || die "$c not found"
done

W=$(mktemp -d -t mint-demo-tokens.XXXXXX)
PIDS=()
cleanup() {
	local pid i
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A hermetic environment: nothing of the caller's Docker or helper state.
mkdir -p "$W"/{bin,home,docker,config,data,cache,run,srv}
chmod 700 "$W/run"
ln -s "$HELPER" "$W/bin/docker-credential-mint"
export PATH=$W/bin:$(dirname "$CRANE"):$PATH
export HOME=$W/home DOCKER_CONFIG=$W/docker
export XDG_CONFIG_HOME=$W/config XDG_DATA_HOME=$W/data XDG_CACHE_HOME=$W/cache XDG_RUNTIME_DIR=$W/run
export DOCKER_CREDENTIAL_MINT_KEYCHAIN=file DOCKER_CREDENTIAL_MINT_CONFIG=$W/config/mint.yaml

if [[ -n ${MINT_TOKENCHAIN:-} ]]; then
	ln -s "$MINT_TOKENCHAIN" "$W/bin/mint-tokenchain"
else
	(cd "$HERE" && go build -o "$W/bin/mint-tokenchain" .) || die "go build of the token service failed"
fi

rand() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
# waitfor LOG PID: the URL of the server's "listening on URL" line.
waitfor() {
	local i url
	for ((i = 0; i < 300; i++)); do
		url=$(sed -n 's/^listening on \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$1" | head -n1)
		[[ -n $url ]] && {
			echo "$url"
			return
		}
		kill -0 "$2" 2>/dev/null || {
			tail -n 20 "$1" >&2
			die "$(basename "$1" .log) exited"
		}
		sleep 0.1
	done
	die "$(basename "$1" .log) did not start"
}

CLIENT_ID=demo-client-$(rand 4)
CLIENT_SECRET=demo-secret-$(rand 16) # never in argv: env for the server, stdin for the helper
INTRO_ID=demo-introspect-$(rand 4)
INTRO_SECRET=demo-introspect-secret-$(rand 16)

MINT_OIDC_MODULES=$TOOLS/oidc MINT_OIDC_CLIENT_ID=$CLIENT_ID MINT_OIDC_CLIENT_SECRET=$CLIENT_SECRET \
	MINT_OIDC_INTROSPECT_ID=$INTRO_ID MINT_OIDC_INTROSPECT_SECRET=$INTRO_SECRET \
	MINT_OIDC_TTL=$TTL MINT_OIDC_PORT=0 \
	node "$HERE/oidc-server.mjs" >"$W/srv/oidc.log" 2>&1 &
PIDS+=($!)
OIDC=$(waitfor "$W/srv/oidc.log" "${PIDS[-1]}")

TOKENCHAIN_CLIENT_SECRET=$INTRO_SECRET mint-tokenchain -listen 127.0.0.1:0 \
	-issuer mint-demo -service mint-demo-registry -ttl 20s \
	-introspect-url "$OIDC/token/introspection" -client-id "$INTRO_ID" -cert "$W/srv/cert.pem" \
	>"$W/srv/tokenchain.log" 2>&1 &
PIDS+=($!)
SERVICE=$(waitfor "$W/srv/tokenchain.log" "${PIDS[-1]}")

REG_PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
REG=127.0.0.1:$REG_PORT
cat >"$W/srv/registry.yml" <<EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $W/srv/data}}
http: {addr: $REG, secret: $(rand 16)}
auth:
  token:
    realm: http://localhost:${SERVICE##*:}/token
    service: mint-demo-registry
    issuer: mint-demo
    rootcertbundle: $W/srv/cert.pem
EOF
docker-registry serve "$W/srv/registry.yml" >"$W/srv/registry.log" 2>&1 &
PIDS+=($!)
for ((i = 0; i < 150; i++)); do
	[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$REG/v2/") == 401 ]] && break
	kill -0 "${PIDS[-1]}" 2>/dev/null || die "docker-registry exited: $(tail -n 5 "$W/srv/registry.log")"
	sleep 0.1
done

cat >"$DOCKER_CREDENTIAL_MINT_CONFIG" <<EOF
registries:
  - match: $REG
    provider: oauth2
    token_url: $OIDC/token
    grant: client_credentials
    username: oauth2
EOF
printf '{"credsStore":"mint"}\n' >"$DOCKER_CONFIG/config.json"

echo "OAuth2 server   $OIDC (access tokens live ${TTL}s)"
echo "token service   $SERVICE (realm http://localhost:${SERVICE##*:}/token)"
echo "registry        $REG"
echo "helper          $HELPER, config $DOCKER_CREDENTIAL_MINT_CONFIG"

# The root credential: client id and secret, through store's stdin.
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$REG" "$CLIENT_ID" "$CLIENT_SECRET" |
	timeout 30 docker-credential-mint store || die "store failed"

# get_token: the helper's current token for the registry, in $TOKEN.
get_token() {
	local out user
	out=$(printf '%s' "$REG" | timeout 30 docker-credential-mint get) || die "get failed: $out"
	user=$(jq -r .Username <<<"$out")
	TOKEN=$(jq -r .Secret <<<"$out")
	[[ $TOKEN != "$CLIENT_SECRET" && $user == oauth2 ]] ||
		die "get answers the stored client credential, not a minted token: the provider wiring is not in this binary"
}
# life: the token's remaining life in seconds, as the token service sees it
# (a registry JWT never outlives the access token; the password goes to curl
# on stdin, not argv).
life() {
	printf 'user = "oauth2:%s"\n' "$TOKEN" |
		curl -s --max-time 10 -K - "$SERVICE/token?service=mint-demo-registry&scope=repository:demo/app:pull" |
		jq -r '.expires_in // "expired"'
}
stats() {
	local o s
	o=$(curl -s --max-time 5 "$OIDC/stats")
	s=$(curl -s --max-time 5 "$SERVICE/stats")
	printf 'oauth2 POST /token: %s   registry tokens issued: %s, refused (401): %s' \
		"$(jq -r .token_requests <<<"$o")" "$(jq -r .issued <<<"$s")" "$(jq -r .denied <<<"$s")"
}

get_token
printf 'hello from the token demo\n' >"$W/hello.txt"
tar -C "$W" -cf "$W/layer.tar" hello.txt
timeout 60 crane append -f "$W/layer.tar" -t "$REG/demo/app:1" >/dev/null 2>"$W/crane.err" ||
	die "crane push failed: $(cat "$W/crane.err")"
echo "pushed $REG/demo/app:1"
echo

start=$SECONDS
seen=()
fails=0
while ((SECONDS - start <= LIFETIMES * TTL + 1)); do
	if timeout 60 crane pull "$REG/demo/app:1" "$W/pulled.tar" 2>"$W/crane.err"; then
		result="pull ok    "
	else
		result="pull FAILED"
		fails=$((fails + 1))
		sed 's/^/    /' "$W/crane.err" >&2
	fi
	get_token
	hash=$(printf '%s' "$TOKEN" | sha256sum | cut -c1-12)
	[[ " ${seen[*]} " == *" $hash "* ]] || seen+=("$hash")
	printf '+%2ds  %s  token sha256:%s… (%d bytes, #%d), %3ss left   %s\n' \
		$((SECONDS - start)) "$result" "$hash" "${#TOKEN}" "${#seen[@]}" "$(life)" "$(stats)"
	sleep "$EVERY"
done
echo
echo "${#seen[@]} distinct tokens over $LIFETIMES lifetimes of ${TTL}s, $fails failed pulls; $(stats)"
echo "(each line's remaining-life probe is one of the registry tokens issued)"
((fails == 0)) || exit 1
