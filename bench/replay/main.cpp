// bench/replay: replays a log of generated events into the write state and
// the read models and prints events/s, next to the baseline measured in the
// same run: a bare scan of the same log (read and verify every entry, no decode,
// no apply).
//
// Usage: bench_replay [--events N] [--dir DIR] [--keep] [--runs R] [--breakdown]
//   Generates N events (default 1,000,000) of the random workload through the
//   writer into DIR (default a temp dir), unless DIR already holds a log.
//   Scans and replays R times (default 5) and compares the medians.
//   --breakdown also prints, per event type, the time spent decoding and
//   applying to the write state and to the read models (one event at a time).
#include <algorithm>
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
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("usage: bench_replay [--events N] [--dir DIR] [--keep] [--runs R] [--breakdown]\n"
                  "  Replays N generated events (default 1,000,000; generated into DIR unless it\n"
                  "  holds them already) R times (default 5) and prints the median events/s next\n"
                  "  to a bare scan of the same log. --keep leaves DIR for the next run;\n"
                  "  --breakdown adds the cost per event type.\n");
      return 0;
    }
    if (a == "--events" && i + 1 < argc) target = std::stoull(argv[++i]);
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::stoi(argv[++i]));
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
  // The last writes are in the WAL and the memtables; opening for writing
  // flushes them into table files, so every run below reads the log as a
  // server restarted on it would after its first start.
  if (!storage::RocksEventStore::open(dir.string())) return 1;

  // This machine's speed drifts by a third from one second to the next, so
  // each measurement is taken `runs` times, alternating baseline and replay,
  // and the medians are compared.
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> scan_rates, replay_rates;
  uint64_t scanned = 0;
  for (int run = 0; run < runs; ++run) {
    // Baseline: a bare scan of the same log (read and checksum every entry).
    storage::RocksOptions ro;
    ro.read_only = true;
    auto store = storage::RocksEventStore::open(dir.string(), ro);
    if (!store) return 1;
    auto t0 = Steady::now();
    uint64_t bytes = 0;
    scanned = 0;
    (void)(*store)->scan(1, 0, [&](uint64_t, std::string_view b) {
      bytes += b.size();
      ++scanned;
      return true;
    });
    scan_rates.push_back(scanned / std::chrono::duration<double>(Steady::now() - t0).count());
    if (run == 0) std::printf("log: %s events, %.1f MB\n", app::with_commas(scanned).c_str(), bytes / 1e6);
    store->reset();

    app::NodeOptions o;
    o.data_dir = dir.string();
    o.read_only = true;
    auto node = app::Node::open(o);
    if (!node) return 1;
    const auto& r = (*node)->replay_stats();
    replay_rates.push_back(r.events_per_second());
    // Sink 0 is the read models, sink 1 the write state (app::Node::open).
    std::printf("run %d: bare scan %9.0f/s, replay %9.0f/s (%.2f s); thread CPU s: decode %.2f, "
                "read models %.2f, write state %.2f\n",
                run + 1, scan_rates.back(), replay_rates.back(), r.seconds, r.decode_cpu_seconds,
                r.sink_cpu_seconds.at(0), r.sink_cpu_seconds.at(1));
  }
  const double rate = median(replay_rates), scan_rate = median(scan_rates);
  std::printf("bare scan:  %12.0f events/s  (median of %d)\n", scan_rate, runs);
  std::printf("replay:     %12.0f events/s  (median of %d; decode + write state + read models)\n",
              rate, runs);
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
