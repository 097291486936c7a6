#!/usr/bin/env bash
# Runs every test: unit tests under AddressSanitizer + UBSan, the concurrency
# tests again under ThreadSanitizer, and the black-box tests against the real
# binary. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/almanac-ccache}"

echo "== build (Debug, AddressSanitizer + UBSan)"
scripts/build.sh asan

echo "== build (ThreadSanitizer) for the concurrency tests"
scripts/build.sh tsan unit_projections unit_app

echo "== concurrency tests under ThreadSanitizer"
TSAN_OPTIONS="halt_on_error=1" build/tsan/unit_projections "[concurrency]"
TSAN_OPTIONS="halt_on_error=1" build/tsan/unit_app "[concurrency]"

echo "== black-box tests against the binary"
/usr/bin/python3 -m pytest -q tests/contract --almanac build/asan/almanac

echo "== unit tests"
cd build/asan
ASAN_OPTIONS="detect_leaks=1" ctest --output-on-failure -j "$(nproc)"
