#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The docker-credential-mint authors
#
# demo-ecr.sh pulls from an ECR-shaped registry with no helper config at
# all. In a private network and mount namespace (unshare -n -m: loopback
# only, /etc/hosts of its own naming 123456789012.dkr.ecr.us-east-1.amazonaws.com
# 127.0.0.1) it runs cloudlab (this directory): a stand-in for ECR's
# GetAuthorizationToken API (SigV4 checked), a registry token service that
# accepts only the AWS:<password> that stand-in minted, and Debian's
# docker-registry over TLS on port 443 (a throw-away CA). The helper finds
# the registry by its host name, mints through the real AWS SDK with the
# AWS credentials in the environment (AWS_ENDPOINT_URL_ECR points the SDK at
# the stand-in), and crane pushes and pulls. Every process it starts is
# stopped by its PID; everything it writes is under one temporary directory.
#
# Environment: MINT_HELPER (the protocol binary; its -full build beside it),
# MINT_TOOLS (crane), MINT_CLOUDLAB (a prebuilt cloudlab; default: go build).
# Needs root for unshare (else it says so and exits 0), docker-registry,
# crane, jq, curl.
set -euo pipefail
HOST=123456789012.dkr.ecr.us-east-1.amazonaws.com
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "demo-ecr: $*" >&2; exit 1; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [[ -z ${MINT_DEMO_NETNS:-} ]]; then
	HELPER=${MINT_HELPER:-$(command -v docker-credential-mint || true)}
	[[ -x $HELPER ]] || die "no helper binary: set MINT_HELPER"
	HELPER=$(cd "$(dirname "$HELPER")" && pwd)/$(basename "$HELPER")
	[[ -x $HELPER-full ]] || die "no full build next to $HELPER (run make build)"
	if ! unshare -n -m --propagation private true 2>/dev/null; then
		echo "demo-ecr: skipped: unshare -n -m is not allowed here (it needs root or user namespaces)"
		exit 0
	fi
	W=$(mktemp -d -t mint-demo-ecr.XXXXXX)
	trap 'rm -rf "$W"' EXIT
	mkdir -p "$W/bin"
	ln -s "$HELPER" "$W/bin/docker-credential-mint"
	if [[ -n ${MINT_CLOUDLAB:-} ]]; then
		ln -s "$MINT_CLOUDLAB" "$W/bin/mint-cloudlab"
	else
		(cd "$HERE" && go build -o "$W/bin/mint-cloudlab" .) || die "go build cloudlab failed"
	fi
	printf '127.0.0.1 localhost %s\n' "$HOST" >"$W/hosts"
	export MINT_DEMO_NETNS=1 W
	exec unshare -n -m --propagation private \
		sh -c 'ip link set lo up && mount --bind "$W/hosts" /etc/hosts && exec bash "$0"' "${BASH_SOURCE[0]}"
fi

# In the namespace from here on.
export PATH="$W/bin:${MINT_TOOLS:-$HOME/.cache/mint-tools}/bin:$PATH"
LAB=
cleanup() {
	if [[ -n $LAB ]]; then
		kill -TERM "$LAB" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$LAB" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$LAB" 2>/dev/null || true
	fi
}
trap cleanup EXIT

step "ECR, zero config: a private network namespace where $HOST is 127.0.0.1"
# The AWS secret key is the root credential: it goes to the stand-in in its
# environment and to the SDK in the helper's, never to the registry side.
export CLOUDLAB_AWS_ACCESS_KEY_ID=AKIDMINTDEMO CLOUDLAB_AWS_SECRET_ACCESS_KEY=demo-aws-secret-key-$RANDOM$RANDOM
mint-cloudlab -cloud ecr -dir "$W/lab" -host "$HOST" >"$W/lab.out" 2>"$W/lab.log" &
LAB=$!
for _ in $(seq 300); do grep -q '^ready' "$W/lab.out" 2>/dev/null && break; kill -0 "$LAB" 2>/dev/null || { cat "$W/lab.log"; die "cloudlab exited"; }; sleep 0.1; done
grep -q '^ready' "$W/lab.out" || die "cloudlab did not start"
cloud=$(awk '$1=="cloud"{print $2}' "$W/lab.out")
stats=$(awk '$1=="stats"{print $2}' "$W/lab.out")
echo "ECR API stand-in (GetAuthorizationToken, SigV4 checked): $cloud"
echo "registry: https://$HOST (docker-registry, TLS on 443, token auth: AWS:<a password ECR minted>)"

export HOME=$W/home DOCKER_CONFIG=$W/docker XDG_CONFIG_HOME=$W/home/.config XDG_DATA_HOME=$W/home/.local/share XDG_CACHE_HOME=$W/home/.cache
export DOCKER_CREDENTIAL_MINT_KEYCHAIN=file SSL_CERT_FILE=$W/lab/ca.pem
export AWS_ACCESS_KEY_ID=$CLOUDLAB_AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$CLOUDLAB_AWS_SECRET_ACCESS_KEY
unset CLOUDLAB_AWS_ACCESS_KEY_ID CLOUDLAB_AWS_SECRET_ACCESS_KEY
export AWS_ENDPOINT_URL_ECR=$cloud AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME" "$DOCKER_CONFIG"
echo '{"credsStore": "mint"}' >"$DOCKER_CONFIG/config.json"
echo "Docker config: $(cat "$DOCKER_CONFIG/config.json"); mint config: $(ls "$XDG_CONFIG_HOME/docker-credential-mint/config.yaml" 2>/dev/null || echo none); AWS credentials: in the environment"

step "crane push and two pulls: the helper mints once, then serves its cache"
mkdir -p "$W/layer/etc"; echo "hello from ECR, zero config" >"$W/layer/etc/motd"
tar -C "$W/layer" -cf "$W/layer.tar" etc
crane append -f "$W/layer.tar" -t "$HOST/team/demo:1" 2>&1 | tail -1
crane pull "$HOST/team/demo:1" "$W/pull1.tar" && crane pull "$HOST/team/demo:1" "$W/pull2.tar"
echo "pulled twice: $(tar -xOf "$W/pull1.tar" --wildcards '*.tar.gz' 2>/dev/null | tar -xzO etc/motd 2>/dev/null || echo "$(stat -c %s "$W/pull1.tar") bytes")"
echo -n "docker-credential-mint get: "
echo "$HOST" | docker-credential-mint get | jq -c '.Secret |= "<\(length)-char password ECR minted>"'

step "what the cloud side saw"
curl -s "$stats" | jq -r '"GetAuthorizationToken calls: \(.cloud_calls)   registry tokens issued: \(.issued), denied: \(.denied)",
  "passwords presented to the registry: \(.passwords) (not minted by ECR: \(.unminted))   AWS secret key seen there: \(.secret_key_seen) times"'
docker-credential-mint status 2>&1 || true
curl -s "$stats" | jq -e '.cloud_calls == 1 and .passwords == 1 and .unminted == 0 and .secret_key_seen == 0' >/dev/null ||
	die "FAIL: expected one GetAuthorizationToken call and only the minted password at the registry"
