#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

#include "fixtures.hpp"
#include "projections/events.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::EventQuery;
using proj::EventScope;
using proj::ReadModels;

namespace {

std::vector<int64_t> ids_of(const proj::Page<proj::EventView>& page) {
  std::vector<int64_t> ids;
  for (const auto& e : page.items) ids.push_back(e.id);
  return ids;
}

// Users 1..4; events:
//  1: owner 1, private, 10:00-11:00 day 0, category work, "Team Meeting" / "Weekly sync"
//  2: owner 1, private, 14:00-15:00 day 0, category home
//  3: owner 2, public gathering (no end) day 1 12:00
//  4: owner 2, private, shared with 1 as Editor, day 0 09:00 - day 2 09:00 (long)
//  5: owner 3, private, day 0 10:30-11:30 (nobody else sees it)
void seed(Log& log) {
  register_users(log, 4);
  auto e1 = scheduled(1, 1, "Team Meeting", kT0 + 10 * kHour, kT0 + 11 * kHour);
  e1.description = "Weekly sync";
  e1.category = "work";
  e1.location = "Room 1";
  e1.fields |= event_field::kDescription | event_field::kCategory | event_field::kLocation;
  auto e2 = scheduled(2, 1, "Groceries", kT0 + 14 * kHour, kT0 + 15 * kHour);
  e2.category = "home";
  e2.fields |= event_field::kCategory;
  auto e3 = scheduled(3, 2, "Picnic", kT0 + kDay + 12 * kHour, 0);
  e3.fields = event_field::kTitle | event_field::kStart | event_field::kMaxParticipants;
  e3.visibility = ev::Visibility::Public;
  e3.max_participants = 3;
  auto e4 = scheduled(4, 2, "Offsite", kT0 + 9 * kHour, kT0 + 2 * kDay + 9 * kHour);
  auto e5 = scheduled(5, 3, "Secret", kT0 + 10 * kHour + 30 * 60 * kSecond,
                      kT0 + 11 * kHour + 30 * 60 * kSecond);
  log.at(kT0 - kDay);
  log.add(Category::Event, 1, e1, 1).add(Category::Event, 2, e2, 1);
  log.add(Category::Event, 3, e3, 2).add(Category::Event, 4, e4, 2);
  log.add(Category::Event, 5, e5, 3).commit();
  log.put(Category::Event, 4, shared(1, ev::Role::Editor), 2);
}

}  // namespace

TEST_CASE("an event is found by id and uuid with every field") {
  ReadModels m;
  Log log(m);
  seed(log);
  auto e = m.event(1);
  REQUIRE(e);
  CHECK(e->title == "Team Meeting");
  CHECK(e->description == "Weekly sync");
  CHECK(e->category == "work");
  CHECK(e->location == "Room 1");
  CHECK(e->start == kT0 + 10 * kHour);
  CHECK(e->end == kT0 + 11 * kHour);
  CHECK(e->owner_id == 1);
  CHECK_FALSE(e->calendar_id);
  CHECK_FALSE(e->metadata_json);
  CHECK(e->created_at == kT0 - kDay);
  CHECK(e->updated_at == kT0 - kDay);
  REQUIRE(e->acl.size() == 1);
  CHECK(e->acl[0].user_id == 1);
  CHECK(e->acl[0].role == ev::Role::Owner);

  auto g = m.event_by_uuid(uuid_of(5003));
  REQUIRE(g);
  CHECK(g->id == 3);
  CHECK_FALSE(g->end);
  CHECK(g->max_participants == 3);
  CHECK(g->visibility == ev::Visibility::Public);
  CHECK_FALSE(m.event(99));
}

TEST_CASE("visibility: public to everyone, private to owner and ACL, and role_of") {
  ReadModels m;
  Log log(m);
  seed(log);
  CHECK(m.role_of(1, 1) == ev::Role::Owner);
  CHECK(m.role_of(1, 4) == ev::Role::Editor);
  CHECK_FALSE(m.role_of(1, 3));  // public, but no role
  CHECK_FALSE(m.role_of(1, 5));
  CHECK_FALSE(m.role_of(1, 99));
  CHECK(m.can_view(1, 3));
  CHECK(m.can_view(4, 3));
  CHECK(m.can_view(1, 4));
  CHECK_FALSE(m.can_view(3, 4));
  CHECK_FALSE(m.can_view(1, 5));
  CHECK(m.can_view(3, 5));

  EventQuery q;
  q.viewer = 1;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{4, 1, 2, 3});  // by start
  q.scope = EventScope::kOwnedOrShared;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{4, 1, 2});
  q.scope = EventScope::kOwned;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{1, 2});
  q.scope = EventScope::kPublic;
  q.viewer = 4;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});
  q.scope = EventScope::kVisible;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});

  // Unsharing takes the event away; sharing again restores it with the new role.
  ev::EventUnsharedT un;
  un.user_id = 1;
  log.put(Category::Event, 4, un, 2);
  CHECK_FALSE(m.can_view(1, 4));
  q.viewer = 1;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{1, 2, 3});
  log.put(Category::Event, 4, shared(1, ev::Role::Viewer), 2);
  log.put(Category::Event, 4, shared(3, ev::Role::Editor), 2);
  CHECK(m.role_of(1, 4) == ev::Role::Viewer);
  auto e4 = m.event(4);
  REQUIRE(e4->acl.size() == 3);
  CHECK(e4->acl[0].user_id == 2);
  CHECK(e4->acl[0].role == ev::Role::Owner);
  CHECK(e4->acl[1].user_id == 1);
  CHECK(e4->acl[2].user_id == 3);
  CHECK(e4->acl[2].role == ev::Role::Editor);
}

