#include <random>

#include "harness.hpp"

using namespace almanac;
using namespace almanac::cmd;
using namespace almanac::cmd::testing;

namespace {

WriteState replay(const std::vector<Envelope>& log, size_t buckets = 0) {
  WriteState s;
  if (buckets) {
    // Different bucket counts give different hash-map iteration orders.
    s.username_index.reserve(buckets);
    s.email_index.reserve(buckets);
    s.reset_index.reserve(buckets);
    s.calendar_names.reserve(buckets);
  }
  for (const Envelope& e : log) apply(s, e);
  return s;
}

// A few thousand random commands, accepted or refused, from a handful of users.
void random_workload(Harness& h, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int64_t hi) { return std::uniform_int_distribution<int64_t>(1, hi)(rng); };
  std::vector<int64_t> users;
  for (int i = 0; i < 6; ++i) users.push_back(h.user("u" + std::to_string(i)));
  const int64_t base = at(2024, 1, 1);
  for (int i = 0; i < n; ++i) {
    int64_t actor = users[pick(users.size()) - 1];
    int64_t start = base + pick(24 * 60) * 30 * 60'000'000LL;
    int64_t events = h.state.next_id(Category::Event) - 1;
    int64_t tasks = h.state.next_id(Category::Task) - 1;
    int64_t polls = h.state.next_id(Category::Poll) - 1;
    int64_t sessions = h.state.next_id(Category::Session) - 1;
    switch (pick(16)) {
      case 1: {
        ScheduleEvent s = Harness::timed("E" + std::to_string(i), start,
                                         start + pick(8) * kHour, pick(2) == 1);
        if (pick(3) == 1) s.event.visibility = ev::Visibility::Public;
        if (pick(4) == 1) {
          s.event.fields |= event_field::kMaxParticipants;
          s.event.max_participants = static_cast<int32_t>(pick(3));
        }
        h.run(s, actor);
        break;
      }
      case 2: {
        UpdateEvent u;
        u.event_id = pick(events + 1);
        u.changes.fields = event_field::kStart | event_field::kEnd;
        u.changes.start = start;
        u.changes.end = start + pick(4) * kHour;
        u.reject_conflicts = pick(2) == 1;
        h.run(u, actor);
        break;
      }
      case 3: h.run(DeleteEvent{pick(events + 1)}, actor); break;
      case 4: h.run(JoinEvent{pick(events + 1)}, actor); break;
      case 5: h.run(LeaveEvent{pick(events + 1)}, actor); break;
      case 6:
        h.run(ShareEvent{pick(events + 1), users[pick(users.size()) - 1],
                         pick(2) == 1 ? ev::Role::Viewer : ev::Role::Editor},
              actor);
        break;
      case 7: {
        CreateTask t;
        t.task.event_id = pick(events + 1);
        t.task.title = "T";
        h.run(t, actor);
        break;
      }
      case 8: h.run(CompleteTask{pick(tasks + 1)}, actor); break;
      case 9: {
        CreatePoll p;
        p.poll.event_id = pick(events + 1);
        p.poll.title = "P";
        p.poll.option_texts = {"a", "b", "c"};
        p.poll.multiple_choice = pick(2) == 1;
        h.run(p, actor);
        break;
      }
      case 10: {
        int64_t poll = pick(polls + 1);
        const PollState* ps = h.state.poll(poll);
        int64_t first = ps ? ps->first_option_id : 1;
        h.run(CastBallot{poll, {first + pick(3) - 1}}, actor);
        break;
      }
      case 11:
        h.run(CreateCalendar{actor, "C" + std::to_string(pick(4)), std::nullopt}, actor);
        break;
      case 12: h.run(DeleteCalendar{pick(h.state.next_id(Category::Calendar))}, actor); break;
      case 13:
        h.run(StartSession{actor, "j" + std::to_string(i), h.clock.now_us() + kHour}, actor);
        break;
      case 14: {
        int64_t sid = pick(sessions + 1);
        const SessionState* ss = h.state.session(sid);
        std::string jti = ss ? (pick(3) == 1 && !ss->earlier_jtis.empty()
                                    ? ss->earlier_jtis.front()
                                    : ss->refresh_jti)
                             : "none";
        h.run(RefreshSession{sid, jti, "r" + std::to_string(i), h.clock.now_us() + kHour},
              actor);
        break;
      }
      case 15: {
        CaptureInboxItem c;
        c.item.content = "I";
        h.run(c, actor);
        break;
      }
      default: {
        UpdateProfile u;
        u.user_id = actor;
        u.fields = user_field::kUsername;
        u.username = "name" + std::to_string(pick(10));
        h.run(u, actor);
        break;
      }
    }
    h.clock.advance(60'000'000);
  }
}

}  // namespace

