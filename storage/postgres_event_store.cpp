// PostgresEventStore, opening, reading and the writer's role: open() with the
// tables and the format check, the reads (head, stream_version, scan,
// read_stream, find_idempotent, get_meta) bounded by the head this store
// knows, put_meta, the listener of commit notifications, and try_lead /
// renew_lease / resign. The append path is in postgres_append.cpp; the tail
// check, verify() and the bulk loader in postgres_verify.cpp.

#include "storage/postgres_event_store.hpp"

#include <algorithm>
#include <climits>
#include <string>
#include <utility>

#include "storage/keys.hpp"
#include "storage/pg_client.hpp"
#include "storage/postgres_sql.hpp"
#include "storage/transaction_check.hpp"

namespace almanac::storage {

namespace {

// Rows read per statement of a scan.
constexpr uint64_t kScanPage = 4096;

// The advisory lock of a log: this tag in the high half, the control
// table's oid in the low half, so that logs in other schemas of the same
// database have locks of their own.
constexpr uint64_t kLockTag = 0x616C6D63;  // "almc"

}  // namespace

bool is_postgres_log(const std::string& log) {
  return log.rfind("postgresql://", 0) == 0 || log.rfind("postgres://", 0) == 0 ||
         log.find('=') != std::string::npos;
}

std::string describe_conninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (!options) {
    PQfreemem(error);
    return conninfo;
  }
  std::string db, host, port, user;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    const std::string_view k = o->keyword;
    if (k == "dbname") db = o->val;
    else if (k == "host" || (k == "hostaddr" && host.empty())) host = o->val;
    else if (k == "port") port = o->val;
    else if (k == "user") user = o->val;
  }
  PQconninfoFree(options);
  std::string out = "PostgreSQL database " + (db.empty() ? std::string("(default)") : db);
  if (!host.empty()) out += " on " + host + (port.empty() ? "" : ":" + port);
  if (!user.empty()) out += " as " + user;
  return out;
}

PostgresEventStore::PostgresEventStore(const PostgresOptions& options)
    : options_(options), pool_(std::make_unique<pg::Pool>(options.conninfo, options.connections)) {}

PostgresEventStore::~PostgresEventStore() { resign(); }

const std::string& PostgresEventStore::conninfo() const { return options_.conninfo; }

std::string PostgresEventStore::engine_description() const { return "PostgreSQL " + server_version_; }

Result<std::unique_ptr<PostgresEventStore>> PostgresEventStore::open(const PostgresOptions& options) {
  std::unique_ptr<PostgresEventStore> store(new PostgresEventStore(options));
  {
    auto c = store->pool_->acquire();
    if (!c) return c.status();
    if (PQserverVersion((*c)->raw()) < 140000)
      return failed_precondition("the log needs PostgreSQL 14 or later (for idle_session_timeout); the server is " +
                                 (*c)->server_version());
    store->server_version_ = (*c)->server_version();
  }
  if (!options.read_only && options.create_if_missing) {
    if (Status s = store->create_tables(); !s) return s;
  }
  if (Status s = store->load_identity(); !s) return s;
  if (Status s = store->check_tail(); !s) return s;
  return store;
}

Status PostgresEventStore::create_tables() {
  auto c = pool_->acquire();
  if (!c) return c.status();
  // One creator at a time: two nodes starting on an empty database would
  // otherwise race on the catalog.
  Status s = (*c)->exec_script(sql::kCreateTables);
  if (!s) {
    (void)(*c)->exec_script("ROLLBACK");
    return Status(s.code(), "cannot create the log's tables: " + s.message());
  }
  return Status::ok();
}

Status PostgresEventStore::load_identity() {
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto oid_rows = (*c)->exec(sql::kTableOid);
  if (!oid_rows) return oid_rows.status();
  if (oid_rows->size() != 1 || oid_rows->null(0, 0))
    return not_found("no almanac log in this database (almanac serve --log creates one; almanac copy fills one)");
  const uint64_t oid = static_cast<uint64_t>(oid_rows->int8(0, 0));
  lock_key_ = (kLockTag << 32) | (oid & 0xffffffffu);
  channel_ = "almanac_log_" + std::to_string(oid);
  auto format = (*c)->exec(sql::kFormatOf);
  if (!format) return format.status();
  if (format->size() != 1) return data_loss("the log's control row is missing");
  if (format->int4(0, 0) != sql::kFormat)
    return failed_precondition("the log in this database has format " + std::to_string(format->int4(0, 0)) +
                               ", this build reads format " + std::to_string(sql::kFormat));
  return Status::ok();
}

uint64_t PostgresEventStore::head() const { return head_.load(std::memory_order_acquire); }

