#!/usr/bin/env bash
# bench/cluster: a node on PostgreSQL and a cluster of three, each figure next
# to its baseline measured in the same run, on this machine (loopback, one
# PostgreSQL 15 of the benchmark's own started with scripts/pg-local.sh).
#
# Usage: bench/cluster/run.sh        (builds build/release with scripts/build.sh)
#        BUILD_DIR=build/x bench/cluster/run.sh
# SECONDS_PER_MEASURE=S (default 10), CONNECTIONS=N (default 64), THREADS=N
# (wrk threads, default 2), LAG_EVENTS=N (default 1000), LAG_RATE=R (writes/s
# during the lag measurement, default 200).
#
# Measures:
#   1. durable writes/s (POST /users/register, wrk) through one node on RocksDB
#   2. the same through one node on PostgreSQL (its own log)
#   3. bench_cluster: a bare libpq loop inserting rows of the same size in
#      transactions of the same number of rows as (2)'s group commits held,
#      with synchronous_commit = on (the ceiling on this disk)
#   4. authenticated reads/s (GET /users/me with a bearer token, wrk) through
#      nginx in front of one node, then in front of three nodes of a cluster
#   5. lag from a commit on the writer to its delivery on a follower's
#      /streams/live (p50, p99), against the same on the writer's own (lag.py)
# Ratios: (2)/(1), (2)/(3), three nodes / one node, follower lag / writer lag.
# Nodes run with --rate-limits off --bench-fast-hash; everything started here
# is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

secs="${SECONDS_PER_MEASURE:-10}"
conns="${CONNECTIONS:-64}"
wrk_threads="${THREADS:-2}"
lag_events="${LAG_EVENTS:-1000}"
lag_rate="${LAG_RATE:-200}"
python=/usr/bin/python3
secret="bench-cluster-secret-0123456789"

