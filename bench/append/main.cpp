// bench/append: durable commands per second through the single writer with 1,
// 8 and 64 concurrent submitters, next to the ceiling measured in the same
// run: a bare RocksDB loop writing the same bytes with sync=true in batches of
// the size the writer formed. Prints both and their ratio.
//
// The same bytes are what the writer's durable write holds: each event in the
// log, its stream-index entry and the batch's head record (the target is
// against this ceiling). A second ceiling writes the event bytes alone, to
// show what the index and head record cost the disk.
//
// Submitters wait two ways: as threads blocked on a future each (every
// completion wakes a thread), and as chains of completion callbacks resumed
// on a pool of two threads, the way the server's IO threads resume the
// coroutines that submitted.
//
// Usage: bench_append --help

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <ctime>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "app/system.hpp"
#include "bench/raw_sync.hpp"
#include "commands/writer.hpp"
#include "projections/read_models.hpp"
#include "storage/rocksdb_event_store.hpp"

using namespace almanac;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

namespace {

struct WriterRun {
  double commands_per_s = 0;
  double mean_batch = 0;
  uint64_t commands = 0;
  std::vector<std::string> sample_bytes;  // encoded events, for the ceiling
  double process_cpu = 0;                 // CPU seconds of the whole process while measuring
  double writer_cpu = 0;                  // of the writer's own threads (writer*)
  double write_us = 0;                    // mean time of one durable RocksDB write
};

// CPU seconds of this process's threads whose names start with `name`, from /proc.
double threads_cpu_seconds(const std::string& name) {
  double total = 0;
  const double tick = 1.0 / ::sysconf(_SC_CLK_TCK);
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string c;
    std::getline(comm, c);
    if (!c.starts_with(name)) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    total += (utime + stime) * tick;
  }
  return total;
}

cmd::CommandEnvelope schedule(int64_t owner, uint64_t n) {
  cmd::ScheduleEvent s;
  s.event.owner_id = owner;
  s.event.title = "Team Meeting " + std::to_string(n);
  s.event.description = "Weekly sync";
  s.event.location = "Conference Room";
  s.event.start = 1'710'928'800'000'000 + static_cast<int64_t>(n) * 3'600'000'000;
  s.event.end = s.event.start + 3'600'000'000;
  s.event.fields = event_field::kTitle | event_field::kDescription | event_field::kLocation |
                   event_field::kStart | event_field::kEnd;
  cmd::CommandEnvelope c;
  c.actor_id = owner;
  c.command = std::move(s);
  return c;
}

[[noreturn]] void refused(const Status& s) {
  std::fprintf(stderr, "refused: %s\n", s.to_string().c_str());
  std::exit(1);
}

// How the concurrent submitters wait for their commands.
enum class Submitters { kThreads, kCallbacks };

WriterRun run_writer(const fs::path& dir, int submitters, double seconds, Submitters mode) {
  fs::remove_all(dir);
  auto store = storage::RocksEventStore::open(dir.string(), {});
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.status().to_string().c_str());
    std::exit(1);
  }
  cmd::WriteState state;
  proj::ReadModels models;
  app::SystemClock clock;
  app::RandomIds ids;
  std::atomic<int64_t> write_us{0}, writes{0};
  (*store)->set_observer([&](size_t, size_t, size_t, int64_t us) {
    write_us += us;
    ++writes;
  });
  cmd::Writer writer(**store, state, clock, ids);
  writer.on_apply([&](std::span<const Envelope> b) { models.apply_batch(b); });
  writer.start();

  // One owner per submitter, registered first.
  std::vector<int64_t> owners;
  for (int i = 0; i < submitters; ++i) {
    cmd::CommandEnvelope c;
    c.command = cmd::RegisterUser{"bench" + std::to_string(i), "bench" + std::to_string(i) + "@example.com",
                                  "$argon2id$bench", "", "", ""};
    auto r = writer.submit(std::move(c)).get();
    owners.push_back(r.events.at(0).stream_id);
  }
  auto before = writer.stats();

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0};
  auto started = Steady::now();
  const double cpu_started = process_cpu_seconds();
  const double writer_cpu_started = threads_cpu_seconds("writer");
  if (mode == Submitters::kThreads) {
    // Each submitter a thread of its own, blocked on its command's future.
    std::vector<std::thread> threads;
    for (int i = 0; i < submitters; ++i)
      threads.emplace_back([&, i] {
        uint64_t n = 0;
        while (!stop) {
          auto r = writer.submit(schedule(owners[i], n++)).get();
          if (!r.status.is_ok()) refused(r.status);
          ++done;
        }
      });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : threads) t.join();
  } else {
    // As the server submits: each submitter a chain of completions, resumed
    // on a pool of two threads (the server's IO threads), which builds and
    // submits its next command.
    boost::asio::thread_pool io(2);
    std::atomic<int> running{submitters};
    std::function<void(int, uint64_t)> next = [&](int i, uint64_t n) {
      writer.submit(schedule(owners[i], n), [&, i, n](cmd::CommandResult r) {
        boost::asio::post(io, [&, i, n, r = std::move(r)] {
          if (!r.status.is_ok()) refused(r.status);
          ++done;
          if (stop) {
            --running;
          } else {
            next(i, n + 1);
          }
        });
      });
    };
    for (int i = 0; i < submitters; ++i) boost::asio::post(io, [&, i] { next(i, 0); });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    while (running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    io.join();
  }
  double elapsed = std::chrono::duration<double>(Steady::now() - started).count();
  WriterRun out;
  auto after = writer.stats();
  out.process_cpu = process_cpu_seconds() - cpu_started;
  out.writer_cpu = threads_cpu_seconds("writer") - writer_cpu_started;
  writer.stop();

  out.commands = done;
  out.write_us = double(write_us) / double(writes);
  out.commands_per_s = done / elapsed;
  out.mean_batch = double(after.commands - before.commands) / double(after.batches - before.batches);
  Status sampled = (*store)->scan((*store)->head() > 1000 ? (*store)->head() - 1000 : 1, 1000,
                                  [&](uint64_t, std::string_view bytes) {
                                    out.sample_bytes.emplace_back(bytes);
                                    return true;
                                  });
  if (!sampled) refused(sampled);
  store->reset();
  fs::remove_all(dir);
  return out;
}

