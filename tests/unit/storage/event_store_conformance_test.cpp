// One suite, run against every EventStore implementation: they must agree.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "storage/store_test_support.hpp"

using namespace almanac;
using namespace almanac::storage;
using namespace almanac::storage::testing;

#define STORE_TEST(name) \
  TEMPLATE_TEST_CASE(name, "[storage][conformance]", MemoryFixture, RocksFixture, PostgresFixture)

STORE_TEST("an append assigns positions and versions and fills the envelope") {
  TestType f;
  EventStore& store = f.get();
  CHECK(store.head() == 0);
  CHECK(store.stream_version(kCalA) == 0);

  Transaction t = tx({pending(kCalA, 0, "Work")}, 42, "key-1");
  t.recorded_at = 123456;
  t.correlation_id = "req-9";
  auto r = append_one(store, std::move(t));
  REQUIRE(r.size() == 1);
  REQUIRE(r[0].is_ok());
  CHECK_FALSE(r[0]->duplicate);
  REQUIRE(r[0]->events.size() == 1);
  const Envelope& e = r[0]->events[0];
  CHECK(e.position == 1);
  CHECK(e.category == Category::Calendar);
  CHECK(e.stream_id == 1);
  CHECK(e.version == 1);
  CHECK(e.recorded_at == 123456);
  CHECK(e.actor_id == 42);
  CHECK(e.correlation_id == "req-9");
  CHECK(e.idempotency_key == "key-1");
  REQUIRE(e.payload.type == ev::Payload::CalendarCreated);
  CHECK(e.payload.AsCalendarCreated()->name == "Work");

  CHECK(store.head() == 1);
  CHECK(store.stream_version(kCalA) == 1);
  auto all = store.read(1, 0);
  REQUIRE(all.is_ok());
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].position == 1);
  CHECK((*all)[0].actor_id == 42);
  CHECK((*all)[0].payload.AsCalendarCreated()->name == "Work");
}

STORE_TEST("a transaction over several streams is appended atomically") {
  TestType f;
  EventStore& store = f.get();
  auto r = append_one(store, tx({pending(kCalA, 0, "a1"), pending(kCalB, 0, "b1"),
                                 pending(kCalA, 1, "a2")}));
  REQUIRE(r[0].is_ok());
  CHECK(positions_of(*r[0]) == std::vector<uint64_t>{1, 2, 3});
  CHECK(r[0]->events[2].version == 2);
  CHECK(store.stream_version(kCalA) == 2);
  CHECK(store.stream_version(kCalB) == 1);

  // One stale event spoils the whole transaction: nothing of it is appended.
  auto bad = append_one(store, tx({pending(kCalB, 1, "b2"), pending(kCalA, 1, "stale")}));
  REQUIRE_FALSE(bad[0].is_ok());
  CHECK(bad[0].status().code() == Code::kConflict);
  CHECK(store.head() == 3);
  CHECK(store.stream_version(kCalB) == 1);
  auto b = store.read_stream(kCalB, 1, 0);
  REQUIRE(b.is_ok());
  CHECK(b->size() == 1);
}

STORE_TEST("a stale expected version is a conflict, also within one batch") {
  TestType f;
  EventStore& store = f.get();
  std::vector<Transaction> batch;
  batch.push_back(tx({pending(kCalA, 0, "first")}));
  batch.push_back(tx({pending(kCalA, 0, "loses")}));   // stale after the first
  batch.push_back(tx({pending(kCalA, 1, "second")}));  // counts the first
  batch.push_back(tx({pending(kCalB, 3, "never")}));   // stream B is at 0
  auto r = store.append(std::move(batch));
  REQUIRE(r.size() == 4);
  REQUIRE(r[0].is_ok());
  REQUIRE_FALSE(r[1].is_ok());
  CHECK(r[1].status().code() == Code::kConflict);
  REQUIRE(r[2].is_ok());
  CHECK(positions_of(*r[2]) == std::vector<uint64_t>{2});
  CHECK(r[2]->events[0].version == 2);
  REQUIRE_FALSE(r[3].is_ok());
  CHECK(r[3].status().code() == Code::kConflict);
  CHECK(store.head() == 2);
  CHECK(store.stream_version(kCalA) == 2);
  CHECK(store.stream_version(kCalB) == 0);

  auto later = append_one(store, tx({pending(kCalA, 1, "late")}));
  REQUIRE_FALSE(later[0].is_ok());
  CHECK(later[0].status().code() == Code::kConflict);
}

