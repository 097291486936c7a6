#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, AddressSanitizer + UBSan, build/fuzz)
# and runs each for a bounded time, then prints what each did: executions,
# coverage, corpus, and crashes (must be 0). Exits non-zero when any target
# found a crash, a leak or a timeout.
#
#   tests/fuzz/run.sh [--seconds N] [target...]
#
# Defaults: 20 s for every target (tests/fuzz/*_fuzz.cpp). Inputs may be
# 4 KiB long from the start: a short run would never grow its length limit
# far enough for a request with a body. A target's corpus grows in
# build/fuzz/corpus/<target> between runs; tests/fuzz/seeds/<target> seeds
# it. A crashing input of the last run is kept as
# build/fuzz/crashes/<target>/crash-*: replay it with build/fuzz/<target> FILE.
set -euo pipefail
self="$(realpath "$0")"
cd "$(dirname "$self")/../.."

seconds=20
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$self" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

command -v clang++ >/dev/null || { echo "run.sh: clang++ is missing; run scripts/install-deps.sh" >&2; exit 1; }
echo "== building ${targets[*]}"
scripts/build.sh fuzz "${targets[@]}"

failed=0
printf '%-16s %10s %8s %8s %8s %s\n' target execs exec/s cov corpus crashes
for t in "${targets[@]}"; do
  corpus=build/fuzz/corpus/$t
  crashes=build/fuzz/crashes/$t
  rm -rf "$crashes"; mkdir -p "$corpus" "$crashes"
  seeds=()
  [ -d "tests/fuzz/seeds/$t" ] && seeds=("tests/fuzz/seeds/$t")
  log=build/fuzz/$t.log
  status=0
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
    build/fuzz/"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 -print_final_stats=1 \
    -max_len=4096 -len_control=0 \
    -artifact_prefix="$crashes/" "$corpus" "${seeds[@]}" >"$log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$((execs / (seconds > 0 ? seconds : 1)))
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  files=$(find "$corpus" -type f | wc -l)
  found=$(find "$crashes" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  printf '%-16s %10s %8s %8s %8s %s\n' "$t" "$execs" "$rate" "$cov" "$files" "$found"
  if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    failed=1
    echo "run.sh: $t failed (exit $status); its output: $log" >&2
    grep -m 20 -E 'ERROR|==[0-9]+==|_fuzz:|SUMMARY' "$log" >&2 || tail -20 "$log" >&2
  fi
done
exit "$failed"
