// What only the durable store promises: reopening, tail checks, full verify,
// checkpoints, read-only opening, failed writes, the append observer.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>

#include "storage/keys.hpp"
#include "storage/store_test_support.hpp"

using namespace almanac;
using namespace almanac::storage;
using namespace almanac::storage::testing;

namespace {

std::unique_ptr<RocksEventStore> open_ok(const std::string& dir, const RocksOptions& o = {}) {
  auto r = RocksEventStore::open(dir, o);
  INFO(r.status().to_string());
  REQUIRE(r.is_ok());
  return std::move(r).value();
}

// Writes the standard content: stream A at version 3, stream B at version 2.
void fill(EventStore& store) {
  auto r = append_one(store, tx({pending(kCalA, 0, "a1"), pending(kCalB, 0, "b1")}, 1, "k1"));
  REQUIRE(r[0].is_ok());
  r = append_one(store, tx({pending(kCalA, 1, "a2")}));
  REQUIRE(r[0].is_ok());
  r = append_one(store, tx({pending(kCalA, 2, "a3"), pending(kCalB, 1, "b2")}, 2, "k2"));
  REQUIRE(r[0].is_ok());
  REQUIRE(store.head() == 5);
}

// Direct access to the column families, to damage a store as a crash or a
// bad disk would.
struct RawDb {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;  // default, log, streams, meta
  explicit RawDb(const std::string& dir) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, {}},
        {keys::kLogFamily, {}},
        {keys::kStreamsFamily, {}},
        {keys::kMetaFamily, {}}};
    auto s = rocksdb::DB::Open(rocksdb::DBOptions(), dir, families, &cfs, &db);
    INFO(s.ToString());
    REQUIRE(s.ok());
  }
  ~RawDb() {
    for (auto* cf : cfs) db->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
    delete db;
  }
  rocksdb::ColumnFamilyHandle* log() { return cfs[1]; }
  rocksdb::ColumnFamilyHandle* streams() { return cfs[2]; }
  void put(rocksdb::ColumnFamilyHandle* cf, const std::string& k, const std::string& v) {
    REQUIRE(db->Put(rocksdb::WriteOptions(), cf, k, v).ok());
  }
  void del(rocksdb::ColumnFamilyHandle* cf, const std::string& k) {
    REQUIRE(db->Delete(rocksdb::WriteOptions(), cf, k).ok());
  }
};

std::string encoded_event(uint64_t position, StreamId stream, uint64_t version) {
  Envelope e;
  e.position = position;
  e.category = stream.category;
  e.stream_id = stream.id;
  e.version = version;
  e.payload = calendar_created("raw");
  return encode(e);
}

void require_data_loss(const std::string& dir, const std::string& needle) {
  auto r = RocksEventStore::open(dir);
  REQUIRE_FALSE(r.is_ok());
  INFO(r.status().message());
  CHECK(r.status().code() == Code::kDataLoss);
  CHECK(r.status().message().find(needle) != std::string::npos);
}

// A file system whose WAL files fail to take new data while `fail` is set.
class FailingWal final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingWal(std::unique_ptr<rocksdb::FSWritableFile> f, const std::atomic<bool>* fail)
      : FSWritableFileOwnerWrapper(std::move(f)), fail_(fail) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    if (fail_->load()) return rocksdb::IOStatus::IOError("injected write failure");
    return target()->Append(data, o, d);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* d) override {
    if (fail_->load()) return rocksdb::IOStatus::IOError("injected write failure");
    return target()->Append(data, o, info, d);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (fail_->load()) return rocksdb::IOStatus::IOError("injected sync failure");
    return target()->Sync(o, d);
  }

 private:
  const std::atomic<bool>* fail_;
};

class FailingFs final : public rocksdb::FileSystemWrapper {
 public:
  FailingFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FailingFs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* d) override {
    auto s = target()->NewWritableFile(name, o, result, d);
    if (s.ok() && name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0)
      *result = std::make_unique<FailingWal>(std::move(*result), &fail);
    return s;
  }
  std::atomic<bool> fail{false};
};