STORE_TEST("malformed events are refused and change nothing") {
  TestType f;
  EventStore& store = f.get();
  auto r = append_one(store, tx({PendingEvent{kCalA, 0, Payload{}}}));
  REQUIRE_FALSE(r[0].is_ok());
  CHECK(r[0].status().code() == Code::kInvalidArgument);
  auto r2 = append_one(store, tx({pending(StreamId{Category::None, 1}, 0)}));
  REQUIRE_FALSE(r2[0].is_ok());
  CHECK(r2[0].status().code() == Code::kInvalidArgument);
  auto empty = append_one(store, tx({}, 1, "nothing"));
  REQUIRE(empty[0].is_ok());
  CHECK(empty[0]->events.empty());
  CHECK(store.head() == 0);
}

STORE_TEST("a repeated idempotency key returns the original events and appends nothing") {
  TestType f;
  EventStore& store = f.get();
  auto first = append_one(store, tx({pending(kCalA, 0, "x"), pending(kCalB, 0, "y")}, 7, "k"));
  REQUIRE(first[0].is_ok());
  CHECK(positions_of(*first[0]) == std::vector<uint64_t>{1, 2});

  // The retry carries the same (now stale) expected versions: still a duplicate.
  auto again = append_one(store, tx({pending(kCalA, 0, "x"), pending(kCalB, 0, "y")}, 7, "k"));
  REQUIRE(again[0].is_ok());
  CHECK(again[0]->duplicate);
  CHECK(positions_of(*again[0]) == std::vector<uint64_t>{1, 2});
  CHECK(again[0]->events[1].payload.AsCalendarCreated()->name == "y");
  CHECK(store.head() == 2);

  auto found = store.find_idempotent(7, "k");
  REQUIRE(found.is_ok());
  REQUIRE(found->has_value());
  CHECK(**found == std::vector<uint64_t>{1, 2});
  auto missing = store.find_idempotent(8, "k");
  REQUIRE(missing.is_ok());
  CHECK_FALSE(missing->has_value());

  // The same key for another actor is a different request.
  auto other = append_one(store, tx({pending(kCalA, 1, "z")}, 8, "k"));
  REQUIRE(other[0].is_ok());
  CHECK_FALSE(other[0]->duplicate);
  CHECK(positions_of(*other[0]) == std::vector<uint64_t>{3});
}

STORE_TEST("idempotency holds within one batch, and a refused transaction records no key") {
  TestType f;
  EventStore& store = f.get();
  std::vector<Transaction> batch;
  batch.push_back(tx({pending(kCalA, 5, "stale")}, 1, "a"));  // conflict: key not taken
  batch.push_back(tx({pending(kCalA, 0, "one")}, 1, "a"));    // applied
  batch.push_back(tx({pending(kCalA, 0, "one")}, 1, "a"));    // duplicate of the previous
  batch.push_back(tx({pending(kCalB, 0, "two")}, 1, "b"));
  auto r = store.append(std::move(batch));
  REQUIRE(r.size() == 4);
  CHECK(r[0].status().code() == Code::kConflict);
  REQUIRE(r[1].is_ok());
  CHECK_FALSE(r[1]->duplicate);
  CHECK(positions_of(*r[1]) == std::vector<uint64_t>{1});
  REQUIRE(r[2].is_ok());
  CHECK(r[2]->duplicate);
  CHECK(positions_of(*r[2]) == std::vector<uint64_t>{1});
  REQUIRE(r[3].is_ok());
  CHECK(positions_of(*r[3]) == std::vector<uint64_t>{2});
  CHECK(store.head() == 2);
}

