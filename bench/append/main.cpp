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
// The disk's speed drifts over seconds, so the writer and the two ceilings
// are not measured one after the other but in short windows taken in turn
// (writer, ceiling, other ceiling, writer, ...), each ceiling window at the
// batch size of the writer window before it; the ratios are of the totals.
// Between its windows the writer's submitters are held, with nothing in
// flight, and each writer window starts after a short warm-up.
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
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
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

// The wait before each writer window's measurement starts: the submitters'
// first commands are on their way and the batches reach their usual size.
constexpr auto kWarmUp = std::chrono::milliseconds(20);

// Sums over the writer's measured windows.
struct WriterTotals {
  double seconds = 0;
  uint64_t commands = 0;     // completed by the submitters
  uint64_t batches = 0;      // durable writes, and the commands in them:
  uint64_t batched = 0;      //   the mean batch is batched / batches
  double process_cpu = 0;    // CPU seconds of the whole process
  double writer_cpu = 0;     // of the writer's own threads (writer*)
  double write_us = 0;       // time in durable RocksDB writes,
  uint64_t writes = 0;       //   how many,
  uint64_t bytes = 0;        //   and the bytes in them
  double commit_wait = 0;    // seconds the committing thread waited for a core

  WriterTotals& operator+=(const WriterTotals& o) {
    zip(o, [](auto& mine, auto theirs) { mine += theirs; });
    return *this;
  }
  WriterTotals& operator-=(const WriterTotals& o) {
    zip(o, [](auto& mine, auto theirs) { mine -= theirs; });
    return *this;
  }
  double mean_batch() const { return batches ? double(batched) / double(batches) : 0; }

 private:
  // Calls f(mine, theirs) for each field.
  template <typename F>
  void zip(const WriterTotals& o, F f) {
    f(seconds, o.seconds);
    f(commands, o.commands);
    f(batches, o.batches);
    f(batched, o.batched);
    f(process_cpu, o.process_cpu);
    f(writer_cpu, o.writer_cpu);
    f(write_us, o.write_us);
    f(writes, o.writes);
    f(bytes, o.bytes);
    f(commit_wait, o.commit_wait);
  }
};

// This process's threads (their /proc/self/task directories) whose names
// start with `name`.
std::vector<fs::path> threads_named(const std::string& name) {
  std::vector<fs::path> out;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string c;
    std::getline(comm, c);
    if (c.starts_with(name)) out.push_back(task.path());
  }
  return out;
}

