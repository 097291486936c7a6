// bench/http's storage ceiling: fsync'd RocksDB writes per second with nothing
// else in the way, on the same disk as the server's data, for bench/http/run.sh
// to set durable registrations/s against.
//
// Usage: bench_http [--seconds S] [--dir DIR] [--batch N] [--value-bytes B]
// Writes WriteBatches of N entries of B bytes (keys as the log's: big-endian
// positions) with sync=true for S seconds in a fresh directory under DIR, then
// prints one line: "raw-sync batch=N writes/s=W syncs/s=F" and removes it.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  double seconds = 10;
  fs::path base = fs::temp_directory_path();
  size_t batch = 1, value_bytes = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (a == "--dir") base = argv[i + 1];
    else if (a == "--batch") batch = std::max<size_t>(1, std::stoul(argv[i + 1]));
    else if (a == "--value-bytes") value_bytes = std::stoul(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: bench_http [--seconds S] [--dir DIR] [--batch N] [--value-bytes B]\n");
      return 2;
    }
  }
  fs::path dir = base / ("almanac-bench-http-sync-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (auto s = rocksdb::DB::Open(options, dir.string(), &raw); !s.ok()) {
    std::fprintf(stderr, "bench_http: cannot open %s: %s\n", dir.c_str(), s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const std::string value(value_bytes, 'v');
  uint64_t position = 0, syncs = 0;
  const auto started = Steady::now();
  const auto deadline = started + std::chrono::duration<double>(seconds);
  while (Steady::now() < deadline) {
    rocksdb::WriteBatch wb;
    for (size_t i = 0; i < batch; ++i) {
      ++position;
      char key[8];
      for (int b = 0; b < 8; ++b) key[b] = static_cast<char>(position >> (56 - 8 * b));
      wb.Put(rocksdb::Slice(key, 8), value);
    }
    if (auto s = db->Write(wo, &wb); !s.ok()) {
      std::fprintf(stderr, "bench_http: write failed: %s\n", s.ToString().c_str());
      return 1;
    }
    ++syncs;
  }
  const double elapsed = std::chrono::duration<double>(Steady::now() - started).count();
  db.reset();
  fs::remove_all(dir);
  std::printf("raw-sync batch=%zu writes/s=%.0f syncs/s=%.0f\n", batch, position / elapsed, syncs / elapsed);
  return 0;
}
