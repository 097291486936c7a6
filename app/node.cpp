#include "app/node.hpp"

#include <iomanip>
#include <ostream>
#include <sstream>

#include "commands/decide.hpp"

namespace almanac::app {

std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string ModelSummary::to_text() const {
  std::ostringstream o;
  o << "position " << position << "\nwrite_checksum " << write_checksum
    << "\nread_checksum " << read_checksum << "\n";
  for (const auto& [name, n] : counts) o << "count " << name << " " << n << "\n";
  return o.str();
}

std::optional<ModelSummary> ModelSummary::parse(const std::string& text) {
  ModelSummary s;
  std::istringstream in(text);
  std::string word;
  bool have_position = false;
  while (in >> word) {
    if (word == "position") {
      in >> s.position;
      have_position = true;
    } else if (word == "write_checksum") {
      in >> s.write_checksum;
    } else if (word == "read_checksum") {
      in >> s.read_checksum;
    } else if (word == "count") {
      std::string name;
      uint64_t n = 0;
      in >> name >> n;
      s.counts.emplace_back(name, n);
    } else {
      return std::nullopt;
    }
    if (!in) return std::nullopt;
  }
  if (!have_position) return std::nullopt;
  return s;
}

Result<std::unique_ptr<Node>> Node::open(const NodeOptions& options) {
  auto log = open_log(LogLocation{options.data_dir, options.log}, options.read_only, options.create_if_missing,
                      options.connections);
  if (!log) return log.status();

  std::unique_ptr<Node> node(new Node());
  node->log_ = std::move(log).value();
  node->read_only_ = options.read_only;

  cmd::ReplayOptions rp;
  rp.to = options.replay_to;
  if (options.progress) {
    std::ostream& out = *options.progress;
    rp.progress = [&out](uint64_t done, uint64_t total) {
      out << "replay: " << with_commas(done) << " / " << with_commas(total) << " events ("
          << std::fixed << std::setprecision(1) << (total ? 100.0 * done / total : 100.0)
          << "%)" << std::endl;
    };
  }
  Node* n = node.get();
  // The write state and the read models are independent folds of the log:
  // each is rebuilt on its own thread.
  auto stats = cmd::replay(
      node->store(), rp,
      {[n](std::span<const Envelope> batch) { n->models_.apply_batch(batch); },
       [n](std::span<const Envelope> batch) {
         for (const Envelope& e : batch) cmd::apply(n->state_, e);
       }});
  if (!stats) return stats.status();
  node->replay_stats_ = *stats;
  return node;
}

Node::~Node() { (void)stop(); }

cmd::Writer& Node::start_writer(cmd::BatchHook publish) {
  if (!writer_) {
    writer_ = std::make_unique<cmd::Writer>(store(), state_, clock_, ids_);
    writer_->on_apply([this](std::span<const Envelope> batch) { models_.apply_batch(batch); });
    if (publish) writer_->on_publish(std::move(publish));
    writer_->start();
  }
  return *writer_;
}

bool Node::stop_writer() {
  if (!writer_) return false;
  writer_->stop();
  const bool failed = writer_->failed();
  writer_.reset();
  return failed;
}

Status Node::catch_up(const cmd::BatchHook& publish) {
  const uint64_t from = models_.position() + 1;
  const uint64_t to = store().head();
  if (from > to) return Status::ok();
  // On the calling thread: a follower catches up a few events at a time, and
  // replay's decoder thread would cost more than it saves.
  constexpr size_t kBatch = 512;
  std::vector<Envelope> batch;
  batch.reserve(kBatch);
  uint64_t expected = from;
  Status problem;
  auto flush = [&] {
    for (const Envelope& e : batch) cmd::apply(state_, e);
    models_.apply_batch(batch);
    if (publish) publish(batch);
    batch.clear();
  };
  Status s = store().scan(from, to - from + 1, [&](uint64_t position, std::string_view bytes) {
    if (position != expected) {
      problem = data_loss("log gap: expected position " + std::to_string(expected) + ", found " +
                          std::to_string(position));
      return false;
    }
    ++expected;
    if (Status d = decode_into(bytes, batch.emplace_back()); !d) {
      batch.pop_back();
      problem = data_loss("position " + std::to_string(position) + ": " + d.message());
      return false;
    }
    if (batch.size() == kBatch) flush();
    return true;
  });
  if (!batch.empty()) flush();
  if (!s) return s;
  return problem;
}

Status Node::rebuild_write_state() {
  state_ = cmd::WriteState();
  cmd::ReplayOptions rp;
  rp.to = models_.position();
  if (rp.to == 0) return Status::ok();
  auto stats = cmd::replay(store(), rp, [this](std::span<const Envelope> batch) {
    for (const Envelope& e : batch) cmd::apply(state_, e);
  });
  return stats ? Status::ok() : stats.status();
}

Status Node::stop() {
  if (!writer_) return Status::ok();
  // After a storage failure the in-memory state is ahead of the log: a summary
  // of it would be a lie.
  if (stop_writer() || read_only_) return Status::ok();
  return save_summary();
}

ModelSummary Node::summary() const {
  ModelSummary s;
  s.position = models_.position();
  s.write_checksum = state_.checksum();
  s.read_checksum = models_.checksum();
  s.counts = models_.counts();
  return s;
}

Status Node::save_summary() { return store().put_meta(kSummaryKey, summary().to_text()); }

Result<std::optional<ModelSummary>> Node::saved_summary() const {
  auto text = log_->store().get_meta(kSummaryKey);
  if (!text) return text.status();
  if (!text->has_value()) return std::optional<ModelSummary>{};
  auto parsed = ModelSummary::parse(**text);
  if (!parsed) return data_loss("the saved model summary is unreadable");
  return std::optional<ModelSummary>(std::move(*parsed));
}

std::string open_hint(const std::string& dir, const Status& why) {
  if (why.code() == Code::kDataLoss)
    return "the log in " + dir +
           " is damaged and nothing is served from it; keep a copy of the directory as it is, "
           "then restore the data directory from a backup (almanac backup)";
  return "check that " + dir + " is an almanac data directory and that no running server holds it";
}

}  // namespace almanac::app
