// The libpq wrapper of the PostgreSQL event log: binary parameters and
// results, statements prepared once per connection, COPY, LISTEN waits, the
// pool, and the one translation of PostgreSQL errors (see pg_client.hpp).

#include "storage/pg_client.hpp"

#include <poll.h>

#include <cstring>
#include <utility>

namespace almanac::storage::pg {

void put_be16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_be64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t get_be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint32_t get_be32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint16_t get_be16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

// ---- parameters -------------------------------------------------------------

void ArrayParam::add_int8(int64_t v) {
  put_be32(elements_, 8);
  put_be64(elements_, static_cast<uint64_t>(v));
  ++count_;
}

void ArrayParam::add_int2(int16_t v) {
  put_be32(elements_, 2);
  put_be16(elements_, static_cast<uint16_t>(v));
  ++count_;
}

void ArrayParam::add_bytes(std::string_view v) {
  put_be32(elements_, static_cast<uint32_t>(v.size()));
  elements_.append(v);
  ++count_;
}

void ArrayParam::append(const ArrayParam& other) {
  elements_ += other.elements_;
  count_ += other.count_;
}

std::string ArrayParam::encode() const {
  // array_send: dimensions, a has-nulls flag, the element type, then for each
  // dimension its length and lower bound; an empty array has no dimension.
  std::string out;
  out.reserve(20 + elements_.size());
  put_be32(out, count_ == 0 ? 0 : 1);
  put_be32(out, 0);
  put_be32(out, element_type_);
  if (count_ != 0) {
    put_be32(out, count_);
    put_be32(out, 1);
  }
  out += elements_;
  return out;
}

Params& Params::raw(Oid type, std::string value) {
  types_.push_back(type);
  values_.push_back(std::move(value));
  return *this;
}

Params& Params::int8(int64_t v) {
  std::string b;
  put_be64(b, static_cast<uint64_t>(v));
  return raw(kInt8Oid, std::move(b));
}

Params& Params::int4(int32_t v) {
  std::string b;
  put_be32(b, static_cast<uint32_t>(v));
  return raw(kInt4Oid, std::move(b));
}

Params& Params::int2(int16_t v) {
  std::string b;
  put_be16(b, static_cast<uint16_t>(v));
  return raw(kInt2Oid, std::move(b));
}

Params& Params::bytea(std::string_view v) { return raw(kByteaOid, std::string(v)); }
Params& Params::text(std::string_view v) { return raw(kTextOid, std::string(v)); }
Params& Params::array(const ArrayParam& a, Oid array_type) { return raw(array_type, a.encode()); }

std::vector<const char*> Params::values() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v.data());
  return out;
}

std::vector<int> Params::lengths() const {
  std::vector<int> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(static_cast<int>(v.size()));
  return out;
}

// ---- results ----------------------------------------------------------------

int64_t Rows::int8(int row, int col) const {
  if (null(row, col) || PQgetlength(r_.get(), row, col) != 8) return 0;
  return static_cast<int64_t>(get_be64(PQgetvalue(r_.get(), row, col)));
}

int32_t Rows::int4(int row, int col) const {
  if (null(row, col) || PQgetlength(r_.get(), row, col) != 4) return 0;
  return static_cast<int32_t>(get_be32(PQgetvalue(r_.get(), row, col)));
}

int16_t Rows::int2(int row, int col) const {
  if (null(row, col) || PQgetlength(r_.get(), row, col) != 2) return 0;
  return static_cast<int16_t>(get_be16(PQgetvalue(r_.get(), row, col)));
}

bool Rows::boolean(int row, int col) const {
  if (null(row, col) || PQgetlength(r_.get(), row, col) != 1) return false;
  return PQgetvalue(r_.get(), row, col)[0] != 0;
}

std::string_view Rows::bytes(int row, int col) const {
  if (null(row, col)) return {};
  return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
}

std::string_view Rows::aligned_bytes(int row, int col, std::string& scratch) const {
  // Past the small-string buffer, a string's characters are on the heap, on
  // operator new's alignment.
  if (scratch.capacity() < 64) scratch.reserve(64);
  scratch.assign(bytes(row, col));
  return scratch;
}

uint64_t Rows::affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n && *n ? std::strtoull(n, nullptr, 10) : 0;
}

// ---- errors -----------------------------------------------------------------

