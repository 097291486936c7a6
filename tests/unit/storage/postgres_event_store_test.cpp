// What only the PostgreSQL store promises: one writer at a time (the
// advisory lock, the epoch fence, the lease), followers learning of commits
// (head, notifications), the tail check, full verify, read-only opening, the
// append observer, and copying logs between stores byte for byte.
#include <catch2/catch.hpp>

#include <thread>

#include "storage/keys.hpp"
#include "storage/store_test_support.hpp"

using namespace almanac;
using namespace almanac::storage;
using namespace almanac::storage::testing;

namespace {

PostgresOptions options_for(const TestSchema& schema) {
  PostgresOptions o;
  o.conninfo = schema.conninfo();
  return o;
}

std::unique_ptr<PostgresEventStore> open_ok(const PostgresOptions& o) {
  auto r = PostgresEventStore::open(o);
  INFO(r.status().to_string());
  REQUIRE(r.is_ok());
  return std::move(r).value();
}

// Stream A at version 3, stream B at version 2, two keyed transactions.
void fill(EventStore& store) {
  auto r = append_one(store, tx({pending(kCalA, 0, "a1"), pending(kCalB, 0, "b1")}, 1, "k1"));
  REQUIRE(r[0].is_ok());
  r = append_one(store, tx({pending(kCalA, 1, "a2")}));
  REQUIRE(r[0].is_ok());
  r = append_one(store, tx({pending(kCalA, 2, "a3"), pending(kCalB, 1, "b2")}, 2, "k2"));
  REQUIRE(r[0].is_ok());
  REQUIRE(store.head() == 5);
}

std::vector<std::string> raw_entries(const EventStore& store) {
  std::vector<std::string> out;
  REQUIRE(store.scan(1, 0, [&](uint64_t, std::string_view bytes) {
    out.emplace_back(bytes);
    return true;
  }).is_ok());
  return out;
}

void require_verify_fails(const PostgresEventStore& store, const std::string& needle) {
  Status s = store.verify({});
  INFO(s.to_string());
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.code() == Code::kDataLoss);
  CHECK(s.message().find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("one store at a time leads a log, and the next one raises the epoch", "[storage][postgres]") {
  TestSchema schema;
  auto a = open_ok(options_for(schema));
  auto b = open_ok(options_for(schema));
  auto ea = a->try_lead(test_claim("a"));
  REQUIRE(ea.is_ok());
  REQUIRE(ea->has_value());
  CHECK(**ea == 1);
  CHECK(a->leading());

  auto eb = b->try_lead(test_claim("b"));
  REQUIRE(eb.is_ok());
  CHECK_FALSE(eb->has_value());
  CHECK_FALSE(b->leading());
  // Not the writer: nothing is appended, and the refusal says to retry.
  auto refused = append_one(*b, tx({pending(kCalA, 0)}));
  REQUIRE_FALSE(refused[0].is_ok());
  CHECK(refused[0].status().code() == Code::kUnavailable);

  REQUIRE(append_one(*a, tx({pending(kCalA, 0, "a1")}))[0].is_ok());
  auto w = b->writer();
  REQUIRE(w.is_ok());
  CHECK(w->epoch == 1);
  CHECK(w->node == "a");
  CHECK(w->address == "127.0.0.1:1");
  CHECK(w->head == 1);
  CHECK(w->since_us > 0);
  CHECK(w->held);

  a->resign();
  auto gone = b->writer();
  REQUIRE(gone.is_ok());
  CHECK_FALSE(gone->held);
  CHECK(gone->node == "a");
  CHECK_FALSE(a->leading());
  eb = b->try_lead(test_claim("b"));
  REQUIRE(eb.is_ok());
  REQUIRE(eb->has_value());
  CHECK(**eb == 2);
  // The new writer goes on after the head it found.
  auto r = append_one(*b, tx({pending(kCalA, 1, "a2")}));
  REQUIRE(r[0].is_ok());
  CHECK(positions_of(*r[0]) == std::vector<uint64_t>{2});
  auto after = append_one(*a, tx({pending(kCalA, 2, "late")}));
  CHECK(after[0].status().code() == Code::kUnavailable);
  CHECK(b->head() == 2);
}

TEST_CASE("a commit under a superseded epoch is refused and appends nothing", "[storage][postgres]") {
  TestSchema schema;
  auto a = open_postgres(schema.conninfo());
  REQUIRE(append_one(*a, tx({pending(kCalA, 0, "a1")}))[0].is_ok());
  std::vector<Transaction> batch;
  batch.push_back(tx({pending(kCalA, 1, "a2")}, 1, "k"));
  auto prepared = a->prepare(std::move(batch));
  // Another writer's claim, while this one still holds its session: only the
  // epoch in the commit's statement stands between them.
  schema.run("UPDATE almanac_control SET epoch = epoch + 1");
  auto r = a->commit(std::move(prepared));
  REQUIRE(r.size() == 1);
  REQUIRE_FALSE(r[0].is_ok());
  CHECK(r[0].status().code() == Code::kUnavailable);
  CHECK(r[0].status().message().find("epoch 1") != std::string::npos);
  CHECK_FALSE(a->leading());
  CHECK(a->head() == 1);

  auto reader = open_postgres(schema.conninfo(), false);
  CHECK(reader->head() == 1);
  auto key = reader->find_idempotent(1, "k");
  REQUIRE(key.is_ok());
  CHECK_FALSE(key->has_value());
  CHECK(reader->verify({}).is_ok());
  // Refused from now on until it leads again.
  CHECK(append_one(*a, tx({pending(kCalA, 1, "a2")}))[0].status().code() == Code::kUnavailable);
}

TEST_CASE("a writer silent past its lease loses the log to the next one", "[storage][postgres]") {
  TestSchema schema;
  auto a = open_ok(options_for(schema));
  auto b = open_ok(options_for(schema));
  WriterClaim short_lease = test_claim("a");
  short_lease.lease = std::chrono::milliseconds(300);
  auto ea = a->try_lead(short_lease);
  REQUIRE(ea.is_ok());
  REQUIRE(ea->has_value());
  REQUIRE(append_one(*a, tx({pending(kCalA, 0, "a1")}))[0].is_ok());
  // Renewed within the lease, the role stays.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(a->renew_lease().is_ok());
  }
  auto held = b->try_lead(test_claim("b"));
  REQUIRE(held.is_ok());
  CHECK_FALSE(held->has_value());

  // Silent (as if stopped), it loses the lock when PostgreSQL ends its session.
  std::optional<uint64_t> eb;
  for (int i = 0; i < 100 && !eb; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto r = b->try_lead(test_claim("b"));
    REQUIRE(r.is_ok());
    eb = *r;
  }
  REQUIRE(eb.has_value());
  CHECK(*eb == 2);
  // Back, the old writer cannot append, and learns it has lost the role.
  auto late = append_one(*a, tx({pending(kCalA, 1, "late")}));
  CHECK(late[0].status().code() == Code::kUnavailable);
  CHECK_FALSE(a->leading());
  CHECK_FALSE(a->renew_lease().is_ok());
  REQUIRE(append_one(*b, tx({pending(kCalA, 1, "a2")}))[0].is_ok());
  auto all = b->read(1, 0);
  REQUIRE(all.is_ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[1].payload.AsCalendarCreated()->name == "a2");
}

TEST_CASE("a follower learns of commits through the head and a notification", "[storage][postgres]") {
  TestSchema schema;
  auto writer = open_postgres(schema.conninfo());
  auto follower = open_postgres(schema.conninfo(), false);
  auto listener = follower->listen();
  REQUIRE(listener.is_ok());
  auto quiet = (*listener)->wait(std::chrono::milliseconds(50));
  REQUIRE(quiet.is_ok());
  CHECK_FALSE(*quiet);

  fill(*writer);
  // Until it refreshes, the follower reads the log as it was.
  CHECK(follower->head() == 0);
  CHECK(follower->read(1, 0)->empty());
  bool woken = false;
  for (int i = 0; i < 50 && !woken; ++i) {
    auto w = (*listener)->wait(std::chrono::milliseconds(100));
    REQUIRE(w.is_ok());
    woken = *w;
  }
  CHECK(woken);
  auto head = follower->refresh_head();
  REQUIRE(head.is_ok());
  CHECK(*head == 5);
  CHECK(raw_entries(*follower) == raw_entries(*writer));
  CHECK(follower->stream_version(kCalA) == 3);
  auto found = follower->find_idempotent(2, "k2");
  REQUIRE(found.is_ok());
  REQUIRE(found->has_value());
  CHECK(**found == std::vector<uint64_t>{4, 5});
}

TEST_CASE("the observer sees each commit of the PostgreSQL store", "[storage][postgres]") {
  TestSchema schema;
  auto store = open_postgres(schema.conninfo());
  std::vector<size_t> events;
  size_t bytes = 0;
  store->set_observer([&](size_t, size_t n, size_t b, int64_t micros) {
    events.push_back(n);
    bytes += b;
    CHECK(micros >= 0);
  });
  fill(*store);
  CHECK(events == std::vector<size_t>{2, 1, 2});
  CHECK(bytes > 0);
}

TEST_CASE("a log whose control row and last entry disagree is refused at open", "[storage][postgres]") {
  TestSchema schema;
  {
    auto store = open_postgres(schema.conninfo());
    fill(*store);
  }
  schema.run("DELETE FROM almanac_log WHERE position = 5");
  auto r = PostgresEventStore::open(options_for(schema));
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Code::kDataLoss);
  CHECK(r.status().message().find("ends at position 4") != std::string::npos);
}

