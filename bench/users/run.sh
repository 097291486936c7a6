#!/usr/bin/env bash
# bench/users: GET /api/v1/users/?skip=...&limit=100 over 100,000 users, the
# first page against the last, with wrk on loopback. The first page is the
# baseline: the last page's requests/s over the first page's is the figure
# (target >= 0.8: a page must not cost more the further it is in the list).
#
# Usage: bench/users/run.sh                       (builds build/release with scripts/build.sh)
#        BUILD_DIR=build/x bench/users/run.sh     (a Release build directory of its own)
# USERS=N (default 100000), RUNS=R (default 5: first and last page alternate R times),
# DURATION=S (seconds per wrk pass, default 5), CONNECTIONS=N (default 16),
# THREADS=N (wrk threads, default 2), SERVER_THREADS=N (default: the number of cores).
#
# The users are written by bench_users through the single writer into a fresh
# data directory (not timed); almanac serves it with --rate-limits off; a
# superuser's token is sent with every request. Everything started here is
# stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

users="${USERS:-100000}"
runs="${RUNS:-5}"
secs="${DURATION:-5}"
conns="${CONNECTIONS:-16}"
wrk_threads="${THREADS:-2}"
server_threads="${SERVER_THREADS:-$(nproc)}"
limit=100
last_skip=$((users - limit))

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/users: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

if [ -n "${BUILD_DIR:-}" ]; then
  build="$BUILD_DIR"
  [ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)" --target almanac bench_users
else
  build=build/release
  scripts/build.sh release almanac bench_users
fi
grep -q "CMAKE_BUILD_TYPE:STRING=Release" "$build/CMakeCache.txt" ||
  { echo "bench/users: $build is not a Release build" >&2; exit 1; }

work="$(mktemp -d /tmp/almanac-bench-users.XXXXXX)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$build/bench_users" --data "$work/data" --users "$users" --password bench-password-1

"$build/almanac" serve --data "$work/data" --listen 127.0.0.1:0 --rate-limits off --access-log off \
  --threads "$server_threads" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q "^listening on " "$work/serve.out" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
base="http://$(sed -n 's/^listening on //p' "$work/serve.out")"
[ "$base" != "http://" ] || { echo "bench/users: almanac did not start" >&2; exit 1; }

token="$(curl -sf -X POST "$base/api/v1/auth/login" -d 'username=bench_root&password=bench-password-1' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
first="$base/api/v1/users/?skip=0&limit=$limit"
last="$base/api/v1/users/?skip=$last_skip&limit=$limit"

# Both pages hold what they should before anything is timed.
check() {
  curl -sf "$1" -H "Authorization: Bearer $token" | python3 -c '
import json, sys
page, first_id = json.load(sys.stdin), int(sys.argv[1])
ids = [u["id"] for u in page]
assert ids == list(range(first_id, first_id + len(ids))) and len(ids) == int(sys.argv[2]), ids[:3]
print(len(json.dumps(page)))' "$2" "$limit"
}
first_bytes="$(check "$first" 1)"
last_bytes="$(check "$last" $((last_skip + 1)))"

# wrk for DURATION; prints "requests/s p99_ms" and fails on any error or non-2xx answer.
measure() {
  local out="$work/wrk.txt"
  wrk -t "$wrk_threads" -c "$conns" -d "${secs}s" --latency -H "Authorization: Bearer $token" "$1" >"$out"
  if grep -qE "Non-2xx|Socket errors" "$out"; then
    echo "bench/users: errors during the run:" >&2; cat "$out" >&2; exit 1
  fi
  python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
v, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
print(f"{rps:.1f} {float(v) * {'us': 0.001, 'ms': 1, 's': 1000}[unit]:.2f}")
PY
}

echo "bench/users: $users users, pages of $limit ($first_bytes and $last_bytes bytes of JSON);" \
     "$runs runs of ${secs} s per page, $conns connections, $wrk_threads wrk threads," \
     "$server_threads server threads, $(nproc) cores, loopback"
: >"$work/results.txt"
for run in $(seq 1 "$runs"); do
  # Alternate the order, so a drift in the machine's load does not land on one page only.
  if [ $((run % 2)) -eq 1 ]; then order="first last"; else order="last first"; fi
  for page in $order; do
    url="$first"; [ "$page" = last ] && url="$last"
    read -r rps p99 < <(measure "$url")
    echo "$run $page $rps $p99" >>"$work/results.txt"
    printf "  run %d  %-5s page  %9s req/s  p99 %7s ms\n" "$run" "$page" "$rps" "$p99"
  done
done

python3 - "$work/results.txt" "$last_skip" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
by = {"first": [], "last": []}
for run, page, rps, p99 in rows:
    by[page].append((int(run), float(rps), float(p99)))
def col(page, i): return [r[i] for r in by[page]]
fr, lr = statistics.median(col("first", 1)), statistics.median(col("last", 1))
fp, lp = statistics.median(col("first", 2)), statistics.median(col("last", 2))
ratios = [l[1] / f[1] for f, l in zip(sorted(by["first"]), sorted(by["last"]))]
print()
print(f"{'page':<28} {'median req/s':>13} {'range':>19} {'median p99 ms':>14} {'range':>15}")
for name, page in (("first (skip=0), baseline", "first"), (f"last (skip={sys.argv[2]})", "last")):
    r, p = col(page, 1), col(page, 2)
    print(f"{name:<28} {statistics.median(r):>13.1f} {min(r):>9.1f}-{max(r):<9.1f} {statistics.median(p):>14.2f} {min(p):>7.2f}-{max(p):<7.2f}")
print()
print(f"last/first requests/s, ratio of medians: {lr / fr:.3f}  (per run: {', '.join(f'{x:.3f}' for x in ratios)})")
print(f"first/last p99, ratio of medians:        {fp / lp:.3f}")
print(f"target last/first >= 0.8: {'met' if lr / fr >= 0.8 else 'NOT met'}")
PY
