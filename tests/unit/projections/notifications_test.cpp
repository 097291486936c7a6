#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::ReadModels;

namespace {

std::vector<std::string> types_of(const proj::NotificationPage& page) {
  std::vector<std::string> out;
  for (const auto& n : page.items) out.push_back(n.type);
  return out;
}

// Users 1 (owner), 2 (editor), 3 (viewer), 4 (participant), 5 (outsider).
void seed(Log& log) {
  register_users(log, 5);
  auto e = scheduled(1, 1, "Team Meeting", kT0 + kDay, kT0 + kDay + kHour);
  log.put(Category::Event, 1, e, 1);
  log.put(Category::Event, 1, shared(2, ev::Role::Editor), 1);
  log.put(Category::Event, 1, shared(3, ev::Role::Viewer), 1);
  log.put(Category::Event, 1, joined(4), 4);
}

}  // namespace

TEST_CASE("sharing notifies the user shared with and everyone else who holds the event, joining notifies the creator") {
  ReadModels m;
  Log log(m);
  seed(log);
  auto two = m.notifications(2, 0, 10);
  REQUIRE(two.total == 2);
  CHECK(two.unread == 2);
  // Newest first: the share with user 3, then the share with user 2 themself.
  CHECK(two.items[1].type == "event.share");
  CHECK(two.items[1].message == "Event 'Team Meeting' was shared with you");
  CHECK(two.items[1].event_id == 1);
  CHECK(two.items[1].actor_id == 1);
  CHECK_FALSE(two.items[1].is_read);
  CHECK(two.items[0].type == "event.share");
  CHECK(two.items[0].message == "Event 'Team Meeting' was shared with 'u3'");
  auto three = m.notifications(3, 0, 10);
  REQUIRE(three.total == 1);
  CHECK(three.items[0].message == "Event 'Team Meeting' was shared with you");
  auto one = m.notifications(1, 0, 10);
  REQUIRE(one.total == 1);
  CHECK(one.items[0].type == "event.join");
  CHECK(one.items[0].message == "User 'u4' joined event 'Team Meeting'");
  CHECK(m.notifications(5, 0, 10).total == 0);
  // Dense ids in log order: share to 2, share to 3 and its notice to 2, join to 1.
  CHECK(m.notification(1)->user_id == 2);
  CHECK(m.notification(2)->user_id == 3);
  CHECK(m.notification(3)->user_id == 2);
  CHECK(m.notification(4)->user_id == 1);
  CHECK_FALSE(m.notification(5));
  CHECK(m.last_notification_id() == 4);
}

TEST_CASE("an update notifies everyone involved except the actor, with the title before it") {
  ReadModels m;
  Log log(m);
  seed(log);
  ev::EventUpdatedT up;
  up.fields = event_field::kTitle;
  up.title = "Updated Team Meeting";
  const int64_t at = kT0 + 2 * kDay;
  log.at(at).put(Category::Event, 1, up, 2);  // the editor updates
  for (int64_t user : {1, 3, 4}) {
    auto page = m.notifications(user, 0, 10);
    REQUIRE(!page.items.empty());
    CHECK(page.items[0].type == "event.update");
    CHECK(page.items[0].message == "Event 'Team Meeting' was updated");
    CHECK(page.items[0].created_at == at);
    CHECK(page.items[0].actor_id == 2);
  }
  CHECK(types_of(m.notifications(2, 0, 10)) == std::vector<std::string>{"event.share", "event.share"});
  CHECK(m.notifications(5, 0, 10).total == 0);

  // Leaving notifies the creator; the leaver is no longer told about changes.
  log.put(Category::Event, 1, left(4), 4);
  CHECK(m.notifications(1, 0, 10).items[0].message == "User 'u4' left event 'Updated Team Meeting'");
  up.title = "Third title";
  log.put(Category::Event, 1, up, 1);
  CHECK(types_of(m.notifications(4, 0, 10)) == std::vector<std::string>{"event.update"});
  CHECK(m.notifications(3, 0, 10).items[0].message == "Event 'Updated Team Meeting' was updated");

  log.put(Category::Event, 1, deleted(), 1);
  auto three = m.notifications(3, 0, 10);
  CHECK(types_of(three) ==
        std::vector<std::string>{"event.delete", "event.update", "event.update", "event.share"});
  CHECK(three.items[0].message == "Event 'Third title' was deleted");
  CHECK(types_of(m.notifications(1, 0, 10)).front() == "event.leave");  // the actor is not told
}

