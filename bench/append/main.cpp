// bench/append: durable commands per second through the single writer with 1,
// 8 and 64 concurrent submitters, next to the ceiling measured in the same
// run: a bare RocksDB loop writing the same bytes with sync=true in batches of
// the size the writer formed. Prints both and their ratio.
//
// Submitters wait two ways: as threads blocked on a future each (every
// completion wakes a thread), and as chains of completion callbacks resumed
// on a pool of two threads, the way the server's IO threads resume the
// coroutines that submitted.
//
// Usage: bench_append [--seconds S] [--dir DIR]   (DIR on the disk to measure; default /tmp)

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
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
};

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
  auto after = writer.stats();
  writer.stop();

  WriterRun out;
  out.commands = done;
  out.commands_per_s = done / elapsed;
  out.mean_batch = double(after.commands - before.commands) / double(after.batches - before.batches);
  (*store)->scan((*store)->head() > 1000 ? (*store)->head() - 1000 : 1, 1000,
                 [&](uint64_t, std::string_view bytes) {
                   out.sample_bytes.emplace_back(bytes);
                   return true;
                 });
  store->reset();
  fs::remove_all(dir);
  return out;
}

// The ceiling: bare RocksDB, the same bytes, WriteBatch of `batch` entries,
// sync=true, for `seconds`.
double run_raw(const fs::path& dir, const std::vector<std::string>& bytes, size_t batch, double seconds) {
  auto r = bench::raw_sync_loop(dir, batch, seconds, [&](uint64_t position) -> std::string_view {
    return bytes[position % bytes.size()];
  });
  if (!r) {
    std::fprintf(stderr, "bench_append: %s\n", r.status().message().c_str());
    std::exit(1);
  }
  return r->writes / r->seconds;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  fs::path base = fs::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    else if (a == "--dir") base = argv[i + 1];
  }
  fs::path dir = base / ("almanac-bench-append-" + std::to_string(::getpid()));
  std::printf("bench/append: %.1f s per measurement, data in %s\n", seconds, base.c_str());
  std::printf("%-11s %-9s %14s %11s %16s %8s\n", "submitters", "waiting", "writer cmd/s", "mean batch",
              "raw sync cmd/s", "ratio");
  for (Submitters mode : {Submitters::kThreads, Submitters::kCallbacks}) {
    for (int submitters : {1, 8, 64}) {
      WriterRun w = run_writer(dir, submitters, seconds, mode);
      size_t batch = std::max<size_t>(1, static_cast<size_t>(w.mean_batch + 0.5));
      double raw = run_raw(dir, w.sample_bytes, batch, seconds);
      std::printf("%-11d %-9s %14.0f %11.1f %16.0f %7.1f%%\n", submitters,
                  mode == Submitters::kThreads ? "threads" : "callbacks", w.commands_per_s, w.mean_batch,
                  raw, 100.0 * w.commands_per_s / raw);
      std::fflush(stdout);
    }
  }
  return 0;
}