TEST_CASE("range queries use overlap, including long events that start before the window") {
  ReadModels m;
  Log log(m);
  seed(log);
  EventQuery q;
  q.viewer = 1;
  // [10:30, 14:00) of day 0: overlaps 1 (10-11) and the long offsite 4, not 2 (starts 14:00).
  q.overlap_from = kT0 + 10 * kHour + 30 * 60 * kSecond;
  q.overlap_to = kT0 + 14 * kHour;
  auto page = m.events(q);
  CHECK(ids_of(page) == std::vector<int64_t>{4, 1});
  CHECK(page.total == 2);
  // Day 1 only: the offsite still runs, and the public picnic (no end) at 12:00.
  q.overlap_from = kT0 + kDay;
  q.overlap_to = kT0 + 2 * kDay;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{4, 3});
  // A window ending exactly at an event's start does not include it.
  q.overlap_from = kT0;
  q.overlap_to = kT0 + 9 * kHour;
  CHECK(m.events(q).total == 0);
  // Within-range filters (flowstate): start on or after, end on or before.
  EventQuery w;
  w.viewer = 1;
  w.scope = EventScope::kOwned;
  w.start_min = kT0;
  w.end_max = kT0 + 12 * kHour;
  CHECK(ids_of(m.events(w)) == std::vector<int64_t>{1});
  w.end_max.reset();
  w.start_max = kT0 + 14 * kHour;
  CHECK(ids_of(m.events(w)) == std::vector<int64_t>{1});
}

TEST_CASE("category, calendar, creator and text filters with skip/limit and total") {
  ReadModels m;
  Log log(m);
  seed(log);
  EventQuery q;
  q.viewer = 1;
  q.category = "work";
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{1});
  q.category.reset();
  q.search = "SYNC";
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{1});
  q.search = "pic";
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});
  q.search.clear();
  q.owner_id = 2;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{4, 3});
  q.owner_id = 3;  // only events the viewer may see
  CHECK(m.events(q).total == 0);
  q.owner_id.reset();

  q.skip = 1;
  q.limit = 2;
  auto page = m.events(q);
  CHECK(page.total == 4);
  CHECK(ids_of(page) == std::vector<int64_t>{1, 2});
  q.skip = 3;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});
  q.skip = 10;
  CHECK(m.events(q).items.empty());
  CHECK(m.events(q).total == 4);
  q.skip = 0;
  q.limit = 100;
  q.order = proj::EventOrder::kById;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{1, 2, 3, 4});

  log.put(Category::Calendar, 1, calendar(1, 1, "Work", "#FF5733"));
  auto c = scheduled(6, 1, "In calendar", kT0 + 8 * kHour, kT0 + 9 * kHour);
  c.calendar_id = 1;
  log.put(Category::Event, 6, c, 1);
  EventQuery by_cal;
  by_cal.viewer = 1;
  by_cal.calendar_id = 1;
  CHECK(ids_of(m.events(by_cal)) == std::vector<int64_t>{6});
}

TEST_CASE("updates change only the flagged fields, set nulls and move the time index") {
  ReadModels m;
  Log log(m);
  seed(log);
  ev::EventUpdatedT up;
  up.fields = event_field::kTitle | event_field::kDescription | event_field::kStart |
              event_field::kEnd | event_field::kMetadata;
  up.nulls = event_field::kDescription;
  up.title = "Updated Team Meeting";
  up.description = "must be ignored: null";
  up.start = kT0 + 3 * kDay;
  up.end = kT0 + 3 * kDay + kHour;
  up.metadata_json = R"({"priority":"high"})";
  up.location = "not flagged";
  log.at(kT0 + 5 * kHour).put(Category::Event, 1, up, 1);

  auto e = m.event(1);
  CHECK(e->title == "Updated Team Meeting");
  CHECK_FALSE(e->description);
  CHECK(e->location == "Room 1");
  CHECK(e->category == "work");
  CHECK(e->metadata_json == R"({"priority":"high"})");
  CHECK(e->updated_at == kT0 + 5 * kHour);
  CHECK(e->created_at == kT0 - kDay);

  EventQuery q;
  q.viewer = 1;
  q.scope = EventScope::kOwned;
  q.overlap_from = kT0;
  q.overlap_to = kT0 + kDay;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{2});
  q.overlap_from = kT0 + 3 * kDay;
  q.overlap_to = kT0 + 4 * kDay;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{1});
}

