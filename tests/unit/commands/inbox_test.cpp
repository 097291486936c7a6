#include "harness.hpp"

using namespace almanac;
using namespace almanac::cmd;
using namespace almanac::cmd::testing;

namespace {

CaptureInboxItem capture(const std::string& content) {
  CaptureInboxItem c;
  c.item.content = content;
  c.item.category = "Work";
  c.item.fields = inbox_field::kContent | inbox_field::kCategory;
  return c;
}

}  // namespace

TEST_CASE("CaptureInboxItem: non-empty content, owner = actor") {
  Harness h;
  int64_t alice = h.user("alice");
  Decision d = h.ok(capture("Call the client"), alice);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].stream == StreamId{Category::Inbox, 1});
  const auto* c = d.events[0].payload.AsInboxItemCaptured();
  CHECK(c->owner_id == alice);
  CHECK(c->content == "Call the client");
  CHECK(c->category == "Work");
  CHECK(c->uuid.lo() != 0);
  Decision empty = h.run(capture(""), alice);
  CHECK(empty.status.code() == Code::kInvalidArgument);
  CHECK(empty.status.field() == "content");
}

TEST_CASE("UpdateInboxItem and DeleteInboxItem: the owner's live item") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  h.ok(capture("Call the client"), alice);
  UpdateInboxItem u;
  u.item_id = 1;
  u.changes.fields = inbox_field::kContent | inbox_field::kStatus;
  u.changes.content = "Email the client";
  u.changes.status = ev::InboxStatus::Archived;
  Decision d = h.ok(u, alice);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].expected_version == 1);
  CHECK(d.events[0].payload.AsInboxItemUpdated()->content == "Email the client");
  CHECK(d.events[0].payload.AsInboxItemUpdated()->status == ev::InboxStatus::Archived);

  Decision foreign = h.run(u, bob);
  CHECK(foreign.status.code() == Code::kNotFound);
  CHECK(foreign.status.message() == "Inbox item not found");
  u.changes.content = "";
  CHECK(h.run(u, alice).status.field() == "content");

  CHECK(h.run(DeleteInboxItem{1}, bob).status.code() == Code::kNotFound);
  Decision del = h.ok(DeleteInboxItem{1}, alice);
  CHECK(del.events[0].payload.type == ev::Payload::InboxItemDeleted);
  CHECK(h.run(DeleteInboxItem{1}, alice).status.message() == "Inbox item not found");
  u.changes.content = "x";
  CHECK(h.run(u, alice).status.code() == Code::kNotFound);
}

TEST_CASE("ScheduleInboxItem creates the event and marks the item, in one decision") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  h.ok(capture("Follow up"), alice);
  int64_t nine = at(2023, 10, 27, 9);
  h.event(alice, nine, nine + kHour);   // event 1

  ScheduleInboxItem s;
  s.item_id = 1;
  s.event = Harness::timed("Follow up on proposal", nine + kHour, nine + 2 * kHour, true);
  Decision d = h.ok(s, alice);
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].stream == StreamId{Category::Event, 2});
  CHECK(d.events[0].payload.AsEventScheduled()->title == "Follow up on proposal");
  CHECK(d.events[0].payload.AsEventScheduled()->owner_id == alice);
  CHECK(d.events[1].stream == StreamId{Category::Inbox, 1});
  CHECK(d.events[1].expected_version == 1);
  CHECK(d.events[1].payload.AsInboxItemScheduled()->event_id == 2);
  CHECK(h.state.inbox_item(1)->scheduled);

  h.ok(capture("Another"), alice);
  s.item_id = 2;
  s.event = Harness::timed("Clash", nine + kHour / 2, nine + kHour + 1, true);
  Decision c = h.run(s, alice);
  CHECK(c.status.code() == Code::kConflict);
  CHECK(c.events.empty());
  s.event = Harness::timed("Bad", nine, nine - 1);
  CHECK(h.run(s, alice).status.field() == "end_time");
  CHECK(h.run(s, bob).status.code() == Code::kNotFound);
  CHECK_FALSE(h.state.inbox_item(2)->scheduled);
}

TEST_CASE("Inbox priority levels are 1 to 5, at capture and on update") {
  Harness h;
  int64_t alice = h.user("alice");
  CaptureInboxItem c = capture("Level five");
  c.item.fields |= inbox_field::kPriorityLevel | inbox_field::kStatus;
  c.item.priority_level = 5;
  c.item.status = ev::InboxStatus::Done;
  Decision d = h.ok(c, alice);
  CHECK(d.events[0].payload.AsInboxItemCaptured()->priority_level == 5);
  CHECK(d.events[0].payload.AsInboxItemCaptured()->status == ev::InboxStatus::Done);
  for (int32_t bad : {0, 6, -1}) {
    c.item.priority_level = bad;
    Decision refused = h.run(c, alice);
    CHECK(refused.status.code() == Code::kInvalidArgument);
    CHECK(refused.status.field() == "priority");
    CHECK(refused.events.empty());
  }
  UpdateInboxItem u;
  u.item_id = 1;
  u.changes.fields = inbox_field::kPriorityLevel;
  u.changes.priority_level = 1;
  CHECK(h.ok(u, alice).events[0].payload.AsInboxItemUpdated()->priority_level == 1);
  u.changes.priority_level = 9;
  CHECK(h.run(u, alice).status.field() == "priority");
  u.changes.priority_level = 2;
  u.changes.nulls = inbox_field::kPriorityLevel;
  CHECK(h.run(u, alice).status.field() == "priority");
}

TEST_CASE("SetInboxItemsStatus sets the actor's own live items only, once each, in one decision") {
  Harness h;
  int64_t alice = h.user("alice");
  int64_t bob = h.user("bob");
  h.ok(capture("a1"), alice);  // 1
  h.ok(capture("b1"), bob);    // 2
  h.ok(capture("a2"), alice);  // 3
  h.ok(capture("a3"), alice);  // 4
  h.ok(DeleteInboxItem{4}, alice);
  Decision d = h.ok(SetInboxItemsStatus{{3, 2, 1, 3, 4, 99}, ev::InboxStatus::Archived}, alice);
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].stream == StreamId{Category::Inbox, 1});
  CHECK(d.events[1].stream == StreamId{Category::Inbox, 3});
  for (const PendingEvent& p : d.events) {
    const auto* u = p.payload.AsInboxItemUpdated();
    CHECK(u->fields == inbox_field::kStatus);
    CHECK(u->status == ev::InboxStatus::Archived);
  }
  Decision none = h.ok(SetInboxItemsStatus{{2}, ev::InboxStatus::Done}, alice);
  CHECK(none.events.empty());
  CHECK(h.state.version({Category::Inbox, 2}) == 1);  // bob's item untouched
}
