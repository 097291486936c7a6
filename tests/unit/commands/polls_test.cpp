#include "harness.hpp"

using namespace almanac;
using namespace almanac::cmd;
using namespace almanac::cmd::testing;

namespace {

CreatePoll poll_on(int64_t event_id, std::vector<std::string> options, bool multiple = false,
                   std::optional<int64_t> ends_at = std::nullopt) {
  CreatePoll p;
  p.poll.event_id = event_id;
  p.poll.title = "Where?";
  p.poll.option_texts = std::move(options);
  p.poll.multiple_choice = multiple;
  p.poll.has_ends_at = ends_at.has_value();
  p.poll.ends_at = ends_at.value_or(0);
  return p;
}

struct World {
  Harness h;
  int64_t owner = h.user("owner");
  int64_t bob = h.user("bob");
  int64_t carol = h.user("carol");
  int64_t event = h.event(owner, at(2024, 6, 1, 8), at(2024, 6, 1, 16), ev::Visibility::Public);
  // bob and carol take part in the gathering.
  bool joined = (h.ok(JoinEvent{event}, bob), h.ok(JoinEvent{event}, carol), true);
};

}  // namespace

TEST_CASE("CreatePoll numbers options globally and densely") {
  World w;
  int64_t ends = w.h.clock.now_us() + 24 * kHour;
  Decision d = w.h.ok(poll_on(w.event, {"Park", "Beach", "Hills"}, false, ends), w.bob);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].stream == StreamId{Category::Poll, 1});
  const auto* p = d.events[0].payload.AsPollCreated();
  CHECK(p->creator_id == w.bob);
  CHECK(p->event_id == w.event);
  CHECK(p->first_option_id == 1);
  CHECK(p->option_texts.size() == 3);
  CHECK(p->has_ends_at);
  CHECK(p->ends_at == ends);
  Decision second = w.h.ok(poll_on(w.event, {"Sat", "Sun"}), w.bob);
  CHECK(second.events[0].stream.id == 2);
  CHECK(second.events[0].payload.AsPollCreated()->first_option_id == 4);
  CHECK(w.h.state.options_created == 5);
}

TEST_CASE("CreatePoll refusals") {
  World w;
  CHECK(w.h.run(poll_on(w.event, {"Only"}), w.bob).status.code() == Code::kInvalidArgument);
  CHECK(w.h.run(poll_on(w.event, {"A", " "}), w.bob).status.field() == "options");
  Decision past = w.h.run(poll_on(w.event, {"A", "B"}, false, w.h.clock.now_us()), w.bob);
  CHECK(past.status.code() == Code::kInvalidArgument);
  CHECK(past.status.field() == "ends_at");
  CHECK(w.h.run(poll_on(42, {"A", "B"}), w.bob).status.code() == Code::kNotFound);
}

TEST_CASE("CastBallot: single choice, one ballot per user") {
  World w;
  int64_t ends = w.h.clock.now_us() + kHour;
  w.h.ok(poll_on(w.event, {"x", "y"}), w.owner);           // options 1, 2
  w.h.ok(poll_on(w.event, {"A", "B", "C"}, false, ends), w.owner);   // options 3, 4, 5
  Decision d = w.h.ok(CastBallot{2, {4}}, w.bob);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].stream == StreamId{Category::Poll, 2});
  CHECK(d.events[0].expected_version == 1);
  const auto* b = d.events[0].payload.AsBallotCast();
  CHECK(b->user_id == w.bob);
  CHECK(b->option_ids == std::vector<int64_t>{4});

  Decision again = w.h.run(CastBallot{2, {5}}, w.bob);
  CHECK(again.status.code() == Code::kFailedPrecondition);
  CHECK(again.status.message() == "Already voted");
  for (std::vector<int64_t> bad : {std::vector<int64_t>{}, std::vector<int64_t>{1},
                                   std::vector<int64_t>{6}, std::vector<int64_t>{3, 3},
                                   std::vector<int64_t>{3, 4}}) {
    Decision r = w.h.run(CastBallot{2, bad}, w.carol);
    CHECK(r.status.code() == Code::kInvalidArgument);
    CHECK(r.status.field() == "options");
  }
  CHECK(w.h.run(CastBallot{2, {6}}, w.carol).status.message() == "Invalid options");
  CHECK(w.h.run(CastBallot{9, {3}}, w.carol).status.code() == Code::kNotFound);

  w.h.clock.set(ends);
  Decision late = w.h.run(CastBallot{2, {3}}, w.carol);
  CHECK(late.status.code() == Code::kForbidden);
  CHECK(late.status.message() == "Voting has ended");
}