TEST_CASE("task assignment notifies the assignee unless they assigned themselves") {
  ReadModels m;
  Log log(m);
  seed(log);
  auto t = task(1, 1, 1, "Book room");
  t.assignee_id = 3;
  t.fields |= task_field::kAssignee;
  log.put(Category::Task, 1, t, 1);
  auto three = m.notifications(3, 0, 10);
  REQUIRE(three.items.size() == 2);
  CHECK(three.items[0].type == "task.assign");
  CHECK(three.items[0].message == "Task 'Book room' was assigned to you");
  CHECK(three.items[0].task_id == 1);
  CHECK(three.items[0].event_id == 1);

  ev::TaskAssignedT as;
  as.assignee_id = 2;
  log.put(Category::Task, 1, as, 1);
  CHECK(m.notifications(2, 0, 10).items[0].type == "task.assign");
  as.assignee_id = 4;
  log.put(Category::Task, 1, as, 4);  // self-assignment
  CHECK(types_of(m.notifications(4, 0, 10)).empty());

  ev::TaskUpdatedT up;
  up.fields = task_field::kAssignee;
  up.assignee_id = 5;
  log.put(Category::Task, 1, up, 1);
  CHECK(m.notifications(5, 0, 10).items[0].message == "Task 'Book room' was assigned to you");
}

TEST_CASE("read marks, read-all, paging newest first and notifications_after") {
  ReadModels m;
  Log log(m);
  seed(log);
  ev::EventUpdatedT up;
  up.fields = event_field::kDescription;
  up.description = "x";
  for (int i = 0; i < 5; ++i) log.put(Category::Event, 1, up, 1);
  // User 3: share (id 2), then updates with ids 6, 9, 12, 15, 18 (users 2, 3, 4 each time; id 3
  // told user 2 of the share with user 3, id 4 the owner of the join).
  auto page = m.notifications(3, 0, 2);
  CHECK(page.total == 6);
  CHECK(page.unread == 6);
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[0].id == 18);
  CHECK(page.items[1].id == 15);
  CHECK(m.notifications(3, 5, 2).items.size() == 1);
  CHECK(m.notifications(3, 5, 2).items[0].id == 2);

  ev::NotificationReadT read;
  read.notification_id = 9;
  log.put(Category::Notification, 3, read, 3);
  read.notification_id = 10;  // belongs to user 4: ignored for user 3
  log.put(Category::Notification, 3, read, 3);
  CHECK(m.notification(9)->is_read);
  CHECK_FALSE(m.notification(10)->is_read);
  CHECK(m.notifications(3, 0, 10).unread == 5);
  CHECK(m.notifications(4, 0, 10).unread == 5);
  auto unread = m.notifications(3, 0, 10, /*unread_only=*/true);
  CHECK(unread.total == 5);
  CHECK(unread.items.size() == 5);

  auto after = m.notifications_after(3, 9);
  REQUIRE(after.size() == 3);
  CHECK(after[0].id == 12);
  CHECK(after[2].id == 18);
  CHECK(m.notifications_after(3, 18).empty());
  CHECK(m.notifications_after(3, 0, 2).size() == 2);

  ev::AllNotificationsReadT all;
  all.up_to_id = 12;
  log.put(Category::Notification, 3, all, 3);
  CHECK(m.notifications(3, 0, 10).unread == 2);
  all.up_to_id = 0;
  log.put(Category::Notification, 3, all, 3);
  CHECK(m.notifications(3, 0, 10).unread == 0);
  CHECK(m.notifications(4, 0, 10).unread == 5);
}