STORE_TEST("a batch prepared while another waits for its commit counts it") {
  TestType f;
  EventStore& store = f.get();
  REQUIRE(append_one(store, tx({pending(kCalA, 0, "a1")}))[0].is_ok());

  std::vector<Transaction> first;
  first.push_back(tx({pending(kCalA, 1, "a2")}, 1, "k"));
  auto p1 = store.prepare(std::move(first));
  // Prepared, not committed: nothing is visible yet.
  CHECK(store.head() == 1);
  CHECK(store.stream_version(kCalA) == 1);

  std::vector<Transaction> second;
  second.push_back(tx({pending(kCalA, 2, "a3")}));           // counts the first batch
  second.push_back(tx({pending(kCalA, 1, "stale")}));        // does not
  second.push_back(tx({pending(kCalB, 0, "b1")}, 1, "k"));   // the first batch's key
  auto p2 = store.prepare(std::move(second));
  // Grown onto the second batch: written by its one commit.
  std::vector<Transaction> third;
  third.push_back(tx({pending(kCalA, 3, "a4")}));
  p2 = store.join(std::move(p2), store.prepare(std::move(third)));

  auto r1 = store.commit(std::move(p1));
  REQUIRE(r1.size() == 1);
  REQUIRE(r1[0].is_ok());
  CHECK(positions_of(*r1[0]) == std::vector<uint64_t>{2});
  CHECK(store.head() == 2);

  auto r2 = store.commit(std::move(p2));
  REQUIRE(r2.size() == 4);
  REQUIRE(r2[0].is_ok());
  CHECK(positions_of(*r2[0]) == std::vector<uint64_t>{3});
  CHECK(r2[0]->events[0].version == 3);
  CHECK(r2[1].status().code() == Code::kConflict);
  REQUIRE(r2[2].is_ok());
  CHECK(r2[2]->duplicate);
  CHECK(positions_of(*r2[2]) == std::vector<uint64_t>{2});
  REQUIRE(r2[3].is_ok());
  CHECK(positions_of(*r2[3]) == std::vector<uint64_t>{4});
  CHECK(r2[3]->events[0].version == 4);
  CHECK(store.head() == 4);
  CHECK(store.stream_version(kCalA) == 4);
  CHECK(store.stream_version(kCalB) == 0);

  auto all = store.read(1, 0);
  REQUIRE(all.is_ok());
  REQUIRE(all->size() == 4);
  CHECK((*all)[3].payload.AsCalendarCreated()->name == "a4");
}

STORE_TEST("batches prepared one after the other and joined are written by one commit") {
  constexpr StreamId kCalC{Category::Calendar, 3};
  TestType f;
  EventStore& store = f.get();
  REQUIRE(append_one(store, tx({pending(kCalA, 0, "a1")}))[0].is_ok());

  std::vector<Transaction> refused, first, second, empty;
  refused.push_back(tx({pending(kCalA, 5, "stale")}));  // writes nothing
  first.push_back(tx({pending(kCalA, 1, "a2")}, 1, "k"));
  second.push_back(tx({pending(kCalB, 0, "b1")}));
  second.push_back(tx({pending(kCalA, 2, "a3")}));     // counts the first batch
  second.push_back(tx({pending(kCalC, 0, "c1")}, 1, "k"));  // the first batch's key
  empty.push_back(tx({pending(kCalA, 2, "stale too")}));  // writes nothing either
  // Prepared in this order (one statement each), then joined.
  auto joined = store.prepare(std::move(refused));
  joined = store.join(std::move(joined), store.prepare(std::move(first)));
  joined = store.join(std::move(joined), store.prepare(std::move(second)));
  joined = store.join(std::move(joined), store.prepare(std::move(empty)));
  // Joined, not committed: nothing is visible yet.
  CHECK(store.head() == 1);

  auto r = store.commit(std::move(joined));
  REQUIRE(r.size() == 6);
  CHECK(r[0].status().code() == Code::kConflict);
  REQUIRE(r[1].is_ok());
  CHECK(positions_of(*r[1]) == std::vector<uint64_t>{2});
  REQUIRE(r[2].is_ok());
  CHECK(positions_of(*r[2]) == std::vector<uint64_t>{3});
  REQUIRE(r[3].is_ok());
  CHECK(positions_of(*r[3]) == std::vector<uint64_t>{4});
  CHECK(r[3]->events[0].version == 3);
  REQUIRE(r[4].is_ok());
  CHECK(r[4]->duplicate);
  CHECK(positions_of(*r[4]) == std::vector<uint64_t>{2});
  CHECK(r[5].status().code() == Code::kConflict);
  CHECK(store.head() == 4);
  CHECK(store.stream_version(kCalA) == 3);
  CHECK(store.stream_version(kCalB) == 1);
  CHECK(store.stream_version(kCalC) == 0);

  // What is prepared next follows the joined batch.
  auto after = append_one(store, tx({pending(kCalA, 3, "a4")}));
  REQUIRE(after[0].is_ok());
  CHECK(positions_of(*after[0]) == std::vector<uint64_t>{5});

  EventStore& again = f.reopen();
  CHECK(again.head() == 5);
  CHECK(again.stream_version(kCalA) == 4);
  auto all = again.read(1, 0);
  REQUIRE(all.is_ok());
  REQUIRE(all->size() == 5);
  CHECK((*all)[3].payload.AsCalendarCreated()->name == "a3");
}