TEST_CASE("participants are kept in join order and leaving removes them") {
  ReadModels m;
  Log log(m);
  seed(log);
  log.at(kT0).put(Category::Event, 3, joined(2), 2);
  log.put(Category::Event, 3, joined(4), 4);
  log.put(Category::Event, 3, joined(1), 1);
  log.put(Category::Event, 3, joined(4), 4);  // a repeated join changes nothing
  auto e = m.event(3);
  REQUIRE(e->participants.size() == 3);
  CHECK(e->participants[0].user_id == 2);
  CHECK(e->participants[0].joined_at == kT0);
  CHECK(e->participants[1].user_id == 4);
  CHECK(e->participants[2].user_id == 1);
  log.put(Category::Event, 3, left(4), 4);
  e = m.event(3);
  REQUIRE(e->participants.size() == 2);
  CHECK(e->participants[1].user_id == 1);
}

TEST_CASE("deleting an event removes it from every index, its tasks and its polls") {
  ReadModels m;
  Log log(m);
  seed(log);
  log.put(Category::Task, 1, task(1, 4, 2, "Book bus"), 2);
  log.put(Category::Poll, 1, poll(1, 4, 2, "Where?", {"A", "B"}, 1), 2);
  log.put(Category::Event, 4, deleted(), 2);
  CHECK_FALSE(m.event(4));
  CHECK_FALSE(m.event_by_uuid(uuid_of(5004)));
  CHECK_FALSE(m.can_view(1, 4));
  CHECK_FALSE(m.task(1));
  CHECK_FALSE(m.poll(1, kT0, 2));
  EventQuery q;
  q.viewer = 1;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{1, 2, 3});
  q.overlap_from = kT0 + kDay;
  q.overlap_to = kT0 + 2 * kDay;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});
  proj::TaskQuery tq;
  tq.event_id = 4;
  CHECK(m.tasks(tq).total == 0);
}

TEST_CASE("a repeating series is kept apart and matched through its occurrences") {
  ReadModels m;
  Log log(m);
  register_users(log, 1);
  auto weekly = scheduled(1, 1, "Team Meeting", kT0 + 10 * kHour, kT0 + 11 * kHour);
  weekly.repeat = ev::RepeatFrequency::Weekly;
  log.put(Category::Event, 1, weekly, 1);
  EventQuery q;
  q.viewer = 1;
  q.overlap_from = kT0 + 7 * kDay;  // the second week
  q.overlap_to = kT0 + 8 * kDay;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{1});
  q.overlap_from = kT0 + 8 * kDay;  // no occurrence on days 8..13
  q.overlap_to = kT0 + 14 * kDay;
  CHECK(m.events(q).total == 0);

  ev::EventUpdatedT until;
  until.fields = event_field::kRepeatUntil;
  until.repeat_until_day = static_cast<int32_t>(kT0 / kDay) + 6;  // first week only
  log.put(Category::Event, 1, until, 1);
  q.overlap_from = kT0 + 7 * kDay;
  q.overlap_to = kT0 + 8 * kDay;
  CHECK(m.events(q).total == 0);
}

TEST_CASE("StartIndex finds exactly the starts from lo up to but not including hi, across days and before 1970") {
  proj::StartIndex index;
  const std::vector<std::pair<int64_t, int64_t>> entries = {
      {-kDay - 1, 1}, {-kDay, 2}, {-1, 3}, {0, 4}, {kDay - 1, 5}, {kDay, 6}, {5 * kDay + 7, 7}, {0, 8}};
  for (auto [start, id] : entries) index.insert(start, id);
  auto in = [&](int64_t lo, int64_t hi) {
    std::vector<int64_t> ids;
    index.for_each_in(lo, hi, [&](int64_t start, int64_t id) {
      CHECK(lo <= start);
      CHECK(start < hi);
      ids.push_back(id);
    });
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  CHECK(in(-kDay, 0) == std::vector<int64_t>{2, 3});
  CHECK(in(0, kDay) == std::vector<int64_t>{4, 5, 8});
  CHECK(in(-1, 1) == std::vector<int64_t>{3, 4, 8});
  CHECK(in(kDay, kDay) == std::vector<int64_t>{});
  CHECK(in(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()) ==
        std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8});
  index.erase(0, 4);
  index.erase(0, 99);          // not there: nothing changes
  index.erase(5 * kDay + 7, 7);  // the last of its day
  CHECK(in(0, 10 * kDay) == std::vector<int64_t>{5, 6, 8});
}

