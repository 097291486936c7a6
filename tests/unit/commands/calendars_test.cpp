#include "harness.hpp"
#include <algorithm>

using namespace almanac;
using namespace almanac::cmd;
using namespace almanac::cmd::testing;

TEST_CASE("CreateCalendar: non-empty name, unique per owner") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  CreateCalendar c{alice, "Work", std::string("#FF5733")};
  Decision d = h.ok(c, alice);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].stream == StreamId{Category::Calendar, 1});
  const auto* e = d.events[0].payload.AsCalendarCreated();
  CHECK(e->owner_id == alice);
  CHECK(e->name == "Work");
  CHECK(e->has_color);
  CHECK(e->color == "#FF5733");
  CHECK(e->uuid.lo() != 0);

  Decision dup = h.run(CreateCalendar{alice, "Work", std::nullopt}, alice);
  CHECK(dup.status.code() == Code::kConflict);
  CHECK(dup.status.message() == "Calendar with name 'Work' already exists.");
  CHECK(dup.events.empty());
  // Exact match only, and per owner.
  CHECK(h.run(CreateCalendar{alice, "work", std::nullopt}, alice).status.is_ok());
  Decision other = h.ok(CreateCalendar{bob, "Work", std::nullopt}, bob);
  CHECK_FALSE(other.events[0].payload.AsCalendarCreated()->has_color);

  Decision empty = h.run(CreateCalendar{alice, "  ", std::nullopt}, alice);
  CHECK(empty.status.code() == Code::kInvalidArgument);
  CHECK(empty.status.field() == "name");
  CHECK(h.run(CreateCalendar{bob, "Mine", std::nullopt}, alice).status.code() ==
        Code::kForbidden);
}

TEST_CASE("UpdateCalendar: rename to a free name of the owner only") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  int64_t work = h.calendar(alice, "Work");
  h.calendar(alice, "Home");
  Decision d = h.ok(UpdateCalendar{work, "Office", std::string("blue")}, alice);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].expected_version == 1);
  const auto* u = d.events[0].payload.AsCalendarUpdated();
  CHECK(u->name == "Office");
  CHECK(u->color == "blue");
  CHECK(h.state.calendar_by_name(alice, "Office") == work);
  CHECK(h.state.calendar_by_name(alice, "Work") == 0);

  Decision taken = h.run(UpdateCalendar{work, "Home", std::nullopt}, alice);
  CHECK(taken.status.code() == Code::kConflict);
  CHECK(taken.status.message() == "Calendar with name 'Home' already exists.");
  // Keeping its own name is fine.
  CHECK(h.run(UpdateCalendar{work, "Office", std::nullopt}, alice).status.is_ok());

  Decision foreign = h.run(UpdateCalendar{work, "Mine", std::nullopt}, bob);
  CHECK(foreign.status.code() == Code::kNotFound);
  CHECK(foreign.status.message() == "Calendar not found");
  CHECK(h.run(UpdateCalendar{77, "X", std::nullopt}, alice).status.code() == Code::kNotFound);
}

TEST_CASE("DeleteCalendar deletes the calendar and its live events in one decision") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t work = h.calendar(alice, "Work");
  int64_t home = h.calendar(alice, "Home");
  auto in_calendar = [&](int64_t cal, int64_t start) {
    ScheduleEvent s = Harness::timed("E", start, start + kHour);
    s.event.calendar_id = cal;
    return h.ok(s, alice).events[0].stream.id;
  };
  int64_t e1 = in_calendar(work, at(2024, 3, 4, 10));
  int64_t e2 = in_calendar(work, at(2024, 3, 5, 10));
  int64_t e3 = in_calendar(work, at(2024, 3, 6, 10));
  int64_t other = in_calendar(home, at(2024, 3, 4, 10));
  h.ok(DeleteEvent{e2}, alice);

  CHECK(h.run(DeleteCalendar{work}, h.user("bob")).status.code() == Code::kNotFound);
  Decision d = h.ok(DeleteCalendar{work}, alice);
  REQUIRE(d.events.size() == 3);
  CHECK(d.events[0].stream == StreamId{Category::Calendar, work});
  CHECK(d.events[0].payload.type == ev::Payload::CalendarDeleted);
  CHECK(d.events[1].stream == StreamId{Category::Event, e1});
  CHECK(d.events[1].payload.AsEventDeleted()->with_calendar);
  CHECK(d.events[2].stream == StreamId{Category::Event, e3});
  CHECK(h.state.event(e1) == nullptr);   // a deleted event is forgotten
  CHECK(h.state.version(StreamId{Category::Event, e1}) == 0);
  CHECK(h.state.next_id(Category::Event) > std::max(e1, e3));   // its id is never given again
  REQUIRE(h.state.event(other) != nullptr);
  CHECK_FALSE(h.state.event(other)->deleted);
  CHECK(h.state.calendar(work)->deleted);
  // The name is free again, and the calendar is gone.
  CHECK(h.run(CreateCalendar{alice, "Work", std::nullopt}, alice).status.is_ok());
  CHECK(h.run(DeleteCalendar{work}, alice).status.code() == Code::kNotFound);
  // Events can no longer be scheduled into it.
  ScheduleEvent s = Harness::timed("E", at(2024, 3, 7, 10), at(2024, 3, 7, 11));
  s.event.calendar_id = work;
  Decision nf = h.run(s, alice);
  CHECK(nf.status.code() == Code::kNotFound);
  CHECK(nf.status.message() == "Calendar not found");
}