TEST_CASE("replay of the log rebuilds exactly the live state") {
  Harness h;
  random_workload(h, 3000, 42);
  REQUIRE(h.log.size() > 1000);
  WriteState a = replay(h.log);
  WriteState b = replay(h.log, 4096);
  CHECK(a.checksum() == h.state.checksum());
  CHECK(b.checksum() == h.state.checksum());
  for (int c = 1; c <= 9; ++c) {
    auto cat = static_cast<Category>(c);
    CHECK(a.count(cat) == h.state.count(cat));
    CHECK(a.next_id(cat) == h.state.next_id(cat));
  }
  CHECK(h.state.count(Category::User) == 6);
  CHECK(h.state.count(Category::Event) > 50);
  CHECK(h.state.count(Category::Poll) > 10);
}

TEST_CASE("the checksum tells different states apart") {
  Harness h;
  random_workload(h, 300, 7);
  uint64_t before = h.state.checksum();
  WriteState copy = replay(h.log);
  REQUIRE(copy.checksum() == before);

  // One more event changes it; so does a single flag flipped by hand.
  CaptureInboxItem item;
  item.item.content = "one more";
  h.ok(item, 1);
  CHECK(h.state.checksum() != before);
  copy.users.find(1)->active = !copy.users.find(1)->active;
  CHECK(copy.checksum() != before);

  // A replay that skips an event differs.
  std::vector<Envelope> shorter(h.log.begin(), h.log.end() - 1);
  CHECK(replay(shorter).checksum() != h.state.checksum());
}

TEST_CASE("versions, next ids and counts follow the applied events") {
  Harness h;
  CHECK(h.state.version({Category::User, 1}) == 0);
  CHECK(h.state.next_id(Category::User) == 1);
  CHECK(h.state.count(Category::User) == 0);
  int64_t alice = h.user("alice");
  h.ok(StartSession{alice, "j", h.clock.now_us() + kHour}, alice);
  CHECK(h.state.version({Category::User, alice}) == 2);
  CHECK(h.state.version({Category::Session, 1}) == 1);
  CHECK(h.state.next_id(Category::User) == 2);
  CHECK(h.state.next_id(Category::Session) == 2);
  CHECK(h.state.count(Category::User) == 1);
  CHECK(h.state.count(Category::Session) == 1);
  h.ok(DeleteUser{alice}, alice);
  // A deleted aggregate still counts as a stream, and its id is not reused.
  CHECK(h.state.count(Category::User) == 1);
  CHECK(h.user("bob") == 2);
}

TEST_CASE("decide is pure: the same inputs give the same decision") {
  Harness h;
  int64_t alice = h.user("alice");
  CommandEnvelope env;
  env.actor_id = alice;
  env.command = Harness::timed("Same", at(2024, 3, 20, 10), at(2024, 3, 20, 11));
  ManualClock c1(h.clock.now_us()), c2(h.clock.now_us());
  SequentialIds i1, i2;
  Decision a = decide(h.state, env, c1, i1);
  Decision b = decide(h.state, env, c2, i2);
  REQUIRE(a.events.size() == 1);
  REQUIRE(b.events.size() == 1);
  CHECK(a.events[0].stream == b.events[0].stream);
  Envelope ea, eb;
  ea.payload = a.events[0].payload;
  eb.payload = b.events[0].payload;
  CHECK(encode(ea) == encode(eb));
  // Deciding changed nothing.
  CHECK(h.state.count(Category::Event) == 0);
}

