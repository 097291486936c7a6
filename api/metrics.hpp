// Process metrics in the Prometheus text exposition format (version 0.0.4),
// written here because no client library is packaged for this platform.
// Every method is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace almanac::api {

// A cumulative histogram with fixed bucket bounds (seconds or counts).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // Appends the _bucket/_sum/_count lines for `name` with `labels` ("a=\"b\"" or "").
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // guarded by mu_; one per bound, plus +Inf
  double sum_ = 0;                // guarded by mu_
  uint64_t count_ = 0;            // guarded by mu_
};

// Values read at scrape time from the parts that own them.
struct MetricsSnapshot {
  uint64_t log_head = 0;
  uint64_t read_model_position = 0;
  double replay_seconds = 0;
  uint64_t replay_events = 0;
  uint64_t ws_connections = 0;
  std::optional<uint64_t> log_buffered_bytes;   // EventStore::buffered_bytes
  std::vector<std::pair<std::string, uint64_t>> model_counts;
  // A node of a cluster (api/cluster.hpp); absent on a node on its own.
  struct Cluster {
    std::string role;           // writer, follower, candidate
    std::string node;
    std::string writer_node;    // "" when no node holds the writer's lock
    std::string writer_address;
    uint64_t epoch = 0;
    uint64_t lag_events = 0;
    double lag_seconds = 0;
    uint64_t forwarded = 0;
    uint64_t takeovers = 0;
  };
  std::optional<Cluster> cluster;
};

class Metrics {
 public:
  Metrics();

  void observe_request(std::string_view route, std::string_view method, int status, double seconds);
  void observe_append(size_t transactions, size_t events, size_t bytes, int64_t sync_micros);
  void ws_message_sent(uint64_t n = 1) { ws_sent_ += n; }
  void ws_message_dropped(uint64_t n = 1) { ws_dropped_ += n; }
  void rate_limited(std::string_view route_class);

  // The whole exposition, with process metrics (RSS, CPU seconds, open fds)
  // read from /proc at call time.
  std::string render(const MetricsSnapshot& snapshot) const;

 private:
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // guarded by mu_
  std::map<std::string, Histogram> latency_;                                // guarded by mu_
  std::map<std::string, uint64_t> rate_limited_;                            // guarded by mu_
  Histogram batch_events_;
  Histogram fsync_seconds_;
  std::atomic<uint64_t> appends_{0}, appended_events_{0}, appended_bytes_{0};
  std::atomic<uint64_t> ws_sent_{0}, ws_dropped_{0};
  int64_t started_us_;
};

}  // namespace almanac::api