TEST_CASE("verify passes a sound PostgreSQL log and names the first problem of a damaged one",
          "[storage][postgres]") {
  TestSchema schema;
  {
    auto store = open_postgres(schema.conninfo());
    fill(*store);
  }
  auto store = open_postgres(schema.conninfo(), false);
  REQUIRE(store->verify({}).is_ok());

  SECTION("a gap") {
    schema.run("DELETE FROM almanac_log WHERE position = 3");
    require_verify_fails(*store, "log position 3 is missing");
  }
  SECTION("an entry indexed as another stream") {
    schema.run("UPDATE almanac_log SET stream_id = 9 WHERE position = 2");
    require_verify_fails(*store, "log position 2 is indexed as stream calendar/9");
  }
  SECTION("bytes that are not an envelope") {
    schema.run("UPDATE almanac_log SET envelope = '\\x00010203'::bytea WHERE position = 4");
    require_verify_fails(*store, "log position 4");
  }
  SECTION("an idempotency record of another transaction") {
    schema.run("UPDATE almanac_idempotency SET positions = '\\x0000000000000003'::bytea WHERE key = 'k1'::bytea");
    require_verify_fails(*store, "idempotency record of actor 1");
  }
  SECTION("a keyed transaction without its record") {
    schema.run("DELETE FROM almanac_idempotency WHERE key = 'k2'::bytea");
    require_verify_fails(*store, "has no idempotency record");
  }
  SECTION("a head past the log") {
    schema.run("UPDATE almanac_control SET head = 7");
    require_verify_fails(*store, "the last commit ended at position 7");
  }
}

