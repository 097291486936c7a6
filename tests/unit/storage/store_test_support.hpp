// Helpers shared by the storage tests: temporary directories, transactions,
// a PostgreSQL server and a schema of its own per test, and fixtures that
// give the conformance suite a store of each kind.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/memory_event_store.hpp"
#include "storage/pg_client.hpp"
#include "storage/postgres_event_store.hpp"
#include "storage/rocksdb_event_store.hpp"

#ifndef ALMANAC_SOURCE_DIR
#define ALMANAC_SOURCE_DIR "."
#endif

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

// The PostgreSQL server of the tests: the one ALMANAC_TEST_PG names (ctest
// starts one for its whole run), else one this process starts with
// scripts/pg-local.sh in a directory of its own and stops at exit.
class TestPostgres {
 public:
  static const std::string& conninfo() {
    static TestPostgres server;
    return server.conninfo_;
  }
  ~TestPostgres() {
    if (dir_.empty()) return;
    std::string stop = std::string(ALMANAC_SOURCE_DIR) + "/scripts/pg-local.sh stop " + dir_ + " >/dev/null 2>&1";
    if (std::system(stop.c_str()) != 0) std::fprintf(stderr, "test PostgreSQL in %s did not stop\n", dir_.c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  TestPostgres() {
    if (const char* given = std::getenv("ALMANAC_TEST_PG"); given && *given) {
      conninfo_ = given;
      return;
    }
    std::string templ = "/tmp/almanac-pgtest-XXXXXX";
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    std::string start = std::string(ALMANAC_SOURCE_DIR) + "/scripts/pg-local.sh start " + dir_;
    FILE* p = popen(start.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + start);
    char line[1024];
    while (std::fgets(line, sizeof line, p)) conninfo_ = line;
    if (pclose(p) != 0 || conninfo_.empty()) throw std::runtime_error("cannot start PostgreSQL: " + start);
    while (!conninfo_.empty() && (conninfo_.back() == '\n' || conninfo_.back() == ' ')) conninfo_.pop_back();
  }
  std::string conninfo_;
  std::string dir_;
};

// `conninfo` with its search_path set to `schema`.
inline std::string with_schema(const std::string& conninfo, const std::string& schema) {
  if (conninfo.rfind("postgres", 0) == 0 && conninfo.find("://") != std::string::npos)
    return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
  return conninfo + " options='-csearch_path=" + schema + "'";
}

// A schema of its own on the test server, dropped with everything in it on
// destruction: each test's log starts empty, and tests may run in parallel.
class TestSchema {
 public:
  TestSchema() {
    static std::atomic<int> counter{0};
    name_ = "t" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
    run("DROP SCHEMA IF EXISTS " + name_ + " CASCADE; CREATE SCHEMA " + name_);
  }
  ~TestSchema() {
    try {
      run("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    } catch (...) {
    }
  }
  TestSchema(const TestSchema&) = delete;
  TestSchema& operator=(const TestSchema&) = delete;
  const std::string& name() const { return name_; }
  std::string conninfo() const { return with_schema(TestPostgres::conninfo(), name_); }
  // Runs SQL in the schema (tests damage a log with it).
  void run(const std::string& sql) const {
    auto c = pg::Connection::open(with_schema(TestPostgres::conninfo(), name_));
    if (!c) throw std::runtime_error(c.status().to_string());
    if (Status s = (*c)->exec_script(sql); !s) throw std::runtime_error(s.to_string());
  }

 private:
  std::string name_;
};

// The claim the test stores lead with: a lease long enough for slow builds.
inline WriterClaim test_claim(const std::string& node = "test") {
  return WriterClaim{node, "127.0.0.1:1", std::chrono::milliseconds(60000)};
}

inline std::unique_ptr<PostgresEventStore> open_postgres(const std::string& conninfo, bool lead = true) {
  PostgresOptions o;
  o.conninfo = conninfo;
  auto r = PostgresEventStore::open(o);
  if (!r) throw std::runtime_error(r.status().to_string());
  if (lead) {
    auto epoch = (*r)->try_lead(test_claim());
    if (!epoch || !epoch->has_value()) throw std::runtime_error("the test store could not lead its log");
  }
  return std::move(r).value();
}

struct PostgresFixture {
  static constexpr bool kDurable = true;
  TestSchema schema;
  std::unique_ptr<PostgresEventStore> store = open_postgres(schema.conninfo());
  EventStore& get() { return *store; }
  EventStore& reopen() {
    store.reset();
    store = open_postgres(schema.conninfo());
    return *store;
  }
};

}  // namespace almanac::storage::testing
