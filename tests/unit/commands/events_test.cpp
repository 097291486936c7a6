#include "events/time.hpp"
#include "harness.hpp"

using namespace almanac;
using namespace almanac::cmd;
using namespace almanac::cmd::testing;

namespace {

constexpr int64_t kEndOfDay = kMicrosPerDay - 1;

ScheduleEvent all_day(int64_t start, std::optional<int64_t> end = std::nullopt) {
  ScheduleEvent s;
  s.event.title = "Holiday";
  s.event.start = start;
  s.event.is_all_day = true;
  s.event.fields = event_field::kTitle | event_field::kStart | event_field::kAllDay;
  if (end) {
    s.event.end = *end;
    s.event.fields |= event_field::kEnd;
  }
  return s;
}

}  // namespace

TEST_CASE("ScheduleEvent records the event with owner, uuid and its fields") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t cal = h.calendar(alice, "Work");
  ScheduleEvent s = Harness::timed("Team Meeting", at(2024, 3, 20, 10), at(2024, 3, 20, 11));
  s.event.description = "Weekly sync";
  s.event.location = "Room";
  s.event.calendar_id = cal;
  s.event.fields |= event_field::kDescription | event_field::kLocation;
  Decision d = h.ok(s, alice);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].stream == StreamId{Category::Event, 1});
  CHECK(d.events[0].expected_version == 0);
  const auto* e = d.events[0].payload.AsEventScheduled();
  REQUIRE(e);
  CHECK(e->owner_id == alice);
  CHECK(e->calendar_id == cal);
  CHECK(e->title == "Team Meeting");
  CHECK(e->description == "Weekly sync");
  CHECK(e->location == "Room");
  CHECK(e->start == at(2024, 3, 20, 10));
  CHECK(e->end == at(2024, 3, 20, 11));
  CHECK((e->fields & event_field::kEnd) != 0);
  CHECK(e->uuid.lo() != 0);
  const EventState* st = h.state.event(1);
  REQUIRE(st);
  CHECK(st->acl.at(alice) == ev::Role::Owner);
  CHECK(st->participants.empty());
  CHECK(h.state.calendar(cal)->events.count(1) == 1);
  CHECK(h.event(alice, at(2024, 3, 21, 10), at(2024, 3, 21, 11)) == 2);
}

TEST_CASE("a public event has its owner as first participant") {
  Harness h;
  int64_t alice = h.user("alice");
  ScheduleEvent s = Harness::timed("Picnic", at(2024, 5, 1, 12), at(2024, 5, 1, 15));
  s.event.visibility = ev::Visibility::Public;
  Decision d = h.ok(s, alice);
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].payload.type == ev::Payload::EventScheduled);
  CHECK(d.events[1].stream == StreamId{Category::Event, 1});
  CHECK(d.events[1].expected_version == 1);
  CHECK(d.events[1].payload.AsParticipantJoined()->user_id == alice);
  CHECK(h.state.event(1)->participants == std::vector<int64_t>{alice});
}

