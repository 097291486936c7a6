// Replay is the source of truth: the state built live by the writer and the
// state rebuilt from the log must be identical, over thousands of random
// commands, with both stores.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "app/node.hpp"
#include "app/workload.hpp"
#include "commands/decide.hpp"
#include "commands/replay.hpp"
#include "projections/read_models.hpp"
#include "storage/memory_event_store.hpp"

using namespace almanac;
namespace fs = std::filesystem;

namespace {

// Runs `n` workload commands through a writer, in bursts so batches form.
void drive(cmd::Writer& writer, app::Workload& workload, int n, int* accepted = nullptr) {
  for (int done = 0; done < n;) {
    std::vector<std::future<cmd::CommandResult>> burst;
    for (int i = 0; i < 50 && done < n; ++i, ++done) burst.push_back(writer.submit(workload.next()));
    for (auto& f : burst) {
      auto r = f.get();
      if (accepted && r.status.is_ok()) ++*accepted;
      workload.observe(r);
    }
  }
}

struct Rebuilt {
  cmd::WriteState state;
  proj::ReadModels models;
};

std::unique_ptr<Rebuilt> rebuild(const EventStore& store) {
  auto out = std::make_unique<Rebuilt>();
  auto stats = cmd::replay(store, {},
                           {[&](std::span<const Envelope> batch) {
                              for (const Envelope& e : batch) cmd::apply(out->state, e);
                            },
                            [&](std::span<const Envelope> batch) { out->models.apply_batch(batch); }});
  REQUIRE(stats.is_ok());
  CHECK(stats->events == store.head());
  return out;
}

}  // namespace

TEST_CASE("live state equals replayed state over random commands (memory store)") {
  storage::MemoryEventStore store;
  cmd::WriteState state;
  proj::ReadModels models;
  ManualClock clock;
  SequentialIds ids;
  cmd::Writer writer(store, state, clock, ids);
  writer.on_apply([&](std::span<const Envelope> b) {
    models.apply_batch(b);
    clock.advance(60'000'000);  // a minute per batch: expiries and ends_at come into play
  });
  writer.start();
  app::Workload workload(42, clock.now_us());
  int accepted = 0;
  drive(writer, workload, 4000, &accepted);
  writer.stop();

  INFO("events " << store.head() << ", accepted commands " << accepted);
  CHECK(accepted > 1000);     // the workload is mostly valid...
  CHECK(accepted < 4000);     // ...and some of it is refused
  REQUIRE(store.head() > 1000);

  auto again = rebuild(store);
  CHECK(again->state.checksum() == state.checksum());
  CHECK(again->models.checksum() == models.checksum());
  CHECK(again->models.counts() == models.counts());
  CHECK(again->models.position() == models.position());
}

TEST_CASE("a reopened RocksDB node replays to the state it had (and verify agrees)") {
  fs::path dir = fs::temp_directory_path() / ("almanac-replay-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  app::ModelSummary before;
  {
    app::NodeOptions o;
    o.data_dir = dir.string();
    auto node = app::Node::open(o);
    REQUIRE(node.is_ok());
    auto& writer = (*node)->start_writer();
    app::Workload workload(7, (*node)->clock().now_us());
    drive(writer, workload, 1500);
    REQUIRE((*node)->stop().is_ok());
    before = (*node)->summary();
    CHECK(before.position == (*node)->store().head());
  }
  {
    app::NodeOptions o;
    o.data_dir = dir.string();
    o.read_only = true;
    auto node = app::Node::open(o);
    REQUIRE(node.is_ok());
    CHECK((*node)->summary() == before);
    auto saved = (*node)->saved_summary();
    REQUIRE(saved.is_ok());
    REQUIRE(saved->has_value());
    CHECK(**saved == before);
  }
  fs::remove_all(dir);
}

TEST_CASE("the model summary round-trips through its text form") {
  app::ModelSummary s{42, 7, 9, {{"users", 3}, {"events", 11}}};
  auto back = app::ModelSummary::parse(s.to_text());
  REQUIRE(back);
  CHECK(*back == s);
  CHECK_FALSE(app::ModelSummary::parse("position x"));
  CHECK_FALSE(app::ModelSummary::parse("bogus 1"));
}

TEST_CASE("every sink sees every event once, in order, whatever the batch and queue sizes",
          "[concurrency]") {
  storage::MemoryEventStore store;
  cmd::WriteState state;
  ManualClock clock;
  SequentialIds ids;
  cmd::Writer writer(store, state, clock, ids);
  writer.start();
  app::Workload workload(7, clock.now_us());
  drive(writer, workload, 600);
  writer.stop();
  const uint64_t head = store.head();
  REQUIRE(head > 300);

  // (batch, ahead): one event at a time; a queue of the minimum two batches,
  // so the decoder waits on the slowest sink; and the defaults.
  const std::pair<size_t, size_t> shapes[] = {{1, 1}, {7, 14}, {64, 1000}, {512, 64 * 1024}};
  for (auto [batch, ahead] : shapes) {
    cmd::ReplayOptions options;
    options.batch = batch;
    options.ahead = ahead;
    // Each sink writes only its own vector; the last one is slow now and then.
    std::vector<std::vector<uint64_t>> seen(3);
    std::vector<cmd::ReplaySink> sinks;
    for (size_t i = 0; i < seen.size(); ++i) {
      sinks.push_back([&seen, i, slow = i == seen.size() - 1](std::span<const Envelope> b) {
        for (const Envelope& e : b) seen[i].push_back(e.position);
        if (slow && seen[i].size() % 50 < b.size()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      });
    }
    auto stats = cmd::replay(store, options, sinks);
    INFO("batch " << batch << ", ahead " << ahead);
    REQUIRE(stats.is_ok());
    CHECK(stats->events == head);
    CHECK(stats->sink_cpu_seconds.size() == sinks.size());
    std::vector<uint64_t> all(head);
    for (uint64_t p = 1; p <= head; ++p) all[p - 1] = p;
    for (const auto& s : seen) CHECK(s == all);
  }
}