// A directory whose stores write their WAL through a FailingFs.
struct FailingDisk {
  TempDir dir;
  std::shared_ptr<FailingFs> fs = std::make_shared<FailingFs>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  // The store in `dir`, on this disk.
  std::unique_ptr<RocksEventStore> open() const {
    RocksOptions o;
    o.env = env.get();
    return open_ok(dir.path(), o);
  }
};

}  // namespace

TEST_CASE("reopening keeps events, versions, idempotency and meta", "[storage][rocksdb]") {
  TempDir dir;
  {
    auto store = open_ok(dir.path());
    fill(*store);
    REQUIRE(store->put_meta("models", "sum-1").is_ok());
  }
  auto store = open_ok(dir.path());
  CHECK(store->head() == 5);
  CHECK(store->stream_version(kCalA) == 3);
  CHECK(store->stream_version(kCalB) == 2);
  auto all = store->read(0, 0);
  REQUIRE(all.is_ok());
  REQUIRE(all->size() == 5);
  CHECK((*all)[4].payload.AsCalendarCreated()->name == "b2");
  CHECK((*all)[4].idempotency_key == "k2");
  CHECK((*all)[4].actor_id == 2);
  CHECK(**store->get_meta("models") == "sum-1");
  auto dup = append_one(*store, tx({pending(kCalA, 0, "a1"), pending(kCalB, 0, "b1")}, 1, "k1"));
  REQUIRE(dup[0].is_ok());
  CHECK(dup[0]->duplicate);
  CHECK(positions_of(*dup[0]) == std::vector<uint64_t>{1, 2});
  // Appending continues at the next position and version.
  auto next = append_one(*store, tx({pending(kCalB, 2, "b3")}));
  REQUIRE(next[0].is_ok());
  CHECK(next[0]->events[0].position == 6);
  CHECK(next[0]->events[0].version == 3);
  CHECK(store->verify({}).is_ok());
}

TEST_CASE("a log entry without its index entry is a torn tail at open", "[storage][rocksdb]") {
  TempDir dir;
  { fill(*open_ok(dir.path())); }
  {
    RawDb raw(dir.path());
    raw.put(raw.log(), keys::position_key(6), encoded_event(6, kCalB, 3));
  }
  require_data_loss(dir.path(), "log position 6");
}

TEST_CASE("a last entry that does not verify is a torn tail at open", "[storage][rocksdb]") {
  TempDir dir;
  { fill(*open_ok(dir.path())); }
  {
    RawDb raw(dir.path());
    std::string bytes = encoded_event(5, kCalB, 2);
    raw.put(raw.log(), keys::position_key(5), bytes.substr(0, bytes.size() / 2));
  }
  require_data_loss(dir.path(), "log position 5 does not verify");
}

TEST_CASE("a log that ends before its last batch is detected at open", "[storage][rocksdb]") {
  TempDir dir;
  { fill(*open_ok(dir.path())); }
  {
    RawDb raw(dir.path());
    raw.del(raw.log(), keys::position_key(5));
  }
  require_data_loss(dir.path(), "log ends at position 4");
}

TEST_CASE("an index entry past the head is detected at open", "[storage][rocksdb]") {
  TempDir dir;
  { fill(*open_ok(dir.path())); }
  {
    RawDb raw(dir.path());
    raw.put(raw.streams(), keys::stream_key(kCalB, 3), keys::position_key(6));
  }
  require_data_loss(dir.path(), "past the head 5");
}

TEST_CASE("the last entry indexed at another position is detected at open", "[storage][rocksdb]") {
  TempDir dir;
  { fill(*open_ok(dir.path())); }
  {
    RawDb raw(dir.path());
    raw.put(raw.streams(), keys::stream_key(kCalB, 2), keys::position_key(2));
  }
  require_data_loss(dir.path(), "to another position");
}