TEST_CASE("ScheduleEvent validates its fields") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t start = at(2024, 3, 20, 10);
  auto refused = [&](const ScheduleEvent& s, Code code, const std::string& field) {
    Decision d = h.run(s, alice);
    CHECK(d.status.code() == code);
    CHECK(d.status.field() == field);
    CHECK(d.events.empty());
    return d;
  };
  CHECK(refused(Harness::timed("", start, start + kHour), Code::kInvalidArgument, "title").status.reason() ==
        Reason::kBlankTitle);
  CHECK(refused(Harness::timed(" \t", start, start + kHour), Code::kInvalidArgument, "title").status.reason() ==
        Reason::kBlankTitle);
  Decision before = refused(Harness::timed("T", start, start - 1), Code::kInvalidArgument,
                            "end_time");
  CHECK(before.status.message() == "end_time must be after start_time");
  CHECK(before.status.reason() == Reason::kEndNotAfterStart);
  CHECK(refused(Harness::timed("T", start, start), Code::kInvalidArgument, "end_time").status.reason() ==
        Reason::kEndNotAfterStart);
  refused(Harness::timed("T", at(10000, 1, 1), at(10000, 1, 2)), Code::kInvalidArgument,
          "start_time");
  refused(Harness::timed("T", at(0, 12, 31), at(1, 1, 2)), Code::kInvalidArgument,
          "start_time");
  refused(Harness::timed("T", at(9999, 12, 31), at(10000, 1, 1)), Code::kInvalidArgument,
          "end_time");

  ScheduleEvent rep = Harness::timed("T", start, start + kHour);
  rep.event.repeat = ev::RepeatFrequency::Weekly;
  rep.event.fields |= event_field::kRepeat | event_field::kRepeatUntil;
  rep.event.repeat_until_day = day(2024, 3, 19);
  refused(rep, Code::kInvalidArgument, "repeat_until");
  rep.event.repeat_until_day = day(2124, 3, 21);
  refused(rep, Code::kInvalidArgument, "repeat_until");
  rep.event.repeat_until_day = day(2124, 3, 20);
  CHECK(h.run(rep, alice).status.is_ok());
  rep.event.repeat_until_day = day(2024, 3, 20);
  CHECK(h.run(rep, alice).status.is_ok());

  ScheduleEvent max = Harness::timed("T", start, start + kHour);
  max.event.fields |= event_field::kMaxParticipants;
  max.event.max_participants = 0;
  refused(max, Code::kInvalidArgument, "max_participants");

  int64_t bob = h.user("bob");
  int64_t bobs = h.calendar(bob, "Bob's");
  ScheduleEvent foreign = Harness::timed("T", start, start + kHour);
  foreign.event.calendar_id = bobs;
  Decision nf = refused(foreign, Code::kNotFound, "");
  CHECK(nf.status.message() == "Calendar not found");

  // An event without an end is valid (a gathering on a date).
  ScheduleEvent open;
  open.event.title = "Meetup";
  open.event.start = start;
  open.event.fields = event_field::kTitle | event_field::kStart;
  Decision ok = h.ok(open, alice);
  CHECK((ok.events[0].payload.AsEventScheduled()->fields & event_field::kEnd) == 0);
  CHECK_FALSE(h.state.event(ok.events[0].stream.id)->has_end);
}

TEST_CASE("all-day events are normalised to whole days") {
  Harness h;
  int64_t alice = h.user("alice");
  SECTION("with an end on a later day") {
    Decision d = h.ok(all_day(at(2024, 1, 15, 13, 30), at(2024, 1, 17, 8)), alice);
    const auto* e = d.events[0].payload.AsEventScheduled();
    CHECK(e->start == at(2024, 1, 15));
    CHECK(e->end == at(2024, 1, 17) + kEndOfDay);
  }
  SECTION("without an end: the start's day") {
    Decision d = h.ok(all_day(at(2024, 1, 15, 13, 30)), alice);
    const auto* e = d.events[0].payload.AsEventScheduled();
    CHECK(e->start == at(2024, 1, 15));
    CHECK(e->end == at(2024, 1, 15) + kEndOfDay);
    CHECK((e->fields & event_field::kEnd) != 0);
  }
  SECTION("an end earlier on the same day is fine once normalised") {
    Decision d = h.ok(all_day(at(2024, 1, 15, 13), at(2024, 1, 15, 9)), alice);
    CHECK(d.events[0].payload.AsEventScheduled()->end == at(2024, 1, 15) + kEndOfDay);
  }
  SECTION("an end on an earlier day is not") {
    Decision d = h.run(all_day(at(2024, 1, 15, 13), at(2024, 1, 14, 9)), alice);
    CHECK(d.status.code() == Code::kInvalidArgument);
    CHECK(d.status.field() == "end_time");
  }
  SECTION("before the epoch") {
    Decision d = h.ok(all_day(at(1960, 6, 1, 12)), alice);
    CHECK(d.events[0].payload.AsEventScheduled()->start == at(1960, 6, 1));
  }
}