STORE_TEST("versions of streams written before a reopen are checked exactly") {
  TestType f;
  REQUIRE(append_one(f.get(), tx({pending(kCalA, 0, "a1"), pending(kCalA, 1, "a2")}))[0].is_ok());
  EventStore& store = f.reopen();
  // Nothing cached now: each answer comes from the index.
  auto stale = append_one(store, tx({pending(kCalA, 1, "stale")}));
  REQUIRE_FALSE(stale[0].is_ok());
  CHECK(stale[0].status().code() == Code::kConflict);
  CHECK(stale[0].status().message().find("version 2") != std::string::npos);
  auto ahead = append_one(store, tx({pending(kCalB, 0, "b1"), pending(kCalA, 3, "ahead")}));
  CHECK(ahead[0].status().code() == Code::kConflict);
  auto fresh = append_one(store, tx({pending(kCalA, 0, "again")}));
  CHECK(fresh[0].status().code() == Code::kConflict);
  auto right = append_one(store, tx({pending(kCalA, 2, "a3"), pending(kCalB, 0, "b1")}));
  REQUIRE(right[0].is_ok());
  CHECK(positions_of(*right[0]) == std::vector<uint64_t>{3, 4});
}

STORE_TEST("after a reopen, streams above, below and between those written are told apart") {
  TestType f;
  const StreamId cal5{Category::Calendar, 5};
  const StreamId cal3{Category::Calendar, 3};
  const StreamId cal9{Category::Calendar, 9};
  const StreamId user9{Category::User, 9};
  REQUIRE(append_one(f.get(), tx({pending(kCalA, 0, "a1"), pending(cal5, 0, "c5")}))[0].is_ok());
  REQUIRE(append_one(f.get(), tx({pending(cal5, 1, "c5b")}))[0].is_ok());
  EventStore& store = f.reopen();
  // Above the highest id of the category: new, whatever the category.
  auto above = append_one(store, tx({pending(cal9, 1, "c9")}));
  CHECK(above[0].status().code() == Code::kConflict);
  auto other = append_one(store, tx({pending(user9, 0, "u9"), pending(cal9, 0, "c9")}));
  REQUIRE(other[0].is_ok());
  // Between ids written: new too, but found so by the index.
  auto between = append_one(store, tx({pending(cal3, 0, "c3")}));
  REQUIRE(between[0].is_ok());
  // The highest id written before the reopen is still at its version.
  auto stale = append_one(store, tx({pending(cal5, 0, "again")}));
  CHECK(stale[0].status().code() == Code::kConflict);
  auto right = append_one(store, tx({pending(cal5, 2, "c5c"), pending(cal9, 1, "c9b")}));
  REQUIRE(right[0].is_ok());
  CHECK(right[0]->events[0].version == 3);
  CHECK(right[0]->events[1].version == 2);
  CHECK(store.stream_version(cal3) == 1);
  CHECK(store.stream_version(user9) == 1);
}

STORE_TEST("idempotency records survive a reopen") {
  TestType f;
  auto r = append_one(f.get(), tx({pending(kUser7, 0, "u")}, 7, "signup"));
  REQUIRE(r[0].is_ok());
  EventStore& store = f.reopen();
  CHECK(store.head() == 1);
  CHECK(store.stream_version(kUser7) == 1);
  auto again = append_one(store, tx({pending(kUser7, 0, "u")}, 7, "signup"));
  REQUIRE(again[0].is_ok());
  CHECK(again[0]->duplicate);
  CHECK(positions_of(*again[0]) == std::vector<uint64_t>{1});
  CHECK(store.head() == 1);
}