TEST_CASE("verify passes a sound store and names the first problem of a damaged one",
          "[storage][rocksdb]") {
  TempDir dir;
  {
    auto store = open_ok(dir.path());
    fill(*store);
    std::vector<std::pair<uint64_t, uint64_t>> calls;
    REQUIRE(store->verify([&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); })
                .is_ok());
    REQUIRE_FALSE(calls.empty());
    CHECK(calls.back().first == calls.back().second);
    CHECK(calls.back().second == 10);
  }

  SECTION("a missing index entry in the middle") {
    {
      RawDb raw(dir.path());
      raw.del(raw.streams(), keys::stream_key(kCalA, 2));
    }
    auto store = open_ok(dir.path());  // the tail is sound
    Status s = store->verify({});
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.code() == Code::kDataLoss);
    CHECK(s.message() == "log position 3 (stream calendar/1 version 2) has no stream index entry");
  }
  SECTION("a payload that does not decode") {
    {
      RawDb raw(dir.path());
      raw.put(raw.log(), keys::position_key(2), "not an envelope");
    }
    auto store = open_ok(dir.path());
    Status s = store->verify({});
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.code() == Code::kDataLoss);
    CHECK(s.message().rfind("log position 2: ", 0) == 0);
    // Readers are told too, never served garbage.
    auto r = store->read(1, 0);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Code::kDataLoss);
  }
  SECTION("a gap in the positions") {
    {
      RawDb raw(dir.path());
      raw.del(raw.log(), keys::position_key(3));
    }
    auto store = open_ok(dir.path());
    Status s = store->verify({});
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.message() == "log position 3 is missing (next is 4)");
    CHECK(store->scan(1, 0, [](uint64_t, std::string_view) { return true; }).code() ==
          Code::kDataLoss);
  }
  SECTION("a stream version that skips") {
    {
      RawDb raw(dir.path());
      raw.put(raw.log(), keys::position_key(3), encoded_event(3, kCalA, 5));
    }
    auto store = open_ok(dir.path());
    Status s = store->verify({});
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.message() == "log position 3: stream calendar/1 jumps from version 1 to 5");
  }
  SECTION("an index entry pointing at the wrong event") {
    {
      RawDb raw(dir.path());
      raw.put(raw.streams(), keys::stream_key(kCalB, 1), keys::position_key(1));
    }
    auto store = open_ok(dir.path());
    Status s = store->verify({});
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.message() ==
          "stream index entry calendar/2 version 1 points to position 1, which holds "
          "calendar/1 version 1");
  }
}

TEST_CASE("a checkpoint opens as a store with the same events", "[storage][rocksdb]") {
  TempDir dir;
  auto store = open_ok(dir.sub("data"));
  fill(*store);
  REQUIRE(store->put_meta("models", "sum-1").is_ok());
  REQUIRE(store->checkpoint(dir.sub("backup")).is_ok());
  // Later appends do not reach the copy.
  REQUIRE(append_one(*store, tx({pending(kCalA, 3, "a4")}))[0].is_ok());

  Status again = store->checkpoint(dir.sub("backup"));
  CHECK_FALSE(again.is_ok());  // the target must not exist

  auto copy = open_ok(dir.sub("backup"));
  CHECK(copy->head() == 5);
  CHECK(copy->stream_version(kCalA) == 3);
  CHECK(**copy->get_meta("models") == "sum-1");
  auto a = store->read(1, 5);
  auto b = copy->read(1, 0);
  REQUIRE(a.is_ok());
  REQUIRE(b.is_ok());
  REQUIRE(b->size() == 5);
  for (size_t i = 0; i < 5; ++i) CHECK(encode((*a)[i]) == encode((*b)[i]));
  CHECK(copy->verify({}).is_ok());
  auto found = copy->find_idempotent(2, "k2");
  REQUIRE(found.is_ok());
  CHECK(**found == std::vector<uint64_t>{4, 5});
}

TEST_CASE("a read-only store reads and refuses writes", "[storage][rocksdb]") {
  TempDir dir;
  { fill(*open_ok(dir.path())); }
  RocksOptions ro;
  ro.read_only = true;
  auto store = open_ok(dir.path(), ro);
  CHECK(store->head() == 5);
  CHECK(store->verify({}).is_ok());
  auto r = append_one(*store, tx({pending(kCalA, 3)}));
  REQUIRE_FALSE(r[0].is_ok());
  CHECK(r[0].status().code() == Code::kFailedPrecondition);
  CHECK(store->put_meta("x", "y").code() == Code::kFailedPrecondition);

  TempDir empty;
  RocksOptions missing;
  missing.create_if_missing = false;
  auto none = RocksEventStore::open(empty.sub("nothing-here"), missing);
  CHECK_FALSE(none.is_ok());
}

