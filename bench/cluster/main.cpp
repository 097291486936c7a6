// bench/cluster's storage ceiling: a bare libpq loop that inserts log rows
// of the same size, in transactions of the same number of rows, as the
// PostgreSQL store's group commits held, with synchronous_commit = on, for
// bench/cluster/run.sh to set durable writes/s through a node on PostgreSQL
// against. Each transaction is one INSERT ... SELECT FROM unnest(...) in
// autocommit, as the store's commit is, into a table with the layout of
// almanac_log (the position key and the unique stream index), with nothing
// else: no fence, no idempotency records, no notification.
//
// Usage: bench_cluster --conninfo URI [--seconds S] [--batch N] [--value-bytes B]
// Creates a schema of its own, runs for S seconds (default 10), prints one
// line "pg-ceiling batch=N rows/s=R commits/s=C" and drops the schema.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "storage/pg_client.hpp"

using namespace almanac;
using namespace almanac::storage;
using Steady = std::chrono::steady_clock;

namespace {

constexpr const char* kUsage =
    "usage: bench_cluster --conninfo URI [--seconds S] [--batch N] [--value-bytes B]\n"
    "Inserts rows of B bytes (default 300) into a table laid out as almanac_log, N rows (default 1)\n"
    "per transaction with synchronous_commit = on, for S seconds (default 10), in a schema of its\n"
    "own; prints rows/s and commits/s.\n";

int fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "bench_cluster: %s: %s\n", what.c_str(), s.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string conninfo;
  double seconds = 10;
  size_t batch = 1, value_bytes = 300;
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_cluster: %s needs a value\n%s", a.c_str(), kUsage);
      return 2;
    }
    if (a == "--conninfo") conninfo = argv[i + 1];
    else if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (a == "--batch") batch = std::max<size_t>(1, std::stoul(argv[i + 1]));
    else if (a == "--value-bytes") value_bytes = std::stoul(argv[i + 1]);
    else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (conninfo.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  auto opened = pg::Connection::open(conninfo);
  if (!opened) return fail("cannot connect", opened.status());
  pg::Connection& c = **opened;
  const std::string schema = "bench_ceiling_" + std::to_string(::getpid());
  if (Status s = c.exec_script("SET synchronous_commit = on; CREATE SCHEMA " + schema + "; SET search_path = " +
                               schema + "; CREATE TABLE log (position bigint PRIMARY KEY, category smallint NOT NULL, "
                                        "stream_id bigint NOT NULL, version bigint NOT NULL, envelope bytea NOT NULL, "
                                        "UNIQUE (category, stream_id, version))");
      !s)
    return fail("cannot create the table", s);

  const std::string insert =
      "INSERT INTO log (position, category, stream_id, version, envelope) "
      "SELECT * FROM unnest($1::int8[], $2::int2[], $3::int8[], $4::int8[], $5::bytea[])";
  const std::string value(value_bytes, 'v');
  uint64_t next = 1, commits = 0;
  Status failed = Status::ok();
  const auto start = Steady::now();
  const auto end = start + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(seconds));
  while (Steady::now() < end) {
    // Each row a new stream at version 1, as when each command creates something.
    pg::ArrayParam positions(pg::kInt8Oid), categories(pg::kInt2Oid), streams(pg::kInt8Oid),
        versions(pg::kInt8Oid), envelopes(pg::kByteaOid);
    for (size_t i = 0; i < batch; ++i, ++next) {
      positions.add_int8(static_cast<int64_t>(next));
      categories.add_int2(1);
      streams.add_int8(static_cast<int64_t>(next));
      versions.add_int8(1);
      envelopes.add_bytes(value);
    }
    auto r = c.exec(insert, pg::Params()
                                .array(positions, pg::kInt8ArrayOid)
                                .array(categories, pg::kInt2ArrayOid)
                                .array(streams, pg::kInt8ArrayOid)
                                .array(versions, pg::kInt8ArrayOid)
                                .array(envelopes, pg::kByteaArrayOid));
    if (!r) {
      failed = r.status();
      break;
    }
    ++commits;
  }
  const double took = std::chrono::duration<double>(Steady::now() - start).count();
  (void)c.exec_script("DROP SCHEMA " + schema + " CASCADE");
  if (!failed) return fail("insert failed", failed);
  std::printf("pg-ceiling batch=%zu rows/s=%.0f commits/s=%.0f\n", batch, double(next - 1) / took,
              double(commits) / took);
  return 0;
}
