#include "commands/replay.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace almanac::cmd {

namespace {

// A bounded hand-off between the decoding thread and the sink.
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}

  void push(std::vector<Envelope> batch) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_ || closed_; });
    queue_.push_back(std::move(batch));
    not_empty_.notify_one();
  }
  // False when closed and drained.
  bool pop(std::vector<Envelope>& out) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return false;
    out = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::vector<Envelope>> queue_;  // guarded by mu_
  size_t capacity_;
  bool closed_ = false;                      // guarded by mu_
};

}  // namespace

Result<ReplayStats> replay(const EventStore& store, const ReplayOptions& options,
                           const std::function<void(std::span<const Envelope>)>& sink) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  const uint64_t to = options.to ? options.to : store.head();
  const uint64_t from = std::max<uint64_t>(options.from, 1);
  ReplayStats stats;
  if (to < from) return stats;
  const uint64_t total = to - from + 1;

  BatchQueue queue(8);
  Status decode_status;
  std::thread decoder([&] {
    std::vector<Envelope> batch;
    batch.reserve(options.batch);
    uint64_t expected = from;
    Status s = store.scan(from, total, [&](uint64_t position, std::string_view bytes) {
      if (position != expected) {
        decode_status = data_loss("log gap: expected position " + std::to_string(expected) +
                                  ", found " + std::to_string(position));
        return false;
      }
      ++expected;
      auto e = decode(bytes);
      if (!e) {
        decode_status = data_loss("position " + std::to_string(position) + ": " +
                                  e.status().message());
        return false;
      }
      batch.push_back(std::move(e).value());
      if (batch.size() >= options.batch) {
        queue.push(std::move(batch));
        batch = {};
        batch.reserve(options.batch);
      }
      return true;
    });
    if (!batch.empty()) queue.push(std::move(batch));
    if (!s && decode_status.is_ok()) decode_status = s;
    if (decode_status.is_ok() && expected != to + 1)
      decode_status = data_loss("log ends at position " + std::to_string(expected - 1) +
                                ", expected " + std::to_string(to));
    queue.close();
  });

  auto last_report = Clock::now();
  std::vector<Envelope> batch;
  while (queue.pop(batch)) {
    sink(batch);
    for (const Envelope& e : batch) stats.streams += e.version == 1;  // a stream's first event
    stats.events += batch.size();
    stats.last_position = batch.back().position;
    if (options.progress && Clock::now() - last_report >= std::chrono::seconds(1)) {
      options.progress(stats.events, total);
      last_report = Clock::now();
    }
  }
  decoder.join();
  stats.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (!decode_status) return decode_status;
  if (options.progress) options.progress(stats.events, total);
  return stats;
}

}  // namespace almanac::cmd
