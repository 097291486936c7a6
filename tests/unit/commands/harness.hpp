// Test harness for decide()/apply(): runs commands against a WriteState with
// a ManualClock and SequentialIds, and commits accepted events the way the
// writer does (through the byte codec, versions checked, then apply()).
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <date/date.h>

#include "commands/decide.hpp"

namespace almanac::cmd::testing {

// UTC µs of a civil date and time.
inline int64_t at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  auto day = date::sys_days{date::year{y} / date::month{mo} / date::day{d}};
  return std::chrono::duration_cast<std::chrono::microseconds>(
             (day + std::chrono::hours{h} + std::chrono::minutes{mi} +
              std::chrono::seconds{s})
                 .time_since_epoch())
      .count();
}

// Days since 1970-01-01 of a civil date.
inline int32_t day(int y, unsigned mo, unsigned d) {
  return static_cast<int32_t>(
      date::sys_days{date::year{y} / date::month{mo} / date::day{d}}.time_since_epoch().count());
}

constexpr int64_t kHour = 3'600'000'000;

struct Harness {
  WriteState state;
  ManualClock clock{at(2024, 3, 1, 9)};
  SequentialIds ids;
  uint64_t position = 0;
  std::vector<Envelope> log;   // every committed event, in order

  Decision run(Command c, int64_t actor, std::optional<uint64_t> expected = {}) {
    CommandEnvelope env;
    env.command = std::move(c);
    env.actor_id = actor;
    env.expected_version = expected;
    Decision d = decide(state, env, clock, ids);
    if (d.status.is_ok() || !d.events.empty()) commit(d, actor);
    return d;
  }

  // Like run(), but the command must succeed.
  Decision ok(Command c, int64_t actor) {
    Decision d = run(std::move(c), actor);
    INFO(d.status.to_string());
    REQUIRE(d.status.is_ok());
    return d;
  }

  void commit(const Decision& d, int64_t actor) {
    for (const PendingEvent& p : d.events) {
      REQUIRE(p.expected_version == state.version(p.stream));
      Envelope e;
      e.position = ++position;
      e.category = p.stream.category;
      e.stream_id = p.stream.id;
      e.version = p.expected_version + 1;
      e.recorded_at = clock.now_us();
      e.actor_id = actor;
      e.payload = p.payload;
      auto back = decode(encode(e));
      REQUIRE(back.is_ok());
      apply(state, *back);
      log.push_back(std::move(*back));
    }
  }

  int64_t user(const std::string& name) {
    RegisterUser r;
    r.username = name;
    r.email = name + "@example.com";
    r.password_hash = "$argon2id$hash-of-" + name;
    Decision d = ok(r, 0);
    return d.events.at(0).stream.id;
  }

  int64_t calendar(int64_t owner, const std::string& name) {
    CreateCalendar c;
    c.owner_id = owner;
    c.name = name;
    return ok(c, owner).events.at(0).stream.id;
  }

  static ScheduleEvent timed(const std::string& title, int64_t start, int64_t end,
                             bool reject_conflicts = false) {
    ScheduleEvent s;
    s.event.title = title;
    s.event.start = start;
    s.event.end = end;
    s.event.fields = event_field::kTitle | event_field::kStart | event_field::kEnd;
    s.reject_conflicts = reject_conflicts;
    return s;
  }

  int64_t event(int64_t owner, int64_t start, int64_t end,
                ev::Visibility vis = ev::Visibility::Private) {
    ScheduleEvent s = timed("Event", start, end);
    s.event.visibility = vis;
    return ok(s, owner).events.at(0).stream.id;
  }
};

}  // namespace almanac::cmd::testing
