#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::ReadModels;
using proj::TaskQuery;

namespace {

std::vector<int64_t> ids_of(const proj::Page<proj::TaskView>& page) {
  std::vector<int64_t> ids;
  for (const auto& t : page.items) ids.push_back(t.id);
  return ids;
}

void seed(Log& log) {
  register_users(log, 3);
  auto g1 = scheduled(1, 1, "Picnic", kT0 + kDay, 0);
  g1.visibility = ev::Visibility::Public;
  auto g2 = scheduled(2, 2, "Hike", kT0 + 2 * kDay, 0);
  g2.visibility = ev::Visibility::Public;
  log.add(Category::Event, 1, g1, 1).add(Category::Event, 2, g2, 2).commit();

  auto t1 = task(1, 1, 1, "Buy food");
  t1.description = "bread";
  t1.priority = ev::TaskPriority::High;
  t1.due = kT0 + 12 * kHour;
  t1.assignee_id = 2;
  t1.fields |= task_field::kDescription | task_field::kPriority | task_field::kDue |
               task_field::kAssignee;
  auto t2 = task(2, 1, 1, "Bring blanket");
  auto t3 = task(3, 2, 2, "Map the route");
  t3.due = kT0 + 36 * kHour;
  t3.assignee_id = 2;
  t3.fields |= task_field::kDue | task_field::kAssignee;
  log.at(kT0);
  log.add(Category::Task, 1, t1, 1).add(Category::Task, 2, t2, 1).add(Category::Task, 3, t3, 2);
  log.commit();
}

}  // namespace

TEST_CASE("a task carries its fields, defaults and times") {
  ReadModels m;
  Log log(m);
  seed(log);
  auto t = m.task(1);
  REQUIRE(t);
  CHECK(t->title == "Buy food");
  CHECK(t->description == "bread");
  CHECK(t->priority == ev::TaskPriority::High);
  CHECK(t->status == ev::TaskStatus::Pending);
  CHECK(t->due == kT0 + 12 * kHour);
  CHECK(t->assignee_id == 2);
  CHECK(t->event_id == 1);
  CHECK(t->creator_id == 1);
  CHECK(t->created_at == kT0);
  auto plain = m.task(2);
  CHECK(plain->priority == ev::TaskPriority::Medium);
  CHECK_FALSE(plain->assignee_id);
  CHECK_FALSE(plain->due);
  CHECK_FALSE(plain->description);
  CHECK_FALSE(m.task(9));
}

TEST_CASE("tasks filter by event, assignee, status and due range, with pagination") {
  ReadModels m;
  Log log(m);
  seed(log);
  TaskQuery q;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{1, 2, 3});
  q.event_id = 1;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{1, 2});
  q.event_id.reset();
  q.assignee_id = 2;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{1, 3});
  q.event_id = 2;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{3});
  q = {};
  q.due_from = kT0 + kDay;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{3});
  q.due_from = kT0;
  q.due_before = kT0 + kDay;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{1});
  q = {};
  q.creator_id = 1;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{1, 2});
  q = {};
  q.involving_user = 2;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{1, 3});
  q = {};
  q.skip = 1;
  q.limit = 1;
  auto page = m.tasks(q);
  CHECK(page.total == 3);
  CHECK(ids_of(page) == std::vector<int64_t>{2});
}

TEST_CASE("update, assign and complete move a task between indexes") {
  ReadModels m;
  Log log(m);
  seed(log);
  ev::TaskUpdatedT up;
  up.fields = task_field::kStatus | task_field::kDue | task_field::kAssignee | task_field::kTitle;
  up.nulls = task_field::kDue | task_field::kAssignee;
  up.status = ev::TaskStatus::InProgress;
  up.title = "Buy lots of food";
  log.at(kT0 + kHour).put(Category::Task, 1, up, 1);
  auto t = m.task(1);
  CHECK(t->title == "Buy lots of food");
  CHECK(t->status == ev::TaskStatus::InProgress);
  CHECK_FALSE(t->due);
  CHECK_FALSE(t->assignee_id);
  CHECK(t->updated_at == kT0 + kHour);
  TaskQuery q;
  q.assignee_id = 2;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{3});

  ev::TaskAssignedT as;
  as.assignee_id = 3;
  log.put(Category::Task, 2, as, 1);
  q.assignee_id = 3;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{2});

  const int64_t done_at = log.now();
  log.put(Category::Task, 2, ev::TaskCompletedT{}, 3);
  t = m.task(2);
  CHECK(t->status == ev::TaskStatus::Completed);
  CHECK(t->completed_at == done_at);
  q = {};
  q.status = ev::TaskStatus::Completed;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{2});
  q.status = ev::TaskStatus::Pending;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{3});
}

TEST_CASE("the tasks of the events a user takes part in") {
  ReadModels m;
  Log log(m);
  seed(log);
  log.put(Category::Event, 1, joined(1), 1);  // user 1 takes part in the picnic
  log.put(Category::Event, 2, joined(3), 3);  // user 3 in the hike
  TaskQuery q;
  q.participant = 1;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{1, 2});
  q.participant = 3;
  CHECK(ids_of(m.tasks(q)) == std::vector<int64_t>{3});
  q.event_id = 1;
  CHECK(m.tasks(q).total == 0);
  q.participant = 2;  // takes part in nothing
  q.event_id.reset();
  CHECK(m.tasks(q).total == 0);
  log.put(Category::Event, 2, left(3), 3);
  q.participant = 3;
  CHECK(m.tasks(q).total == 0);
  log.put(Category::Event, 1, deleted(), 1);
  q.participant = 1;
  CHECK(m.tasks(q).total == 0);
}