TEST_CASE("reject_conflicts: half-open overlap with the owner's live events") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  int64_t ten = at(2024, 3, 20, 10);
  int64_t e1 = h.event(alice, ten, ten + kHour);
  auto attempt = [&](int64_t owner, int64_t s, int64_t e) {
    return h.run(Harness::timed("X", s, e, true), owner);
  };
  Decision c = attempt(alice, ten + kHour / 2, ten + 2 * kHour);
  CHECK(c.status.code() == Code::kConflict);
  CHECK(c.status.message() == "Event time conflicts with existing events");
  CHECK(c.events.empty());
  CHECK(attempt(alice, ten - kHour, ten + 1).status.code() == Code::kConflict);
  CHECK(attempt(alice, ten - kHour, ten + 3 * kHour).status.code() == Code::kConflict);
  // Touching is not overlapping.
  CHECK(attempt(alice, ten + kHour, ten + 2 * kHour).status.is_ok());
  CHECK(attempt(alice, ten - kHour, ten).status.is_ok());
  // Another owner's events do not count; without the flag nothing is checked.
  CHECK(attempt(bob, ten, ten + kHour).status.is_ok());
  CHECK(h.run(Harness::timed("X", ten, ten + kHour), alice).status.is_ok());
  // Deleted events no longer count.
  int64_t later = at(2024, 3, 21, 10);
  int64_t e2 = h.event(alice, later, later + kHour);
  h.ok(DeleteEvent{e2}, alice);
  CHECK(attempt(alice, later, later + kHour).status.is_ok());
  CHECK(e1 == 1);
}

TEST_CASE("the conflict index finds a long event that started long before") {
  Harness h;
  int64_t alice = h.user("alice");
  h.event(alice, at(2024, 1, 1), at(2024, 12, 31));   // a year-long event
  for (int d = 1; d <= 20; ++d) h.event(alice, at(2024, 2, d, 9), at(2024, 2, d, 10));
  CHECK(h.state.overlapping(alice, at(2024, 6, 1, 9), at(2024, 6, 1, 10)) ==
        std::vector<int64_t>{1});
  CHECK(h.state.overlapping(alice, at(2024, 2, 3, 9, 30), at(2024, 2, 4, 9, 30)) ==
        std::vector<int64_t>{1, 4, 5});
  CHECK(h.state.overlapping(alice, at(2025, 1, 1), at(2025, 1, 2)).empty());
}

TEST_CASE("ScheduleEvents is all or nothing and later events see earlier ones") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t ten = at(2024, 3, 20, 10);
  ScheduleEvents batch;
  batch.events.push_back(Harness::timed("A", ten, ten + kHour, true));
  batch.events.push_back(Harness::timed("B", ten + 2 * kHour, ten + 3 * kHour, true));
  Decision d = h.ok(batch, alice);
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].stream.id == 1);
  CHECK(d.events[1].stream.id == 2);
  CHECK(d.events[1].payload.AsEventScheduled()->title == "B");

  ScheduleEvents clash;
  clash.events.push_back(Harness::timed("C", ten + 4 * kHour, ten + 5 * kHour, true));
  clash.events.push_back(Harness::timed("D", ten + 4 * kHour, ten + 6 * kHour, true));
  Decision c = h.run(clash, alice);
  CHECK(c.status.code() == Code::kConflict);
  CHECK(c.events.empty());
  CHECK(h.state.next_id(Category::Event) == 3);

  ScheduleEvents bad;
  bad.events.push_back(Harness::timed("E", ten + 8 * kHour, ten + 9 * kHour));
  bad.events.push_back(Harness::timed("", ten + 10 * kHour, ten + 11 * kHour));
  Decision b = h.run(bad, alice);
  CHECK(b.status.code() == Code::kInvalidArgument);
  CHECK(b.status.field() == "events.1.title");  // the batch names the event it refuses
  CHECK(b.events.empty());
  CHECK(h.state.count(Category::Event) == 2);
}

