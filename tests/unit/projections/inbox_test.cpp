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

TEST_CASE("inbox priority levels and the TaskPriority scale agree, and statuses start as captured") {
  ReadModels m;
  Log log(m);
  register_users(log, 1);
  auto high = captured(1, 1, "old high");
  high.priority = ev::TaskPriority::High;
  high.fields |= inbox_field::kPriority;
  auto low = captured(2, 1, "old low");
  low.priority = ev::TaskPriority::Low;
  low.fields |= inbox_field::kPriority;
  auto leveled = captured(3, 1, "level 2, done");
  leveled.priority_level = 2;
  leveled.status = ev::InboxStatus::Done;
  leveled.fields |= inbox_field::kPriorityLevel | inbox_field::kStatus;
  log.add(Category::Inbox, 1, high, 1).add(Category::Inbox, 2, low, 1).add(Category::Inbox, 3, leveled, 1);
  log.add(Category::Inbox, 4, captured(4, 1, "plain"), 1).commit();
  CHECK(m.inbox_item(1)->priority_level == 5);
  CHECK(m.inbox_item(2)->priority_level == 1);
  CHECK(m.inbox_item(3)->priority_level == 2);
  CHECK(m.inbox_item(3)->priority == ev::TaskPriority::Low);
  CHECK(m.inbox_item(3)->status == ev::InboxStatus::Done);
  CHECK(m.inbox_item(4)->priority_level == 3);
  CHECK(m.inbox_item(4)->status == ev::InboxStatus::Pending);

  ev::InboxItemUpdatedT up;
  up.fields = inbox_field::kPriorityLevel;
  up.priority_level = 4;
  log.put(Category::Inbox, 4, up, 1);
  CHECK(m.inbox_item(4)->priority_level == 4);
  CHECK(m.inbox_item(4)->priority == ev::TaskPriority::High);
}

TEST_CASE("inbox queries: newest first, each filter a condition, AND or OR, skip and limit") {
  ReadModels m;
  Log log(m);
  register_users(log, 2);
  struct Row {
    const char* category;
    int32_t level;
    ev::InboxStatus status;
  };
  const Row rows[] = {
      {"TODO", 1, ev::InboxStatus::Pending},    // 1
      {"IDEA", 5, ev::InboxStatus::Pending},    // 2
      {"NOTE", 3, ev::InboxStatus::Archived},   // 3
      {"TODO", 4, ev::InboxStatus::Done},       // 4
      {"IDEA", 2, ev::InboxStatus::Scheduled},  // 5
  };
  int64_t id = 0;
  for (const Row& r : rows) {
    ++id;
    auto c = captured(id, 1, "item");
    c.category = r.category;
    c.priority_level = r.level;
    c.status = r.status;
    c.fields |= inbox_field::kCategory | inbox_field::kPriorityLevel | inbox_field::kStatus;
    log.add(Category::Inbox, id, c, 1);
  }
  log.add(Category::Inbox, 6, captured(6, 2, "someone else's TODO"), 2).commit();

  auto ids = [&](const proj::InboxQuery& q) {
    std::vector<int64_t> out;
    for (const auto& v : m.inbox(q).items) out.push_back(v.id);
    return out;
  };
  proj::InboxQuery q;
  q.owner_id = 1;
  CHECK(ids(q) == std::vector<int64_t>{5, 4, 3, 2, 1});
  q.categories = {"TODO", "NOTE"};
  CHECK(ids(q) == std::vector<int64_t>{4, 3, 1});
  q.statuses = {ev::InboxStatus::Pending};
  CHECK(ids(q) == std::vector<int64_t>{1});
  q.any_condition = true;
  CHECK(ids(q) == std::vector<int64_t>{4, 3, 2, 1});
  q = {};
  q.owner_id = 1;
  q.priority_min = 2;
  q.priority_max = 4;
  CHECK(ids(q) == std::vector<int64_t>{5, 4, 3});
  q.priority_levels = {5};
  CHECK(ids(q).empty());
  q.any_condition = true;
  CHECK(ids(q) == std::vector<int64_t>{5, 4, 3, 2});
  q = {};
  q.owner_id = 1;
  q.priority_max = 1;
  CHECK(ids(q) == std::vector<int64_t>{1});
  q = {};
  q.owner_id = 1;
  q.skip = 1;
  q.limit = 2;
  auto page = m.inbox(q);
  CHECK(page.total == 5);
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[0].id == 4);
  CHECK(page.items[1].id == 3);
  q = {};
  q.owner_id = 2;
  q.categories = {"TODO"};
  CHECK(ids(q).empty());  // item 6 has no category
}

TEST_CASE("identities of inbox items and events outlive their deletion") {
  ReadModels m;
  Log log(m);
  register_users(log, 2);
  log.put(Category::Inbox, 1, captured(1, 2, "soon gone"), 2);
  log.put(Category::Event, 1, scheduled(1, 2, "soon gone", kT0, kT0 + kHour), 2);
  CHECK_FALSE(m.inbox_identity(2));
  CHECK_FALSE(m.event_identity(2));
  log.put(Category::Inbox, 1, ev::InboxItemDeletedT{}, 2);
  log.put(Category::Event, 1, deleted(), 2);
  CHECK_FALSE(m.inbox_item(1));
  CHECK_FALSE(m.event(1));
  auto item = m.inbox_identity(1);
  REQUIRE(item);
  CHECK(item->owner_id == 2);
  CHECK(item->uuid.lo() == uuid_of(8001).lo());
  CHECK(item->uuid.hi() == uuid_of(8001).hi());
  auto event = m.event_identity(1);
  REQUIRE(event);
  CHECK(event->owner_id == 2);
  CHECK(event->uuid.lo() == uuid_of(5001).lo());
}
