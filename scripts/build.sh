#!/usr/bin/env bash
# Configures and builds almanac. Usage: scripts/build.sh [release|debug|asan|tsan|fuzz] [targets...]
#   release  optimised, for running and benchmarks      -> build/release
#   debug    with AddressSanitizer + UBSan, for tests    -> build/asan   (alias: asan)
#   tsan     with ThreadSanitizer, for concurrency tests -> build/tsan
#   fuzz     clang, libFuzzer targets (tests/fuzz/run.sh)  -> build/fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

kind="${1:-release}"
shift || true
case "$kind" in
  release) dir=build/release; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  # The test builds keep line tables only (-g1): sanitizer reports still name
  # file and line, and they build a third faster than with full debug info.
  debug|asan) dir=build/asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DALMANAC_SANITIZE=ON) ;;
  tsan) dir=build/tsan; flags=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DALMANAC_TSAN=ON) ;;
  # Coverage-instrumented for libFuzzer: clang only (CMakeLists.txt).
  fuzz) dir=build/fuzz; flags=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DALMANAC_FUZZ=ON) ;;
  *) echo "usage: $0 [release|debug|asan|tsan|fuzz] [targets...]" >&2; exit 2 ;;
esac

# ccache caches the api/ files, which are built with a precompiled header,
# only when it may ignore the header's timestamps and the __TIME__-style macros.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
# Paths relative to the checkout, so another clone of the repository hits the
# same cache entries.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# Configured every time (a second when nothing changed), so a build directory
# follows the flags above when they change.
cmake -S . -B "$dir" "${generator[@]}" "${flags[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
