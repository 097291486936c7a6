#!/usr/bin/env bash
# bench/expand (HTTP): GET /events/expanded/ for a one-month window over one
# user with 1,000 series (http_data.py), measured with wrk on loopback, and in
# the same run python-dateutil expanding the same series for the same window
# in-process (which also checks that the server's answer equals dateutil's).
#
# Usage: bench/expand/http_bench.sh [BUILD_DIR]   (default: <repo>/build/release)
#        DURATION=10s THREADS=2 CONNECTIONS=16 bench/expand/http_bench.sh
# Prints requests/s and latency for one connection (per-request cost) and for
# CONNECTIONS connections (throughput), then the ratio to dateutil.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build/release}"
duration="${DURATION:-10s}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-16}"
start_date=2024-03-01
end_date=2024-03-31

if [ ! -f "$build/CMakeCache.txt" ]; then
  generator=()
  command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target almanac -j2 >/dev/null
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt" || { echo "$build is not a Release build" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps.sh installs it" >&2; exit 2; }

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$build/almanac" serve --data "$work/data" --listen 127.0.0.1:0 --anonymous-calendars \
  --rate-limits off --access-log off >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q '^listening on ' "$work/serve.out" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
hostport="$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$work/serve.out" | head -1)"
[ -n "$hostport" ] || { echo "server did not start" >&2; exit 1; }
base="http://$hostport"
url="$base/events/expanded/?start_date=$start_date&end_date=$end_date"

echo "machine: $(nproc) cores, $(uname -m); almanac $build/almanac on $hostport"
/usr/bin/python3 "$root/bench/expand/http_data.py" load --base "$base" --out "$work/series.json"
bytes="$(curl -s "$url" | wc -c)"
echo "window $start_date .. $end_date: $bytes bytes of JSON per response"
echo

run_wrk() {  # connections threads label
  wrk -t"$2" -c"$1" -d"$duration" --latency "$url" >"$work/wrk_$3.txt"
  local rps p50 p99
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk_$3.txt")"
  p50="$(awk '$1 == "50%" {print $2}' "$work/wrk_$3.txt")"
  p99="$(awk '$1 == "99%" {print $2}' "$work/wrk_$3.txt")"
  if grep -q 'Non-2xx' "$work/wrk_$3.txt"; then cat "$work/wrk_$3.txt" >&2; echo "errors during the run" >&2; exit 1; fi
  printf "  wrk %-12s %9.1f req/s   p50 %-9s p99 %s\n" "$3" "$rps" "$p50" "$p99"
  echo "result ${3}_rps $rps" >>"$work/results.txt"
  echo "result ${3}_p50 $p50" >>"$work/results.txt"
  echo "result ${3}_p99 $p99" >>"$work/results.txt"
}

echo "almanac over HTTP (wrk, $duration each, keep-alive, loopback)"
run_wrk 1 1 "1conn"
run_wrk "$connections" "$threads" "${connections}conn"
echo
/usr/bin/python3 "$root/bench/expand/http_data.py" baseline --series "$work/series.json" --base "$base" \
  --start "$start_date" --end "$end_date" | tee -a "$work/results.txt"
echo

awk -v conns="$connections" '
  function ms(v) {   # wrk latency ("812.00us", "3.41ms", "1.20s") in ms
    if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
    if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
    if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
    return v + 0
  }
  $1 == "result" { r[$2] = $3 }
  END {
    d = r["dateutil_ms_per_query"]
    p50 = ms(r["1conn_p50"]); p99 = ms(r["1conn_p99"]); rps1 = r["1conn_rps"]; rpsn = r[conns "conn_rps"]
    print "summary: one-month window, 1,000 series, " r["occurrences"] " occurrences per answer"
    printf "  dateutil expansion alone      %10.2f ms per query (in-process, no I/O)\n", d
    printf "  almanac request, 1 connection %10.3f ms p50, %.3f ms p99 (%.1f req/s) -> %.0fx (p50), %.0fx (p99) faster\n", \
           p50, p99, rps1, d / p50, d / p99
    printf "  almanac, %d connections       %10.1f req/s = %.3f ms of server time per request -> %.0fx faster\n", \
           conns, rpsn, 1000 / rpsn, d / (1000 / rpsn)
    print "  target (each request, p99 on one connection, >= 10x faster than dateutil): " (d / p99 >= 10 ? "met" : "NOT met")
  }' "$work/results.txt"