TEST_CASE("a read-only PostgreSQL store reads and refuses writes, and creates nothing", "[storage][postgres]") {
  TestSchema schema;
  PostgresOptions o = options_for(schema);
  o.read_only = true;
  auto missing = PostgresEventStore::open(o);
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().code() == Code::kNotFound);
  {
    auto store = open_postgres(schema.conninfo());
    fill(*store);
  }
  auto store = open_ok(o);
  CHECK(store->head() == 5);
  CHECK(store->put_meta("x", "y").code() == Code::kFailedPrecondition);
  auto lead = store->try_lead(test_claim());
  CHECK(lead.status().code() == Code::kFailedPrecondition);
  CHECK(append_one(*store, tx({pending(kCalA, 3)}))[0].status().code() == Code::kFailedPrecondition);
  CHECK(store->read(1, 0)->size() == 5);
}

TEST_CASE("a log copied from RocksDB to PostgreSQL and back keeps every byte", "[storage][postgres]") {
  TempDir dir;
  TestSchema schema;
  std::vector<std::string> original;
  MetaValues meta;
  {
    auto rocks = RocksEventStore::open(dir.sub("from"));
    REQUIRE(rocks.is_ok());
    fill(**rocks);
    REQUIRE((*rocks)->put_meta("models/summary", "position 5").is_ok());
    REQUIRE((*rocks)->put_meta("bin", std::string("\0\xff", 2)).is_ok());
    original = raw_entries(**rocks);
    auto m = (*rocks)->meta_values();
    REQUIRE(m.is_ok());
    meta = *m;
    CHECK(meta.size() == 2);

    auto pg = open_postgres(schema.conninfo(), false);
    auto loader = pg->import();
    REQUIRE(loader.is_ok());
    auto copied = copy_log(**rocks, meta, **loader, {});
    INFO(copied.status().to_string());
    REQUIRE(copied.is_ok());
    CHECK(copied->events == 5);
    CHECK(copied->meta_values == 2);
    CHECK(pg->head() == 5);
  }
  auto pg = open_postgres(schema.conninfo(), false);
  REQUIRE(pg->verify({}).is_ok());
  CHECK(raw_entries(*pg) == original);
  CHECK(pg->stream_version(kCalB) == 2);
  CHECK(**pg->find_idempotent(2, "k2") == std::vector<uint64_t>{4, 5});
  auto pg_meta = pg->meta_values();
  REQUIRE(pg_meta.is_ok());
  CHECK(*pg_meta == meta);
  // An empty target only.
  auto again = pg->import();
  CHECK(again.status().code() == Code::kFailedPrecondition);

  {
    auto back = RocksEventStore::open(dir.sub("back"));
    REQUIRE(back.is_ok());
    auto loader = (*back)->import();
    REQUIRE(loader.is_ok());
    auto copied = copy_log(*pg, *pg_meta, **loader, {});
    REQUIRE(copied.is_ok());
  }
  auto back = RocksEventStore::open(dir.sub("back"));
  REQUIRE(back.is_ok());
  REQUIRE((*back)->verify({}).is_ok());
  CHECK(raw_entries(**back) == original);
  CHECK(*(*back)->meta_values() == meta);
  // The copy is a log like any other: it goes on where the original ended.
  auto r = append_one(**back, tx({pending(kCalA, 3, "a4")}, 1, "k1"));
  REQUIRE(r[0].is_ok());
  CHECK(r[0]->duplicate);
  CHECK(positions_of(*r[0]) == std::vector<uint64_t>{1, 2});
  auto next = append_one(**back, tx({pending(kCalA, 3, "a4")}));
  REQUIRE(next[0].is_ok());
  CHECK(positions_of(*next[0]) == std::vector<uint64_t>{6});
}

TEST_CASE("an unfinished copy leaves the PostgreSQL log empty", "[storage][postgres]") {
  TempDir dir;
  TestSchema schema;
  auto rocks = RocksEventStore::open(dir.sub("from"));
  REQUIRE(rocks.is_ok());
  fill(**rocks);
  auto pg = open_postgres(schema.conninfo(), false);
  {
    auto loader = pg->import();
    REQUIRE(loader.is_ok());
    REQUIRE((*rocks)->scan(1, 3, [&](uint64_t p, std::string_view stored) {
      const std::string bytes(stored);  // aligned, as FlatBuffers reads it
      REQUIRE((*loader)->add(p, *ev::GetEventEnvelope(bytes.data()), bytes).is_ok());
      return true;
    }).is_ok());
    // Dropped without finish().
  }
  auto reopened = open_postgres(schema.conninfo(), false);
  CHECK(reopened->head() == 0);
  CHECK(reopened->verify({}).is_ok());
  auto loader = reopened->import();
  REQUIRE(loader.is_ok());
  REQUIRE(copy_log(**rocks, {}, **loader, {}).is_ok());
  CHECK(reopened->head() == 5);
}
