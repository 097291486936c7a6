// An event's history folded from its own stream: one state per version, the
// event as the read model showed it then, none once deleted.
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "projections/history.hpp"

using namespace almanac;
using namespace almanac::test;

namespace {

Envelope envelope(uint64_t version, int64_t actor, Payload payload) {
  Envelope e;
  e.position = version;
  e.category = Category::Event;
  e.stream_id = 7;
  e.version = version;
  e.recorded_at = kT0 + static_cast<int64_t>(version) * kSecond;
  e.actor_id = actor;
  e.payload = std::move(payload);
  return e;
}

template <typename T>
Payload payload_of(T t) {
  Payload p;
  p.Set(std::move(t));
  return p;
}

}  // namespace

TEST_CASE("an event's history holds its state at every version") {
  ev::EventUpdatedT rename;
  rename.fields = event_field::kTitle;
  rename.title = "Planning";
  std::vector<Envelope> stream;
  stream.push_back(envelope(1, 1, payload_of(scheduled(7, 1, "Team Meeting", kT0, kT0 + kHour))));
  stream.push_back(envelope(2, 1, payload_of(shared(2, ev::Role::Editor))));
  stream.push_back(envelope(3, 2, payload_of(rename)));
  stream.push_back(envelope(4, 1, payload_of(deleted())));

  auto history = proj::event_history(stream);
  REQUIRE(history.size() == 4);
  CHECK(history[0].version == 1);
  CHECK(history[0].type == ev::Payload::EventScheduled);
  REQUIRE(history[0].state);
  CHECK(history[0].state->title == "Team Meeting");
  CHECK(history[0].state->acl.size() == 1);
  CHECK(history[0].state->version == 1);
  CHECK(history[1].state->acl.size() == 2);
  CHECK(history[2].actor_id == 2);
  CHECK(history[2].state->title == "Planning");
  CHECK(history[2].state->updated_at == kT0 + 3 * kSecond);
  CHECK(history[2].state->created_at == kT0 + kSecond);
  CHECK_FALSE(history[3].state);
  CHECK(proj::event_history({}).empty());
}
