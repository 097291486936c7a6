#!/usr/bin/env bash
# Runs every test: unit tests under AddressSanitizer + UBSan, the concurrency
# tests again under ThreadSanitizer, the black-box tests against the real
# binary, and each fuzz target for a short bounded time. Exits non-zero when
# anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/almanac-ccache}"

echo "== build (Debug, AddressSanitizer + UBSan)"
scripts/build.sh asan

echo "== build (ThreadSanitizer) for the concurrency tests"
scripts/build.sh tsan concurrency_tests

echo "== concurrency tests under ThreadSanitizer"
TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" \
  build/tsan/concurrency_tests "[concurrency]"

echo "== black-box tests against the binary"
# Two workers, each taking whole modules (a module shares one server): the
# tests spend most of their time waiting on servers, fsyncs and sockets.
/usr/bin/python3 -m pytest -q -n 2 --dist loadfile tests/contract --almanac build/asan/almanac

# The same contract tests on a cluster: each server of a test is three nodes on one
# PostgreSQL log, and each request goes to the next node in turn. A representative
# subset (every contract's reads, writes, conflicts and WebSockets), to keep CI short;
# `--cluster 3` runs any other contract test the same way (docs/cluster.md).
echo "== contract tests on a cluster of three nodes (a representative subset)"
cluster_subset=(
  "tests/contract/test_mcal.py::test_etag_and_if_match"
  "tests/contract/test_flowstate.py::test_ws_syncs_the_users_events_and_items_to_every_connection_and_nobody_else"
  "tests/contract/test_collab.py::test_notifications_over_websocket"
  "tests/contract/test_gather.py::test_the_feed_carries_every_change_in_log_order"
  "tests/contract/test_auth.py::test_idempotency_key_on_register"
)
/usr/bin/python3 -m pytest -q "${cluster_subset[@]}" --cluster 3 --almanac build/asan/almanac

echo "== unit tests"
cd build/asan
# ctest runs what it discovered in each binary; a test name it cannot parse
# (a '[' in it, say) silently hides the tests after it. Every test case of
# every binary must be known to ctest.
for bin in unit_events unit_storage unit_commands unit_projections unit_api unit_app; do
  mod="${bin#unit_}"
  listed=$({ ./"$bin" --list-test-names-only || true; } | grep -c .)  # Catch2 exits with the count
  # -FA: without the fixtures a module's tests require (the PostgreSQL server
  # they run against), which ctest would otherwise list beside them.
  known=$(ctest -N -R "^${mod}:" -FA ".*" | grep -c "Test *#")
  if [ "$listed" -ne "$known" ]; then
    echo "test.sh: $bin has $listed test cases but ctest knows $known; is a test name unparsable?" >&2
    exit 1
  fi
done
ASAN_OPTIONS="detect_leaks=1" ctest --output-on-failure -j "$(nproc)"

echo "== fuzz targets, briefly"
cd ../..
tests/fuzz/run.sh --seconds "${ALMANAC_FUZZ_SECONDS:-15}"
