#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::OccurrenceQuery;
using proj::ReadModels;

namespace {

// 2023-11-15T00:00:00 (a Wednesday), read as floating wall-clock time.
constexpr int64_t kNov15 = 1'700'006'400'000'000;

void seed(Log& log) {
  register_users(log, 2);
  log.put(Category::Calendar, 1, calendar(1, 1, "Work Calendar", "#FF5733"));
  log.put(Category::Calendar, 2, calendar(2, 1, "Plain", std::nullopt));
  auto weekly = scheduled(101, 1, "Team Meeting", kNov15 + 10 * kHour, kNov15 + 11 * kHour);
  weekly.calendar_id = 1;
  weekly.floating = true;
  weekly.description = "Weekly team sync";
  weekly.fields |= event_field::kDescription;
  weekly.repeat = ev::RepeatFrequency::Weekly;
  auto doctor = scheduled(102, 1, "Doctor Appointment", kNov15 + 5 * kDay + 14 * kHour,
                          kNov15 + 5 * kDay + 15 * kHour);
  doctor.calendar_id = 1;
  doctor.floating = true;
  auto plain = scheduled(103, 1, "Same time", kNov15 + 10 * kHour, kNov15 + 10 * kHour + kHour);
  plain.calendar_id = 2;
  auto other = scheduled(104, 2, "Not mine", kNov15 + 10 * kHour, kNov15 + 11 * kHour);
  auto daily_until = scheduled(105, 1, "Sprint", kNov15 + 9 * kHour, kNov15 + 9 * kHour + kHour);
  daily_until.repeat = ev::RepeatFrequency::Daily;
  daily_until.repeat_until_day = static_cast<int32_t>(kNov15 / kDay) + 2;
  daily_until.fields |= event_field::kRepeatUntil;
  log.add(Category::Event, 101, weekly, 1).add(Category::Event, 102, doctor, 1);
  log.add(Category::Event, 103, plain, 1).add(Category::Event, 104, other, 2);
  log.add(Category::Event, 105, daily_until, 1).commit();
}

}  // namespace

TEST_CASE("expanded occurrences: the mcal example, sorted by start then event id") {
  ReadModels m;
  Log log(m);
  seed(log);
  OccurrenceQuery q;
  q.owner_id = 1;
  q.calendar_id = 1;
  q.window_start = kNov15;
  q.window_end = kNov15 + 8 * kDay;  // through Nov 22
  auto page = m.occurrences(q);
  CHECK_FALSE(page.truncated);
  REQUIRE(page.items.size() == 3);
  CHECK(page.items[0].event_id == 101);
  CHECK(page.items[0].start == kNov15 + 10 * kHour);
  CHECK(page.items[0].end == kNov15 + 11 * kHour);
  CHECK(page.items[0].title == "Team Meeting");
  CHECK(page.items[0].description == "Weekly team sync");
  CHECK(page.items[0].color == "#FF5733");
  CHECK(page.items[0].calendar_id == 1);
  CHECK(page.items[0].floating);
  CHECK(page.items[1].event_id == 102);
  CHECK(page.items[1].start == kNov15 + 5 * kDay + 14 * kHour);
  CHECK(page.items[2].event_id == 101);
  CHECK(page.items[2].start == kNov15 + 7 * kDay + 10 * kHour);
  CHECK(page.items[2].index == 1);
}

TEST_CASE("expanded occurrences across calendars: ties by event id, until is inclusive") {
  ReadModels m;
  Log log(m);
  seed(log);
  OccurrenceQuery q;
  q.owner_id = 1;
  q.window_start = kNov15;
  q.window_end = kNov15 + 4 * kDay;
  auto page = m.occurrences(q);
  std::vector<std::pair<int64_t, int64_t>> got;  // (event id, start)
  for (const auto& o : page.items) got.emplace_back(o.event_id, o.start);
  std::vector<std::pair<int64_t, int64_t>> want = {
      {105, kNov15 + 9 * kHour},           {101, kNov15 + 10 * kHour},
      {103, kNov15 + 10 * kHour},          {105, kNov15 + kDay + 9 * kHour},
      {105, kNov15 + 2 * kDay + 9 * kHour},
  };
  CHECK(got == want);
  CHECK_FALSE(page.items[2].color);  // calendar 2 has no color
  CHECK_FALSE(page.items[0].calendar_id);
  q.calendared_only = true;
  CHECK(m.occurrences(q).items.size() == 2);
  // Another owner's events never appear.
  q.owner_id = 2;
  q.calendared_only = false;
  REQUIRE(m.occurrences(q).items.size() == 1);
  CHECK(m.occurrences(q).items[0].event_id == 104);
}

TEST_CASE("expanded occurrences report truncation at the cap and keep the earliest") {
  ReadModels m;
  Log log(m);
  seed(log);
  OccurrenceQuery q;
  q.owner_id = 1;
  q.calendar_id = 1;
  q.window_start = kNov15;
  q.window_end = kNov15 + 365 * kDay;  // 53 weekly meetings and the doctor
  q.cap = 3;
  auto page = m.occurrences(q);
  CHECK(page.truncated);
  REQUIRE(page.items.size() == 3);
  CHECK(page.items[0].start == kNov15 + 10 * kHour);
  CHECK(page.items[1].event_id == 102);
  CHECK(page.items[2].start == kNov15 + 7 * kDay + 10 * kHour);
  q.cap = 54;
  page = m.occurrences(q);
  CHECK_FALSE(page.truncated);
  CHECK(page.items.size() == 54);
  q.cap = 53;
  CHECK(m.occurrences(q).truncated);
  // An empty or inverted window has nothing.
  q.window_end = q.window_start;
  CHECK(m.occurrences(q).items.empty());
}

TEST_CASE("a 30-year-old daily series answers a one-month window") {
  ReadModels m;
  Log log(m);
  register_users(log, 1);
  auto daily = scheduled(1, 1, "Standup", kNov15 - 30 * 365 * kDay, kNov15 - 30 * 365 * kDay + kHour);
  daily.repeat = ev::RepeatFrequency::Daily;
  log.put(Category::Event, 1, daily, 1);
  OccurrenceQuery q;
  q.owner_id = 1;
  q.window_start = kNov15;
  q.window_end = kNov15 + 30 * kDay;
  auto page = m.occurrences(q);
  CHECK(page.items.size() == 30);
  CHECK_FALSE(page.truncated);
  CHECK(page.items.front().start == kNov15);
  CHECK(page.items.front().end == kNov15 + kHour);
  CHECK(page.items.back().start == kNov15 + 29 * kDay);
}
