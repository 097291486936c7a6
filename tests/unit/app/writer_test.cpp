// The single writer: group commit, read-your-write, idempotency, refusals,
// storage failure, and readers querying while it applies.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <latch>
#include <map>
#include <mutex>
#include <thread>

#include "commands/decide.hpp"
#include "commands/writer.hpp"
#include "projections/read_models.hpp"
#include "storage/memory_event_store.hpp"
#include "storage/rocksdb_event_store.hpp"
#include "storage/store_test_support.hpp"

using namespace almanac;

namespace {

cmd::CommandEnvelope register_user(const std::string& name, std::string key = {}) {
  cmd::CommandEnvelope c;
  c.command = cmd::RegisterUser{name, name + "@example.com", "$argon2id$fixture", "", "", ""};
  c.idempotency_key = std::move(key);
  return c;
}

// Fails every append: a full disk or a dead device.
class FailingStore final : public EventStore {
 public:
  struct Prepared final : PreparedAppend {
    size_t transactions = 0;
  };
  std::unique_ptr<PreparedAppend> prepare(std::vector<Transaction> batch) override {
    auto out = std::make_unique<Prepared>();
    out->transactions = batch.size();
    return out;
  }
  std::unique_ptr<PreparedAppend> join(std::unique_ptr<PreparedAppend> onto,
                                       std::unique_ptr<PreparedAppend> next) override {
    static_cast<Prepared&>(*onto).transactions += static_cast<Prepared&>(*next).transactions;
    return onto;
  }
  std::vector<Result<AppendOutcome>> commit(std::unique_ptr<PreparedAppend> p) override {
    const size_t n = static_cast<Prepared&>(*p).transactions;
    return std::vector<Result<AppendOutcome>>(n, Result<AppendOutcome>(unavailable("disk full")));
  }
  uint64_t head() const override { return 0; }
  uint64_t stream_version(StreamId) const override { return 0; }
  Status scan(uint64_t, uint64_t, const ScanFn&) const override { return Status::ok(); }
  Result<std::vector<Envelope>> read_stream(StreamId, uint64_t, uint64_t) const override {
    return std::vector<Envelope>{};
  }
  Result<std::optional<std::vector<uint64_t>>> find_idempotent(int64_t, std::string_view) const override {
    return std::optional<std::vector<uint64_t>>{};
  }
  Status put_meta(std::string_view, std::string_view) override { return Status::ok(); }
  Result<std::optional<std::string>> get_meta(std::string_view) const override {
    return std::optional<std::string>{};
  }
};

// A memory store whose commits off the preparing thread wait until
// `expected` transactions are prepared, so that what is submitted while the
// first batch commits queues into one batch behind it.
class HeldStore final : public EventStore {
 public:
  explicit HeldStore(size_t expected) : expected_(expected) {}
  std::unique_ptr<PreparedAppend> join(std::unique_ptr<PreparedAppend> onto,
                                       std::unique_ptr<PreparedAppend> next) override {
    return inner_.join(std::move(onto), std::move(next));
  }
  std::unique_ptr<PreparedAppend> prepare(std::vector<Transaction> batch) override {
    const size_t n = batch.size();
    auto out = inner_.prepare(std::move(batch));
    std::lock_guard lock(mu_);
    preparing_ = std::this_thread::get_id();
    prepared_ += n;
    cv_.notify_all();
    return out;
  }
  std::vector<Result<AppendOutcome>> commit(std::unique_ptr<PreparedAppend> p) override {
    {
      std::unique_lock lock(mu_);
      if (preparing_ != std::this_thread::get_id()) cv_.wait(lock, [&] { return prepared_ >= expected_; });
    }
    return inner_.commit(std::move(p));
  }
  uint64_t head() const override { return inner_.head(); }
  uint64_t stream_version(StreamId s) const override { return inner_.stream_version(s); }
  Status scan(uint64_t from, uint64_t limit, const ScanFn& fn) const override { return inner_.scan(from, limit, fn); }
  Result<std::vector<Envelope>> read_stream(StreamId s, uint64_t from, uint64_t limit) const override {
    return inner_.read_stream(s, from, limit);
  }
  Result<std::optional<std::vector<uint64_t>>> find_idempotent(int64_t actor, std::string_view key) const override {
    return inner_.find_idempotent(actor, key);
  }
  Status put_meta(std::string_view k, std::string_view v) override { return inner_.put_meta(k, v); }
  Result<std::optional<std::string>> get_meta(std::string_view k) const override { return inner_.get_meta(k); }

