#!/usr/bin/env bash
# Configures and builds almanac. Usage: scripts/build.sh [release|debug|asan|tsan] [targets...]
#   release  optimised, for running and benchmarks      -> build/release
#   debug    with AddressSanitizer + UBSan, for tests    -> build/asan   (alias: asan)
#   tsan     with ThreadSanitizer, for concurrency tests -> build/tsan
set -euo pipefail
cd "$(dirname "$0")/.."

kind="${1:-release}"
shift || true
case "$kind" in
  release) dir=build/release; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  debug|asan) dir=build/asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DALMANAC_SANITIZE=ON) ;;
  tsan) dir=build/tsan; flags=(-DCMAKE_BUILD_TYPE=Debug -DALMANAC_TSAN=ON) ;;
  *) echo "usage: $0 [release|debug|asan|tsan] [targets...]" >&2; exit 2 ;;
esac

# ccache caches the api/ files, which are built with a precompiled header,
# only when it may ignore the header's timestamps and the __TIME__-style macros.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${generator[@]}" "${flags[@]}"
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
