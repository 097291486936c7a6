#!/usr/bin/env bash
# A cluster on this machine, to try it in one command (docs/cluster.md):
# PostgreSQL 15 in a directory of its own (scripts/pg-local.sh), three almanac
# nodes sharing the log in it on free loopback ports, and nginx in front.
#
#   scripts/cluster.sh up [DIR]     start everything; print the front address
#   scripts/cluster.sh down [DIR]   stop everything and remove DIR
#   scripts/cluster.sh status [DIR] each node's role, writer, epoch and lag
#
# DIR (default /tmp/almanac-cluster) holds the database, the nodes' logs, the
# nginx configuration and the cluster's secret. The binary is
# build/release/almanac unless ALMANAC_BIN names another; NODES (default 3)
# and FRONT_PORT (default: a free one) change the shape.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

action="${1:-}"
dir="${2:-/tmp/almanac-cluster}"
bin="${ALMANAC_BIN:-$root/build/release/almanac}"
nodes="${NODES:-3}"
python=/usr/bin/python3

usage() { echo "usage: $0 up|down|status [DIR]" >&2; exit 2; }

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits for `listening on` in a node's output; prints the address.
wait_listening() {
  local log=$1 pid=$2
  for _ in $(seq 1 600); do
    if grep -q '^listening on ' "$log" 2>/dev/null; then
      sed -n 's/^listening on //p' "$log" | head -1
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "cluster: a node exited:" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "cluster: a node did not start in time" >&2
  return 1
}

up() {
  [ -x "$bin" ] || { echo "cluster: no binary at $bin (scripts/build.sh release)" >&2; exit 1; }
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "cluster: nginx is not installed" >&2; exit 1; }
  if [ -e "$dir/front" ]; then echo "cluster: $dir is in use; scripts/cluster.sh down $dir first" >&2; exit 1; fi
  mkdir -p "$dir/pg" "$dir/nginx/tmp"
  chmod 755 "$dir"

  local log_uri secret
  log_uri=$(scripts/pg-local.sh start "$dir/pg")
  secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$secret" >"$dir/secret"
  chmod 600 "$dir/secret"

  local upstreams=""
  for i in $(seq 1 "$nodes"); do
    local port; port=$(free_port)
    ALMANAC_CLUSTER_SECRET="$secret" nohup "$bin" serve --log "$log_uri" --listen "127.0.0.1:$port" \
      --node-id "node$i" --access-log off >"$dir/node$i.log" 2>&1 &
    echo $! >"$dir/node$i.pid"
    local address; address=$(wait_listening "$dir/node$i.log" "$(cat "$dir/node$i.pid")")
    upstreams+="    server $address max_fails=1 fail_timeout=2s;"$'\n'
  done

  local front_port="${FRONT_PORT:-$(free_port)}"
  sed -e "s|@PREFIX@|$dir/nginx|g" -e "s|@LISTEN@|127.0.0.1:$front_port|g" \
    -e "/^@UPSTREAMS@$/{r /dev/stdin" -e "d}" docs/nginx-cluster.conf >"$dir/nginx/nginx.conf" <<<"$upstreams"
  local nginx; nginx=$(command -v nginx || echo /usr/sbin/nginx)
  "$nginx" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log"
  echo "127.0.0.1:$front_port" >"$dir/front"

  echo "cluster: $nodes nodes on $(scripts/pg-local.sh uri "$dir/pg")"
  echo "cluster: front (nginx): http://127.0.0.1:$front_port"
  echo "cluster: secret in $dir/secret, node logs in $dir/node*.log"
  status
}

status() {
  for pidfile in "$dir"/node*.pid; do
    [ -e "$pidfile" ] || continue
    local name; name=$(basename "$pidfile" .pid)
    local address; address=$(sed -n 's/^listening on //p' "$dir/$name.log" | head -1)
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "$name  $address  (not running)"; continue; fi
    "$python" - "$name" "$address" <<'EOF'
import json, sys, urllib.request
name, address = sys.argv[1], sys.argv[2]
try:
    c = json.load(urllib.request.urlopen(f"http://{address}/health/ready", timeout=5))["checks"]["cluster"]
    writer = c["writer"]["node"] if c["writer"] else "none"
    print(f"{name}  {address}  {c['role']:9}  writer {writer}, epoch {c['epoch']}, "
          f"head {c['log_head']}, lag {c['lag_events']} events / {c['lag_seconds']:.3f} s")
except Exception as e:
    print(f"{name}  {address}  (no answer: {e})")
EOF
  done
}

down() {
  [ -d "$dir" ] || { echo "cluster: nothing at $dir"; return 0; }
  if [ -f "$dir/nginx/nginx.pid" ]; then
    kill "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null || true
  fi
  for pidfile in "$dir"/node*.pid; do
    [ -e "$pidfile" ] || continue
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  [ -d "$dir/pg" ] && scripts/pg-local.sh stop "$dir/pg" || true
  rm -rf "$dir"
  echo "cluster: stopped and removed $dir"
}

case "$action" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) usage ;;
esac