 private:
  storage::MemoryEventStore inner_;
  const size_t expected_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread::id preparing_;  // guarded by mu_
  size_t prepared_ = 0;        // guarded by mu_
};

// Holds the writer's finishing thread in its first publish hook until `go`,
// so that what is submitted meanwhile queues into one batch.
struct HoldFirstPublish {
  std::latch in_hook{1}, go{1};
  std::atomic<int> calls{0};
  explicit HoldFirstPublish(cmd::Writer& w) {
    w.on_publish([this](std::span<const Envelope>) {
      if (calls++ == 0) {
        in_hook.count_down();
        go.wait();
      }
    });
  }
};

// A writer on a memory store, busy finishing a first command ("dave"), so
// that what is submitted meanwhile queues until `hold.go`.
struct BusyWriter {
  storage::MemoryEventStore store;
  cmd::WriteState state;
  ManualClock clock;
  SequentialIds ids;
  cmd::Writer w{store, state, clock, ids};
  HoldFirstPublish hold{w};
  std::future<cmd::CommandResult> first;
  BusyWriter() {
    w.start();
    first = w.submit(register_user("dave"));
    hold.in_hook.wait();
  }
  // The writer stops, running its last publish hooks, before `hold` goes.
  ~BusyWriter() { w.stop(); }
};

struct Fixture {
  storage::MemoryEventStore store;
  cmd::WriteState state;
  ManualClock clock;
  SequentialIds ids;
  proj::ReadModels models;
  cmd::Writer writer{store, state, clock, ids};
  Fixture() {
    writer.on_apply([this](std::span<const Envelope> b) { models.apply_batch(b); });
    writer.start();
  }
};

}  // namespace

TEST_CASE("concurrent submitters are all committed, in fewer batches than commands") {
  Fixture f;
  constexpr int kThreads = 8, kEach = 100;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::vector<std::future<cmd::CommandResult>> futures;
      for (int i = 0; i < kEach; ++i)
        futures.push_back(f.writer.submit(register_user("u" + std::to_string(t) + "_" + std::to_string(i))));
      for (auto& fu : futures) ok += fu.get().status.is_ok();
    });
  for (auto& t : threads) t.join();
  CHECK(ok == kThreads * kEach);
  CHECK(f.store.head() == kThreads * kEach);
  CHECK(f.models.position() == kThreads * kEach);
  auto stats = f.writer.stats();
  CHECK(stats.commands == kThreads * kEach);
  CHECK(stats.batches >= 1);
  CHECK(stats.batches < stats.commands);  // submitters queued while a batch synced
}

TEST_CASE("a caller's completion runs after its events are applied to the read models") {
  Fixture f;
  auto r = f.writer.submit(register_user("alice")).get();
  REQUIRE(r.status.is_ok());
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].position == 1);
  CHECK(r.events[0].payload.type == ev::Payload::UserRegistered);
  CHECK(f.models.position() >= r.events[0].position);
  auto user = f.models.user_by_username("alice");
  REQUIRE(user);
  CHECK(user->id == r.events[0].stream_id);
}

TEST_CASE("a refused command appends nothing and says why") {
  Fixture f;
  REQUIRE(f.writer.submit(register_user("bob")).get().status.is_ok());
  auto again = f.writer.submit(register_user("bob")).get();
  CHECK(again.status.code() == Code::kConflict);
  CHECK(again.events.empty());
  CHECK(f.store.head() == 1);
}

TEST_CASE("a command accepted with nothing to record succeeds and appends nothing") {
  Fixture f;
  auto registered = f.writer.submit(register_user("erin")).get();
  REQUIRE(registered.status.is_ok());
  cmd::CommandEnvelope noop;
  noop.command = cmd::UpdateAccount{cmd::UpdateProfile{registered.events[0].stream_id}};
  noop.actor_id = registered.events[0].stream_id;
  auto r = f.writer.submit(std::move(noop)).get();
  CHECK(r.status.is_ok());
  CHECK(r.events.empty());
  CHECK(f.store.head() == 1);
}

TEST_CASE("an idempotency key already applied returns the first result and appends nothing") {
  Fixture f;
  auto first = f.writer.submit(register_user("carol", "k1")).get();
  REQUIRE(first.status.is_ok());
  auto second = f.writer.submit(register_user("carol", "k1")).get();
  CHECK(second.status.is_ok());
  CHECK(second.duplicate);
  REQUIRE(second.events.size() == 1);
  CHECK(second.events[0].position == first.events[0].position);
  CHECK(f.store.head() == 1);
}