// The ceiling: bare RocksDB, the same bytes, WriteBatch of `batch` events,
// sync=true, for `seconds`.
bench::RawSyncResult run_raw(const fs::path& dir, const std::vector<std::string>& bytes, size_t batch,
                             double seconds, bench::RawLayout layout) {
  auto r = bench::raw_sync_loop(
      dir, batch, seconds,
      [&](uint64_t position) -> std::string_view { return bytes[position % bytes.size()]; }, layout);
  if (!r) {
    std::fprintf(stderr, "bench_append: %s\n", r.status().message().c_str());
    std::exit(1);
  }
  return *r;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int runs = 1;
  fs::path base = fs::temp_directory_path();
  std::vector<int> counts{1, 8, 64};
  std::vector<Submitters> modes{Submitters::kThreads, Submitters::kCallbacks};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf(
          "Usage: bench_append [--seconds S] [--runs N] [--dir DIR] [--submitters N[,N...]]\n"
          "                    [--waiting threads|callbacks]\n"
          "  --seconds S      length of each measurement (default 3)\n"
          "  --runs N         measurements of each configuration, each with its own ceilings;\n"
          "                   the median ratios follow them (default 1)\n"
          "  --dir DIR        where the logs are written: the disk to measure (default %s)\n"
          "  --submitters N   concurrent submitters, comma-separated (default 1,8,64)\n"
          "  --waiting KIND   only submitters of this kind (default both)\n",
          base.c_str());
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_append: %s needs a value; see --help\n", a.c_str());
      return 2;
    }
    std::string v = argv[++i];
    if (a == "--seconds") {
      seconds = std::stod(v);
    } else if (a == "--runs") {
      runs = std::max(1, std::stoi(v));
    } else if (a == "--dir") {
      base = v;
    } else if (a == "--submitters") {
      counts.clear();
      for (size_t at = 0; at < v.size();) {
        size_t comma = std::min(v.find(',', at), v.size());
        counts.push_back(std::max(1, std::stoi(v.substr(at, comma - at))));
        at = comma + 1;
      }
    } else if (a == "--waiting" && (v == "threads" || v == "callbacks")) {
      modes = {v == "threads" ? Submitters::kThreads : Submitters::kCallbacks};
    } else {
      std::fprintf(stderr, "bench_append: unknown option %s %s; see --help\n", a.c_str(), v.c_str());
      return 2;
    }
  }
  fs::path dir = base / ("almanac-bench-append-" + std::to_string(::getpid()));
  std::printf("bench/append: %.1f s per measurement, data in %s\n", seconds, base.c_str());
  std::printf("%-11s %-9s %13s %6s   %-24s   %-24s   %s\n", "", "", "", "", "ceiling: same writes",
              "events alone", "");
  std::printf("%-11s %-9s %13s %6s   %14s %9s   %14s %9s   %s\n", "submitters", "waiting",
              "writer cmd/s", "batch", "raw sync cmd/s", "ratio", "raw sync cmd/s", "ratio",
              "CPU us per command: process / writer threads / raw loop; us per durable write: writer / raw");
  for (Submitters mode : modes) {
    for (int submitters : counts) {
      const char* kind = mode == Submitters::kThreads ? "threads" : "callbacks";
      std::vector<double> ratios, entry_ratios;
      for (int run = 0; run < runs; ++run) {
        WriterRun w = run_writer(dir, submitters, seconds, mode);
        size_t batch = std::max<size_t>(1, static_cast<size_t>(w.mean_batch + 0.5));
        bench::RawSyncResult r = run_raw(dir, w.sample_bytes, batch, seconds, bench::RawLayout::kStoreWrite);
        bench::RawSyncResult e = run_raw(dir, w.sample_bytes, batch, seconds, bench::RawLayout::kEntries);
        const double raw = r.writes / r.seconds, entries = e.writes / e.seconds;
        ratios.push_back(w.commands_per_s / raw);
        entry_ratios.push_back(w.commands_per_s / entries);
        std::printf("%-11d %-9s %13.0f %6.1f   %14.0f %8.1f%%   %14.0f %8.1f%%   "
                    "cpu %5.1f / %4.1f / %4.1f   write %4.0f / %4.0f\n",
                    submitters, kind, w.commands_per_s, w.mean_batch, raw, 100.0 * ratios.back(), entries,
                    100.0 * entry_ratios.back(), 1e6 * w.process_cpu / w.commands,
                    1e6 * w.writer_cpu / w.commands, 1e6 * r.cpu_seconds / r.writes, w.write_us,
                    1e6 * r.seconds / r.syncs);
        std::fflush(stdout);
      }
      if (runs > 1) {
        std::sort(ratios.begin(), ratios.end());
        std::sort(entry_ratios.begin(), entry_ratios.end());
        std::printf("%-11d %-9s %13s %6s   %14s %8.1f%%   %14s %8.1f%%   median of %d runs\n", submitters,
                    kind, "", "", "", 100.0 * ratios[ratios.size() / 2], "",
                    100.0 * entry_ratios[entry_ratios.size() / 2], runs);
      }
    }
  }
  return 0;
}
