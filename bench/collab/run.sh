#!/usr/bin/env bash
# bench/collab: GET /api/events for a one-day window, for a user who holds
# 10,000 events (20 in the window) and for one who holds 100 (20 in the
# window), in one run with wrk: the window's cost must not grow with the
# user's history (the ratio heavy / light is the figure; target >= 0.8). Then
# one 100-event POST /api/events/batch: the log's append counter on /metrics
# shows how many appends (and fsyncs) it took.
#
# Usage: bench/collab/run.sh [--help]
#   SECONDS_PER_MEASURE=S (default 10), RUNS=N (default 3, alternating heavy
#   and light; medians reported), CONNECTIONS=N (default 32), THREADS=N (wrk
#   threads, default 2), BUILD_DIR (a Release build; default build/release).
# almanac runs with --rate-limits off --bench-fast-hash on a fresh data dir
# on loopback; everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi

secs="${SECONDS_PER_MEASURE:-10}"
runs="${RUNS:-3}"
conns="${CONNECTIONS:-32}"
wrk_threads="${THREADS:-2}"
py=/usr/bin/python3
for tool in wrk curl "$py"; do
  command -v "$tool" >/dev/null || { echo "bench/collab: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

build="${BUILD_DIR:-build/release}"
if [ -z "${BUILD_DIR:-}" ]; then scripts/build.sh release almanac; fi
grep -q "CMAKE_BUILD_TYPE:STRING=Release" "$build/CMakeCache.txt" ||
  { echo "bench/collab: $build is not a Release build" >&2; exit 1; }

work="$(mktemp -d /tmp/almanac-bench-collab.XXXXXX)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$build/almanac" serve --data "$work/data" --listen 127.0.0.1:0 --rate-limits off --bench-fast-hash \
  --access-log off >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 600); do
  grep -q "^listening on " "$work/out" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
  sleep 0.1
done
base="http://$(sed -n 's/^listening on //p' "$work/out")"

# Two users and their events, 100 per batch; prints "heavy_token light_token day_start day_end".
read -r heavy light from to < <("$py" - "$base" <<'PY'
import datetime, sys, requests
base = sys.argv[1]
def user(name):
    requests.post(f"{base}/api/auth/register", json={"email": f"{name}@example.com", "password": "bench-password", "username": name}).raise_for_status()
    r = requests.post(f"{base}/api/auth/login", data={"username": name, "password": "bench-password"})
    r.raise_for_status()
    return r.json()["access_token"]
def fill(token, days, per_day):
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    events = []
    for d in range(days):
        for k in range(per_day):
            s = start + datetime.timedelta(days=d, minutes=30 * k)
            events.append({"title": f"E{d}-{k}", "start_time": s.isoformat().replace("+00:00", "Z"),
                           "end_time": (s + datetime.timedelta(minutes=25)).isoformat().replace("+00:00", "Z")})
    for i in range(0, len(events), 100):
        r = requests.post(f"{base}/api/events/batch", json={"events": events[i:i + 100]},
                          headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
heavy, light = user("heavy"), user("light")
fill(heavy, 500, 20)   # 10,000 events
fill(light, 5, 20)     # 100 events
day = datetime.datetime(2024, 1, 3, tzinfo=datetime.timezone.utc)  # a day both users have 20 events in
print(heavy, light, day.isoformat().replace("+00:00", "Z"), (day + datetime.timedelta(days=1)).isoformat().replace("+00:00", "Z"))
PY
)
query="start_time=$from&end_time=$to"
for who in heavy light; do
  token=$([ "$who" = heavy ] && echo "$heavy" || echo "$light")
  n=$(curl -sf "$base/api/events?$query" -H "Authorization: Bearer $token" | "$py" -c 'import json,sys; b=json.load(sys.stdin); print(len(b["items"]))')
  [ "$n" = 20 ] || { echo "bench/collab: $who has $n events in the window, expected 20" >&2; exit 1; }
done

# Runs wrk; prints "requests/s p99_ms", failing on any error or non-2xx answer.
measure() {
  local out="$work/wrk.txt"
  wrk -t "$wrk_threads" -c "$conns" -d "${secs}s" --latency -H "Authorization: Bearer $1" "$base/api/events?$query" >"$out"
  if grep -qE "Non-2xx|Socket errors" "$out"; then echo "bench/collab: errors:" >&2; cat "$out" >&2; exit 1; fi
  "$py" - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
v, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
print(f"{rps:.0f} {float(v) * {'us': 0.001, 'ms': 1, 's': 1000}[unit]:.2f}")
PY
}

echo "bench/collab: GET /api/events?$query, ${secs} s per measurement, $conns connections, $runs runs, loopback"
results="$work/results"
: >"$results"
for run in $(seq 1 "$runs"); do
  read -r hr hp < <(measure "$heavy")
  read -r lr lp < <(measure "$light")
  echo "run $run: heavy $hr req/s p99 $hp ms | light $lr req/s p99 $lp ms | ratio $("$py" -c "print(f'{$hr / $lr:.3f}')")"
  echo "$hr $hp $lr $lp" >>"$results"
done

appends() { curl -sf "$base/metrics" | awk '$1 == "almanac_log_appends_total" { print $2 }'; }
before=$(appends)
start_ns=$(date +%s%N)
"$py" - "$base" "$heavy" <<'PY'
import sys, requests
base, token = sys.argv[1:3]
events = [{"title": f"B{i}", "start_time": "2025-06-01T10:00:00Z", "end_time": "2025-06-01T11:00:00Z"} for i in range(100)]
r = requests.post(f"{base}/api/events/batch", json={"events": events}, headers={"Authorization": f"Bearer {token}"})
assert r.status_code == 201 and r.json()["created"] == 100, r.text
PY
batch_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
after=$(appends)

"$py" - "$results" "$before" "$after" "$batch_ms" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
hr, hp, lr, lp = (statistics.median(r[i] for r in rows) for i in range(4))
ratios = [r[0] / r[2] for r in rows]
print()
print(f"{'measurement (median of runs)':<44} {'requests/s':>12} {'p99 ms':>10}")
print(f"{'light user: 100 events, 20 in the window':<44} {lr:>12.0f} {lp:>10.2f}")
print(f"{'heavy user: 10,000 events, 20 in the window':<44} {hr:>12.0f} {hp:>10.2f}")
print(f"heavy / light: median ratio {statistics.median(ratios):.3f} (runs: {', '.join(f'{x:.3f}' for x in ratios)}; target >= 0.8)")
appends = int(float(sys.argv[3]) - float(sys.argv[2]))
print(f"one 100-event batch: {appends} append(s) to the log, {sys.argv[4]} ms from the client")
PY