TEST_CASE("a failed write leaves nothing visible", "[storage][rocksdb]") {
  FailingDisk disk;
  {
    auto store = disk.open();
    fill(*store);
    int observed = 0;
    store->set_observer([&](size_t, size_t, size_t, int64_t) { ++observed; });

    disk.fs->fail = true;
    std::vector<Transaction> batch;
    batch.push_back(tx({pending(kCalA, 3, "lost")}, 1, "k3"));
    batch.push_back(tx({pending(kCalA, 0, "stale")}));
    batch.push_back(tx({pending(kCalB, 2, "lost too")}));
    auto r = store->append(std::move(batch));
    REQUIRE(r.size() == 3);
    for (const auto& one : r) {
      REQUIRE_FALSE(one.is_ok());
      CHECK(one.status().code() == Code::kUnavailable);
    }
    CHECK(observed == 0);
    CHECK(store->head() == 5);
    CHECK(store->stream_version(kCalA) == 3);
    CHECK(store->stream_version(kCalB) == 2);
    auto all = store->read(0, 0);
    REQUIRE(all.is_ok());
    CHECK(all->size() == 5);
    auto stream = store->read_stream(kCalA, 1, 0);
    REQUIRE(stream.is_ok());
    CHECK(stream->size() == 3);
    auto key = store->find_idempotent(1, "k3");
    REQUIRE(key.is_ok());
    CHECK_FALSE(key->has_value());
    disk.fs->fail = false;
  }
  auto store = disk.open();
  CHECK(store->head() == 5);
  CHECK(store->stream_version(kCalA) == 3);
  CHECK(store->verify({}).is_ok());
  auto r = append_one(*store, tx({pending(kCalA, 3, "retried")}, 1, "k3"));
  REQUIRE(r[0].is_ok());
  CHECK_FALSE(r[0]->duplicate);
  CHECK(r[0]->events[0].position == 6);
}

TEST_CASE("a failed commit fails the batch prepared behind it and ends appending", "[storage][rocksdb]") {
  FailingDisk disk;
  {
    auto store = disk.open();
    fill(*store);
    std::vector<Transaction> first, second;
    first.push_back(tx({pending(kCalA, 3, "lost")}));
    second.push_back(tx({pending(kCalA, 4, "assumed the lost one")}));
    auto p1 = store->prepare(std::move(first));
    auto p2 = store->prepare(std::move(second));
    disk.fs->fail = true;
    auto r1 = store->commit(std::move(p1));
    disk.fs->fail = false;
    auto r2 = store->commit(std::move(p2));
    REQUIRE(r1.size() == 1);
    REQUIRE(r2.size() == 1);
    CHECK(r1[0].status().code() == Code::kUnavailable);
    CHECK(r2[0].status().code() == Code::kUnavailable);
    // The disk is back, but appending stays refused until the store reopens.
    auto later = append_one(*store, tx({pending(kCalA, 3, "later")}));
    CHECK(later[0].status().code() == Code::kUnavailable);
    CHECK(store->head() == 5);
    CHECK(store->stream_version(kCalA) == 3);
  }
  auto store = disk.open();
  CHECK(store->head() == 5);
  CHECK(store->verify({}).is_ok());
  auto r = append_one(*store, tx({pending(kCalA, 3, "retried")}));
  REQUIRE(r[0].is_ok());
  CHECK(r[0]->events[0].position == 6);
}

TEST_CASE("the observer sees each durable append", "[storage][rocksdb]") {
  TempDir dir;
  auto store = open_ok(dir.path());
  std::vector<std::tuple<size_t, size_t, size_t, int64_t>> calls;
  store->set_observer([&](size_t t, size_t e, size_t b, int64_t us) {
    calls.emplace_back(t, e, b, us);
  });
  std::vector<Transaction> batch;
  batch.push_back(tx({pending(kCalA, 0), pending(kCalB, 0)}));
  batch.push_back(tx({pending(kCalA, 7)}));  // conflict: not counted
  batch.push_back(tx({pending(kCalA, 1)}));
  auto r = store->append(std::move(batch));
  REQUIRE(calls.size() == 1);
  CHECK(std::get<0>(calls[0]) == 2);
  CHECK(std::get<1>(calls[0]) == 3);
  CHECK(std::get<2>(calls[0]) > 3 * 40);
  CHECK(std::get<3>(calls[0]) >= 0);
  // A batch with nothing to write writes nothing.
  auto conflicted = append_one(*store, tx({pending(kCalA, 0)}));
  CHECK(calls.size() == 1);
}