TEST_CASE("UpdateEvent merges changes onto the current event before validating") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t ten = at(2024, 3, 20, 10);
  int64_t id = h.event(alice, ten, ten + kHour);

  UpdateEvent u;
  u.event_id = id;
  u.changes.fields = event_field::kTitle | event_field::kDescription;
  u.changes.title = "Renamed";
  u.changes.description = "Now with notes";
  Decision d = h.ok(u, alice);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].stream == StreamId{Category::Event, id});
  CHECK(d.events[0].expected_version == 1);
  const auto* e = d.events[0].payload.AsEventUpdated();
  CHECK(e->fields == (event_field::kTitle | event_field::kDescription));
  CHECK(e->title == "Renamed");
  CHECK(h.state.event(id)->title == "Renamed");

  UpdateEvent end_only;
  end_only.event_id = id;
  end_only.changes.fields = event_field::kEnd;
  end_only.changes.end = ten - 1;
  Decision bad = h.run(end_only, alice);
  CHECK(bad.status.code() == Code::kInvalidArgument);
  CHECK(bad.status.message() == "end_time must be after start_time");
  CHECK(bad.status.field() == "end_time");

  UpdateEvent start_only;
  start_only.event_id = id;
  start_only.changes.fields = event_field::kStart;
  start_only.changes.start = ten + 2 * kHour;
  CHECK(h.run(start_only, alice).status.field() == "end_time");

  UpdateEvent empty_title;
  empty_title.event_id = id;
  empty_title.changes.fields = event_field::kTitle;
  CHECK(h.run(empty_title, alice).status.field() == "title");

  UpdateEvent to_all_day;
  to_all_day.event_id = id;
  to_all_day.changes.fields = event_field::kAllDay;
  to_all_day.changes.is_all_day = true;
  Decision ad = h.ok(to_all_day, alice);
  const auto* n = ad.events[0].payload.AsEventUpdated();
  CHECK((n->fields & event_field::kStart) != 0);
  CHECK((n->fields & event_field::kEnd) != 0);
  CHECK(n->start == at(2024, 3, 20));
  CHECK(n->end == at(2024, 3, 20) + kEndOfDay);
  CHECK(h.state.event(id)->start == at(2024, 3, 20));

  UpdateEvent clear_end;
  clear_end.event_id = id;
  clear_end.changes.fields = event_field::kEnd | event_field::kAllDay;
  clear_end.changes.nulls = event_field::kEnd;
  clear_end.changes.is_all_day = false;
  Decision ce = h.ok(clear_end, alice);
  CHECK((ce.events[0].payload.AsEventUpdated()->nulls & event_field::kEnd) != 0);
  CHECK_FALSE(h.state.event(id)->has_end);
}

TEST_CASE("UpdateEvent: conflicts ignore the event itself") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t ten = at(2024, 3, 20, 10);
  int64_t a = h.event(alice, ten, ten + kHour);
  h.event(alice, ten + 2 * kHour, ten + 3 * kHour);
  UpdateEvent u;
  u.event_id = a;
  u.reject_conflicts = true;
  u.changes.fields = event_field::kEnd;
  u.changes.end = ten + 90 * 60'000'000LL;
  CHECK(h.run(u, alice).status.is_ok());
  u.changes.end = ten + 2 * kHour + 1;
  Decision c = h.run(u, alice);
  CHECK(c.status.code() == Code::kConflict);
  CHECK(c.status.message() == "Event time conflicts with existing events");
}

