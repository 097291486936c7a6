// bench/replay: replays a log of generated events into the write state and
// the read models and prints events/s, next to the baseline measured in the
// same run: a bare scan of the same log (read and verify every entry, no decode,
// no apply).
//
// Usage: bench_replay [--events N] [--dir DIR] [--keep]
//   Generates N events (default 1,000,000) of the random workload through the
//   writer into DIR (default a temp dir), unless DIR already holds a log.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "app/node.hpp"
#include "app/workload.hpp"

using namespace almanac;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  uint64_t target = 1'000'000;
  fs::path dir = fs::temp_directory_path() / ("almanac-bench-replay-" + std::to_string(::getpid()));
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--events" && i + 1 < argc) target = std::stoull(argv[++i]);
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--keep") keep = true;
  }

  {
    app::NodeOptions o;
    o.data_dir = dir.string();
    auto node = app::Node::open(o);
    if (!node) {
      std::fprintf(stderr, "open: %s\n", node.status().to_string().c_str());
      return 1;
    }
    uint64_t have = (*node)->store().head();
    if (have < target) {
      std::printf("generating %s events in %s ...\n", app::with_commas(target - have).c_str(), dir.c_str());
      auto& writer = (*node)->start_writer();
      app::Workload workload(2026);
      auto t0 = Steady::now();
      while ((*node)->store().head() < target) {
        std::vector<std::future<cmd::CommandResult>> window;
        for (int i = 0; i < 20000; ++i) window.push_back(writer.submit(workload.next()));
        for (auto& f : window) workload.observe(f.get());
      }
      (void)(*node)->stop();
      std::printf("generated in %.1f s\n", std::chrono::duration<double>(Steady::now() - t0).count());
    }
  }

  // Baseline: a bare scan of the same log.
  double scan_s = 0;
  uint64_t scanned = 0;
  {
    storage::RocksOptions ro;
    ro.read_only = true;
    auto store = storage::RocksEventStore::open(dir.string(), ro);
    if (!store) return 1;
    auto t0 = Steady::now();
    uint64_t bytes = 0;
    (void)(*store)->scan(1, 0, [&](uint64_t, std::string_view b) {
      bytes += b.size();
      ++scanned;
      return true;
    });
    scan_s = std::chrono::duration<double>(Steady::now() - t0).count();
    std::printf("log: %s events, %.1f MB\n", app::with_commas(scanned).c_str(), bytes / 1e6);
  }

  app::NodeOptions o;
  o.data_dir = dir.string();
  o.read_only = true;
  auto node = app::Node::open(o);
  if (!node) return 1;
  const auto& r = (*node)->replay_stats();
  double rate = r.events_per_second();
  double scan_rate = scanned / scan_s;
  std::printf("bare scan:  %12.0f events/s\n", scan_rate);
  std::printf("replay:     %12.0f events/s  (%.2f s; decode + write state + read models)\n", rate, r.seconds);
  std::printf("ratio replay/scan: %.1f%%   target 1,000,000 events/s: %s\n", 100.0 * rate / scan_rate,
              rate >= 1e6 ? "met" : "not met");
  if (!keep) fs::remove_all(dir);
  return 0;
}