TEST_CASE("a gathering's day end: its end, or the end of its start's UTC day, as a filter") {
  ReadModels m;
  Log log(m);
  seed(log);
  // Event 3 is a gathering at day 1 12:00 with no end: it ends at day 2 00:00.
  EventQuery q;
  q.viewer = 4;
  q.scope = EventScope::kPublic;
  q.day_end_after = kT0 + 2 * kDay - 1;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});
  q.day_end_after = kT0 + 2 * kDay;
  CHECK(m.events(q).total == 0);
  q.day_end_after.reset();
  q.day_end_at_most = kT0 + 2 * kDay;
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});
  q.day_end_at_most = kT0 + 2 * kDay - 1;
  CHECK(m.events(q).total == 0);
  proj::EventView timed;
  timed.start = kT0;
  timed.end = kT0 + kHour;
  CHECK(proj::EventsModel::day_end(timed) == kT0 + kHour);
  timed.end.reset();
  timed.start = -1;  // just before the epoch: its day ends at the epoch
  CHECK(proj::EventsModel::day_end(timed) == 0);
}

TEST_CASE("searching public events reads the text as it is now, whatever the needle's length") {
  ReadModels m;
  Log log(m);
  seed(log);
  EventQuery q;
  q.viewer = 1;
  q.scope = EventScope::kPublic;
  q.search = "PICNIC";  // trigram path, case folded
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});
  q.search = "ic";  // shorter than a trigram: every public event is read
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});
  q.search = "picnics";  // one trigram no event holds
  CHECK(m.events(q).total == 0);
  q.search = "meeting";  // a private event's title
  CHECK(m.events(q).total == 0);

  ev::EventUpdatedT up;
  up.fields = event_field::kTitle | event_field::kDescription;
  up.title = "Lantern walk";
  up.description = "Bring a LANTERN";
  log.put(Category::Event, 3, up, 2);
  q.search = "picnic";
  CHECK(m.events(q).total == 0);
  q.search = "lantern";
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});
  q.search = "a lan";  // only in the description
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{3});

  // An event made public later is found; one made private or deleted is not.
  ev::EventUpdatedT open;
  open.fields = event_field::kVisibility;
  open.visibility = ev::Visibility::Public;
  log.put(Category::Event, 1, open, 1);
  q.search = "weekly sync";
  CHECK(ids_of(m.events(q)) == std::vector<int64_t>{1});
  ev::EventUpdatedT close;
  close.fields = event_field::kVisibility;
  close.visibility = ev::Visibility::Private;
  log.put(Category::Event, 1, close, 1);
  CHECK(m.events(q).total == 0);
  log.put(Category::Event, 3, deleted(), 2);
  q.search = "lantern";
  CHECK(m.events(q).total == 0);
}

TEST_CASE("the search index forgets deleted events as it grows and still finds every live one") {
  ReadModels m;
  Log log(m);
  register_users(log, 1);
  // Enough text that the trigram lists are rebuilt several times over.
  const int64_t n = 3000;
  auto title_of = [](int64_t id) {
    std::string digits = std::to_string(1000000 + id);
    return "Gathering " + digits + " at the old mill by the river";
  };
  for (int64_t id = 1; id <= n; ++id) {
    auto s = scheduled(id, 1, title_of(id), kT0 + kDay, 0);
    s.visibility = ev::Visibility::Public;
    s.description = "A long description of gathering number " + std::to_string(id) +
                    ", with enough words to hold many trigrams of its own";
    s.fields |= event_field::kDescription;
    log.put(Category::Event, id, s, 1);
    if (id % 10 != 0) log.put(Category::Event, id, deleted(), 1);
  }
  EventQuery q;
  q.viewer = 1;
  q.scope = EventScope::kPublic;
  q.limit = 1000;
  q.search = "old mill";
  CHECK(m.events(q).total == static_cast<size_t>(n / 10));
  for (int64_t id : {int64_t{10}, int64_t{1500}, n}) {
    q.search = std::to_string(1000000 + id);
    CHECK(ids_of(m.events(q)) == std::vector<int64_t>{id});
  }
  q.search = std::to_string(1000000 + 1499);   // deleted
  CHECK(m.events(q).total == 0);
}