Result<uint64_t> PostgresEventStore::refresh_head() {
  uint64_t head = 0;
  {
    auto c = pool_->acquire();
    if (!c) return c.status();
    auto rows = (*c)->exec(sql::kControlHead);
    if (!rows) return rows.status();
    if (rows->size() != 1) return data_loss("the log's control row is missing");
    head = static_cast<uint64_t>(rows->int8(0, 0));
  }
  uint64_t seen = head_.load(std::memory_order_acquire);
  while (head > seen && !head_.compare_exchange_weak(seen, head, std::memory_order_acq_rel)) {
  }
  return head_.load(std::memory_order_acquire);
}

Result<WriterRecord> PostgresEventStore::writer() const {
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto rows = (*c)->exec(sql::kControl, pg::Params()
                                           .int8(static_cast<int64_t>(lock_key_ >> 32))
                                           .int8(static_cast<int64_t>(lock_key_ & 0xffffffffu)));
  if (!rows) return rows.status();
  if (rows->size() != 1) return data_loss("the log's control row is missing");
  WriterRecord w;
  w.epoch = static_cast<uint64_t>(rows->int8(0, 0));
  w.head = static_cast<uint64_t>(rows->int8(0, 1));
  w.node = std::string(rows->bytes(0, 2));
  w.address = std::string(rows->bytes(0, 3));
  w.since_us = rows->int8(0, 4);
  w.held = rows->boolean(0, 5);
  return w;
}

Result<uint64_t> PostgresEventStore::load_version(StreamId stream, uint64_t bound) const {
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto rows = (*c)->exec(sql::kStreamVersion, pg::Params()
                                                  .int2(static_cast<int16_t>(stream.category))
                                                  .int8(stream.id)
                                                  .int8(static_cast<int64_t>(bound)));
  if (!rows) return rows.status();
  return static_cast<uint64_t>(rows->int8(0, 0));
}

uint64_t PostgresEventStore::stream_version(StreamId stream) const {
  auto v = load_version(stream, head_.load(std::memory_order_acquire));
  return v ? *v : 0;
}

Result<std::vector<Envelope>> PostgresEventStore::read_positions(const std::vector<uint64_t>& positions) const {
  std::vector<Envelope> out;
  if (positions.empty()) return out;
  pg::ArrayParam wanted(pg::kInt8Oid);
  for (uint64_t p : positions) wanted.add_int8(static_cast<int64_t>(p));
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto rows = (*c)->exec(sql::kReadPositions, pg::Params().array(wanted, pg::kInt8ArrayOid));
  if (!rows) return rows.status();
  out.reserve(positions.size());
  std::string scratch;
  int row = 0;
  for (uint64_t p : positions) {
    const std::string pos_text = "log position " + std::to_string(p);
    if (row >= rows->size() || static_cast<uint64_t>(rows->int8(row, 0)) != p)
      return data_loss(pos_text + " is missing");
    auto e = decode(rows->aligned_bytes(row, 1, scratch));
    if (!e) return data_loss(pos_text + ": " + e.status().message());
    out.push_back(std::move(e).value());
    ++row;
  }
  return out;
}

Status PostgresEventStore::scan(uint64_t from, uint64_t limit, const ScanFn& fn) const {
  const uint64_t head = head_.load(std::memory_order_acquire);
  if (from == 0) from = 1;
  uint64_t next = from, count = 0;
  while (next <= head) {
    uint64_t want = std::min(kScanPage, head - next + 1);
    if (limit != 0) want = std::min(want, limit - count);
    // The page is read, and the connection given back, before `fn` sees it:
    // `fn` may itself read the store.
    std::optional<pg::Rows> rows;
    {
      auto c = pool_->acquire();
      if (!c) return c.status();
      auto r = (*c)->exec(sql::kScan, pg::Params()
                                          .int8(static_cast<int64_t>(next))
                                          .int8(static_cast<int64_t>(head))
                                          .int8(static_cast<int64_t>(want)));
      if (!r) return Status(r.status().code(), "cannot scan the log: " + r.status().message());
      rows.emplace(std::move(r).value());
    }
    if (rows->size() == 0)
      return data_loss("log position " + std::to_string(next) + " is missing (log ends early)");
    std::string scratch;
    for (int i = 0; i < rows->size(); ++i) {
      const uint64_t position = static_cast<uint64_t>(rows->int8(i, 0));
      if (position != next)
        return data_loss("log position " + std::to_string(next) + " is missing (next is " +
                         std::to_string(position) + ")");
      ++next;
      if (!fn(position, rows->aligned_bytes(i, 1, scratch))) return Status::ok();
      if (limit != 0 && ++count == limit) return Status::ok();
    }
  }
  return Status::ok();
}

