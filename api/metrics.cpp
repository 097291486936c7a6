#include "api/metrics.hpp"

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

// Under a sanitizer, its own allocator holds the heap and says what it holds.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALMANAC_SANITIZER_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ALMANAC_SANITIZER_HEAP 1
#endif
#endif
#ifdef ALMANAC_SANITIZER_HEAP
// The sanitizer runtimes' allocator interface (GCC ships no header for it).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
extern "C" size_t __sanitizer_get_free_bytes();
#endif

// tcmalloc's C interface (the executables' allocator: CMakeLists.txt),
// declared weak so that a build on glibc's malloc links without it; there
// the symbol is null and glibc's own figures are read instead.
extern "C" int MallocExtension_GetNumericProperty(const char* property, size_t* value)
    __attribute__((weak));

namespace almanac::api {

namespace {

// What the allocator holds: bytes in use by the server, and bytes freed by it
// that the allocator keeps for reuse instead of returning them to the system.
struct HeapFigures {
  double in_use = 0;
  double free = 0;
};

HeapFigures heap_figures() {
#ifdef ALMANAC_SANITIZER_HEAP
  return {double(__sanitizer_get_current_allocated_bytes()), double(__sanitizer_get_free_bytes())};
#else
  if (MallocExtension_GetNumericProperty != nullptr) {
    size_t allocated = 0, heap = 0, unmapped = 0;
    if (MallocExtension_GetNumericProperty("generic.current_allocated_bytes", &allocated) != 0 &&
        MallocExtension_GetNumericProperty("generic.heap_size", &heap) != 0) {
      MallocExtension_GetNumericProperty("tcmalloc.pageheap_unmapped_bytes", &unmapped);
      const size_t mapped = heap > unmapped ? heap - unmapped : 0;
      return {double(allocated), double(mapped > allocated ? mapped - allocated : 0)};
    }
  }
  const struct mallinfo2 info = ::mallinfo2();
  return {double(info.uordblks + info.hblkhd), double(info.fordblks)};
#endif
}

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += number(value);
  out += '\n';
}

std::vector<double> latency_bounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  std::lock_guard lock(mu_);
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  std::lock_guard lock(mu_);
  uint64_t cumulative = 0;
  std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    sample(out, std::string(name) + "_bucket", prefix + "le=\"" + number(bounds_[i]) + "\"", double(cumulative));
  }
  cumulative += counts_.back();
  sample(out, std::string(name) + "_bucket", prefix + "le=\"+Inf\"", double(cumulative));
  sample(out, std::string(name) + "_sum", labels, sum_);
  sample(out, std::string(name) + "_count", labels, double(count_));
}

Metrics::Metrics()
    : batch_events_({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}),
      fsync_seconds_({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}),
      started_us_(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()) {}

void Metrics::observe_request(std::string_view route, std::string_view method, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(route), std::string(method), status}];
  auto it = latency_.find(std::string(route));
  if (it == latency_.end()) it = latency_.try_emplace(std::string(route), latency_bounds()).first;
  it->second.observe(seconds);
}

void Metrics::observe_append(size_t transactions, size_t events, size_t bytes, int64_t sync_micros) {
  ++appends_;
  appended_events_ += events;
  appended_bytes_ += bytes;
  batch_events_.observe(double(events));
  fsync_seconds_.observe(sync_micros / 1e6);
}

void Metrics::rate_limited(std::string_view route_class) {
  std::lock_guard lock(mu_);
  ++rate_limited_[std::string(route_class)];
}