Status from_pg(PGconn* conn, const PGresult* r, const std::string& what) {
  std::string message;
  if (r) {
    if (const char* m = PQresultErrorMessage(r); m && *m) message = m;
  }
  if (message.empty() && conn) message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  std::string m = what + ": " + (message.empty() ? "PostgreSQL reported no message" : message);

  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view code = state ? state : "";
  if (code.empty()) {
    // No SQLSTATE: the failure is the connection's (closed, unreachable).
    if (!conn || PQstatus(conn) == CONNECTION_BAD) return unavailable(std::move(m));
    return internal_error(std::move(m));
  }
  auto cls = code.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "57" || code == "40001" || code == "40P01" || code == "25006")
    return unavailable(std::move(m));
  if (code == "3D000") return not_found(std::move(m));
  if (cls == "23") return conflict(std::move(m));
  if (cls == "22") return invalid(std::move(m));
  return internal_error(std::move(m));
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// ---- connections ------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (!parsed) {
    std::string m = parse_error ? parse_error : "out of memory";
    PQfreemem(parse_error);
    while (!m.empty() && m.back() == '\n') m.pop_back();
    return invalid("the PostgreSQL connection string does not read: " + m);
  }
  PQconninfoFree(parsed);
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (!c) return unavailable("cannot allocate a PostgreSQL connection");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string m = PQerrorMessage(c);
    PQfinish(c);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return unavailable("cannot connect to PostgreSQL: " + m);
  }
  std::unique_ptr<Connection> conn(new Connection(c));
  // Notices (a table that already exists, ...) are not for standard error.
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  return conn;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::ok() const { return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE; }

std::string Connection::server_version() const {
  const int v = PQserverVersion(conn_);
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
}

Result<Rows> Connection::exec(const std::string& sql, const Params& params) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    std::string name = "almanac_" + std::to_string(statements_.size() + 1);
    ResultPtr prepared(PQprepare(conn_, name.c_str(), sql.c_str(), params.size(), params.types()));
    if (!prepared || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK)
      return from_pg(conn_, prepared.get(), "cannot prepare a statement");
    it = statements_.emplace(sql, std::move(name)).first;
  }
  const auto values = params.values();
  const auto lengths = params.lengths();
  const auto formats = params.formats();
  ResultPtr r(PQexecPrepared(conn_, it->second.c_str(), params.size(), values.data(), lengths.data(),
                             formats.data(), 1));
  if (!r) return from_pg(conn_, nullptr, "statement failed");
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return from_pg(conn_, r.get(), "statement failed");
  return Rows(std::move(r));
}

Status Connection::exec_script(const std::string& sql) {
  ResultPtr r(PQexec(conn_, sql.c_str()));
  if (!r) return from_pg(conn_, nullptr, "statement failed");
  const auto st = PQresultStatus(r.get());
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN) return Status::ok();
  return from_pg(conn_, r.get(), "statement failed");
}

Status Connection::put_copy(std::string_view data) {
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1)
    return from_pg(conn_, nullptr, "cannot send COPY data");
  return Status::ok();
}

Status Connection::end_copy() {
  if (PQputCopyEnd(conn_, nullptr) != 1) return from_pg(conn_, nullptr, "cannot end COPY");
  Status outcome = Status::ok();
  while (PGresult* raw = PQgetResult(conn_)) {
    ResultPtr r(raw);
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && outcome) outcome = from_pg(conn_, r.get(), "COPY failed");
  }
  return outcome;
}

Result<int> Connection::wait_notifications(std::chrono::milliseconds timeout) {
  int count = 0;
  auto drain = [&] {
    while (PGnotify* n = PQnotifies(conn_)) {
      ++count;
      PQfreemem(n);
    }
  };
  drain();  // delivered with an earlier result
  if (count > 0) return count;
  pollfd p{PQsocket(conn_), POLLIN, 0};
  if (p.fd < 0) return unavailable("the PostgreSQL connection is closed");
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready < 0) return count;  // interrupted: a spurious wake-up, the caller polls anyway
  if (ready > 0) {
    if (PQconsumeInput(conn_) != 1) return from_pg(conn_, nullptr, "the PostgreSQL connection broke");
    drain();
  }
  if (PQstatus(conn_) != CONNECTION_OK) return unavailable("the PostgreSQL connection broke");
  return count;
}

// ---- the pool ---------------------------------------------------------------

Pool::Pool(std::string conninfo, size_t max_connections)
    : conninfo_(std::move(conninfo)), max_(max_connections < 1 ? 1 : max_connections) {}

Pool::~Pool() = default;

Pool::Lease::~Lease() {
  if (pool_ && c_) pool_->give_back(std::move(c_));
}

Result<Pool::Lease> Pool::acquire() {
  {
    std::unique_lock lock(mu_);
    freed_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
    if (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
    ++open_;  // the slot is ours while we connect
  }
  auto c = Connection::open(conninfo_);
  if (!c) {
    std::lock_guard lock(mu_);
    --open_;
    freed_.notify_one();
    return c.status();
  }
  return Lease(this, std::move(c).value());
}

void Pool::give_back(std::unique_ptr<Connection> c) {
  const bool keep = c->ok();
  if (!keep) c.reset();  // closed outside the lock
  std::lock_guard lock(mu_);
  if (keep)
    idle_.push_back(std::move(c));
  else
    --open_;
  freed_.notify_one();
}

}  // namespace almanac::storage::pg