STORE_TEST("scan, read and read_stream honour from and limit") {
  TestType f;
  EventStore& store = f.get();
  for (uint64_t v = 0; v < 5; ++v) {
    std::vector<Transaction> batch;
    batch.push_back(tx({pending(kCalA, v, "a" + std::to_string(v + 1))}));
    batch.push_back(tx({pending(kCalB, v, "b" + std::to_string(v + 1))}));
    for (auto& r : store.append(std::move(batch))) REQUIRE(r.is_ok());
  }
  REQUIRE(store.head() == 10);

  std::vector<uint64_t> seen;
  REQUIRE(store.scan(4, 3, [&](uint64_t p, std::string_view bytes) {
    auto e = decode(bytes);
    REQUIRE(e.is_ok());
    CHECK(e->position == p);
    seen.push_back(p);
    return true;
  }).is_ok());
  CHECK(seen == std::vector<uint64_t>{4, 5, 6});

  seen.clear();
  REQUIRE(store.scan(0, 0, [&](uint64_t p, std::string_view) {
    seen.push_back(p);
    return p < 2;  // stop after the second
  }).is_ok());
  CHECK(seen == std::vector<uint64_t>{1, 2});

  seen.clear();
  REQUIRE(store.scan(11, 0, [&](uint64_t p, std::string_view) {
    seen.push_back(p);
    return true;
  }).is_ok());
  CHECK(seen.empty());

  auto tail = store.read(9, 0);
  REQUIRE(tail.is_ok());
  REQUIRE(tail->size() == 2);
  CHECK((*tail)[0].position == 9);
  CHECK((*tail)[1].payload.AsCalendarCreated()->name == "b5");

  auto b = store.read_stream(kCalB, 2, 2);
  REQUIRE(b.is_ok());
  REQUIRE(b->size() == 2);
  CHECK((*b)[0].version == 2);
  CHECK((*b)[0].position == 4);
  CHECK((*b)[1].payload.AsCalendarCreated()->name == "b3");
  auto rest = store.read_stream(kCalB, 4, 0);
  REQUIRE(rest.is_ok());
  CHECK(rest->size() == 2);
  auto none = store.read_stream(StreamId{Category::Calendar, 99}, 1, 0);
  REQUIRE(none.is_ok());
  CHECK(none->empty());
  // A neighbouring id never leaks into the stream.
  auto a = store.read_stream(kCalA, 0, 0);
  REQUIRE(a.is_ok());
  REQUIRE(a->size() == 5);
  for (const auto& e : *a) CHECK(e.stream_id == 1);
}

STORE_TEST("meta values: absent is not empty, and writes replace") {
  TestType f;
  EventStore& store = f.get();
  auto missing = store.get_meta("checksum");
  REQUIRE(missing.is_ok());
  CHECK_FALSE(missing->has_value());
  REQUIRE(store.put_meta("checksum", "").is_ok());
  auto empty = store.get_meta("checksum");
  REQUIRE(empty.is_ok());
  REQUIRE(empty->has_value());
  CHECK(**empty == "");
  REQUIRE(store.put_meta("checksum", "abc").is_ok());
  REQUIRE(store.put_meta("other", std::string("\0x", 2)).is_ok());
  EventStore& again = f.reopen();
  auto v = again.get_meta("checksum");
  REQUIRE(v.is_ok());
  CHECK(**v == "abc");
  CHECK(**again.get_meta("other") == std::string("\0x", 2));
  // Meta values are not events.
  CHECK(again.head() == 0);
}

STORE_TEST("readers see whole batches while one thread appends") {
  TestType f;
  EventStore& store = f.get();
  constexpr uint64_t kBatches = 60;
  std::atomic<bool> done{false};
  std::atomic<int> problems{0};
  auto reader = [&] {
    while (!done.load()) {
      const uint64_t h = store.head();
      auto all = store.read(1, 0);
      if (!all || all->size() < h) ++problems;
      uint64_t expect = 1;
      for (const auto& e : *all)
        if (e.position != expect++) ++problems;
      // Every batch holds two events of two streams: a reader never sees half.
      if (all->size() % 2 != 0) ++problems;
      // A stream's version never runs ahead of the published head.
      const uint64_t va = store.stream_version(kCalA);
      if (va * 2 > store.head()) ++problems;
    }
  };
  std::thread r1(reader), r2(reader);
  for (uint64_t v = 0; v < kBatches; ++v) {
    auto r = append_one(store, tx({pending(kCalA, v), pending(kCalB, v)}));
    REQUIRE(r[0].is_ok());
  }
  done = true;
  r1.join();
  r2.join();
  CHECK(problems.load() == 0);
  CHECK(store.head() == kBatches * 2);
  CHECK(store.stream_version(kCalB) == kBatches);
}