for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
    { echo "bench/cluster: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

if [ -n "${BUILD_DIR:-}" ]; then
  build="$BUILD_DIR"
  [ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)" --target almanac bench_cluster
else
  build=build/release
  scripts/build.sh release almanac bench_cluster
fi
grep -q "CMAKE_BUILD_TYPE:STRING=Release" "$build/CMakeCache.txt" ||
  { echo "bench/cluster: $build is not a Release build" >&2; exit 1; }

work="$(mktemp -d /tmp/almanac-bench-cluster.XXXXXX)"
chmod 755 "$work"
mkdir -p "$work/pg"
pids=()
cleanup() {
  # Nodes and fronts are started inside command substitutions (subshells): their
  # pids are in files.
  for f in "$work"/*.pid; do [ -f "$f" ] && pids+=("$(cat "$f")"); done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
  scripts/pg-local.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_uri="$(scripts/pg-local.sh start "$work/pg")"
psql_bin=/usr/lib/postgresql/15/bin/psql
# A log of its own: a schema, named in the conninfo's search_path.
new_log() {
  "$psql_bin" "$pg_uri" -qAtc "CREATE SCHEMA $1" >/dev/null
  echo "$pg_uri&options=-csearch_path%3D$1"
}

# Starts a node: start_node NAME ARGS...; prints its address.
start_node() {
  local name=$1; shift
  "$build/almanac" serve --listen 127.0.0.1:0 --rate-limits off --bench-fast-hash --access-log off \
    --cluster-secret "$secret" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  local pid=$!
  pids+=($pid)
  echo $pid >"$work/$name.pid"
  for _ in $(seq 1 900); do
    grep -q "^listening on " "$work/$name.out" && break
    kill -0 $pid 2>/dev/null || { cat "$work/$name.err" >&2; exit 1; }
    sleep 0.1
  done
  sed -n 's/^listening on //p' "$work/$name.out"
}

stop_node() {
  local pid; pid=$(cat "$work/$1.pid")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

role_of() {
  curl -sf "http://$1/health/ready" | "$python" -c 'import json, sys; print(json.load(sys.stdin)["checks"]["cluster"]["role"])'
}

wait_writer() {
  for _ in $(seq 1 600); do
    for a in "$@"; do
      if [ "$(role_of "$a" 2>/dev/null || true)" = writer ]; then echo "$a"; return 0; fi
    done
    sleep 0.1
  done
  echo "bench/cluster: no writer" >&2
  exit 1
}

# Runs wrk; prints "requests/s p99_ms" and fails on any error or non-2xx answer.
measure() {
  local name="$1"; shift
  local out="$work/wrk-$name.txt"
  wrk -t "$wrk_threads" -c "$conns" -d "${secs}s" --latency "$@" >"$out"
  if grep -qE "Non-2xx|Socket errors" "$out"; then
    echo "bench/cluster: $name had errors:" >&2; cat "$out" >&2; exit 1
  fi
  "$python" - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
v, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
print(f"{rps:.0f} {float(v) * {'us': 0.001, 'ms': 1, 's': 1000}[unit]:.2f}")
PY
}

metric() { curl -sf "http://$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }

token_for() {
  local address=$1 name=$2
  curl -sf -X POST "http://$address/users/register" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$name\",\"email\":\"$name@bench.example\",\"password\":\"bench-password-1\"}" >/dev/null
  curl -sf -X POST "http://$address/users/login" -H 'Content-Type: application/json' \
    -d "{\"username_or_email\":\"$name\",\"password\":\"bench-password-1\"}" |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

echo "bench/cluster: ${secs} s per measurement, $conns connections, $wrk_threads wrk threads, $(nproc) cores, loopback;" \
     "PostgreSQL $("$psql_bin" "$pg_uri" -qAtc 'SHOW server_version') (synchronous_commit = $("$psql_bin" "$pg_uri" -qAtc 'SHOW synchronous_commit'))"

# ---- 1, 2, 3: durable writes ---------------------------------------------------
rocks=$(start_node rocks --data "$work/rocks")
read -r rocks_rps rocks_p99 < <(measure rocks-register -s bench/http/register.lua "http://$rocks/users/register")
stop_node rocks

pg_one=$(start_node pgone --log "$(new_log one)")
wait_writer "$pg_one" >/dev/null
appends_before=$(metric "$pg_one" almanac_log_appends_total)
events_before=$(metric "$pg_one" almanac_log_appended_events_total)
bytes_before=$(metric "$pg_one" almanac_log_appended_bytes_total)
read -r pg_rps pg_p99 < <(measure pg-register -s bench/http/register.lua "http://$pg_one/users/register")
appends=$("$python" -c "print(int(float('$(metric "$pg_one" almanac_log_appends_total)') - float('$appends_before')))")
events=$("$python" -c "print(int(float('$(metric "$pg_one" almanac_log_appended_events_total)') - float('$events_before')))")
bytes=$("$python" -c "print(int(float('$(metric "$pg_one" almanac_log_appended_bytes_total)') - float('$bytes_before')))")
stop_node pgone
batch=$("$python" -c "print(max(1, round($events / max(1, $appends))))")
value_bytes=$("$python" -c "print(max(1, round($bytes / max(1, $events))))")
read -r ceiling_rows ceiling_commits < <("$build/bench_cluster" --conninfo "$pg_uri" --seconds "$secs" \
  --batch "$batch" --value-bytes "$value_bytes" | tr '=' ' ' | awk '{print $5, $7}')

# ---- 4: reads through nginx, one node and three -------------------------------------
log=$(new_log three)
a=$(start_node n1 --log "$log")
b=$(start_node n2 --log "$log")
c=$(start_node n3 --log "$log")
writer=$(wait_writer "$a" "$b" "$c")
token=$(token_for "$writer" bench_reader)
mkdir -p "$work/nginx/tmp"
front_nginx() {  # front_nginx NAME ADDRESSES...: starts nginx in front of them; prints its address
  local name=$1; shift
  local port; port=$(free_port)
  local upstreams=""
  for addr in "$@"; do upstreams+="    server $addr max_fails=1 fail_timeout=2s;"$'\n'; done
  mkdir -p "$work/nginx/$name/tmp"
  sed -e "s|@PREFIX@|$work/nginx/$name|g" -e "s|@LISTEN@|127.0.0.1:$port|g" \
    -e "/^@UPSTREAMS@$/{r /dev/stdin" -e "d}" docs/nginx-cluster.conf >"$work/nginx/$name/nginx.conf" <<<"$upstreams"
  "$nginx_bin" -p "$work/nginx/$name" -c "$work/nginx/$name/nginx.conf" -e "$work/nginx/$name/error.log" \
    -g "daemon off;" >/dev/null 2>>"$work/nginx/$name/error.log" &
  echo $! >"$work/nginx-$name.pid"
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health/live" -o /dev/null && break
    sleep 0.1
  done
  echo "127.0.0.1:$port"
}
one_front=$(front_nginx one "$a")
three_front=$(front_nginx three "$a" "$b" "$c")
curl -sf "http://$three_front/users/me" -H "Authorization: Bearer $token" | grep -q '"bench_reader"'
read -r one_rps one_p99 < <(measure reads-1 -H "Authorization: Bearer $token" "http://$one_front/users/me")
read -r three_rps three_p99 < <(measure reads-3 -H "Authorization: Bearer $token" "http://$three_front/users/me")

# ---- 5: commit-to-delivery lag ------------------------------------------------------
"$build/almanac" users promote bench_reader --log "$log" --cluster-secret "$secret" >/dev/null
root_token=$(curl -sf -X POST "http://$writer/users/login" -H 'Content-Type: application/json' \
  -d '{"username_or_email":"bench_reader","password":"bench-password-1"}' |
  "$python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
follower=$a
[ "$follower" = "$writer" ] && follower=$b
lag_out=$("$python" bench/cluster/lag.py "$writer" "$follower" "$root_token" --events "$lag_events" --rate "$lag_rate")
read -r _ writer_p50 writer_p99 < <(echo "$lag_out" | grep "node=writer" | tr '=' ' ' | awk '{print $1, $7, $9}')
read -r _ follower_p50 follower_p99 < <(echo "$lag_out" | grep "node=follower" | tr '=' ' ' | awk '{print $1, $7, $9}')

"$python" - "$rocks_rps" "$rocks_p99" "$pg_rps" "$pg_p99" "$ceiling_rows" "$ceiling_commits" "$batch" "$value_bytes" \
  "$appends" "$events" "$one_rps" "$one_p99" "$three_rps" "$three_p99" \
  "$writer_p50" "$writer_p99" "$follower_p50" "$follower_p99" "$lag_events" "$lag_rate" <<'PY'
import sys
a = sys.argv[1:]
rocks, rocks99, pg, pg99, ceil_rows, ceil_commits = map(float, a[0:6])
batch, value_bytes, appends, events = map(int, a[6:10])
one, one99, three, three99 = map(float, a[10:14])
w50, w99, f50, f99 = map(float, a[14:18])
lag_events, lag_rate = int(a[18]), float(a[19])
row = "{:<58} {:>12} {:>10}"
print(row.format("measurement", "per second", "p99 ms"))
print(row.format("writes: one node on RocksDB (POST /users/register)", f"{rocks:.0f}", f"{rocks99:.2f}"))
print(row.format("writes: one node on PostgreSQL", f"{pg:.0f}", f"{pg99:.2f}"))
print(row.format(f"ceiling: bare libpq, {batch} rows of {value_bytes} B per commit", f"{ceil_rows:.0f}", "-"))
print(row.format("reads: GET /users/me through nginx, one node", f"{one:.0f}", f"{one99:.2f}"))
print(row.format("reads: GET /users/me through nginx, three nodes", f"{three:.0f}", f"{three99:.2f}"))
print()
print(f"writes on PostgreSQL vs RocksDB:        {pg / rocks:6.3f}")
print(f"writes on PostgreSQL vs the libpq ceiling: {pg / ceil_rows:6.3f}  "
      f"(server: {events} events in {appends} commits; ceiling: {ceil_commits:.0f} commits/s)")
print(f"reads, three nodes vs one:              {three / one:6.3f}")
print(f"lag commit -> WebSocket, {lag_events} events at {lag_rate:.0f}/s:")
print(f"  on the writer (baseline):  p50 {w50:.3f} ms  p99 {w99:.3f} ms")
print(f"  on a follower:             p50 {f50:.3f} ms  p99 {f99:.3f} ms")
print(f"  follower vs writer:        p50 {f50 / w50:6.2f}x  p99 {f99 / w99:6.2f}x")
PY