// Where ids live, that records stay in place and that copies are deep is
// the shared table's business (tests/unit/events/dense_map_test.cpp); here,
// what IdTable adds: a version beside each record.
TEST_CASE("id tables keep a stream's version apart from its record, for dense and hostile ids") {
  constexpr int64_t kChunk = DenseMap<UserState>::kChunk;
  constexpr int64_t kMaxGap = DenseMap<UserState>::kMaxGap;
  IdTable<UserState> t;
  CHECK(t.find(1) == nullptr);
  CHECK(t.version(1) == 0);
  t[1].username = "one";
  UserState* one = &t[1];
  CHECK(t.version(1) == 0);            // a record alone has no version
  const int64_t far = 3 * kMaxGap;
  t[0].username = "zero";
  t[-5].username = "negative";
  t[far].username = "far";
  t.version_of(far + 1) = 7;
  CHECK(t.find(far + 1) == nullptr);   // a version alone is not a record
  CHECK(t.version(far + 1) == 7);
  const int64_t near = kMaxGap + 10;
  t[near].username = "near";
  for (int64_t id = 2; id < 2 * kChunk; ++id) t[id].active = false;
  t.version_of(near) = 3;
  CHECK(t.version(near) == 3);
  CHECK(t.find(near)->username == "near");
  t[near + 1].username = "dense";
  CHECK(t.version(near + 1) == 0);
  CHECK(t.find(far)->username == "far");
  CHECK(t.version(far + 1) == 7);
  CHECK(&t[1] == one);

  size_t seen = 0, versions = 0;
  t.for_each([&](int64_t, const UserState&) { ++seen; });
  t.for_each_version([&](int64_t id, uint64_t v) {
    ++versions;
    CHECK(((id == far + 1 && v == 7) || (id == near && v == 3)));
  });
  CHECK(seen == t.size());
  CHECK(seen == 2 * kChunk - 1 + 5);
  CHECK(versions == 2);

  IdTable<UserState> copy = t;
  CHECK(copy.find(far)->username == "far");
  CHECK(copy.version(far + 1) == 7);
  CHECK(copy.size() == t.size());
  CHECK(&copy[1] != one);
}

TEST_CASE("a corrupt log with huge or non-positive ids replays without blowing up") {
  std::vector<Envelope> log;
  auto add = [&](Category c, int64_t id, auto payload) {
    Envelope e;
    e.category = c;
    e.stream_id = id;
    e.version = 1;
    e.payload.Set(std::move(payload));
    log.push_back(std::move(e));
  };
  ev::UserRegisteredT u;
  u.username = "big";
  u.email = "Big@Example.com";
  add(Category::User, int64_t{1} << 60, u);
  add(Category::User, -3, ev::UserDeactivatedT{});
  add(Category::Notification, int64_t{1} << 50, ev::AllNotificationsReadT{});
  add(Category::None, 9, ev::UserDeactivatedT{});
  WriteState a = replay(log);
  WriteState b = replay(log);
  CHECK(a.checksum() == b.checksum());
  CHECK(a.user_by_email("big@EXAMPLE.com") == int64_t{1} << 60);
  CHECK(a.user(int64_t{1} << 60)->username == "big");
  CHECK(a.version({Category::User, -3}) == 1);
  CHECK(a.version({Category::Notification, int64_t{1} << 50}) == 1);
  CHECK(a.version({Category::None, 9}) == 1);
  CHECK(a.count(Category::User) == 2);
  std::vector<Envelope> fewer(log.begin(), log.end() - 1);
  CHECK(replay(fewer).checksum() != a.checksum());
}
