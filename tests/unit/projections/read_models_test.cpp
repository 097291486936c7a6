#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "fixtures.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::ReadModels;

namespace {

// A small history touching every model (positions 1..n).
std::vector<Envelope> build_history() {
  std::vector<Envelope> out;
  uint64_t pos = 0;
  int64_t t = kT0;
  auto push = [&](Category c, int64_t id, auto payload, int64_t actor) {
    Envelope e;
    e.position = ++pos;
    e.category = c;
    e.stream_id = id;
    e.version = 1;
    e.recorded_at = t += kSecond;
    e.actor_id = actor;
    e.payload.Set(std::move(payload));
    out.push_back(std::move(e));
  };
  for (int i = 1; i <= 3; ++i) {
    push(Category::User, i, registered(i, "u" + std::to_string(i), "u" + std::to_string(i) + "@x.org"), 0);
  }
  push(Category::Calendar, 1, calendar(1, 1, "Work", "#123456"), 1);
  auto e = scheduled(1, 1, "Team Meeting", kT0, kT0 + kHour);
  e.calendar_id = 1;
  push(Category::Event, 1, e, 1);
  push(Category::Event, 1, shared(2, ev::Role::Editor), 1);
  push(Category::Event, 1, joined(3), 3);
  push(Category::Task, 1, task(1, 1, 1, "Agenda"), 1);
  push(Category::Poll, 1, poll(1, 1, 1, "Snacks?", {"yes", "no"}, 1), 1);
  push(Category::Poll, 1, ballot(2, {1}), 2);
  ev::InboxItemCapturedT item;
  item.owner_id = 2;
  item.content = "idea";
  push(Category::Inbox, 1, item, 2);
  ev::EventUpdatedT up;
  up.fields = event_field::kTitle;
  up.title = "Renamed";
  push(Category::Event, 1, up, 1);
  ev::SessionStartedT s;
  s.user_id = 1;
  s.refresh_jti = "j";
  push(Category::Session, 1, s, 1);
  ev::NotificationReadT r;
  r.notification_id = 1;
  push(Category::Notification, 2, r, 2);
  return out;
}

uint64_t count_of(const ReadModels& m, const std::string& name) {
  for (const auto& [k, v] : m.counts()) {
    if (k == name) return v;
  }
  FAIL("no count named " << name);
  return 0;
}

}  // namespace

TEST_CASE("counts name every model and agree with the history") {
  ReadModels m;
  auto log = build_history();
  m.apply_batch(log);
  CHECK(m.position() == log.size());
  auto counts = m.counts();
  std::vector<std::string> names;
  for (const auto& [k, v] : counts) names.push_back(k);
  CHECK(names == std::vector<std::string>{"users", "sessions", "calendars", "events", "tasks",
                                          "polls", "ballots", "inbox_items", "notifications"});
  CHECK(count_of(m, "users") == 3);
  CHECK(count_of(m, "sessions") == 1);
  CHECK(count_of(m, "calendars") == 1);
  CHECK(count_of(m, "events") == 1);
  CHECK(count_of(m, "tasks") == 1);
  CHECK(count_of(m, "polls") == 1);
  CHECK(count_of(m, "ballots") == 1);
  CHECK(count_of(m, "inbox_items") == 1);
  // share -> 2, join -> 1, update by 1 -> 2 and 3.
  CHECK(count_of(m, "notifications") == 4);
  CHECK(m.notification(1)->is_read);
}

TEST_CASE("the checksum depends on the state, not on how the log was batched") {
  auto log = build_history();
  ReadModels whole;
  whole.apply_batch(log);

  ReadModels one_by_one;
  for (const Envelope& e : log) one_by_one.apply_batch(std::span<const Envelope>(&e, 1));
  CHECK(one_by_one.checksum() == whole.checksum());
  CHECK(one_by_one.counts() == whole.counts());

  // Re-delivering applied envelopes changes nothing.
  const uint64_t before = whole.checksum();
  whole.apply_batch(std::span<const Envelope>(log).subspan(3, 5));
  CHECK(whole.checksum() == before);
  CHECK(whole.position() == log.size());

  // One event fewer is a different state.
  ReadModels shorter;
  shorter.apply_batch(std::span<const Envelope>(log).first(log.size() - 1));
  CHECK(shorter.checksum() != whole.checksum());
  CHECK(ReadModels().checksum() != whole.checksum());
}