Result<std::vector<Envelope>> PostgresEventStore::read_stream(StreamId stream, uint64_t from_version,
                                                              uint64_t limit) const {
  if (from_version == 0) from_version = 1;
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto rows = (*c)->exec(sql::kReadStream, pg::Params()
                                               .int2(static_cast<int16_t>(stream.category))
                                               .int8(stream.id)
                                               .int8(static_cast<int64_t>(from_version))
                                               .int8(static_cast<int64_t>(head_.load(std::memory_order_acquire)))
                                               .int8(limit == 0 ? INT64_MAX : static_cast<int64_t>(limit)));
  if (!rows) return Status(rows.status().code(), "cannot read stream " + stream_text(stream) + ": " +
                                                     rows.status().message());
  std::vector<Envelope> out;
  out.reserve(rows->size());
  std::string scratch;
  for (int i = 0; i < rows->size(); ++i) {
    auto e = decode(rows->aligned_bytes(i, 1, scratch));
    if (!e) return data_loss("log position " + std::to_string(rows->int8(i, 0)) + ": " + e.status().message());
    out.push_back(std::move(e).value());
  }
  return out;
}

Result<std::optional<std::vector<uint64_t>>> PostgresEventStore::find_idempotent(int64_t actor_id,
                                                                                 std::string_view key) const {
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto rows = (*c)->exec(sql::kFindIdempotent, pg::Params().int8(actor_id).bytea(key));
  if (!rows) return rows.status();
  if (rows->size() == 0) return std::optional<std::vector<uint64_t>>();
  const std::string_view v = rows->bytes(0, 0);
  if (v.empty() || v.size() % 8 != 0)
    return data_loss("idempotency record of actor " + std::to_string(actor_id) + " is damaged");
  std::vector<uint64_t> positions;
  positions.reserve(v.size() / 8);
  for (size_t i = 0; i < v.size(); i += 8) positions.push_back(keys::get_u64(v.data() + i));
  return std::optional<std::vector<uint64_t>>(std::move(positions));
}

Status PostgresEventStore::put_meta(std::string_view key, std::string_view value) {
  if (options_.read_only) return failed_precondition("event store is open read-only");
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto rows = (*c)->exec(sql::kPutMeta, pg::Params().bytea(key).bytea(value));
  if (!rows) return Status(rows.status().code(), "cannot write meta value " + std::string(key) + ": " +
                                                     rows.status().message());
  return Status::ok();
}