TEST_CASE("a repeated key inside one batch is a duplicate of the first") {
  BusyWriter f;
  auto b = f.w.submit(register_user("erin", "same"));
  auto c = f.w.submit(register_user("erin", "same"));
  f.hold.go.count_down();
  auto rb = b.get(), rc = c.get();
  REQUIRE(f.first.get().status.is_ok());
  REQUIRE(rb.status.is_ok());
  CHECK_FALSE(rb.duplicate);
  CHECK(rc.status.is_ok());
  CHECK(rc.duplicate);
  REQUIRE(rc.events.size() == 1);
  CHECK(rc.events[0].position == rb.events[0].position);
  CHECK(f.store.head() == 2);
}

TEST_CASE("a key repeated in a later chunk of the same burst is a duplicate of the first") {
  BusyWriter f;
  // Ten commands queue: the deciding thread takes them eight at a time, so
  // the repeat of the key is decided in a chunk of its own.
  std::vector<std::future<cmd::CommandResult>> burst;
  burst.push_back(f.w.submit(register_user("erin", "same")));
  for (int i = 0; i < 8; ++i) burst.push_back(f.w.submit(register_user("f" + std::to_string(i))));
  burst.push_back(f.w.submit(register_user("erin", "same")));
  f.hold.go.count_down();
  std::vector<cmd::CommandResult> r;
  for (auto& fu : burst) r.push_back(fu.get());
  REQUIRE(f.first.get().status.is_ok());
  for (size_t i = 0; i + 1 < r.size(); ++i) {
    REQUIRE(r[i].status.is_ok());
    CHECK_FALSE(r[i].duplicate);
  }
  CHECK(r.back().status.is_ok());
  CHECK(r.back().duplicate);
  REQUIRE(r.back().events.size() == 1);
  CHECK(r.back().events[0].position == r.front().events[0].position);
  CHECK(f.store.head() == 10);
}

TEST_CASE("a large batch is applied and replied to a chunk at a time, each caller reading its write") {
  HeldStore store(41);
  cmd::WriteState state;
  ManualClock clock;
  SequentialIds ids;
  proj::ReadModels models;
  cmd::Writer w(store, state, clock, ids);
  // Finishing thread only, until the futures are ready: each slice the read
  // models were given, with how many callers had been completed before it.
  std::vector<std::pair<size_t, int>> slices;
  std::vector<size_t> batches;  // the publish hooks get whole batches
  std::atomic<int> completed{0};
  w.on_apply([&](std::span<const Envelope> b) {
    slices.emplace_back(b.size(), completed.load());
    models.apply_batch(b);
  });
  w.on_publish([&](std::span<const Envelope> b) { batches.push_back(b.size()); });
  w.start();
  std::vector<std::future<bool>> own_write_seen;
  for (int i = 0; i < 41; ++i) {
    auto done = std::make_shared<std::promise<bool>>();
    own_write_seen.push_back(done->get_future());
    w.submit(register_user("b" + std::to_string(i)), [&, done](cmd::CommandResult r) {
      done->set_value(r.status.is_ok() && models.position() >= r.events.at(0).position);
      ++completed;
    });
  }
  int seen = 0;
  for (auto& f : own_write_seen) seen += f.get();
  w.stop();

  CHECK(seen == 41);
  CHECK(store.head() == 41);
  REQUIRE_FALSE(batches.empty());
  CHECK(*std::max_element(batches.begin(), batches.end()) > 8);  // one event per command
  // Each slice holds at most 8 commands' events, and every caller of the
  // slices before it has been completed: one event per command, so the
  // events applied before a slice equal the callers completed before it.
  size_t applied = 0;
  bool chunked = true;
  for (auto [size, completed_before] : slices) {
    chunked = chunked && size <= 8 && static_cast<size_t>(completed_before) == applied;
    applied += size;
  }
  CHECK(chunked);
  CHECK(applied == 41);
}

TEST_CASE("a storage failure is reported and suspends writes until restart") {
  FailingStore store;
  cmd::WriteState state;
  ManualClock clock;
  SequentialIds ids;
  cmd::Writer w(store, state, clock, ids);
  int applied = 0;
  w.on_apply([&](std::span<const Envelope> b) { applied += static_cast<int>(b.size()); });
  w.start();
  auto r = w.submit(register_user("frank")).get();
  CHECK(r.status.code() == Code::kUnavailable);
  CHECK(w.failed());
  auto later = w.submit(register_user("grace")).get();
  CHECK(later.status.code() == Code::kUnavailable);
  CHECK(applied == 0);
}

TEST_CASE("after stop, submissions are refused with Unavailable") {
  Fixture f;
  f.writer.stop();
  auto r = f.writer.submit(register_user("heidi")).get();
  CHECK(r.status.code() == Code::kUnavailable);
}

