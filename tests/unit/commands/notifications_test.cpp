#include "harness.hpp"

using namespace almanac;
using namespace almanac::cmd;
using namespace almanac::cmd::testing;

TEST_CASE("read marks go to the actor's notification stream") {
  Harness h;
  int64_t alice = h.user("alice");
  Decision one = h.ok(MarkNotificationRead{7}, alice);
  REQUIRE(one.events.size() == 1);
  CHECK(one.events[0].stream == StreamId{Category::Notification, alice});
  CHECK(one.events[0].expected_version == 0);
  CHECK(one.events[0].payload.AsNotificationRead()->notification_id == 7);
  Decision all = h.ok(MarkAllNotificationsRead{12}, alice);
  CHECK(all.events[0].expected_version == 1);
  CHECK(all.events[0].payload.AsAllNotificationsRead()->up_to_id == 12);
  CHECK(h.state.version({Category::Notification, alice}) == 2);
  // Notification streams are keyed by user, not a dense id of their own.
  CHECK(h.state.next_id(Category::Notification) == 1);
  CHECK(h.run(MarkNotificationRead{0}, alice).status.code() == Code::kInvalidArgument);
  CHECK(h.run(MarkNotificationRead{3}, 0).status.code() == Code::kUnauthenticated);
  CHECK(h.run(MarkAllNotificationsRead{12}, alice, 1).status.code() == Code::kConflict);
  CHECK(h.run(MarkAllNotificationsRead{12}, alice, 2).status.is_ok());
}