TEST_CASE("a field that differs changes the checksum") {
  auto a = build_history();
  auto b = build_history();
  b[4].payload.AsEventScheduled()->title = "Team meeting";  // one letter
  ReadModels ma;
  ReadModels mb;
  ma.apply_batch(a);
  mb.apply_batch(b);
  CHECK(ma.counts() == mb.counts());
  CHECK(ma.checksum() != mb.checksum());
}

TEST_CASE("readers never see a torn batch while one writer applies thousands of them", "[concurrency]") {
  // Each batch schedules two events for user 1 (one of them public), shares
  // the private one with user 2 twice (two notifications to user 2) and casts
  // user 1's ballot again (only the first one ever counts). A reader must always see both events of a batch or neither, and
  // every count must agree with the listings.
  constexpr int kBatches = 2000;
  ReadModels m;
  {
    std::vector<Envelope> setup;
    uint64_t pos = 0;
    for (int i = 1; i <= 2; ++i) {
      Envelope e;
      e.position = ++pos;
      e.category = Category::User;
      e.stream_id = i;
      e.payload.Set(registered(i, "u" + std::to_string(i), "u" + std::to_string(i) + "@x.org"));
      setup.push_back(std::move(e));
    }
    Envelope p;
    p.position = ++pos;
    p.category = Category::Poll;
    p.stream_id = 1;
    auto pc = poll(1, 0, 1, "busy", {"a", "b"}, 1);
    pc.multiple_choice = true;
    p.payload.Set(std::move(pc));
    setup.push_back(std::move(p));
    m.apply_batch(setup);
  }
  const uint64_t kSetup = m.position();

  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<long> reads{0};
  auto reader = [&](int which) {
    while (!done.load()) {
      proj::EventQuery q;
      q.limit = 3;
      if (which == 0) {
        q.viewer = 1;
        q.scope = proj::EventScope::kOwned;
      } else {
        q.viewer = 2;  // sees the public event and the shared one of each batch
      }
      auto page = m.events(q);
      if (page.total % 2 != 0 || page.items.size() != std::min<size_t>(3, page.total)) ++failures;
      auto counts = m.counts();
      const uint64_t events = counts[3].second;
      const uint64_t notifications = counts[8].second;
      if (events % 2 != 0 || notifications != events) ++failures;
      if (which == 2) {
        auto inbox = m.notifications(2, 0, 1);
        if (inbox.total % 2 != 0 || inbox.unread != inbox.total) ++failures;
        if (inbox.total > 0 &&
            (inbox.items.size() != 1 || inbox.items[0].id != static_cast<int64_t>(inbox.total))) {
          ++failures;
        }
        auto poll = m.poll(1, 0, 1);
        if (!poll || poll->total_votes > 1 || (events > 0 && poll->total_votes != 1)) ++failures;
      }
      ++reads;
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader, i);

  uint64_t pos = kSetup;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<Envelope> batch;
    const int64_t first = 2 * b + 1;
    auto add = [&](Category c, int64_t id, auto payload, int64_t actor) {
      Envelope e;
      e.position = ++pos;
      e.category = c;
      e.stream_id = id;
      e.recorded_at = kT0 + static_cast<int64_t>(pos);
      e.actor_id = actor;
      e.payload.Set(std::move(payload));
      batch.push_back(std::move(e));
    };
    add(Category::Event, first, scheduled(first, 1, "a", kT0 + first * kHour, kT0 + first * kHour + 1), 1);
    auto pub = scheduled(first + 1, 1, "b", kT0 + first * kHour, kT0 + first * kHour + 1);
    pub.visibility = ev::Visibility::Public;
    add(Category::Event, first + 1, pub, 1);
    add(Category::Event, first, shared(2, ev::Role::Viewer), 1);  // notification to 2
    add(Category::Event, first, shared(2, ev::Role::Editor), 1);  // and another
    add(Category::Poll, 1, ballot(1, {1}), 1);                    // only the first one counts
    m.apply_batch(batch);
  }
  done = true;
  for (auto& t : readers) t.join();

  CHECK(failures.load() == 0);
  CHECK(reads.load() > 0);
  CHECK(m.position() == kSetup + 5u * kBatches);
  CHECK(count_of(m, "events") == 2u * kBatches);
  CHECK(count_of(m, "notifications") == 2u * kBatches);
  CHECK(m.notifications(2, 0, 1).total == 2u * kBatches);
  CHECK(m.poll(1, 0, 1)->total_votes == 1);
}
