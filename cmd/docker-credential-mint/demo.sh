#!/usr/bin/env bash
# make demo: a real registry with authentication on a free loopback port, a
# real dockerd, `docker login` through docker-credential-mint, push and pull
# with crane and the docker CLI, list, logout; every process started here is
# stopped by its PID on exit. Nothing outside a temp dir is touched.
set -euo pipefail
helper=$(realpath "${1:-bin/docker-credential-mint}")
export PATH="$(dirname "$helper"):${MINT_TOOLS:-$HOME/.cache/mint-tools}/bin:$PATH:/usr/sbin:/sbin"

D=$(mktemp -d /tmp/mint-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$D" 2>/dev/null || true
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do if "$@" >/dev/null 2>&1; then return 0; fi; sleep 0.1; done; echo "timed out waiting for: $*" >&2; return 1; }

export HOME=$D/home DOCKER_CONFIG=$D/docker XDG_CONFIG_HOME=$D/home/.config XDG_DATA_HOME=$D/home/.local/share XDG_CACHE_HOME=$D/home/.cache
mkdir -p "$HOME" "$DOCKER_CONFIG" "$D/registry"
# The demo runs headless, so the helper picks its encrypted file store.
export DOCKER_CREDENTIAL_MINT_KEYCHAIN=${DOCKER_CREDENTIAL_MINT_KEYCHAIN:-file}

step "a registry with htpasswd authentication on a free loopback port"
port=$(free_port)
htpasswd -Bbn alice alicepw > "$D/registry/htpasswd" 2>/dev/null
cat > "$D/registry/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $D/registry/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
auth: {htpasswd: {realm: mint-demo, path: $D/registry/htpasswd}}
YAML
docker-registry serve "$D/registry/config.yml" > "$D/registry/log" 2>&1 & pids+=($!)
wait_for curl -s -o /dev/null "http://127.0.0.1:$port/v2/"
reg=127.0.0.1:$port
echo "registry at http://$reg (users: alice)"

step "dockerd on a private socket (vfs, no networking)"
mkdir -p "$D/dockerd"
dockerd --data-root "$D/dockerd/root" --exec-root "$D/dockerd/exec" -H "unix://$D/dockerd/docker.sock" \
  --pidfile "$D/dockerd/docker.pid" --storage-driver vfs --iptables=false --ip6tables=false --bridge=none \
  --ip-masq=false --userland-proxy=false > "$D/dockerd/log" 2>&1 & pids+=($!)
export DOCKER_HOST=unix://$D/dockerd/docker.sock
wait_for docker version
docker version --format 'docker CLI {{.Client.Version}}, daemon {{.Server.Version}}'

step "point Docker at the helper"
echo '{"credsStore": "mint"}' > "$DOCKER_CONFIG/config.json"
docker-credential-mint version
cat "$DOCKER_CONFIG/config.json"

step "docker login through the helper"
echo alicepw | docker login "$reg" -u alice --password-stdin
echo "config.json now (no secret in it):"; cat "$DOCKER_CONFIG/config.json"; echo
if grep -q alicepw -r "$DOCKER_CONFIG" "$XDG_DATA_HOME"; then echo "FAIL: the password is on disk in plain text" >&2; exit 1; fi
echo "the credential is in the encrypted store: $(ls "$XDG_DATA_HOME/docker-credential-mint" | tr '\n' ' ')"
echo -n "docker-credential-mint list: "; docker-credential-mint list </dev/null

step "push with crane, pull with docker, push back, list with crane"
mkdir -p "$D/layer/etc"; echo "hello from docker-credential-mint" > "$D/layer/etc/motd"
tar -C "$D/layer" -cf "$D/layer.tar" etc
crane append -f "$D/layer.tar" -t "$reg/alice/demo:1" 2>/dev/null
docker pull "$reg/alice/demo:1"
docker tag "$reg/alice/demo:1" "$reg/alice/demo:2"
docker push "$reg/alice/demo:2" | tail -1
crane ls "$reg/alice/demo"

step "docker logout erases the credential"
docker logout "$reg"
echo -n "docker-credential-mint list: "; docker-credential-mint list </dev/null
if crane ls "$reg/alice/demo" >/dev/null 2>&1; then echo "FAIL: still authorised after logout" >&2; exit 1; fi
echo "crane without credentials: unauthorized, as it should be"

step "done: every process stopped, $D removed"
