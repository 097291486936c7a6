// The PostgreSQL client the PostgreSQL event log is built on: a small RAII
// wrapper over libpq (Debian's libpq-dev; no protocol code of our own) with
// the one translation of PostgreSQL errors into our Status, parameters and
// results in binary format, a statement cache per connection, and a bounded
// pool of connections. Internal to storage/: only the files of the
// PostgreSQL store include it, so libpq stays out of every other header.
//
// Thread safety: a Connection is used by one thread at a time (the pool hands
// each out to one holder); Pool is thread-safe.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/status.hpp"

namespace almanac::storage::pg {

// PostgreSQL type oids of the parameters we send (pg_type.dat).
inline constexpr Oid kBoolOid = 16;
inline constexpr Oid kByteaOid = 17;
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kInt2Oid = 21;
inline constexpr Oid kInt4Oid = 23;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kInt8ArrayOid = 1016;
inline constexpr Oid kInt2ArrayOid = 1005;
inline constexpr Oid kByteaArrayOid = 1001;

// Big-endian helpers of the binary formats.
void put_be16(std::string& out, uint16_t v);
void put_be32(std::string& out, uint32_t v);
void put_be64(std::string& out, uint64_t v);
uint64_t get_be64(const char* p);
uint32_t get_be32(const char* p);
uint16_t get_be16(const char* p);

// A one-dimensional array parameter in PostgreSQL's binary array format
// (array_send): built element by element, then passed as one parameter.
class ArrayParam {
 public:
  explicit ArrayParam(Oid element_type) : element_type_(element_type) {}
  void add_int8(int64_t v);
  void add_int2(int16_t v);
  void add_bytes(std::string_view v);
  size_t size() const { return count_; }
  // The encoded array (an empty array when nothing was added).
  std::string encode() const;
  // Appends `other`'s elements (same element type).
  void append(const ArrayParam& other);

 private:
  Oid element_type_;
  uint32_t count_ = 0;
  std::string elements_;  // each: 4-byte length, then the bytes
};

// The parameters of one statement, all sent in binary format.
class Params {
 public:
  Params& int8(int64_t v);
  Params& int4(int32_t v);
  Params& int2(int16_t v);
  Params& bytea(std::string_view v);
  Params& text(std::string_view v);
  Params& array(const ArrayParam& a, Oid array_type);
  Params& raw(Oid type, std::string value);

  int size() const { return static_cast<int>(values_.size()); }
  const Oid* types() const { return types_.data(); }
  // Pointers into this object: valid while it is alive and unchanged.
  std::vector<const char*> values() const;
  std::vector<int> lengths() const;
  std::vector<int> formats() const { return std::vector<int>(values_.size(), 1); }

 private:
  std::vector<Oid> types_;
  std::vector<std::string> values_;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// The rows of a statement, in binary format. Readers assume the column types
// the statement selects; a NULL reads as 0 / empty (test with null()).
class Rows {
 public:
  explicit Rows(ResultPtr r) : r_(std::move(r)) {}
  int size() const { return PQntuples(r_.get()); }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  int64_t int8(int row, int col) const;
  int32_t int4(int row, int col) const;
  int16_t int2(int row, int col) const;
  bool boolean(int row, int col) const;
  std::string_view bytes(int row, int col) const;  // bytea and text
  // The same bytes copied into `scratch`, whose heap buffer is aligned as
  // FlatBuffers reads scalars (libpq's binary values are not).
  std::string_view aligned_bytes(int row, int col, std::string& scratch) const;
  // Rows changed by an INSERT / UPDATE / DELETE.
  uint64_t affected() const;

 private:
  ResultPtr r_;
};

// The one translation of a libpq failure into our Status: connection
// failures, shutdowns, lack of resources, serialization failures and a read-
// only server (a standby) are Unavailable (retry, maybe elsewhere); a missing
// database is NotFound; bad input is InvalidArgument; a constraint violation
// is Conflict; anything else Internal. `what` says what was being done.
Status from_pg(PGconn* conn, const PGresult* r, const std::string& what);

// The PostgreSQL-style quoting of an identifier ("name").
std::string quote_identifier(std::string_view name);

class Connection {
 public:
  // Connects with a libpq conninfo string or URI. Unavailable when the server
  // cannot be reached; InvalidArgument for a malformed conninfo.
  static Result<std::unique_ptr<Connection>> open(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with binary parameters and binary results. The
  // statement is prepared on this connection the first time it is run and
  // reused after (`sql` is its own key).
  Result<Rows> exec(const std::string& sql, const Params& params = {});
  // Runs statements without parameters (text protocol; several may be given,
  // separated by ';'). For DDL, SET and transaction control.
  Status exec_script(const std::string& sql);

  // Feeds `data` to a COPY ... FROM STDIN started with exec_script; then
  // end_copy() ends it and returns its outcome.
  Status put_copy(std::string_view data);
  Status end_copy();

  // Whether the connection is still usable (a pool drops it otherwise).
  bool ok() const;
  // The server's version ("15.4").
  std::string server_version() const;
  // The backend's process id (for messages and tests).
  int backend_pid() const { return PQbackendPID(conn_); }

  // LISTEN support: waits up to `timeout` for the socket to become readable
  // (a notification, or the server closing it), then collects the
  // notifications received. Returns how many arrived; Unavailable when the
  // connection broke.
  Result<int> wait_notifications(std::chrono::milliseconds timeout);

  PGconn* raw() { return conn_; }

 private:
  explicit Connection(PGconn* c) : conn_(c) {}
  PGconn* conn_;
  // Statements prepared on this connection: sql -> statement name.
  std::unordered_map<std::string, std::string> statements_;
};

// Connections to one server, created on demand up to a bound; a broken one
// is dropped when returned. acquire() waits while all are in use.
class Pool {
 public:
  Pool(std::string conninfo, size_t max_connections);
  ~Pool();

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() { return *c_; }
    Connection* operator->() { return c_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> c_;
  };

  Result<Lease> acquire();
  const std::string& conninfo() const { return conninfo_; }

 private:
  void give_back(std::unique_ptr<Connection> c);

  const std::string conninfo_;
  const size_t max_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  size_t open_ = 0;                                // guarded by mu_: idle + leased
};

}  // namespace almanac::storage::pg
