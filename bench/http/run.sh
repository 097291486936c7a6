#!/usr/bin/env bash
# bench/http: almanac's HTTP throughput next to nginx serving the same bytes,
# and durable registrations/s next to the raw RocksDB sync ceiling, all
# measured in one run on loopback.
#
# Usage: bench/http/run.sh            (builds build/release with scripts/build.sh)
#        BUILD_DIR=build/x bench/http/run.sh   (a Release build directory of its own)
#        ALMANAC_BIN=a BENCH_HTTP_BIN=b bench/http/run.sh   (Release binaries as they are)
# SECONDS_PER_MEASURE=S (default 10), CONNECTIONS=N (default 64), THREADS=N
# (wrk threads, default 2), SERVER_THREADS=N (almanac IO threads and nginx
# workers, default: the number of cores).
#
# Measures, with wrk, each for SECONDS_PER_MEASURE:
#   1. GET /health/live on almanac
#   2. the same bytes as a static file from nginx (the ceiling)
#   3. GET /users/me with a bearer token (a user registered and logged in first)
#   4. POST /users/register with unique usernames (each one an fsync'd append)
#   5. bench_http: bare RocksDB WriteBatches with sync=true, one entry each and
#      as many per batch as the server's group commits held in (4)
# almanac runs with --rate-limits off --bench-fast-hash on a fresh data dir;
# everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs="${SECONDS_PER_MEASURE:-10}"
conns="${CONNECTIONS:-64}"
wrk_threads="${THREADS:-2}"
server_threads="${SERVER_THREADS:-$(nproc)}"

for tool in wrk nginx curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/http: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

if [ -n "${ALMANAC_BIN:-}" ]; then
  # Binaries built elsewhere (e.g. two builds compared in turn): used as they are.
  almanac_bin="$ALMANAC_BIN"
  sync_bin="${BENCH_HTTP_BIN:?bench/http: with ALMANAC_BIN, set BENCH_HTTP_BIN to a Release bench_http}"