TEST_CASE("CastBallot: multiple choice never repeats an option") {
  World w;
  w.h.ok(poll_on(w.event, {"A", "B", "C"}, true), w.owner);
  CHECK(w.h.ok(CastBallot{1, {1, 3}}, w.bob).events[0].payload.AsBallotCast()->option_ids ==
        std::vector<int64_t>{1, 3});
  Decision rep = w.h.run(CastBallot{1, {2, 3}}, w.bob);
  CHECK(rep.status.code() == Code::kFailedPrecondition);
  CHECK(rep.status.message() == "Already voted");
  CHECK(w.h.run(CastBallot{1, {2}}, w.bob).status.is_ok());
  CHECK(w.h.state.poll(1)->chosen.at(w.bob) == absl::btree_set<int64_t>{1, 2, 3});
}

TEST_CASE("ClosePoll: creator only, and a closed poll takes no ballots") {
  World w;
  w.h.ok(poll_on(w.event, {"A", "B"}), w.bob);
  CHECK(w.h.run(ClosePoll{1}, w.owner).status.code() == Code::kForbidden);
  Decision d = w.h.ok(ClosePoll{1}, w.bob);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].payload.type == ev::Payload::PollClosed);
  CHECK(w.h.state.poll(1)->closed);
  Decision v = w.h.run(CastBallot{1, {1}}, w.carol);
  CHECK(v.status.code() == Code::kForbidden);
  CHECK(v.status.message() == "Voting has ended");
  CHECK(w.h.run(ClosePoll{1}, w.bob).status.code() == Code::kFailedPrecondition);
}

TEST_CASE("polls belong to those who take part, with 2 to 20 options") {
  World w;
  int64_t erin = w.h.user("erin");  // not a participant
  CHECK(w.h.run(poll_on(w.event, {"A", "B"}), erin).status.reason() == Reason::kNotParticipant);
  std::vector<std::string> many(21, "x");
  for (size_t i = 0; i < many.size(); ++i) many[i] += std::to_string(i);
  Decision too_many = w.h.run(poll_on(w.event, many), w.bob);
  CHECK(too_many.status.code() == Code::kInvalidArgument);
  CHECK(too_many.status.field() == "options");
  many.pop_back();
  w.h.ok(poll_on(w.event, many), w.bob);
  Decision vote = w.h.run(CastBallot{1, {1}}, erin);
  CHECK(vote.status.code() == Code::kForbidden);
  CHECK(vote.status.reason() == Reason::kNotParticipant);
}

TEST_CASE("the system closes a poll once its time is up, and only then") {
  World w;
  const int64_t ends = w.h.clock.now_us() + kHour;
  w.h.ok(poll_on(w.event, {"A", "B"}, false, ends), w.bob);
  Decision early = w.h.run(ClosePoll{1}, 0);
  CHECK(early.status.code() == Code::kFailedPrecondition);
  CHECK(early.events.empty());
  w.h.clock.advance(kHour);
  Decision d = w.h.ok(ClosePoll{1}, 0);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].payload.type == ev::Payload::PollClosed);
  // Once: a second close changes nothing.
  CHECK(w.h.run(ClosePoll{1}, 0).status.code() == Code::kFailedPrecondition);
  // A poll without an end is never closed by the system.
  w.h.ok(poll_on(w.event, {"C", "D"}), w.bob);
  CHECK(w.h.run(ClosePoll{2}, 0).status.code() == Code::kFailedPrecondition);
}