TEST_CASE("joined batches are one durable write, and only consecutive ones join", "[storage][rocksdb]") {
  TempDir dir;
  {
    auto store = open_ok(dir.path());
    size_t writes = 0, events = 0;
    store->set_observer([&](size_t, size_t e, size_t, int64_t) {
      ++writes;
      events += e;
    });
    std::vector<Transaction> first, second;
    first.push_back(tx({pending(kCalA, 0)}));
    second.push_back(tx({pending(kCalA, 1), pending(kCalB, 0)}));
    auto p1 = store->prepare(std::move(first));
    auto p2 = store->prepare(std::move(second));
    auto r = store->commit(store->join(std::move(p1), std::move(p2)));
    REQUIRE(r.size() == 2);
    REQUIRE(r[1].is_ok());
    CHECK(positions_of(*r[1]) == std::vector<uint64_t>{2, 3});
    CHECK(writes == 1);
    CHECK(events == 3);

    // Joined the wrong way round: positions would not follow each other, so
    // nothing is written and every result says why.
    std::vector<Transaction> third, fourth;
    third.push_back(tx({pending(kCalA, 2)}));
    fourth.push_back(tx({pending(kCalA, 3)}));
    auto p3 = store->prepare(std::move(third));
    auto p4 = store->prepare(std::move(fourth));
    auto wrong = store->commit(store->join(std::move(p4), std::move(p3)));
    REQUIRE(wrong.size() == 2);
    CHECK(wrong[0].status().code() == Code::kInternal);
    CHECK(wrong[1].status().code() == Code::kInternal);
    CHECK(writes == 1);
    CHECK(store->head() == 3);
  }
  // The joined write's batch record spans both: the tail check at open passes.
  auto store = open_ok(dir.path());
  CHECK(store->head() == 3);
  CHECK(store->stream_version(kCalA) == 2);
  CHECK(store->verify({}).is_ok());
}

TEST_CASE("stream ids order numerically in the index, negative ones too", "[storage][rocksdb]") {
  CHECK(keys::stream_key({Category::Event, -1}, 1) < keys::stream_key({Category::Event, 0}, 1));
  CHECK(keys::stream_key({Category::Event, 255}, 9) < keys::stream_key({Category::Event, 256}, 1));
  CHECK(keys::position_key(255) < keys::position_key(256));
  StreamId s;
  uint64_t v = 0;
  REQUIRE(keys::parse_stream_key(keys::stream_key({Category::Poll, -42}, 77), &s, &v));
  CHECK(s == StreamId{Category::Poll, -42});
  CHECK(v == 77);
  CHECK_FALSE(keys::parse_stream_key("short", &s, &v));
}

TEST_CASE("a large log scans in order and fast enough for replay", "[storage][rocksdb]") {
  TempDir dir;
  RocksOptions o;
  o.sync = false;  // this test is about reading
  auto store = open_ok(dir.path(), o);
  constexpr uint64_t kEvents = 20000;
  for (uint64_t b = 0; b < kEvents / 100; ++b) {
    std::vector<Transaction> batch;
    for (uint64_t i = 0; i < 100; ++i)
      batch.push_back(tx({pending(StreamId{Category::Calendar, int64_t(b * 100 + i + 1)}, 0)}));
    for (auto& r : store->append(std::move(batch))) REQUIRE(r.is_ok());
  }
  store.reset();
  store = open_ok(dir.path(), o);
  REQUIRE(store->head() == kEvents);
  uint64_t expect = 1;
  size_t bytes = 0;
  REQUIRE(store->scan(1, 0, [&](uint64_t p, std::string_view v) {
    if (p != expect) return false;
    ++expect;
    bytes += v.size();
    return true;
  }).is_ok());
  CHECK(expect == kEvents + 1);
  CHECK(bytes > kEvents * 40);
  CHECK(store->stream_version(StreamId{Category::Calendar, 12345}) == 1);
  CHECK(store->verify({}).is_ok());
}
