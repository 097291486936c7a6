#include "commands/replay.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "events/clock.hpp"

namespace almanac::cmd {

namespace {

using Batch = std::shared_ptr<const std::vector<Envelope>>;

// A bounded queue every consumer reads in full, in order: the producer waits
// while `capacity` batches are outstanding. Batches are freed by the producer,
// not by the consumers: the envelopes were allocated on its thread, and the
// consumers (the critical path of replay) do not spend time freeing them.
class Broadcast {
 public:
  Broadcast(size_t consumers, size_t capacity) : taken_(consumers, 0), capacity_(capacity) {}

  void push(Batch batch) {
    std::vector<Batch> spent;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return produced_ - slowest() < capacity_; });
      items_.push_back(std::move(batch));
      ++produced_;
      // A consumer that has taken batch k+1 has let go of batch k (see pop).
      while (first_ + 1 < slowest()) {
        spent.push_back(std::move(items_.front()));
        items_.pop_front();
        ++first_;
      }
      changed_.notify_all();
    }
    // `spent` is freed here, outside the lock.
  }

  // The consumer's next batch; nullptr when closed and drained. A consumer
  // must let go of the batch it had before asking for the next one.
  Batch pop(size_t consumer) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return taken_[consumer] < produced_ || closed_; });
    if (taken_[consumer] == produced_) return nullptr;
    Batch b = items_[taken_[consumer] - first_];
    ++taken_[consumer];
    changed_.notify_all();
    return b;
  }

  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    changed_.notify_all();
  }

 private:
  uint64_t slowest() const { return *std::min_element(taken_.begin(), taken_.end()); }

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Batch> items_;          // batches first_ .. produced_-1; guarded by mu_
  uint64_t first_ = 0;               // guarded by mu_
  uint64_t produced_ = 0;            // guarded by mu_
  std::vector<uint64_t> taken_;      // per consumer; guarded by mu_
  size_t capacity_;
  bool closed_ = false;              // guarded by mu_
};

}  // namespace

Result<ReplayStats> replay(const EventStore& store, const ReplayOptions& options,
                           const std::vector<ReplaySink>& sinks) {
  using Steady = std::chrono::steady_clock;
  const auto started = Steady::now();
  const uint64_t to = options.to ? options.to : store.head();
  const uint64_t from = std::max<uint64_t>(options.from, 1);
  ReplayStats stats;
  if (to < from || sinks.empty()) return stats;
  stats.sink_cpu_seconds.assign(sinks.size(), 0.0);
  const uint64_t total = to - from + 1;

  Broadcast queue(sinks.size(), std::max<size_t>(2, options.ahead / std::max<size_t>(1, options.batch)));
  Status decode_status;
  std::thread decoder([&] {
    auto batch = std::make_shared<std::vector<Envelope>>();
    batch->reserve(options.batch);
    uint64_t expected = from;
    Status s = store.scan(from, total, [&](uint64_t position, std::string_view bytes) {
      if (position != expected) {
        decode_status = data_loss("log gap: expected position " + std::to_string(expected) +
                                  ", found " + std::to_string(position));
        return false;
      }
      ++expected;
      if (Status s = decode_into(bytes, batch->emplace_back()); !s) {
        batch->pop_back();
        decode_status = data_loss("position " + std::to_string(position) + ": " + s.message());
        return false;
      }
      if (batch->size() >= options.batch) {
        queue.push(std::move(batch));
        batch = std::make_shared<std::vector<Envelope>>();
        batch->reserve(options.batch);
      }
      return true;
    });
    if (!batch->empty()) queue.push(std::move(batch));
    if (!s && decode_status.is_ok()) decode_status = s;
    if (decode_status.is_ok() && expected != to + 1)
      decode_status = data_loss("log ends at position " + std::to_string(expected - 1) +
                                ", expected " + std::to_string(to));
    queue.close();
    stats.decode_cpu_seconds = thread_cpu_seconds();
  });

  // Sinks after the first run on threads of their own; the first runs here
  // and keeps the statistics.
  std::vector<std::thread> others;
  for (size_t i = 1; i < sinks.size(); ++i)
    others.emplace_back([&, i] {
      while (Batch b = queue.pop(i)) sinks[i](*b);
      stats.sink_cpu_seconds[i] = thread_cpu_seconds();
    });

  const double cpu_before = thread_cpu_seconds();
  auto last_report = Steady::now();
  while (Batch b = queue.pop(0)) {
    sinks[0](*b);
    for (const Envelope& e : *b) stats.streams += e.version == 1;  // a stream's first event
    stats.events += b->size();
    stats.last_position = b->back().position;
    if (options.progress && Steady::now() - last_report >= std::chrono::seconds(1)) {
      options.progress(stats.events, total);
      last_report = Steady::now();
    }
  }
  stats.sink_cpu_seconds[0] = thread_cpu_seconds() - cpu_before;
  decoder.join();
  for (auto& t : others) t.join();
  stats.seconds = std::chrono::duration<double>(Steady::now() - started).count();
  if (!decode_status) return decode_status;
  if (options.progress) options.progress(stats.events, total);
  return stats;
}

}  // namespace almanac::cmd
