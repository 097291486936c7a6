// Where the log is: the RocksDB data directory (`--data DIR`, a node on its
// own) or a PostgreSQL database (`--log postgresql://...`, the shared log of
// a cluster). Every command that reads or writes the log opens it through
// open_log(), so each works on both.
#pragma once

#include <memory>
#include <string>

#include "events/event_store.hpp"
#include "storage/log_copy.hpp"
#include "storage/postgres_event_store.hpp"
#include "storage/rocksdb_event_store.hpp"
#include "storage/store_hooks.hpp"

namespace almanac::app {

// The meta value holding the token signing key of nodes that share a
// PostgreSQL log (a lone node keeps it in DATA/jwt.key).
inline constexpr const char* kJwtKeyMeta = "secret/jwt-signing-key";

struct LogLocation {
  std::string data_dir = "data";
  // A PostgreSQL conninfo or URI; empty: the RocksDB log in data_dir.
  std::string log;

  bool postgres() const { return !log.empty(); }
  // "/abs/data" or "PostgreSQL database ... on ..." (never a password).
  std::string describe() const;
};

// An open log and what its kind of store offers beyond EventStore.
class LogStore {
 public:
  EventStore& store() { return *store_; }
  const EventStore& store() const { return *store_; }
  storage::RocksEventStore* rocks() { return rocks_; }
  storage::PostgresEventStore* postgres() { return postgres_; }

  // "RocksDB 7.8.3" or "PostgreSQL 15.4".
  std::string engine() const;
  Status verify(const storage::VerifyProgress& progress) const;
  Result<storage::MetaValues> meta_values() const;
  Result<std::unique_ptr<storage::LogImport>> import();
  void set_observer(storage::AppendObserver observer);

 private:
  friend Result<std::unique_ptr<LogStore>> open_log(const LogLocation&, bool, bool, size_t);
  std::unique_ptr<EventStore> store_;
  storage::RocksEventStore* rocks_ = nullptr;
  storage::PostgresEventStore* postgres_ = nullptr;
};

// Opens the log at `where`. `read_only`: for tools while a server may run;
// `create_if_missing`: create the directory or the tables. `connections`:
// the PostgreSQL store's pool.
Result<std::unique_ptr<LogStore>> open_log(const LogLocation& where, bool read_only, bool create_if_missing,
                                           size_t connections = 4);

}  // namespace almanac::app
