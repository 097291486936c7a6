// PostgresEventStore, the checks of what is stored and the bulk loader:
// check_tail(), which open() runs so that a log whose control row and last
// entry disagree is refused as DataLoss; verify(), the full check against
// one REPEATABLE READ snapshot; and import(), the loader copy_log() fills in
// one transaction with COPY. docs/storage-format.md §6 lists what each checks.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/keys.hpp"
#include "storage/pg_client.hpp"
#include "storage/postgres_event_store.hpp"
#include "storage/postgres_sql.hpp"
#include "storage/transaction_check.hpp"

namespace almanac::storage {

namespace {

constexpr int64_t kVerifyPage = 8192;

// Ends a read-only transaction whatever happens to the check.
struct Rollback {
  pg::Connection& c;
  ~Rollback() { (void)c.exec_script("ROLLBACK"); }
};

}  // namespace

Status PostgresEventStore::check_tail() {
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto control = (*c)->exec(sql::kControlHead);
  if (!control) return control.status();
  if (control->size() != 1) return data_loss("the log's control row is missing");
  const uint64_t head = static_cast<uint64_t>(control->int8(0, 0));
  auto last = (*c)->exec(sql::kLastEntry);
  if (!last) return last.status();
  if (last->size() == 0) {
    if (head != 0)
      return data_loss("the log is empty but its last commit ended at position " + std::to_string(head) +
                       " (entries missing at the tail)");
    head_.store(0, std::memory_order_release);
    return Status::ok();
  }
  const uint64_t position = static_cast<uint64_t>(last->int8(0, 0));
  if (position != head)
    return data_loss("the log ends at position " + std::to_string(position) + " but its last commit ended at " +
                     std::to_string(head));
  std::string scratch;
  const std::string_view bytes = last->aligned_bytes(0, 1, scratch);
  if (Status v = verify_bytes(bytes); !v)
    return data_loss("log position " + std::to_string(position) + " does not verify: " + v.message());
  if (ev::GetEventEnvelope(bytes.data())->position() != position)
    return data_loss("log position " + std::to_string(position) + " holds an envelope for position " +
                     std::to_string(ev::GetEventEnvelope(bytes.data())->position()));
  head_.store(head, std::memory_order_release);
  return Status::ok();
}

Status PostgresEventStore::verify(const VerifyProgress& progress) const {
  auto lease = pool_->acquire();
  if (!lease) return lease.status();
  pg::Connection& c = **lease;
  if (Status s = c.exec_script(sql::kVerifyBegin); !s) return s;
  Rollback end{c};

  auto control = c.exec(sql::kControlHead);
  if (!control) return control.status();
  if (control->size() != 1) return data_loss("the log's control row is missing");
  const uint64_t head = static_cast<uint64_t>(control->int8(0, 0));
  const uint64_t total = head + 1;
  if (progress) progress(0, total);

  std::unordered_map<StreamId, uint64_t, StreamIdHash> versions;
  // (actor, key) -> the positions of its events, from the log.
  std::map<std::pair<int64_t, std::string>, std::vector<uint64_t>> keyed;
  uint64_t expected = 1;
  std::string scratch;
  for (;;) {
    auto rows = c.exec(sql::kVerifyScan, pg::Params().int8(static_cast<int64_t>(expected)).int8(kVerifyPage));
    if (!rows) return rows.status();
    if (rows->size() == 0) break;
    for (int i = 0; i < rows->size(); ++i) {
      const uint64_t p = static_cast<uint64_t>(rows->int8(i, 0));
      const std::string where = "log position " + std::to_string(p);
      if (p != expected)
        return data_loss("log position " + std::to_string(expected) + " is missing (next is " + std::to_string(p) + ")");
      const std::string_view bytes = rows->aligned_bytes(i, 4, scratch);
      if (Status v = verify_bytes(bytes); !v) return data_loss(where + ": " + v.message());
      const auto* env = ev::GetEventEnvelope(bytes.data());
      if (env->position() != p)
        return data_loss(where + " holds an envelope for position " + std::to_string(env->position()));
      const StreamId stream{env->category(), env->stream_id()};
      if (rows->int2(i, 1) != static_cast<int16_t>(stream.category) || rows->int8(i, 2) != stream.id ||
          static_cast<uint64_t>(rows->int8(i, 3)) != env->version())
        return data_loss(where + " is indexed as stream " +
                         stream_text(StreamId{static_cast<Category>(rows->int2(i, 1)), rows->int8(i, 2)}) +
                         " version " + std::to_string(rows->int8(i, 3)) + " but holds " + stream_text(stream) +
                         " version " + std::to_string(env->version()));
      uint64_t& version = versions[stream];
      if (env->version() != version + 1)
        return data_loss(where + ": stream " + stream_text(stream) + " jumps from version " +
                         std::to_string(version) + " to " + std::to_string(env->version()));
      version = env->version();
      if (env->idempotency_key() && env->idempotency_key()->size() > 0)
        keyed[{env->actor_id(), env->idempotency_key()->str()}].push_back(p);
      ++expected;
      if (progress && p % 65536 == 0) progress(p, total);
    }
  }
  const uint64_t last = expected - 1;
  if (last != head)
    return data_loss("the last commit ended at position " + std::to_string(head) + " but the log ends at " +
                     std::to_string(last));

  auto records = c.exec(sql::kVerifyIdempotency);
  if (!records) return records.status();
  for (int i = 0; i < records->size(); ++i) {
    const int64_t actor = records->int8(i, 0);
    const std::string key(records->bytes(i, 1));
    const std::string_view v = records->bytes(i, 2);
    const std::string what = "idempotency record of actor " + std::to_string(actor);
    if (v.empty() || v.size() % 8 != 0) return data_loss(what + " is damaged");
    std::vector<uint64_t> positions;
    for (size_t k = 0; k < v.size(); k += 8) positions.push_back(keys::get_u64(v.data() + k));
    auto it = keyed.find({actor, key});
    if (it == keyed.end() || it->second != positions)
      return data_loss(what + " points to position " + std::to_string(positions.front()) +
                       ", not to the events of that actor and key");
    keyed.erase(it);
  }
  if (!keyed.empty())
    return data_loss("log position " + std::to_string(keyed.begin()->second.front()) + " (actor " +
                     std::to_string(keyed.begin()->first.first) +
                     ") carries an idempotency key that has no idempotency record");
  if (progress) progress(total, total);
  return Status::ok();
}

// ---- the bulk loader -------------------------------------------------------------

namespace {

// COPY ... (FORMAT binary): the signature, flags and header extension length.
std::string copy_header() {
  std::string h("PGCOPY\n\377\r\n\0", 11);
  pg::put_be32(h, 0);
  pg::put_be32(h, 0);
  return h;
}

void copy_field(std::string& out, std::string_view bytes) {
  pg::put_be32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

void copy_int8(std::string& out, int64_t v) {
  pg::put_be32(out, 8);
  pg::put_be64(out, static_cast<uint64_t>(v));
}

class PgImport final : public LogImport {
 public:
  PgImport(std::unique_ptr<pg::Connection> c, std::function<void(uint64_t)> published)
      : c_(std::move(c)), published_(std::move(published)) {}

  // Unfinished, the transaction ends with the connection, which PostgreSQL
  // rolls back: nothing of the copy is left.
  ~PgImport() override = default;

  Status start() {
    if (Status s = c_->exec_script(sql::kImportBegin); !s) return s;
    auto head = c_->exec(sql::kImportLock);
    if (!head) return head.status();
    if (head->size() != 1) return data_loss("the log's control row is missing");
    auto any = c_->exec(sql::kImportAnyEvent);
    if (!any) return any.status();
    if (head->int8(0, 0) != 0 || any->boolean(0, 0))
      return failed_precondition("the target log already holds events; copy into an empty one");
    if (Status s = c_->exec_script(sql::kImportCopyLog); !s) return s;
    buffer_ = copy_header();
    return Status::ok();
  }

  Status add(uint64_t position, const ev::EventEnvelope& env, std::string_view bytes) override {
    pg::put_be16(buffer_, 5);
    copy_int8(buffer_, static_cast<int64_t>(position));
    pg::put_be32(buffer_, 2);
    pg::put_be16(buffer_, static_cast<uint16_t>(env.category()));
    copy_int8(buffer_, env.stream_id());
    copy_int8(buffer_, static_cast<int64_t>(env.version()));
    copy_field(buffer_, bytes);
    if (env.idempotency_key() && env.idempotency_key()->size() > 0)
      keyed_[{env.actor_id(), env.idempotency_key()->str()}].push_back(position);
    last_ = position;
    if (buffer_.size() >= (1u << 20)) return flush();
    return Status::ok();
  }

  Status add_meta(std::string_view name, std::string_view value) override {
    meta_.emplace_back(name, value);
    return Status::ok();
  }

  Status finish() override {
    pg::put_be16(buffer_, 0xffff);  // the end of the tuples
    if (Status s = flush(); !s) return s;
    if (Status s = c_->end_copy(); !s) return s;
    if (!keyed_.empty()) {
      if (Status s = c_->exec_script(sql::kImportCopyKeys); !s) return s;
      buffer_ = copy_header();
      for (const auto& [k, positions] : keyed_) {
        pg::put_be16(buffer_, 3);
        copy_int8(buffer_, k.first);
        copy_field(buffer_, k.second);
        copy_field(buffer_, keys::encode_positions(positions.data(), positions.size()));
        if (buffer_.size() >= (1u << 20))
          if (Status s = flush(); !s) return s;
      }
      pg::put_be16(buffer_, 0xffff);
      if (Status s = flush(); !s) return s;
      if (Status s = c_->end_copy(); !s) return s;
    }
    for (const auto& [name, value] : meta_) {
      auto r = c_->exec(sql::kPutMeta, pg::Params().bytea(name).bytea(value));
      if (!r) return r.status();
    }
    auto head = c_->exec(sql::kImportHead, pg::Params().int8(static_cast<int64_t>(last_)));
    if (!head) return head.status();
    if (Status s = c_->exec_script("COMMIT"); !s) return s;
    finished_ = true;
    published_(last_);
    return Status::ok();
  }

 private:
  Status flush() {
    Status s = c_->put_copy(buffer_);
    buffer_.clear();
    return s;
  }

  std::unique_ptr<pg::Connection> c_;
  std::function<void(uint64_t)> published_;
  std::string buffer_;
  std::map<std::pair<int64_t, std::string>, std::vector<uint64_t>> keyed_;
  MetaValues meta_;
  uint64_t last_ = 0;
  bool finished_ = false;
};

}  // namespace

Result<std::unique_ptr<LogImport>> PostgresEventStore::import() {
  if (options_.read_only) return failed_precondition("event store is open read-only");
  auto c = pg::Connection::open(options_.conninfo);
  if (!c) return c.status();
  auto loader = std::make_unique<PgImport>(std::move(c).value(), [this](uint64_t head) {
    head_.store(head, std::memory_order_release);
  });
  if (Status s = loader->start(); !s) return s;
  return std::unique_ptr<LogImport>(std::move(loader));
}

}  // namespace almanac::storage