TEST_CASE("readers query the read models while the writer applies", "[concurrency]") {
  // Catch2 assertions are not thread-safe: readers count what they saw wrong
  // and the main thread asserts.
  Fixture f;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  std::atomic<int> backwards{0}, missing{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i)
    readers.emplace_back([&] {
      uint64_t last = 0;
      while (!done) {
        uint64_t p = f.models.position();
        if (p < last) ++backwards;  // positions only move forward
        last = p;
        auto u = f.models.user_by_username("w0");
        if (p >= 1 && !u) ++missing;  // w0 is the first event
        ++reads;
      }
    });
  std::vector<std::future<cmd::CommandResult>> futures;
  for (int i = 0; i < 500; ++i) futures.push_back(f.writer.submit(register_user("w" + std::to_string(i))));
  int ok = 0;
  for (auto& fu : futures) ok += fu.get().status.is_ok();
  done = true;
  for (auto& t : readers) t.join();
  CHECK(ok == 500);
  CHECK(f.models.position() == 500);
  CHECK(backwards == 0);
  CHECK(missing == 0);
  CHECK(reads > 0);
}

TEST_CASE("the pipelined writer keeps log order, keys and state under concurrent submitters",
          "[concurrency]") {
  // Catch2 assertions are not thread-safe: threads record, the main thread asserts.
  storage::testing::TempDir dir;
  storage::RocksOptions options;
  options.sync = false;  // the order of the pipeline is under test here, not the disk
  auto opened = storage::RocksEventStore::open(dir.path(), options);
  REQUIRE(opened.is_ok());
  storage::RocksEventStore& store = **opened;
  cmd::WriteState state;
  ManualClock clock;
  SequentialIds ids;
  proj::ReadModels models;
  std::vector<uint64_t> published;  // only the finishing thread appends
  cmd::Writer writer(store, state, clock, ids);
  writer.on_apply([&](std::span<const Envelope> b) { models.apply_batch(b); });
  writer.on_publish([&](std::span<const Envelope> b) {
    for (const Envelope& e : b) published.push_back(e.position);
  });
  writer.start();

  // Four threads; each name is registered twice with one key (a retry racing
  // the original, from another thread) and once more without a key (refused:
  // the name is taken).
  constexpr int kThreads = 4, kEach = 150;
  std::vector<std::vector<std::future<cmd::CommandResult>>> keyed(kThreads), plain(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int n = t * kEach + i;             // this thread's own name
        const int other = ((t + 1) % kThreads) * kEach + i;  // the next thread's, retried
        keyed[t].push_back(writer.submit(register_user("p" + std::to_string(n), "k" + std::to_string(n))));
        keyed[t].push_back(
            writer.submit(register_user("p" + std::to_string(other), "k" + std::to_string(other))));
        plain[t].push_back(writer.submit(register_user("p" + std::to_string(other))));
      }
    });
  for (auto& t : threads) t.join();

  // name -> the positions each keyed result reported
  std::map<int, std::vector<std::pair<bool, uint64_t>>> by_name;
  int failures = 0, plain_ok = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      const int n = t * kEach + i, other = ((t + 1) % kThreads) * kEach + i;
      for (auto [future, name] : {std::pair{&keyed[t][2 * i], n}, std::pair{&keyed[t][2 * i + 1], other}}) {
        cmd::CommandResult r = future->get();
        if (!r.status.is_ok() || r.events.size() != 1) {
          ++failures;
          continue;
        }
        by_name[name].emplace_back(r.duplicate, r.events[0].position);
      }
      plain_ok += plain[t][i].get().status.is_ok();
    }
  }
  writer.stop();

  CHECK(failures == 0);
  CHECK(plain_ok == 0);
  REQUIRE(by_name.size() == kThreads * kEach);
  int firsts = 0, same = 0;
  for (const auto& [name, results] : by_name) {
    if (results.size() != 2) continue;
    firsts += (results[0].first ? 0 : 1) + (results[1].first ? 0 : 1);
    same += results[0].second == results[1].second;
  }
  CHECK(firsts == kThreads * kEach);  // exactly one of each pair appended
  CHECK(same == kThreads * kEach);    // and the retry got its position

  CHECK(store.head() == uint64_t{kThreads * kEach});
  REQUIRE(published.size() == store.head());
  bool in_order = true;
  for (size_t i = 0; i < published.size(); ++i) in_order = in_order && published[i] == i + 1;
  CHECK(in_order);
  CHECK(models.position() == store.head());
  CHECK(store.verify({}).is_ok());

  // The state decided ahead of each commit is the state the log replays to.
  cmd::WriteState replayed;
  REQUIRE(store.scan(1, 0, [&](uint64_t, std::string_view bytes) {
    auto e = decode(bytes);
    if (e.is_ok()) cmd::apply(replayed, *e);
    return e.is_ok();
  }).is_ok());
  CHECK(replayed.checksum() == state.checksum());
}
