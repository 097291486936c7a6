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
  storage::RocksOptions ro;
  ro.read_only = options.read_only;
  ro.create_if_missing = options.create_if_missing && !options.read_only;
  auto store = storage::RocksEventStore::open(options.data_dir, ro);
  if (!store) return store.status();

  std::unique_ptr<Node> node(new Node());
  node->store_ = std::move(store).value();
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
      *node->store_, rp,
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
    writer_ = std::make_unique<cmd::Writer>(*store_, state_, clock_, ids_);
    writer_->on_apply([this](std::span<const Envelope> batch) { models_.apply_batch(batch); });
    if (publish) writer_->on_publish(std::move(publish));
    writer_->start();
  }
  return *writer_;
}

Status Node::stop() {
  if (!writer_) return Status::ok();
  writer_->stop();
  bool failed = writer_->failed();
  writer_.reset();
  // After a storage failure the in-memory state is ahead of the log: a summary
  // of it would be a lie.
  if (failed || read_only_) return Status::ok();
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

Status Node::save_summary() { return store_->put_meta(kSummaryKey, summary().to_text()); }

Result<std::optional<ModelSummary>> Node::saved_summary() const {
  auto text = store_->get_meta(kSummaryKey);
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