else
  if [ -n "${BUILD_DIR:-}" ]; then
    build="$BUILD_DIR"
    [ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" -j "$(nproc)" --target almanac bench_http
  else
    build=build/release
    scripts/build.sh release almanac bench_http
  fi
  grep -q "CMAKE_BUILD_TYPE:STRING=Release" "$build/CMakeCache.txt" ||
    { echo "bench/http: $build is not a Release build" >&2; exit 1; }
  almanac_bin="$build/almanac"
  sync_bin="$build/bench_http"
fi

work="$(mktemp -d /tmp/almanac-bench-http.XXXXXX)"
chmod 755 "$work"   # nginx workers may run as another user
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- almanac ----------------------------------------------------------------
"$almanac_bin" serve --data "$work/data" --listen 127.0.0.1:0 --rate-limits off --bench-fast-hash \
  --access-log off --threads "$server_threads" >"$work/almanac.out" 2>"$work/almanac.err" &
pids+=($!)
for _ in $(seq 1 600); do
  grep -q "^listening on " "$work/almanac.out" && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/almanac.err" >&2; exit 1; }
  sleep 0.1
done
almanac="http://$(sed -n 's/^listening on //p' "$work/almanac.out")"
[ "$almanac" != "http://" ] || { echo "bench/http: almanac did not start" >&2; exit 1; }

# ---- nginx serving the bytes of GET /health/live ---------------------------
mkdir -p "$work/www/health" "$work/nginx"
curl -sf "$almanac/health/live" -o "$work/www/health/live"
chmod -R a+rX "$work/www"
nginx_port="$(free_port)"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes $server_threads;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  types { }
  default_type application/json;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log" 2>>"$work/nginx/error.log" &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$nginx_port/health/live" -o /dev/null && break
  sleep 0.1
done
cmp -s <(curl -sf "http://127.0.0.1:$nginx_port/health/live") "$work/www/health/live" ||
  { echo "bench/http: nginx does not serve the file" >&2; cat "$work/nginx/error.log" >&2; exit 1; }

# ---- a user for GET /users/me -----------------------------------------------
curl -sf -X POST "$almanac/users/register" -H 'Content-Type: application/json' \
  -d '{"username":"bench_me","email":"bench_me@example.com","password":"bench-password-1"}' >/dev/null
token="$(curl -sf -X POST "$almanac/users/login" -H 'Content-Type: application/json' \
  -d '{"username_or_email":"bench_me","password":"bench-password-1"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
curl -sf "$almanac/users/me" -H "Authorization: Bearer $token" | grep -q '"bench_me"'

# ---- measurements -----------------------------------------------------------
# Runs wrk; prints "requests/s p99_ms" and fails on any error or non-2xx answer.
measure() {
  local name="$1"; shift
  local out="$work/wrk-$name.txt"
  wrk -t "$wrk_threads" -c "$conns" -d "${secs}s" --latency "$@" >"$out"
  if grep -qE "Non-2xx|Socket errors" "$out"; then
    echo "bench/http: $name had errors:" >&2; cat "$out" >&2; exit 1
  fi
  python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
v, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
p99 = float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
print(f"{rps:.0f} {p99:.2f}")
PY
}

echo "bench/http: ${secs} s per measurement, $conns connections, $wrk_threads wrk threads," \
     "$server_threads server threads, loopback"
read -r live_rps live_p99 < <(measure live "$almanac/health/live")
read -r nginx_rps nginx_p99 < <(measure nginx "http://127.0.0.1:$nginx_port/health/live")
read -r me_rps me_p99 < <(measure me -H "Authorization: Bearer $token" "$almanac/users/me")

metric() { curl -sf "$almanac/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
appends_before="$(metric almanac_log_appends_total)"
events_before="$(metric almanac_log_appended_events_total)"
bytes_before="$(metric almanac_log_appended_bytes_total)"
read -r reg_rps reg_p99 < <(measure register -s bench/http/register.lua "$almanac/users/register")
appends="$(python3 -c "print(int(float('$(metric almanac_log_appends_total)') - float('$appends_before')))")"
events="$(python3 -c "print(int(float('$(metric almanac_log_appended_events_total)') - float('$events_before')))")"
bytes="$(python3 -c "print(int(float('$(metric almanac_log_appended_bytes_total)') - float('$bytes_before')))")"
batch="$(python3 -c "print(max(1, round($events / max(1, $appends))))")"
value_bytes="$(python3 -c "print(max(1, round($bytes / max(1, $events))))")"

# The raw ceiling on the same disk as the server's data.
read -r _ _ raw1 _ < <("$sync_bin" --seconds "$secs" --dir "$work" --batch 1 --value-bytes "$value_bytes" | tr '=' ' ' | awk '{print $1, $3, $5, $7}')
read -r _ _ rawb _ < <("$sync_bin" --seconds "$secs" --dir "$work" --batch "$batch" --value-bytes "$value_bytes" | tr '=' ' ' | awk '{print $1, $3, $5, $7}')

python3 - "$live_rps" "$live_p99" "$nginx_rps" "$nginx_p99" "$me_rps" "$me_p99" "$reg_rps" "$reg_p99" \
  "$raw1" "$rawb" "$batch" "$appends" "$events" "$value_bytes" <<'PY'
import sys
(live, live99, ngx, ngx99, me, me99, reg, reg99, raw1, rawb) = map(float, sys.argv[1:11])
batch, appends, events, value_bytes = map(int, sys.argv[11:15])
row = "{:<44} {:>12} {:>10}"
print(row.format("measurement", "requests/s", "p99 ms"))
print(row.format("nginx: static file, same bytes (ceiling)", f"{ngx:.0f}", f"{ngx99:.2f}"))
print(row.format("almanac: GET /health/live", f"{live:.0f}", f"{live99:.2f}"))
print(row.format("almanac: GET /users/me (bearer token)", f"{me:.0f}", f"{me99:.2f}"))
print(row.format("almanac: POST /users/register (durable)", f"{reg:.0f}", f"{reg99:.2f}"))
print(row.format("raw RocksDB sync, 1 write per fsync", f"{raw1:.0f}", "-"))
print(row.format(f"raw RocksDB sync, {batch} writes per fsync", f"{rawb:.0f}", "-"))
print()
print(f"/health/live vs nginx:        {100 * live / ngx:6.1f}%  (target >= 50%)")
print(f"/users/me vs nginx:           {100 * me / ngx:6.1f}%")
print(f"registrations vs raw sync x1: {100 * reg / raw1:6.1f}%")
print(f"registrations vs raw sync x{batch}: {100 * reg / rawb:6.1f}%  "
      f"(server: {events} events in {appends} group commits, {value_bytes} B/event)")
PY
