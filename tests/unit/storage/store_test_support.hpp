// Helpers shared by the storage tests: temporary directories, transactions,
// and fixtures that give the conformance suite a store of each kind.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/memory_event_store.hpp"
#include "storage/rocksdb_event_store.hpp"

namespace almanac::storage::testing {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string templ = "/tmp/almanac-storage-XXXXXX";
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline Payload calendar_created(const std::string& name, int64_t owner = 1) {
  ev::CalendarCreatedT c;
  c.name = name;
  c.owner_id = owner;
  Payload p;
  p.Set(std::move(c));
  return p;
}

inline PendingEvent pending(StreamId stream, uint64_t expected, const std::string& name = "cal") {
  return PendingEvent{stream, expected, calendar_created(name)};
}

inline Transaction tx(std::vector<PendingEvent> events, int64_t actor = 1,
                      std::string idempotency_key = {}) {
  Transaction t;
  t.actor_id = actor;
  t.recorded_at = 1'700'000'000'000'000;
  t.correlation_id = "corr";
  t.idempotency_key = std::move(idempotency_key);
  t.events = std::move(events);
  return t;
}

inline std::vector<Result<AppendOutcome>> append_one(EventStore& store, Transaction t) {
  std::vector<Transaction> batch;
  batch.push_back(std::move(t));
  return store.append(std::move(batch));
}

inline std::vector<uint64_t> positions_of(const AppendOutcome& o) {
  std::vector<uint64_t> out;
  for (const auto& e : o.events) out.push_back(e.position);
  return out;
}

inline constexpr StreamId kCalA{Category::Calendar, 1};
inline constexpr StreamId kCalB{Category::Calendar, 2};
inline constexpr StreamId kUser7{Category::User, 7};

struct MemoryFixture {
  static constexpr bool kDurable = false;
  std::unique_ptr<MemoryEventStore> store = std::make_unique<MemoryEventStore>();
  EventStore& get() { return *store; }
  // The memory store lives as long as the fixture: "reopening" keeps it.
  EventStore& reopen() { return *store; }
};

struct RocksFixture {
  static constexpr bool kDurable = true;
  TempDir dir;
  std::unique_ptr<RocksEventStore> store = open_store();
  std::unique_ptr<RocksEventStore> open_store() {
    auto r = RocksEventStore::open(dir.sub("data"));
    if (!r) throw std::runtime_error(r.status().to_string());
    return std::move(r).value();
  }
  EventStore& get() { return *store; }
  EventStore& reopen() {
    store.reset();
    store = open_store();
    return *store;
  }
};

}  // namespace almanac::storage::testing
