// A node: one log (the RocksDB data directory, or a PostgreSQL database
// shared with other nodes) opened with everything the binary runs on top of
// it: the write state and read models rebuilt by replay, and (for serving)
// the single writer. Used by every CLI command.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/log_store.hpp"
#include "app/system.hpp"
#include "commands/replay.hpp"
#include "commands/state.hpp"
#include "commands/writer.hpp"
#include "projections/read_models.hpp"

namespace almanac::app {

// What the models looked like at a position: saved beside the log by a clean
// stop, compared by `almanac verify` against a fresh replay.
struct ModelSummary {
  uint64_t position = 0;
  uint64_t write_checksum = 0;
  uint64_t read_checksum = 0;
  std::vector<std::pair<std::string, uint64_t>> counts;

  std::string to_text() const;
  static std::optional<ModelSummary> parse(const std::string& text);
  friend bool operator==(const ModelSummary&, const ModelSummary&) = default;
};

inline constexpr const char* kSummaryKey = "models/summary";

struct NodeOptions {
  std::string data_dir = "data";
  // A PostgreSQL conninfo: the log is there, and data_dir is not used.
  std::string log;
  size_t connections = 4;           // the PostgreSQL store's pool
  bool read_only = false;
  bool create_if_missing = true;
  uint64_t replay_to = 0;           // 0: the whole log
  std::ostream* progress = nullptr; // replay progress lines, when set
};

class Node {
 public:
  // Opens the store and rebuilds the models by replaying the log.
  static Result<std::unique_ptr<Node>> open(const NodeOptions& options);
  ~Node();

  EventStore& store() { return log_->store(); }
  LogStore& log() { return *log_; }
  cmd::WriteState& state() { return state_; }
  proj::ReadModels& models() { return models_; }
  const cmd::ReplayStats& replay_stats() const { return replay_stats_; }
  Clock& clock() { return clock_; }

  // Starts the single writer; committed batches are applied to the models,
  // then handed to `publish` (subscribers) when set.
  cmd::Writer& start_writer(cmd::BatchHook publish = {});
  // The running writer, or nullptr.
  cmd::Writer* writer() { return writer_.get(); }
  // Stops the writer (completing queued commands) without saving anything.
  // True when it had failed: the write state is then ahead of the log.
  bool stop_writer();
  // Applies the log after the read models' position, up to the store's
  // head, to the write state and the read models, then hands each batch to
  // `publish` when set (a follower's subscribers). No writer may run.
  Status catch_up(const cmd::BatchHook& publish = {});
  // Rebuilds the write state from the log up to the read models' position
  // (after a failed writer left it ahead of the log). No writer may run.
  Status rebuild_write_state();
  // Stops the writer (completing queued commands) and saves the summary.
  Status stop();

  ModelSummary summary() const;
  Status save_summary();
  Result<std::optional<ModelSummary>> saved_summary() const;

 private:
  Node() = default;

  std::unique_ptr<LogStore> log_;
  cmd::WriteState state_;
  proj::ReadModels models_;
  SystemClock clock_;
  RandomIds ids_;
  cmd::ReplayStats replay_stats_;
  std::unique_ptr<cmd::Writer> writer_;
  bool read_only_ = false;
};

// "1234567" -> "1,234,567": figures people read in progress lines.
std::string with_commas(uint64_t n);

// What to tell an operator whose data directory (`dir`, absolute) could not
// be opened for `why`: a damaged log differs from a wrong or busy directory.
std::string open_hint(const std::string& dir, const Status& why);

}  // namespace almanac::app
