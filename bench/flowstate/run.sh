#!/usr/bin/env bash
# bench/flowstate: POST /api/events/ with its time-conflict check, for a user
# holding 10,000 events and, as the baseline measured in the same run, for one
# holding 100. The check uses the owner's time index, so its cost should not
# grow with the history: the target is a ratio of at least 0.8.
#
# Usage: bench/flowstate/run.sh            (builds build/release with scripts/build.sh)
#        BUILD_DIR=build/x bench/flowstate/run.sh   (a Release build directory of its own)
# RUNS=N (default 5), SECONDS_PER_MEASURE=S (default 10), CONNECTIONS=N
# (default 16), THREADS=N (wrk threads, default 2), SERVER_THREADS=N (default:
# the number of cores), BIG=N (default 10000), SMALL=N (default 100).
#
# Each request of the wrk pass is a POST /api/events/ (a one-minute event
# placed between the user's own events: the conflict check looks at a
# populated part of the index) or the DELETE of an event the same wrk thread
# created, in turn (bench/flowstate/post_delete.lua), so each user holds its
# history size throughout instead of gaining an event per request. The runs
# alternate which user goes first; the figures are the medians of the runs,
# with the spread of the per-run ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs="${RUNS:-5}"
secs="${SECONDS_PER_MEASURE:-10}"
conns="${CONNECTIONS:-16}"
wrk_threads="${THREADS:-2}"
server_threads="${SERVER_THREADS:-$(nproc)}"
big="${BIG:-10000}"
small="${SMALL:-100}"
base=1893456000   # 2030-01-01T00:00:00Z: where both histories start

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/flowstate: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
python="/usr/bin/python3"
"$python" -c 'import requests' 2>/dev/null || python="python3"

if [ -n "${BUILD_DIR:-}" ]; then
  build="$BUILD_DIR"
  [ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)" --target almanac
else
  build=build/release
  scripts/build.sh release almanac
fi
grep -q "CMAKE_BUILD_TYPE:STRING=Release" "$build/CMakeCache.txt" ||
  { echo "bench/flowstate: $build is not a Release build" >&2; exit 1; }

work="$(mktemp -d /tmp/almanac-bench-flowstate.XXXXXX)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$build/almanac" serve --data "$work/data" --listen 127.0.0.1:0 --rate-limits off --bench-fast-hash \
  --access-log off --threads "$server_threads" >"$work/almanac.out" 2>"$work/almanac.err" &
pid=$!
for _ in $(seq 1 600); do
  grep -q "^listening on " "$work/almanac.out" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/almanac.err" >&2; exit 1; }
  sleep 0.1
done
url="http://$(sed -n 's/^listening on //p' "$work/almanac.out")"
[ "$url" != "http://" ] || { echo "bench/flowstate: almanac did not start" >&2; exit 1; }

echo "bench/flowstate: loading a user with $big events and one with $small (POST /api/events/)"
loaded=$(date +%s)
"$python" bench/flowstate/load.py "$url" "$base" "big:$big" "small:$small" >"$work/tokens"
big_token="$(awk '$1 == "big" { print $2 }' "$work/tokens")"
small_token="$(awk '$1 == "small" { print $2 }' "$work/tokens")"
echo "bench/flowstate: loaded in $(( $(date +%s) - loaded )) s"

# Runs wrk for one user; prints "requests/s p99_ms" and fails on any error or non-2xx answer.
measure() {
  local name="$1" token="$2" history="$3"
  local out="$work/wrk-$name.txt"
  BENCH_TOKEN="$token" BENCH_HISTORY="$history" BENCH_BASE="$base" BENCH_THREADS="$wrk_threads" \
    wrk -t "$wrk_threads" -c "$conns" -d "${secs}s" --latency -s bench/flowstate/post_delete.lua "$url" >"$out" 2>"$work/wrk-$name.err"
  if grep -qE "Non-2xx|Socket errors" "$out" || [ -s "$work/wrk-$name.err" ]; then
    echo "bench/flowstate: $name had errors:" >&2; cat "$out" "$work/wrk-$name.err" >&2; exit 1
  fi
  "$python" - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
v, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
p99 = float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
print(f"{rps:.1f} {p99:.3f}")
PY
}

# Deletes the events a finished wrk pass created but never deleted (its last
# requests in flight), so the next pass, whose positions start over, meets no
# leftover of this one.
sweep() {
  "$python" - "$url" "$1" <<'PY'
import sys, requests
url, token = sys.argv[1], sys.argv[2]
headers = {"Authorization": f"Bearer {token}"}
for e in requests.get(f"{url}/api/events/", headers=headers, params={"category": "bench"}, timeout=60).json():
    requests.delete(f"{url}/api/events/{e['id']}", headers=headers, timeout=60).raise_for_status()
PY
}

echo "bench/flowstate: $runs runs, ${secs} s per user per run, $conns connections, $wrk_threads wrk threads," \
     "$server_threads server threads, loopback"
: >"$work/results"
for i in $(seq 1 "$runs"); do
  if [ $((i % 2)) -eq 1 ]; then order="big small"; else order="small big"; fi
  for who in $order; do
    if [ "$who" = big ]; then
      read -r rps p99 < <(measure big "$big_token" "$big")
      sweep "$big_token"
    else
      read -r rps p99 < <(measure small "$small_token" "$small")
      sweep "$small_token"
    fi
    echo "$i $who $rps $p99" >>"$work/results"
    echo "  run $i: $who  $rps req/s  p99 $p99 ms"
  done
done

# Each user still holds its history (and at most the events whose DELETE a
# finished wrk pass never sent).
held() {
  curl -sf "$url/api/events/" -H "Authorization: Bearer $1" | "$python" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
big_held="$(held "$big_token")"
small_held="$(held "$small_token")"

"$python" - "$work/results" "$big" "$small" "$big_held" "$small_held" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
big, small, big_held, small_held = map(int, sys.argv[2:6])
runs = sorted({int(r[0]) for r in rows})
by = {(int(r[0]), r[1]): (float(r[2]), float(r[3])) for r in rows}
rps = {w: [by[(i, w)][0] for i in runs] for w in ("big", "small")}
p99 = {w: [by[(i, w)][1] for i in runs] for w in ("big", "small")}
med = lambda xs: statistics.median(xs)
row = "{:<34} {:>12} {:>10}"
print()
print(row.format("median of the runs", "requests/s", "p99 ms"))
print(row.format(f"user holding {small:,} events (baseline)", f"{med(rps['small']):.0f}", f"{med(p99['small']):.2f}"))
print(row.format(f"user holding {big:,} events", f"{med(rps['big']):.0f}", f"{med(p99['big']):.2f}"))
tput = [rps["big"][k] / rps["small"][k] for k in range(len(runs))]
lat = [p99["small"][k] / p99["big"][k] for k in range(len(runs))]
print()
print(f"throughput {big:,} / {small:,}: {med(rps['big']) / med(rps['small']):.3f} of the medians; "
      f"per run {min(tput):.3f} .. {max(tput):.3f} (target >= 0.8)")
print(f"p99 {small:,} / {big:,}:        {med(p99['small']) / med(p99['big']):.3f} of the medians; "
      f"per run {min(lat):.3f} .. {max(lat):.3f}")
print(f"spread of the runs: {small:,}-event user {min(rps['small']):.0f} .. {max(rps['small']):.0f} req/s, "
      f"{big:,}-event user {min(rps['big']):.0f} .. {max(rps['big']):.0f} req/s")
print(f"events held after the runs: {big_held:,} and {small_held:,}")
PY
