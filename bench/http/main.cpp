// bench/http's storage ceiling: fsync'd RocksDB writes per second with nothing
// else in the way, on the same disk as the server's data, for bench/http/run.sh
// to set durable registrations/s against.
//
// Usage: bench_http [--seconds S] [--dir DIR] [--batch N] [--value-bytes B]
// Writes WriteBatches of N entries of B bytes (keys as the log's: big-endian
// positions) with sync=true for S seconds in a fresh directory under DIR, then
// prints one line: "raw-sync batch=N writes/s=W syncs/s=F" and removes it.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include <unistd.h>

#include "bench/raw_sync.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  double seconds = 10;
  fs::path base = fs::temp_directory_path();
  size_t batch = 1, value_bytes = 256;
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("usage: bench_http [--seconds S] [--dir DIR] [--batch N] [--value-bytes B]\n"
                  "Writes WriteBatches of N entries of B bytes with sync=true for S seconds (default 10)\n"
                  "in a fresh directory under DIR (default %s) and prints writes/s and syncs/s.\n",
                  base.c_str());
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_http: %s needs a value; see --help\n", a.c_str());
      return 2;
    }
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
  const std::string value(value_bytes, 'v');
  auto r = almanac::bench::raw_sync_loop(dir, batch, seconds, [&](uint64_t) -> std::string_view { return value; });
  if (!r) {
    std::fprintf(stderr, "bench_http: %s\n", r.status().message().c_str());
    return 1;
  }
  std::printf("raw-sync batch=%zu writes/s=%.0f syncs/s=%.0f\n", batch, r->writes / r->seconds,
              r->syncs / r->seconds);
  return 0;
}
