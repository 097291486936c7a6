#!/usr/bin/env bash
# bench/gather: the gather contract under load, on loopback, in one run.
#
#   1. Ballots and results together: CONNECTIONS connections cast ballots
#      (each a durable append) into a set of polls while as many read
#      results/ of the same polls, two wrk processes at once: ballots/s,
#      results reads/s and the p99 of each. Baselines in the same run: the
#      raw RocksDB sync loop at the batch size the server's group commits
#      held (bench_http), and results/ read with no ballots being cast.
#   2. Search: GET /api/v1/events/?search=lantern (first page) on a server
#      holding 100,000 gatherings, next to the same query on one holding
#      1,000 (the small data set is the baseline): requests/s and p99.
#
# Usage: bench/gather/run.sh [--help]
#   SECONDS_PER_MEASURE=S (default 10), RUNS=N (default 3; medians reported),
#   CONNECTIONS=N (default 64, per wrk process), THREADS=N (wrk threads per
#   process, default 2), EVENTS=N (default 100000), BUILD_DIR (a Release build;
#   default build/release, built here).
# Servers run with --rate-limits off --bench-fast-hash on fresh data dirs;
# everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi

secs="${SECONDS_PER_MEASURE:-10}"
runs="${RUNS:-3}"
conns="${CONNECTIONS:-64}"
wrk_threads="${THREADS:-2}"
events="${EVENTS:-100000}"
py=/usr/bin/python3
for tool in wrk curl "$py"; do
  command -v "$tool" >/dev/null || { echo "bench/gather: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

build="${BUILD_DIR:-build/release}"
if [ -z "${BUILD_DIR:-}" ]; then scripts/build.sh release almanac bench_http bench_gather; fi
grep -q "CMAKE_BUILD_TYPE:STRING=Release" "$build/CMakeCache.txt" ||
  { echo "bench/gather: $build is not a Release build" >&2; exit 1; }

work="$(mktemp -d /tmp/almanac-bench-gather.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a server on data dir $1 with its output under $2; sets `started` to
# its base URL (not in a subshell: the server's pid is kept for cleanup).
start() {
  "$build/almanac" serve --data "$1" --listen 127.0.0.1:0 --rate-limits off --bench-fast-hash \
    --access-log off >"$2.out" 2>"$2.err" &
  pids+=($!)
  local pid=$!
  for _ in $(seq 1 1200); do
    grep -q "^listening on " "$2.out" && break
    kill -0 "$pid" 2>/dev/null || { cat "$2.err" >&2; exit 1; }
    sleep 0.1
  done
  started="http://$(sed -n 's/^listening on //p' "$2.out")"
}
stop_last() {
  local pid="${pids[-1]}"
  kill "$pid" && wait "$pid" 2>/dev/null || true
  unset 'pids[-1]'
}

# Runs wrk with the given arguments into $1; prints "requests/s p99_ms",
# failing on any error or non-2xx answer.
measure() {
  local out="$1"; shift
  wrk -t "$wrk_threads" -c "$conns" -d "${secs}s" --latency "$@" >"$out"
  if grep -qE "Non-2xx|Socket errors" "$out"; then echo "bench/gather: errors in $out:" >&2; cat "$out" >&2; exit 1; fi
  "$py" - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
v, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
print(f"{rps:.0f} {float(v) * {'us': 0.001, 'ms': 1, 's': 1000}[unit]:.2f}")
PY
}
metric() { curl -sf "$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }

# ---- 1. ballots and results -------------------------------------------------------
start "$work/votes" "$work/votes"
base="$started"
# A host, 500 voters who join one gathering; prints nothing, writes the tokens.
"$py" - "$base" "$work/people.json" <<'PY'
import json, sys, requests
base, out = sys.argv[1:3]
s = requests.Session()
def user(name):
    r = s.post(f"{base}/api/v1/auth/register/",
               json={"username": name, "email": f"{name}@example.com", "password": "ballot-Box-2026"})
    r.raise_for_status()
    return r.json()["access"]
host = user("host")
event = s.post(f"{base}/api/v1/events/", json={"title": "Assembly", "date": "2030-01-01T10:00:00Z"},
               headers={"Authorization": f"Bearer {host}"}).json()["id"]
voters = [user(f"voter{i}") for i in range(500)]
for t in voters:
    s.post(f"{base}/api/v1/events/{event}/join/", headers={"Authorization": f"Bearer {t}"}).raise_for_status()
json.dump({"host": host, "event": event, "voters": voters}, open(out, "w"))
PY

# Polls for one run (300, two options each: 150,000 distinct ballots), as a
# Lua data file for the wrk scripts.
new_polls() {
  "$py" - "$base" "$work/people.json" "$1" <<'PY'
import json, sys, requests
base, people, out = sys.argv[1:4]
p = json.load(open(people))
s = requests.Session()
polls = []
for i in range(300):
    r = s.post(f"{base}/api/v1/voting/", headers={"Authorization": f"Bearer {p['host']}"},
               json={"title": f"Question {i}", "event": p["event"], "options": [{"text": "yes"}, {"text": "no"}]})
    r.raise_for_status()
    polls.append((r.json()["id"], [o["id"] for o in r.json()["options"]]))
with open(out, "w") as f:
    f.write("return {tokens = {" + ",".join(f'"{t}"' for t in p["voters"]) + "},\n")
    f.write("polls = {" + ",".join(f"{{id = {i}, options = {{{o[0]}, {o[1]}}}}}" for i, o in polls) + "}}\n")
PY
}

echo "bench/gather: ${secs} s per measurement, $conns connections per wrk process, $runs runs, loopback"
: >"$work/votes.results"
for run in $(seq 1 "$runs"); do
  data="$work/polls-$run.lua"
  new_polls "$data"
  read -r alone_rps alone_p99 < <(measure "$work/alone-$run.txt" -s bench/gather/results.lua "$base" -- "$data")
  appends0="$(metric "$base" almanac_log_appends_total)"
  events0="$(metric "$base" almanac_log_appended_events_total)"
  bytes0="$(metric "$base" almanac_log_appended_bytes_total)"
  measure "$work/ballots-$run.txt" -s bench/gather/ballot.lua "$base" -- "$data" "$wrk_threads" >"$work/ballots-$run.out" &
  bpid=$!
  read -r read_rps read_p99 < <(measure "$work/reads-$run.txt" -s bench/gather/results.lua "$base" -- "$data")
  wait "$bpid" || exit 1
  read -r vote_rps vote_p99 <"$work/ballots-$run.out"
  appends="$("$py" -c "print(int(float('$(metric "$base" almanac_log_appends_total)') - float('$appends0')))")"
  evs="$("$py" -c "print(int(float('$(metric "$base" almanac_log_appended_events_total)') - float('$events0')))")"
  bytes="$("$py" -c "print(int(float('$(metric "$base" almanac_log_appended_bytes_total)') - float('$bytes0')))")"
  batch="$("$py" -c "print(max(1, round($evs / max(1, $appends))))")"
  value_bytes="$("$py" -c "print(max(1, round($bytes / max(1, $evs))))")"
  raw="$("$build/bench_http" --seconds "$secs" --dir "$work" --batch "$batch" --value-bytes "$value_bytes" |
         sed -n 's/.*writes\/s=\([0-9.]*\).*/\1/p')"
  echo "run $run: ballots $vote_rps/s p99 $vote_p99 ms (raw sync x$batch: $raw/s) |" \
       "results $read_rps/s p99 $read_p99 ms (alone: $alone_rps/s p99 $alone_p99 ms)"
  echo "$vote_rps $vote_p99 $raw $read_rps $read_p99 $alone_rps $alone_p99 $batch" >>"$work/votes.results"
done
stop_last

# ---- 2. search over 100,000 gatherings ---------------------------------------------
# Each data set: a server started once to register the owner, stopped, filled
# by bench_gather through the writer, then started again on it.
fill() {
  local dir="$1" n="$2" url
  start "$dir" "$dir"
  url="$started"
  curl -sf -X POST "$url/api/v1/auth/register/" -H 'Content-Type: application/json' \
    -d '{"username":"owner","email":"owner@example.com","password":"ballot-Box-2026"}' >/dev/null
  stop_last
  "$build/bench_gather" --data "$dir" --owner 1 --events "$n" >/dev/null
}
echo "bench/gather: filling $events and 1,000 gatherings ..."
fill "$work/big" "$events"
fill "$work/small" 1000
start "$work/big" "$work/big-run"
big="$started"
start "$work/small" "$work/small-run"
small="$started"
token() {
  curl -sf -X POST "$1/api/v1/auth/login/" -H 'Content-Type: application/json' \
    -d '{"username":"owner","password":"ballot-Box-2026"}' | "$py" -c 'import json,sys; print(json.load(sys.stdin)["access"])'
}
big_token="$(token "$big")"
small_token="$(token "$small")"
path="/api/v1/events/?search=lantern"
for who in big small; do
  url=$([ "$who" = big ] && echo "$big" || echo "$small")
  tok=$([ "$who" = big ] && echo "$big_token" || echo "$small_token")
  count="$(curl -sf "$url$path" -H "Authorization: Bearer $tok" | "$py" -c 'import json,sys; b=json.load(sys.stdin); print(b["count"], len(b["results"]))')"
  echo "bench/gather: $who data set: $count (matches, on the first page)"
done
: >"$work/search.results"
for run in $(seq 1 "$runs"); do
  read -r br bp < <(measure "$work/search-big-$run.txt" -H "Authorization: Bearer $big_token" "$big$path")
  read -r sr sp < <(measure "$work/search-small-$run.txt" -H "Authorization: Bearer $small_token" "$small$path")
  echo "run $run: search over $events: $br/s p99 $bp ms | over 1,000: $sr/s p99 $sp ms"
  echo "$br $bp $sr $sp" >>"$work/search.results"
done

"$py" - "$work/votes.results" "$work/search.results" "$events" <<'PY'
import statistics, sys
votes = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
search = [list(map(float, l.split())) for l in open(sys.argv[2]) if l.strip()]
events = int(sys.argv[3])
m = lambda rows, i: statistics.median(r[i] for r in rows)
row = "{:<58} {:>12} {:>10}"
print()
print(row.format("measurement (median of runs)", "requests/s", "p99 ms"))
print(row.format("ballots, durable, while results/ is read", f"{m(votes, 0):.0f}", f"{m(votes, 1):.2f}"))
print(row.format(f"raw RocksDB sync, {m(votes, 7):.0f} writes per fsync (baseline)", f"{m(votes, 2):.0f}", "-"))
print(row.format("results/ while ballots are cast", f"{m(votes, 3):.0f}", f"{m(votes, 4):.2f}"))
print(row.format("results/ alone (baseline)", f"{m(votes, 5):.0f}", f"{m(votes, 6):.2f}"))
print(row.format(f"search, first page, {events:,} gatherings", f"{m(search, 0):.0f}", f"{m(search, 1):.2f}"))
print(row.format("search, first page, 1,000 gatherings (baseline)", f"{m(search, 2):.0f}", f"{m(search, 3):.2f}"))
print()
print(f"ballots vs raw sync:         {100 * statistics.median(r[0] / r[2] for r in votes):6.1f}%")
print(f"results/ under ballots vs alone: {100 * statistics.median(r[3] / r[5] for r in votes):6.1f}%")
print(f"search {events:,} vs 1,000:    {100 * statistics.median(r[0] / r[2] for r in search):6.1f}%")
PY