std::string Metrics::render(const MetricsSnapshot& s) const {
  std::string out;
  out.reserve(16384);
  {
    std::lock_guard lock(mu_);
    header(out, "almanac_http_requests_total", "counter", "HTTP requests by route template, method and status.");
    for (const auto& [key, n] : requests_) {
      const auto& [route, method, status] = key;
      sample(out, "almanac_http_requests_total",
             "route=\"" + escape_label(route) + "\",method=\"" + escape_label(method) + "\",status=\"" +
                 std::to_string(status) + "\"",
             double(n));
    }
    header(out, "almanac_http_request_duration_seconds", "histogram",
           "Time from a request's arrival to its response, by route template.");
    for (const auto& [route, h] : latency_)
      h.render(out, "almanac_http_request_duration_seconds", "route=\"" + escape_label(route) + "\"");
    header(out, "almanac_rate_limited_total", "counter", "Requests refused by a rate limit, by limit class.");
    for (const auto& [cls, n] : rate_limited_)
      sample(out, "almanac_rate_limited_total", "class=\"" + escape_label(cls) + "\"", double(n));
  }
  header(out, "almanac_log_appends_total", "counter", "Durable appends (group commits) to the event log.");
  sample(out, "almanac_log_appends_total", "", double(appends_.load()));
  header(out, "almanac_log_appended_events_total", "counter", "Events appended to the log.");
  sample(out, "almanac_log_appended_events_total", "", double(appended_events_.load()));
  header(out, "almanac_log_appended_bytes_total", "counter", "Bytes of events appended to the log.");
  sample(out, "almanac_log_appended_bytes_total", "", double(appended_bytes_.load()));
  header(out, "almanac_log_batch_events", "histogram", "Events per group commit.");
  batch_events_.render(out, "almanac_log_batch_events", "");
  header(out, "almanac_log_fsync_seconds", "histogram", "Duration of the durable write of one group commit.");
  fsync_seconds_.render(out, "almanac_log_fsync_seconds", "");
  header(out, "almanac_log_head_position", "gauge", "Position of the last event in the log.");
  sample(out, "almanac_log_head_position", "", double(s.log_head));
  header(out, "almanac_read_model_position", "gauge", "Position of the last event applied to the read models.");
  sample(out, "almanac_read_model_position", "", double(s.read_model_position));
  if (s.cluster) {
    const auto& c = *s.cluster;
    header(out, "almanac_cluster_role", "gauge", "This node's role in the cluster (1 for the role it has).");
    for (const char* role : {"writer", "follower", "candidate"})
      sample(out, "almanac_cluster_role", "role=\"" + std::string(role) + "\"", c.role == role ? 1 : 0);
    header(out, "almanac_cluster_writer", "gauge",
           "The node that writes the log (1), by node id and address; absent while none does.");
    if (!c.writer_node.empty())
      sample(out, "almanac_cluster_writer",
             "node=\"" + escape_label(c.writer_node) + "\",address=\"" + escape_label(c.writer_address) + "\"", 1);
    header(out, "almanac_cluster_epoch", "gauge", "The writer's epoch: raised by every change of writer.");
    sample(out, "almanac_cluster_epoch", "", double(c.epoch));
    header(out, "almanac_cluster_lag_events", "gauge", "Events of the log this node's read models do not hold yet.");
    sample(out, "almanac_cluster_lag_events", "", double(c.lag_events));
    header(out, "almanac_cluster_lag_seconds", "gauge",
           "How long this node's read models have been behind the log's head (0 when caught up).");
    sample(out, "almanac_cluster_lag_seconds", "", c.lag_seconds);
    header(out, "almanac_cluster_forwarded_total", "counter", "Commands this node forwarded to the writer.");
    sample(out, "almanac_cluster_forwarded_total", "", double(c.forwarded));
    header(out, "almanac_cluster_takeovers_total", "counter", "Times this node became the writer.");
    sample(out, "almanac_cluster_takeovers_total", "", double(c.takeovers));
  }
  header(out, "almanac_read_model_items", "gauge", "Items held by each read model.");
  for (const auto& [name, n] : s.model_counts)
    sample(out, "almanac_read_model_items", "model=\"" + escape_label(name) + "\"", double(n));
  header(out, "almanac_replay_duration_seconds", "gauge", "Time the start-up replay of the log took.");
  sample(out, "almanac_replay_duration_seconds", "", s.replay_seconds);
  header(out, "almanac_replay_events", "gauge", "Events replayed at start-up.");
  sample(out, "almanac_replay_events", "", double(s.replay_events));
  header(out, "almanac_websocket_connections", "gauge", "Open WebSocket sessions.");
  sample(out, "almanac_websocket_connections", "", double(s.ws_connections));
  header(out, "almanac_websocket_messages_sent_total", "counter", "WebSocket messages sent.");
  sample(out, "almanac_websocket_messages_sent_total", "", double(ws_sent_.load()));
  header(out, "almanac_websocket_messages_dropped_total", "counter",
         "WebSocket messages not delivered because a session fell too far behind.");
  sample(out, "almanac_websocket_messages_dropped_total", "", double(ws_dropped_.load()));

  // Process metrics from /proc.
  long page = ::sysconf(_SC_PAGESIZE), ticks = ::sysconf(_SC_CLK_TCK);
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  std::ifstream stat("/proc/self/stat");
  std::string stat_line;
  std::getline(stat, stat_line);
  double cpu = 0;
  if (auto close = stat_line.rfind(')'); close != std::string::npos) {
    std::istringstream fields(stat_line.substr(close + 2));
    std::string f;
    unsigned long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14) utime = std::stoul(f);
      if (i == 15) stime = std::stoul(f);
    }
    cpu = double(utime + stime) / double(ticks);
  }
  int fds = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') ++fds;
    ::closedir(d);
    --fds;  // the directory handle itself
  }
  header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  sample(out, "process_resident_memory_bytes", "", double(pages_resident) * double(page));
  header(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
  sample(out, "process_virtual_memory_bytes", "", double(pages_total) * double(page));
  header(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
  sample(out, "process_cpu_seconds_total", "", cpu);
  header(out, "process_open_fds", "gauge", "Number of open file descriptors.");
  sample(out, "process_open_fds", "", double(fds));
  header(out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
  sample(out, "process_start_time_seconds", "", started_us_ / 1e6);
  const HeapFigures heap = heap_figures();
  header(out, "almanac_heap_bytes", "gauge",
         "Heap memory by state: in use by the server, or free and kept by the allocator for reuse.");
  sample(out, "almanac_heap_bytes", "state=\"in_use\"", heap.in_use);
  sample(out, "almanac_heap_bytes", "state=\"free\"", heap.free);
  if (s.log_buffered_bytes) {
    header(out, "almanac_log_buffered_bytes", "gauge",
           "Memory the log holds for appends not yet written to its table files (RocksDB memtables).");
    sample(out, "almanac_log_buffered_bytes", "", double(*s.log_buffered_bytes));
  }
  return out;
}

}  // namespace almanac::api
