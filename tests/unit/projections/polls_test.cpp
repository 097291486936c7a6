#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "projections/polls.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::PollQuery;
using proj::PollStatus;
using proj::ReadModels;

namespace {

void seed(Log& log, int users) {
  register_users(log, users);
  auto g = scheduled(1, 1, "Picnic", kT0 + kDay, 0);
  g.visibility = ev::Visibility::Public;
  log.put(Category::Event, 1, g, 1);
}

}  // namespace

TEST_CASE("percentages round to one decimal, half away from zero") {
  CHECK(proj::percent_tenths(8, 15) == 533);
  CHECK(proj::percent_tenths(7, 15) == 467);
  CHECK(proj::percent_tenths(1, 8) == 125);   // 12.5 exactly
  CHECK(proj::percent_tenths(1, 16) == 63);   // 6.25 -> 6.3
  CHECK(proj::percent_tenths(1, 3) == 333);
  CHECK(proj::percent_tenths(2, 3) == 667);
  CHECK(proj::percent_tenths(0, 5) == 0);
  CHECK(proj::percent_tenths(5, 5) == 1000);
  CHECK(proj::percent_tenths(0, 0) == 0);
}

TEST_CASE("the gather example: 8 and 7 of 15 votes are 53.3% and 46.7%, option 1 wins") {
  ReadModels m;
  Log log(m);
  seed(log, 15);
  auto p = poll(1, 1, 1, "When?", {"Option 1", "Option 2"}, 1);
  p.has_ends_at = true;
  p.ends_at = kT0 + 30 * kDay;
  log.at(kT0).put(Category::Poll, 1, p, 1);
  for (int64_t u = 1; u <= 15; ++u) {
    log.add(Category::Poll, 1, ballot(u, {u <= 8 ? 1 : 2}), u);
  }
  log.commit();

  auto v = m.poll(1, kT0 + kDay, 3);
  REQUIRE(v);
  CHECK(v->total_votes == 15);
  CHECK(v->voters == 15);
  REQUIRE(v->options.size() == 2);
  CHECK(v->options[0].id == 1);
  CHECK(v->options[0].text == "Option 1");
  CHECK(v->options[0].vote_count == 8);
  CHECK(v->options[0].percent_tenths == 533);
  CHECK(v->options[0].percentage == Approx(53.3));
  CHECK(v->options[1].vote_count == 7);
  CHECK(v->options[1].percentage == Approx(46.7));
  CHECK(v->winner_option_id == 1);
  CHECK(v->status == PollStatus::kActive);
  CHECK(v->ends_at == kT0 + 30 * kDay);
  CHECK(v->my_choices == std::vector<int64_t>{1});
  CHECK(v->my_voted_at == kT0 + 3 * kSecond);  // user 3's ballot was the third event after the poll
  auto stranger = m.poll(1, kT0, 99);
  CHECK(stranger->my_choices.empty());
  CHECK_FALSE(stranger->my_voted_at);
  // ends_at passed: ended, whatever the tallies.
  CHECK(m.poll(1, kT0 + 30 * kDay, 3)->status == PollStatus::kEnded);
}

TEST_CASE("no votes: zero percentages and no winner, and ties go to the earliest option") {
  ReadModels m;
  Log log(m);
  seed(log, 4);
  log.put(Category::Poll, 1, poll(1, 1, 1, "Food?", {"Pizza", "Soup", "Salad"}, 10), 1);
  auto v = m.poll(1, kT0, 1);
  CHECK(v->total_votes == 0);
  CHECK_FALSE(v->winner_option_id);
  for (const auto& o : v->options) {
    CHECK(o.vote_count == 0);
    CHECK(o.percentage == 0.0);
  }
  CHECK(v->options[2].id == 12);

  log.put(Category::Poll, 1, ballot(1, {12}), 1);
  log.put(Category::Poll, 1, ballot(2, {11}), 2);
  v = m.poll(1, kT0, 1);
  CHECK(v->winner_option_id == 11);  // 11 and 12 tie: the earlier option wins
  CHECK(v->options[1].percentage == Approx(50.0));
  log.put(Category::Poll, 1, ballot(3, {12}), 3);
  CHECK(m.poll(1, kT0, 1)->winner_option_id == 12);
}

