// bench/replay: replays a log of generated events into the write state and
// the read models and prints events/s, next to the baseline measured in the
// same run: a bare scan of the same log (read and verify every entry, no decode,
// no apply).
//
// Usage: bench_replay [--events N] [--dir DIR] [--keep] [--breakdown]
//   Generates N events (default 1,000,000) of the random workload through the
//   writer into DIR (default a temp dir), unless DIR already holds a log.
//   --breakdown also prints, per event type, the time spent decoding and
//   applying to the write state and to the read models (one event at a time).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <map>

#include "app/node.hpp"
#include "app/workload.hpp"
#include "commands/decide.hpp"

using namespace almanac;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  uint64_t target = 1'000'000;
  fs::path dir = fs::temp_directory_path() / ("almanac-bench-replay-" + std::to_string(::getpid()));
  bool keep = false, breakdown = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--events" && i + 1 < argc) target = std::stoull(argv[++i]);
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--keep") keep = true;
    else if (a == "--breakdown") breakdown = true;
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
      app::Workload workload(2026, (*node)->clock().now_us());
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
  if (breakdown) {
    storage::RocksOptions ro;
    ro.read_only = true;
    auto store = storage::RocksEventStore::open(dir.string(), ro);
    if (!store) return 1;
    struct Cost { uint64_t n = 0; double decode = 0, write = 0, read = 0; };
    std::map<ev::Payload, Cost> costs;
    cmd::WriteState state;
    proj::ReadModels models;
    auto secs = [](Steady::time_point a, Steady::time_point b) {
      return std::chrono::duration<double>(b - a).count();
    };
    (void)(*store)->scan(1, 0, [&](uint64_t, std::string_view bytes) {
      auto t0 = Steady::now();
      auto e = decode(bytes);
      auto t1 = Steady::now();
      cmd::apply(state, *e);
      auto t2 = Steady::now();
      models.apply_batch(std::span<const Envelope>(&*e, 1));
      auto t3 = Steady::now();
      Cost& c = costs[e->payload.type];
      ++c.n;
      c.decode += secs(t0, t1);
      c.write += secs(t1, t2);
      c.read += secs(t2, t3);
      return true;
    });
    Cost total;
    std::printf("\n%-24s %9s %12s %12s %12s   (ns per event)\n", "event type", "count", "decode",
                "write state", "read models");
    for (const auto& [type, c] : costs) {
      std::printf("%-24s %9llu %12.0f %12.0f %12.0f\n", ev::EnumNamePayload(type),
                  static_cast<unsigned long long>(c.n), 1e9 * c.decode / c.n, 1e9 * c.write / c.n,
                  1e9 * c.read / c.n);
      total.n += c.n;
      total.decode += c.decode;
      total.write += c.write;
      total.read += c.read;
    }
    std::printf("%-24s %9llu %12.0f %12.0f %12.0f\n", "all", static_cast<unsigned long long>(total.n),
                1e9 * total.decode / total.n, 1e9 * total.write / total.n, 1e9 * total.read / total.n);
  }
  if (!keep) fs::remove_all(dir);
  return 0;
}
