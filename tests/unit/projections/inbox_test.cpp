#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::ReadModels;

namespace {
ev::InboxItemCapturedT captured(int64_t id, int64_t owner, std::string content) {
  ev::InboxItemCapturedT c;
  c.uuid = uuid_of(8000 + static_cast<uint64_t>(id));
  c.owner_id = owner;
  c.content = std::move(content);
  c.fields = inbox_field::kContent;
  return c;
}
}  // namespace

TEST_CASE("inbox items by id, uuid and owner, with update, schedule and delete") {
  ReadModels m;
  Log log(m);
  register_users(log, 2);
  auto first = captured(1, 1, "Follow up on client proposal");
  first.category = "Work";
  first.priority = ev::TaskPriority::High;
  first.metadata_json = R"({"origin":"email"})";
  first.fields |= inbox_field::kCategory | inbox_field::kPriority | inbox_field::kMetadata;
  log.at(kT0);
  log.add(Category::Inbox, 1, first, 1).add(Category::Inbox, 2, captured(2, 1, "Call mom"), 1);
  log.add(Category::Inbox, 3, captured(3, 2, "Not yours"), 2).commit();

  auto item = m.inbox_item(1);
  REQUIRE(item);
  CHECK(item->content == "Follow up on client proposal");
  CHECK(item->category == "Work");
  CHECK(item->priority == ev::TaskPriority::High);
  CHECK(item->status == ev::InboxStatus::Pending);
  CHECK(item->metadata_json == R"({"origin":"email"})");
  CHECK(item->created_at == kT0);
  CHECK(m.inbox_item(2)->priority == ev::TaskPriority::Medium);
  CHECK_FALSE(m.inbox_item(2)->category);
  CHECK(m.inbox_item_by_uuid(uuid_of(8003))->owner_id == 2);

  auto mine = m.inbox(1, std::nullopt, 0, 10);
  CHECK(mine.total == 2);
  REQUIRE(mine.items.size() == 2);
  CHECK(mine.items[0].id == 1);
  CHECK(mine.items[1].id == 2);
  CHECK(m.inbox(1, std::nullopt, 1, 10).items.size() == 1);

  ev::InboxItemUpdatedT up;
  up.fields = inbox_field::kContent | inbox_field::kCategory;
  up.nulls = inbox_field::kCategory;
  up.content = "Follow up (today)";
  log.put(Category::Inbox, 1, up, 1);
  CHECK(m.inbox_item(1)->content == "Follow up (today)");
  CHECK_FALSE(m.inbox_item(1)->category);

  ev::InboxItemScheduledT sch;
  sch.event_id = 42;
  log.put(Category::Inbox, 1, sch, 1);
  CHECK(m.inbox_item(1)->status == ev::InboxStatus::Scheduled);
  CHECK(m.inbox_item(1)->event_id == 42);
  auto pending = m.inbox(1, ev::InboxStatus::Pending, 0, 10);
  CHECK(pending.total == 1);
  CHECK(pending.items[0].id == 2);

  log.put(Category::Inbox, 2, ev::InboxItemDeletedT{}, 1);
  CHECK_FALSE(m.inbox_item(2));
  CHECK_FALSE(m.inbox_item_by_uuid(uuid_of(8002)));
  CHECK(m.inbox(1, std::nullopt, 0, 10).total == 1);
}