Result<std::optional<std::string>> PostgresEventStore::get_meta(std::string_view key) const {
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto rows = (*c)->exec(sql::kGetMeta, pg::Params().bytea(key));
  if (!rows) return rows.status();
  if (rows->size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(std::string(rows->bytes(0, 0)));
}

Result<MetaValues> PostgresEventStore::meta_values() const {
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto rows = (*c)->exec(sql::kAllMeta);
  if (!rows) return rows.status();
  MetaValues out;
  for (int i = 0; i < rows->size(); ++i) out.emplace_back(rows->bytes(i, 0), rows->bytes(i, 1));
  return out;
}

Result<std::string> PostgresEventStore::meta_or_insert(std::string_view key, std::string_view candidate) {
  if (options_.read_only) return failed_precondition("event store is open read-only");
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto inserted = (*c)->exec(sql::kInsertMetaIfAbsent, pg::Params().bytea(key).bytea(candidate));
  if (!inserted) return inserted.status();
  auto rows = (*c)->exec(sql::kGetMeta, pg::Params().bytea(key));
  if (!rows) return rows.status();
  if (rows->size() != 1) return internal_error("meta value " + std::string(key) + " vanished");
  return std::string(rows->bytes(0, 0));
}

// ---- listening ---------------------------------------------------------------

namespace {

class PgListener final : public PostgresEventStore::Listener {
 public:
  explicit PgListener(std::unique_ptr<pg::Connection> c) : c_(std::move(c)) {}
  Result<bool> wait(std::chrono::milliseconds timeout) override {
    auto n = c_->wait_notifications(timeout);
    if (!n) return n.status();
    return *n > 0;
  }

 private:
  std::unique_ptr<pg::Connection> c_;
};

}  // namespace

Result<std::unique_ptr<PostgresEventStore::Listener>> PostgresEventStore::listen() const {
  auto c = pg::Connection::open(options_.conninfo);
  if (!c) return c.status();
  if (Status s = (*c)->exec_script("LISTEN " + pg::quote_identifier(channel_)); !s) return s;
  return std::unique_ptr<Listener>(std::make_unique<PgListener>(std::move(c).value()));
}

// ---- the writer's role ---------------------------------------------------------

Status PostgresEventStore::load_stream_bounds() {
  last_id_at_term_.fill(INT64_MIN);
  auto c = pool_->acquire();
  if (!c) return c.status();
  auto rows = (*c)->exec(sql::kStreamBounds);
  if (!rows) return rows.status();
  for (int i = 0; i < rows->size(); ++i) {
    const int16_t category = rows->int2(i, 0);
    if (category < 0 || category > 255) return data_loss("the log holds a stream of category " + std::to_string(category));
    last_id_at_term_[static_cast<size_t>(category)] = rows->int8(i, 1);
  }
  return Status::ok();
}

Result<std::optional<uint64_t>> PostgresEventStore::try_lead(const WriterClaim& claim) {
  if (options_.read_only) return failed_precondition("event store is open read-only");
  std::lock_guard lock(writer_mu_);
  if (leading_.load(std::memory_order_acquire)) return std::optional<uint64_t>(epoch_.load());
  if (!writer_conn_ || !writer_conn_->ok()) {
    writer_conn_.reset();
    auto c = pg::Connection::open(options_.conninfo);
    if (!c) return c.status();
    writer_conn_ = std::move(c).value();
  }
  auto locked = writer_conn_->exec(sql::kTryLock, pg::Params().int8(static_cast<int64_t>(lock_key_)));
  if (!locked) {
    writer_conn_.reset();
    return locked.status();
  }
  if (!locked->boolean(0, 0)) return std::optional<uint64_t>();

  // From here on the lock is ours; any failure gives it back with the session.
  auto fail = [&](Status s) -> Result<std::optional<uint64_t>> {
    writer_conn_.reset();
    return s;
  };
  if (Status s = writer_conn_->exec_script("SET idle_session_timeout = " +
                                           std::to_string(std::max<int64_t>(1, claim.lease.count())));
      !s)
    return fail(s);
  auto claimed = writer_conn_->exec(sql::kClaim, pg::Params().text(claim.node).text(claim.address));
  if (!claimed) return fail(claimed.status());
  if (claimed->size() != 1) return fail(data_loss("the log's control row is missing"));
  const uint64_t epoch = static_cast<uint64_t>(claimed->int8(0, 0));
  const uint64_t head = static_cast<uint64_t>(claimed->int8(0, 1));
  // The previous writer's last commit, if one was in flight, is in by now
  // (the claim waited for its row lock): the head is final for this term.
  auto last = writer_conn_->exec(sql::kLastPosition);
  if (!last) return fail(last.status());
  const uint64_t max_position = static_cast<uint64_t>(last->int8(0, 0));
  if (max_position != head)
    return fail(data_loss("the log ends at position " + std::to_string(max_position) +
                          " but its control row says " + std::to_string(head)));

  // A new term: nothing cached of the last one is trusted.
  {
    std::unique_lock versions_lock(versions_mu_);
    versions_.clear();
  }
  if (Status s = load_stream_bounds(); !s) return fail(s);
  pending_versions_.clear();
  pending_keys_.clear();
  prepared_seq_ = 0;
  committed_seq_.store(0, std::memory_order_release);
  prepared_head_ = head;
  uint64_t seen = head_.load(std::memory_order_acquire);
  while (head > seen && !head_.compare_exchange_weak(seen, head, std::memory_order_acq_rel)) {
  }
  epoch_.store(epoch, std::memory_order_release);
  broken_.store(false, std::memory_order_release);
  leading_.store(true, std::memory_order_release);
  return std::optional<uint64_t>(epoch);
}

Status PostgresEventStore::renew_lease() {
  std::lock_guard lock(writer_mu_);
  if (!leading_.load(std::memory_order_acquire) || !writer_conn_)
    return unavailable("this node is not the writer of the log");
  auto r = writer_conn_->exec(sql::kRenew);
  if (!r) {
    end_term_locked();
    return unavailable("the writer's session ended (" + r.status().message() + "): the lease is lost");
  }
  return Status::ok();
}

void PostgresEventStore::end_term_locked() {
  leading_.store(false, std::memory_order_release);
  broken_.store(true, std::memory_order_release);
  writer_conn_.reset();
}

void PostgresEventStore::resign() {
  std::lock_guard lock(writer_mu_);
  // Released before the session closes: once resign() returns, the lock is
  // free for the next writer and nobody sees it held (a closed session's
  // locks go only when its server process has ended).
  if (leading_.load(std::memory_order_acquire) && writer_conn_ && writer_conn_->ok())
    (void)writer_conn_->exec(sql::kUnlock, pg::Params().int8(static_cast<int64_t>(lock_key_)));
  end_term_locked();
}

void PostgresEventStore::set_observer(AppendObserver observer) { observer_ = std::move(observer); }

}  // namespace almanac::storage