TEST_CASE("UpdateEvent and DeleteEvent permissions") {
  Harness h;
  int64_t owner = h.user("owner");
  int64_t editor = h.user("editor");
  int64_t viewer = h.user("viewer");
  int64_t stranger = h.user("stranger");
  int64_t ten = at(2024, 3, 20, 10);
  int64_t id = h.event(owner, ten, ten + kHour);
  h.ok(ShareEvent{id, editor, ev::Role::Editor}, owner);
  h.ok(ShareEvent{id, viewer, ev::Role::Viewer}, owner);

  UpdateEvent u;
  u.event_id = id;
  u.changes.fields = event_field::kTitle;
  u.changes.title = "By editor";
  CHECK(h.run(u, editor).status.is_ok());
  Decision v = h.run(u, viewer);
  CHECK(v.status.code() == Code::kForbidden);
  CHECK(v.status.message() == "Insufficient permissions");
  Decision s = h.run(u, stranger);
  CHECK(s.status.code() == Code::kNotFound);
  CHECK(s.status.message() == "Event not found");

  CHECK(h.run(DeleteEvent{id}, editor).status.code() == Code::kForbidden);
  CHECK(h.run(DeleteEvent{id}, stranger).status.code() == Code::kNotFound);
  Decision del = h.ok(DeleteEvent{id}, owner);
  CHECK_FALSE(del.events[0].payload.AsEventDeleted()->with_calendar);
  CHECK(h.run(u, owner).status.code() == Code::kNotFound);
  CHECK(h.run(DeleteEvent{id}, owner).status.code() == Code::kNotFound);

  // A public event is visible to all, editable by none but owner and editors.
  int64_t pub = h.event(owner, ten, ten + kHour, ev::Visibility::Public);
  u.event_id = pub;
  CHECK(h.run(u, stranger).status.code() == Code::kForbidden);
}

TEST_CASE("If-Match: expected_version must equal the event's version") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t id = h.event(alice, at(2024, 3, 20, 10), at(2024, 3, 20, 11));
  UpdateEvent u;
  u.event_id = id;
  u.changes.fields = event_field::kTitle;
  u.changes.title = "v2";
  Decision stale = h.run(u, alice, 0);
  CHECK(stale.status.code() == Code::kConflict);
  CHECK(stale.status.field() == "If-Match");
  CHECK(stale.events.empty());
  CHECK(h.run(u, alice, 1).status.is_ok());
  CHECK(h.run(u, alice, 1).status.code() == Code::kConflict);
  CHECK(h.run(u, alice, 2).status.is_ok());
  // An unknown target is reported as such, not as a version conflict.
  u.event_id = 99;
  CHECK(h.run(u, alice, 3).status.code() == Code::kNotFound);
  // Creation commands expect version 0.
  CHECK(h.run(Harness::timed("New", at(2024, 4, 1, 9), at(2024, 4, 1, 10)), alice, 1)
            .status.code() == Code::kConflict);
  CHECK(h.run(Harness::timed("New", at(2024, 4, 1, 9), at(2024, 4, 1, 10)), alice, 0)
            .status.is_ok());
}

TEST_CASE("ShareEvent and UnshareEvent: owner only") {
  Harness h;
  int64_t owner = h.user("owner");
  int64_t bob = h.user("bob");
  int64_t carol = h.user("carol");
  int64_t id = h.event(owner, at(2024, 3, 20, 10), at(2024, 3, 20, 11));
  Decision d = h.ok(ShareEvent{id, bob, ev::Role::Editor}, owner);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].payload.AsEventShared()->user_id == bob);
  CHECK(d.events[0].payload.AsEventShared()->role == ev::Role::Editor);
  CHECK(h.state.event(id)->acl.at(bob) == ev::Role::Editor);

  CHECK(h.run(ShareEvent{id, carol, ev::Role::Viewer}, bob).status.code() == Code::kForbidden);
  CHECK(h.run(ShareEvent{id, bob, ev::Role::Viewer}, carol).status.code() == Code::kNotFound);
  Decision nouser = h.run(ShareEvent{id, 99, ev::Role::Viewer}, owner);
  CHECK(nouser.status.code() == Code::kNotFound);
  CHECK(nouser.status.message() == "User not found");
  CHECK(h.run(ShareEvent{id, owner, ev::Role::Viewer}, owner).status.code() ==
        Code::kInvalidArgument);
  Decision role = h.run(ShareEvent{id, carol, ev::Role::Owner}, owner);
  CHECK(role.status.code() == Code::kInvalidArgument);
  CHECK(role.status.field() == "role");

  CHECK(h.run(UnshareEvent{id, bob}, bob).status.code() == Code::kForbidden);
  CHECK(h.run(UnshareEvent{id, carol}, owner).status.code() == Code::kNotFound);
  Decision un = h.ok(UnshareEvent{id, bob}, owner);
  CHECK(un.events[0].payload.AsEventUnshared()->user_id == bob);
  CHECK(h.state.event(id)->acl.count(bob) == 0);
  UpdateEvent u;
  u.event_id = id;
  u.changes.fields = event_field::kTitle;
  u.changes.title = "x";
  CHECK(h.run(u, bob).status.code() == Code::kNotFound);
}