// CPU seconds of these threads, from /proc.
double threads_cpu_seconds(const std::vector<fs::path>& tasks) {
  double total = 0;
  const double tick = 1.0 / ::sysconf(_SC_CLK_TCK);
  for (const fs::path& task : tasks) {
    std::ifstream stat(task / "stat");
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

// Seconds a thread has waited, runnable, for a core (the second field of
// its schedstat).
double core_wait_seconds(const fs::path& task) {
  std::ifstream f(task / "schedstat");
  double run_ns = 0, wait_ns = 0;
  f >> run_ns >> wait_ns;
  return wait_ns / 1e9;
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

[[noreturn]] void fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "bench_append: %s: %s\n", what.c_str(), s.to_string().c_str());
  std::exit(1);
}

// How the concurrent submitters wait for their commands.
enum class Submitters { kThreads, kCallbacks };

// A writer on its own store with its submitters, measured a window at a time.
// Between windows the submitters are held at a gate with nothing in flight.
class WriterBench {
 public:
  WriterBench(const fs::path& dir, int submitters, Submitters mode) : dir_(dir) {
    fs::remove_all(dir_);
    auto store = storage::RocksEventStore::open(dir_.string(), {});
    if (!store) fail("open " + dir_.string(), store.status());
    store_ = std::move(*store);
    store_->set_observer([this](size_t, size_t, size_t bytes, int64_t us) {
      write_us_ += us;
      ++writes_;
      bytes_ += bytes;
    });
    writer_ = std::make_unique<cmd::Writer>(*store_, state_, clock_, ids_);
    writer_->on_apply([this](std::span<const Envelope> b) { models_.apply_batch(b); });
    writer_->start();

    // One owner per submitter, registered first.
    for (int i = 0; i < submitters; ++i) {
      cmd::CommandEnvelope c;
      c.command = cmd::RegisterUser{"bench" + std::to_string(i), "bench" + std::to_string(i) + "@example.com",
                                    "$argon2id$bench", "", "", ""};
      auto r = writer_->submit(std::move(c)).get();
      if (!r.status.is_ok()) refused(r.status);
      owners_.push_back(r.events.at(0).stream_id);
    }
    writer_threads_ = threads_named("writer");  // named by now: each has run
    committing_thread_ = threads_named("writer-commit").at(0);
    if (mode == Submitters::kThreads) {
      // Each submitter a thread of its own, blocked on its command's future.
      for (int i = 0; i < submitters; ++i) threads_.emplace_back([this, i] { run_thread(i); });
    } else {
      // As the server submits: each submitter a chain of completions, resumed
      // on a pool of two threads (the server's IO threads), which builds and
      // submits its next command.
      io_.emplace(2);
      for (int i = 0; i < submitters; ++i) parked_.emplace_back(i, 0);
    }
  }

  ~WriterBench() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    gate_cv_.notify_all();
    for (auto& t : threads_) t.join();
    if (io_) io_->join();
    writer_->stop();
    writer_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  WriterTotals measure(double seconds) {
    open_gate();
    std::this_thread::sleep_for(kWarmUp);
    auto snapshot = [&] {
      WriterTotals t;
      auto stats = writer_->stats();
      t.commands = done_;
      t.batches = stats.batches;
      t.batched = stats.commands;
      t.process_cpu = process_cpu_seconds();
      t.writer_cpu = threads_cpu_seconds(writer_threads_);
      t.commit_wait = core_wait_seconds(committing_thread_);
      t.write_us = double(write_us_);
      t.writes = writes_;
      t.bytes = bytes_;
      return t;
    };
    const WriterTotals before = snapshot();
    const auto started = Steady::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    WriterTotals out = snapshot();
    out -= before;
    out.seconds = std::chrono::duration<double>(Steady::now() - started).count();
    close_gate();
    return out;
  }

  // The encoded bytes of the last (up to) 1000 events, for the ceilings.
  std::vector<std::string> sample_bytes() {
    std::vector<std::string> out;
    const uint64_t head = store_->head();
    Status sampled = store_->scan(head > 1000 ? head - 1000 : 1, 1000, [&](uint64_t, std::string_view bytes) {
      out.emplace_back(bytes);
      return true;
    });
    if (!sampled) fail("sample the log", sampled);
    return out;
  }

 private:
  void open_gate() {
    std::vector<std::pair<int, uint64_t>> resumed;
    {
      std::lock_guard lock(mu_);
      open_ = true;
      resumed.swap(parked_);
    }
    gate_cv_.notify_all();
    for (auto [i, n] : resumed) boost::asio::post(*io_, [this, i, n] { next(i, n); });
  }

  // Holds the submitters and waits until none has a command in flight.
  void close_gate() {
    open_ = false;
    while (in_flight_ > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }

  // Counts a command in flight, unless the gate is closed: then false.
  bool enter() {
    ++in_flight_;
    if (open_) return true;  // seen after the increment: close_gate waits for it
    --in_flight_;
    return false;
  }

  void run_thread(int i) {
    uint64_t n = 0;
    for (;;) {
      if (!enter()) {
        std::unique_lock lock(mu_);
        gate_cv_.wait(lock, [&] { return open_ || stopping_; });
        if (stopping_) return;
        continue;
      }
      auto r = writer_->submit(schedule(owners_[i], n++)).get();
      if (!r.status.is_ok()) refused(r.status);
      ++done_;
      --in_flight_;
    }
  }

  void next(int i, uint64_t n) {
    if (!enter()) {
      std::unique_lock lock(mu_);
      if (open_) {  // opened meanwhile: go on
        lock.unlock();
        boost::asio::post(*io_, [this, i, n] { next(i, n); });
      } else if (!stopping_) {
        parked_.emplace_back(i, n);
      }
      return;
    }
    writer_->submit(schedule(owners_[i], n), [this, i, n](cmd::CommandResult r) {
      boost::asio::post(*io_, [this, i, n, r = std::move(r)] {
        if (!r.status.is_ok()) refused(r.status);
        ++done_;
        --in_flight_;
        next(i, n + 1);
      });
    });
  }

  fs::path dir_;
  std::unique_ptr<storage::RocksEventStore> store_;
  cmd::WriteState state_;
  proj::ReadModels models_;
  app::SystemClock clock_;
  app::RandomIds ids_;
  std::unique_ptr<cmd::Writer> writer_;
  std::vector<fs::path> writer_threads_;
  fs::path committing_thread_;
  std::vector<int64_t> owners_;
  std::atomic<int64_t> write_us_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> bytes_{0};

  std::atomic<uint64_t> done_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<bool> open_{false};
  std::mutex mu_;
  std::condition_variable gate_cv_;
  bool stopping_ = false;                          // guarded by mu_
  std::vector<std::pair<int, uint64_t>> parked_;  // callback chains held at the gate; guarded by mu_
  std::vector<std::thread> threads_;
  std::optional<boost::asio::thread_pool> io_;
};

struct Measurement {
  WriterTotals writer;
  bench::RawSyncResult same_writes;   // the ceiling: what the store's durable write holds
  bench::RawSyncResult events_alone;  // the event bytes alone
  double raw_wait = 0;                // seconds the same-writes loop waited for a core
};

// `seconds` of the writer in windows of `window`, each followed by a window of
// each ceiling at its batch size.
Measurement measure(const fs::path& dir, int submitters, Submitters mode, double seconds, double window) {
  Measurement m;
  fs::create_directories(dir);
  WriterBench writer(dir / "writer", submitters, mode);
  auto same_writes = bench::RawSync::open(dir / "same-writes", bench::RawLayout::kStoreWrite);
  if (!same_writes) fail("open the ceiling", same_writes.status());
  auto events_alone = bench::RawSync::open(dir / "events-alone", bench::RawLayout::kEntries);
  if (!events_alone) fail("open the ceiling", events_alone.status());
  std::vector<std::string> bytes;
  auto value = [&](uint64_t position) -> std::string_view { return bytes[position % bytes.size()]; };
  const int windows = std::max(1, static_cast<int>(seconds / window + 0.5));
  for (int k = 0; k < windows; ++k) {
    WriterTotals w = writer.measure(window);
    m.writer += w;
    if (bytes.empty()) bytes = writer.sample_bytes();
    const size_t batch = std::max<size_t>(1, static_cast<size_t>(w.mean_batch() + 0.5));
    const double waited = core_wait_seconds("/proc/thread-self");
    if (Status s = (*same_writes)->run(batch, window, value, m.same_writes); !s) fail("the ceiling", s);
    m.raw_wait += core_wait_seconds("/proc/thread-self") - waited;
    if (Status s = (*events_alone)->run(batch, window, value, m.events_alone); !s) fail("the ceiling", s);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  double window = 0.25;
  int runs = 1;
  fs::path base = fs::temp_directory_path();
  std::vector<int> counts{1, 8, 64};
  std::vector<Submitters> modes{Submitters::kThreads, Submitters::kCallbacks};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf(
          "Usage: bench_append [--seconds S] [--window W] [--runs N] [--dir DIR]\n"
          "                    [--submitters N[,N...]] [--waiting threads|callbacks]\n"
          "  --seconds S      time the writer is measured in each measurement (default 3);\n"
          "                   each ceiling is measured as long\n"
          "  --window W       the writer and the ceilings take turns every W seconds (default 0.25)\n"
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
    } else if (a == "--window") {
      window = std::max(0.01, std::stod(v));
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
  std::printf("bench/append: %.1f s per measurement in turns of %.2f s, data in %s\n", seconds, window,
              base.c_str());
  std::printf("%-11s %-9s %13s %6s   %-24s   %-24s   %s\n", "", "", "", "", "ceiling: same writes",
              "events alone", "");
  std::printf("%-11s %-9s %13s %6s   %14s %9s   %14s %9s   %s\n", "submitters", "waiting",
              "writer cmd/s", "batch", "raw sync cmd/s", "ratio", "raw sync cmd/s", "ratio",
              "CPU us per command: process / writer threads / raw loop; us per durable write: writer / raw;"
              " us waited for a core per durable write by the writing thread: writer / raw;"
              " bytes written per command: writer / raw");
  for (Submitters mode : modes) {
    for (int submitters : counts) {
      const char* kind = mode == Submitters::kThreads ? "threads" : "callbacks";
      std::vector<double> ratios, entry_ratios;
      for (int run = 0; run < runs; ++run) {
        Measurement m = measure(dir, submitters, mode, seconds, window);
        fs::remove_all(dir);
        const WriterTotals& w = m.writer;
        const bench::RawSyncResult& r = m.same_writes;
        const bench::RawSyncResult& e = m.events_alone;
        const double writer = w.commands / w.seconds;
        const double raw = r.writes / r.seconds, entries = e.writes / e.seconds;
        ratios.push_back(writer / raw);
        entry_ratios.push_back(writer / entries);
        std::printf("%-11d %-9s %13.0f %6.1f   %14.0f %8.1f%%   %14.0f %8.1f%%   "
                    "cpu %5.1f / %4.1f / %4.1f   write %4.0f / %4.0f   core wait %3.0f / %3.0f   "
                    "bytes %4.0f / %4.0f\n",
                    submitters, kind, writer, w.mean_batch(), raw, 100.0 * ratios.back(), entries,
                    100.0 * entry_ratios.back(), 1e6 * w.process_cpu / w.commands,
                    1e6 * w.writer_cpu / w.commands, 1e6 * r.cpu_seconds / r.writes, w.write_us / w.writes,
                    1e6 * r.seconds / r.syncs, 1e6 * w.commit_wait / w.writes, 1e6 * m.raw_wait / r.syncs,
                    double(w.bytes) / double(w.batched), double(r.bytes) / double(r.writes));
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