TEST_CASE("single choice keeps the first ballot, multiple choice adds new options only") {
  ReadModels m;
  Log log(m);
  seed(log, 3);
  log.put(Category::Poll, 1, poll(1, 1, 1, "One", {"A", "B"}, 1), 1);
  auto multi = poll(2, 1, 1, "Many", {"X", "Y", "Z"}, 3);
  multi.multiple_choice = true;
  log.put(Category::Poll, 2, multi, 1);

  log.put(Category::Poll, 1, ballot(2, {1}), 2);
  log.put(Category::Poll, 1, ballot(2, {2}), 2);
  auto one = m.poll(1, kT0, 2);
  CHECK(one->total_votes == 1);
  CHECK(one->my_choices == std::vector<int64_t>{1});

  log.put(Category::Poll, 2, ballot(2, {3, 5}), 2);
  log.put(Category::Poll, 2, ballot(2, {5, 4}), 2);
  log.put(Category::Poll, 2, ballot(3, {5}), 3);
  auto many = m.poll(2, kT0, 2);
  CHECK(many->total_votes == 4);
  CHECK(many->voters == 2);
  CHECK(many->my_choices == std::vector<int64_t>{3, 5, 4});
  CHECK(many->options[2].vote_count == 2);
  CHECK(many->options[2].percentage == Approx(50.0));
  CHECK(many->winner_option_id == 5);
  auto counts = m.counts();
  CHECK(std::find(counts.begin(), counts.end(), std::pair<std::string, uint64_t>{"ballots", 3}) !=
        counts.end());
}

TEST_CASE("polls close and list by event, status and creator") {
  ReadModels m;
  Log log(m);
  seed(log, 3);
  auto g2 = scheduled(2, 2, "Hike", kT0 + 2 * kDay, 0);
  g2.visibility = ev::Visibility::Public;
  log.put(Category::Event, 2, g2, 2);
  log.put(Category::Poll, 1, poll(1, 1, 1, "a", {"x"}, 1), 1);
  auto timed = poll(2, 1, 2, "b", {"y"}, 2);
  timed.has_ends_at = true;
  timed.ends_at = kT0 + kDay;
  log.put(Category::Poll, 2, timed, 2);
  log.put(Category::Poll, 3, poll(3, 2, 2, "c", {"z"}, 3), 2);
  const int64_t closed_at = log.now();
  log.put(Category::Poll, 1, ev::PollClosedT{}, 1);
  CHECK(m.poll(1, kT0, 1)->closed);
  CHECK(m.poll(1, kT0, 1)->closed_at == closed_at);
  CHECK(m.poll(1, kT0, 1)->status == PollStatus::kEnded);

  auto ids = [&](const PollQuery& q) {
    std::vector<int64_t> out;
    for (const auto& p : m.polls(q).items) out.push_back(p.id);
    return out;
  };
  PollQuery q;
  q.now = kT0;
  CHECK(ids(q) == std::vector<int64_t>{1, 2, 3});
  q.event_id = 1;
  CHECK(ids(q) == std::vector<int64_t>{1, 2});
  q.status = PollStatus::kActive;
  CHECK(ids(q) == std::vector<int64_t>{2});
  q.now = kT0 + kDay;  // poll 2 has now ended as well
  CHECK(ids(q).empty());
  q.status = PollStatus::kEnded;
  CHECK(ids(q) == std::vector<int64_t>{1, 2});
  q = {};
  q.creator_id = 2;
  q.limit = 1;
  auto page = m.polls(q);
  CHECK(page.total == 2);
  REQUIRE(page.items.size() == 1);
  CHECK(page.items[0].id == 2);

  // The polls of the events a user takes part in.
  log.put(Category::Event, 1, joined(3), 3);  // user 3 takes part in the picnic only
  q = {};
  q.participant = 3;
  CHECK(ids(q) == std::vector<int64_t>{1, 2});
  q.event_id = 2;
  CHECK(ids(q).empty());
  q.participant = 1;  // takes part in nothing yet
  q.event_id.reset();
  CHECK(ids(q).empty());
}

TEST_CASE("open polls past their ends_at are due, in ends_at order, until closed") {
  ReadModels m;
  Log log(m);
  register_users(log, 1);
  auto g = scheduled(1, 1, "Picnic", kT0, 0);
  g.visibility = ev::Visibility::Public;
  log.put(Category::Event, 1, g, 1);
  auto late = poll(1, 1, 1, "Late", {"a", "b"}, 1);
  late.has_ends_at = true;
  late.ends_at = kT0 + 2 * kHour;
  auto early = poll(2, 1, 1, "Early", {"a", "b"}, 3);
  early.has_ends_at = true;
  early.ends_at = kT0 + kHour;
  auto open = poll(3, 1, 1, "Open", {"a", "b"}, 5);
  log.put(Category::Poll, 1, late, 1).put(Category::Poll, 2, early, 1).put(Category::Poll, 3, open, 1);
  CHECK(m.next_poll_deadline() == kT0 + kHour);
  CHECK(m.polls_due(kT0).empty());
  CHECK(m.polls_due(kT0 + 2 * kHour) == std::vector<int64_t>{2, 1});
  log.put(Category::Poll, 2, ev::PollClosedT{}, 0);
  CHECK(m.polls_due(kT0 + 2 * kHour) == std::vector<int64_t>{1});
  CHECK(m.next_poll_deadline() == kT0 + 2 * kHour);
  log.put(Category::Event, 1, deleted(), 1);  // its polls go with it
  CHECK(m.polls_due(kT0 + 2 * kHour).empty());
  CHECK_FALSE(m.next_poll_deadline());
}