TEST_CASE("JoinEvent and LeaveEvent on public gatherings") {
  Harness h;
  int64_t owner = h.user("owner");
  int64_t bob = h.user("bob");
  int64_t carol = h.user("carol");
  ScheduleEvent s = Harness::timed("Hike", at(2024, 6, 1, 8), at(2024, 6, 1, 16));
  s.event.visibility = ev::Visibility::Public;
  s.event.fields |= event_field::kMaxParticipants;
  s.event.max_participants = 2;
  int64_t id = h.ok(s, owner).events[0].stream.id;

  Decision j = h.ok(JoinEvent{id}, bob);
  REQUIRE(j.events.size() == 1);
  CHECK(j.events[0].payload.AsParticipantJoined()->user_id == bob);
  CHECK(j.events[0].expected_version == 2);
  CHECK(h.state.event(id)->participants == std::vector<int64_t>{owner, bob});

  Decision again = h.run(JoinEvent{id}, bob);
  CHECK(again.status.code() == Code::kFailedPrecondition);
  CHECK(again.status.message() == "Already a participant");
  Decision full = h.run(JoinEvent{id}, carol);
  CHECK(full.status.code() == Code::kFailedPrecondition);
  CHECK(full.status.message() == "Event is full");

  Decision creator = h.run(LeaveEvent{id}, owner);
  CHECK(creator.status.code() == Code::kForbidden);
  CHECK(creator.status.message() == "Event creator cannot leave");
  Decision notp = h.run(LeaveEvent{id}, carol);
  CHECK(notp.status.code() == Code::kFailedPrecondition);
  CHECK(notp.status.message() == "Not a participant");
  Decision left = h.ok(LeaveEvent{id}, bob);
  CHECK(left.events[0].payload.AsParticipantLeft()->user_id == bob);
  CHECK(h.run(JoinEvent{id}, carol).status.is_ok());

  // The limit may not fall below who has joined.
  UpdateEvent lower{id};
  lower.changes.fields = event_field::kMaxParticipants;
  lower.changes.max_participants = 1;
  Decision below = h.run(lower, owner);
  CHECK(below.status.code() == Code::kInvalidArgument);
  CHECK(below.status.field() == "max_participants");
  lower.changes.max_participants = 2;
  CHECK(h.run(lower, owner).status.is_ok());

  int64_t priv = h.event(owner, at(2024, 6, 2, 8), at(2024, 6, 2, 9));
  CHECK(h.run(JoinEvent{priv}, bob).status.code() == Code::kNotFound);
  CHECK(h.run(JoinEvent{999}, bob).status.code() == Code::kNotFound);
}

TEST_CASE("making an event public adds its owner as participant") {
  Harness h;
  int64_t owner = h.user("owner");
  int64_t id = h.event(owner, at(2024, 6, 2, 8), at(2024, 6, 2, 9));
  UpdateEvent u;
  u.event_id = id;
  u.changes.fields = event_field::kVisibility;
  u.changes.visibility = ev::Visibility::Public;
  Decision d = h.ok(u, owner);
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[1].payload.AsParticipantJoined()->user_id == owner);
  CHECK(h.state.event(id)->participants == std::vector<int64_t>{owner});
}
