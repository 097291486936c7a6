#!/usr/bin/env bash
# bench/expand: builds Release, runs bench_expand (almanac and libical in one
# process) and the python-dateutil baseline, then prints the ratios.
#
# Usage: bench/expand/run.sh [BUILD_DIR] (default: <repo>/build-release)
#        SECONDS_PER_MEASURE=0.3 bench/expand/run.sh   (time per measurement)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build-release}"
seconds="${SECONDS_PER_MEASURE:-0.3}"

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_expand -j2 >/dev/null

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores, $(uname -m)"
"$build/bench_expand" --seconds "$seconds" | tee "$out/almanac.txt"
echo
/usr/bin/python3 "$root/bench/expand/dateutil_baseline.py" --seconds "$seconds" | tee "$out/dateutil.txt"
echo

cat "$out/almanac.txt" "$out/dateutil.txt" | awk '
  $1 == "result" { v[$2 " " $3] = $4 }
  function ratio(a, b) { return (b > 0) ? sprintf("%.1fx", a / b) : "n/a" }
  END {
    print "summary: almanac vs baselines (same run)"
    met = 1
    n = split("daily weekly monthly", fs, " ")
    for (i = 1; i <= n; i++) {
      f = fs[i]
      a = v["almanac_occ_per_s " f]; l = v["libical_occ_per_s " f]; d = v["dateutil_occ_per_s " f]
      printf "  throughput %-8s almanac %8.2f M occ/s   libical %6.3f M occ/s (%s)   dateutil %6.3f M occ/s (%s)\n", \
             f, a / 1e6, l / 1e6, ratio(a, l), d / 1e6, ratio(a, d)
      if (!(l > 0 && a >= 10 * l) || !(d > 0 && a >= 10 * d)) met = 0
    }
    n = split("daily weekly monthly yearly", fs, " ")
    for (i = 1; i <= n; i++) {
      f = fs[i]
      y1 = v["almanac_window_ns_1y " f]; y30 = v["almanac_window_ns_30y " f]
      l30 = v["libical_window_ns_30y " f]; d30 = v["dateutil_window_ns_30y " f]
      printf "  window     %-8s almanac 30y/1y %.2f   30 y old: almanac %.0f ns, libical %.0f ns (%s faster), dateutil %.0f ns (%s faster)\n", \
             f, y30 / y1, y30, l30, ratio(l30, y30), d30, ratio(d30, y30)
      if (y30 / y1 > 1.5) met = 0
    }
    print "  target (>= 10x libical and dateutil occ/s, window cost independent of age): " (met ? "met" : "NOT met")
  }'
