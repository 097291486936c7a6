#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::ReadModels;

TEST_CASE("calendars are listed per owner in id order with name and color") {
  ReadModels m;
  Log log(m);
  register_users(log, 2);
  log.at(kT0).add(Category::Calendar, 3, calendar(3, 1, "Work", "#FF5733"));
  log.add(Category::Calendar, 1, calendar(1, 1, "Home", std::nullopt));
  log.add(Category::Calendar, 2, calendar(2, 2, "Other", "green"));
  log.commit();

  auto mine = m.calendars_of(1);
  REQUIRE(mine.size() == 2);
  CHECK(mine[0].id == 1);
  CHECK(mine[0].name == "Home");
  CHECK_FALSE(mine[0].color);
  CHECK(mine[1].id == 3);
  CHECK(mine[1].color == "#FF5733");
  CHECK(mine[1].created_at == kT0);
  CHECK(m.calendars_of(2).size() == 1);
  CHECK(m.calendars_of(9).empty());
  CHECK(m.calendar(2)->owner_id == 2);
  CHECK(m.calendar_by_uuid(uuid_of(3003))->name == "Work");
  CHECK(m.calendar_by_name(1, "Work")->id == 3);
  CHECK_FALSE(m.calendar_by_name(2, "Work"));

  ev::CalendarUpdatedT up;
  up.name = "Job";
  up.has_color = false;
  log.put(Category::Calendar, 3, up);
  auto c = m.calendar(3);
  CHECK(c->name == "Job");
  CHECK_FALSE(c->color);
  CHECK(c->updated_at > c->created_at);
  CHECK_FALSE(m.calendar_by_name(1, "Work"));
}

TEST_CASE("deleting a calendar cascades to its events, their tasks and polls") {
  ReadModels m;
  Log log(m);
  register_users(log, 2);
  log.put(Category::Calendar, 1, calendar(1, 1, "Work", "#111111"));
  log.put(Category::Calendar, 2, calendar(2, 1, "Home", "#222222"));
  auto in_work = scheduled(1, 1, "Standup", kT0 + 9 * kHour, kT0 + 10 * kHour);
  in_work.calendar_id = 1;
  auto also_work = scheduled(2, 1, "Review", kT0 + 11 * kHour, kT0 + 12 * kHour);
  also_work.calendar_id = 1;
  auto at_home = scheduled(3, 1, "Dinner", kT0 + 19 * kHour, kT0 + 20 * kHour);
  at_home.calendar_id = 2;
  log.add(Category::Event, 1, in_work, 1).add(Category::Event, 2, also_work, 1);
  log.add(Category::Event, 3, at_home, 1).commit();
  log.put(Category::Task, 1, task(1, 1, 1, "Prepare"), 1);
  log.put(Category::Poll, 1, poll(1, 2, 1, "When?", {"9", "10"}, 1), 1);
  log.put(Category::Event, 1, shared(2, ev::Role::Viewer), 1);

  // One batch holds CalendarDeleted and an EventDeleted{with_calendar} per
  // event; the result must not depend on their order.
  SECTION("calendar first, as the command layer emits it") {
    log.add(Category::Calendar, 1, ev::CalendarDeletedT{}, 1);
    log.add(Category::Event, 1, deleted(true), 1);
    log.add(Category::Event, 2, deleted(true), 1);
  }
  SECTION("events first") {
    log.add(Category::Event, 1, deleted(true), 1);
    log.add(Category::Event, 2, deleted(true), 1);
    log.add(Category::Calendar, 1, ev::CalendarDeletedT{}, 1);
  }
  log.commit();

  CHECK_FALSE(m.calendar(1));
  CHECK_FALSE(m.event(1));
  CHECK_FALSE(m.event(2));
  CHECK(m.event(3));
  CHECK_FALSE(m.task(1));
  CHECK_FALSE(m.poll(1, kT0, 1));
  CHECK(m.calendars_of(1).size() == 1);
  proj::EventQuery q;
  q.viewer = 1;
  CHECK(m.events(q).total == 1);
  q.viewer = 2;
  CHECK(m.events(q).total == 0);
  // The user the deleted event was shared with was told.
  auto n = m.notifications(2, 0, 10);
  REQUIRE(n.total == 2);  // exactly one event.delete, whatever the order
  CHECK(n.items[0].type == "event.delete");
  CHECK(n.items[0].message == "Event 'Standup' was deleted");
  CHECK(n.items[1].type == "event.share");
  CHECK(m.last_notification_id() == 2);
}

TEST_CASE("a calendar deleted with events still in it takes them along") {
  ReadModels m;
  Log log(m);
  register_users(log, 1);
  log.put(Category::Calendar, 1, calendar(1, 1, "Work", std::nullopt));
  auto e = scheduled(1, 1, "Left behind", kT0, kT0 + kHour);
  e.calendar_id = 1;
  log.put(Category::Event, 1, e, 1);
  log.put(Category::Task, 1, task(1, 1, 1, "t"), 1);
  log.put(Category::Calendar, 1, ev::CalendarDeletedT{}, 1);
  CHECK_FALSE(m.event(1));
  CHECK_FALSE(m.task(1));
  proj::OccurrenceQuery q;
  q.owner_id = 1;
  q.window_start = kT0 - kDay;
  q.window_end = kT0 + kDay;
  CHECK(m.occurrences(q).items.empty());
}
