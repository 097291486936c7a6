#include "harness.hpp"

using namespace almanac;
using namespace almanac::cmd;
using namespace almanac::cmd::testing;

namespace {

CreateTask task_on(int64_t event_id, const std::string& title, int64_t assignee = 0) {
  CreateTask t;
  t.task.event_id = event_id;
  t.task.title = title;
  t.task.fields = task_field::kTitle;
  if (assignee) {
    t.task.assignee_id = assignee;
    t.task.fields |= task_field::kAssignee;
  }
  return t;
}

struct World {
  Harness h;
  int64_t owner = h.user("owner");
  int64_t bob = h.user("bob");
  int64_t carol = h.user("carol");
  int64_t dave = h.user("dave");
  int64_t event = h.event(owner, at(2024, 6, 1, 8), at(2024, 6, 1, 16), ev::Visibility::Public);
  // bob, carol and dave take part in the gathering.
  bool joined = (h.ok(JoinEvent{event}, bob), h.ok(JoinEvent{event}, carol), h.ok(JoinEvent{event}, dave), true);
};

}  // namespace

TEST_CASE("CreateTask on a visible event, creator = actor") {
  World w;
  Decision d = w.h.ok(task_on(w.event, "Bring chairs", w.carol), w.bob);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].stream == StreamId{Category::Task, 1});
  const auto* t = d.events[0].payload.AsTaskCreated();
  CHECK(t->event_id == w.event);
  CHECK(t->creator_id == w.bob);
  CHECK(t->assignee_id == w.carol);
  CHECK(t->title == "Bring chairs");
  CHECK(t->status == ev::TaskStatus::Pending);
  CHECK(t->uuid.lo() != 0);

  CHECK(w.h.run(task_on(999, "x"), w.bob).status.code() == Code::kNotFound);
  int64_t priv = w.h.event(w.owner, at(2024, 6, 2, 8), at(2024, 6, 2, 9));
  Decision hidden = w.h.run(task_on(priv, "x"), w.bob);
  CHECK(hidden.status.code() == Code::kNotFound);
  CHECK(hidden.status.message() == "Event not found");
  Decision noone = w.h.run(task_on(w.event, "x", 999), w.bob);
  CHECK(noone.status.code() == Code::kInvalidArgument);
  CHECK(noone.status.field() == "assignee_id");
  CHECK(w.h.run(task_on(w.event, ""), w.bob).status.field() == "title");
}

TEST_CASE("UpdateTask: creator or assignee") {
  World w;
  w.h.ok(task_on(w.event, "Bring chairs", w.carol), w.bob);
  UpdateTask u;
  u.task_id = 1;
  u.changes.fields = task_field::kStatus | task_field::kTitle;
  u.changes.status = ev::TaskStatus::InProgress;
  u.changes.title = "Bring 10 chairs";
  Decision d = w.h.ok(u, w.carol);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].expected_version == 1);
  CHECK(d.events[0].payload.AsTaskUpdated()->status == ev::TaskStatus::InProgress);
  CHECK(w.h.state.task(1)->status == ev::TaskStatus::InProgress);
  CHECK(w.h.ok(u, w.bob).events.size() == 1);
  Decision f = w.h.run(u, w.dave);
  CHECK(f.status.code() == Code::kForbidden);
  CHECK(f.events.empty());
  CHECK(w.h.run(u, w.owner).status.code() == Code::kForbidden);
  u.task_id = 7;
  Decision nf = w.h.run(u, w.bob);
  CHECK(nf.status.code() == Code::kNotFound);
  CHECK(nf.status.message() == "Task not found");
}

TEST_CASE("AssignTask: the event's creator or the task's creator") {
  World w;
  w.h.ok(task_on(w.event, "Bring chairs"), w.bob);
  Decision d = w.h.ok(AssignTask{1, w.carol}, w.owner);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].payload.AsTaskAssigned()->assignee_id == w.carol);
  CHECK(w.h.state.task(1)->assignee_id == w.carol);
  CHECK(w.h.ok(AssignTask{1, w.dave}, w.bob).events.size() == 1);
  // The assignee may not reassign.
  CHECK(w.h.run(AssignTask{1, w.carol}, w.dave).status.code() == Code::kForbidden);
  CHECK(w.h.run(AssignTask{1, 999}, w.bob).status.code() == Code::kInvalidArgument);
  CHECK(w.h.run(AssignTask{5, w.carol}, w.bob).status.code() == Code::kNotFound);
}

TEST_CASE("CompleteTask: creator or assignee, once") {
  World w;
  w.h.ok(task_on(w.event, "Bring chairs", w.carol), w.bob);
  CHECK(w.h.run(CompleteTask{1}, w.dave).status.code() == Code::kForbidden);
  Decision d = w.h.ok(CompleteTask{1}, w.carol);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].payload.type == ev::Payload::TaskCompleted);
  CHECK(w.h.state.task(1)->status == ev::TaskStatus::Completed);
  Decision again = w.h.run(CompleteTask{1}, w.bob);
  CHECK(again.status.code() == Code::kFailedPrecondition);
  CHECK(again.events.empty());
}

TEST_CASE("tasks belong to those who take part: creator and assignee are participants") {
  World w;
  int64_t erin = w.h.user("erin");  // not a participant
  Decision outsider = w.h.run(task_on(w.event, "Bring chairs"), erin);
  CHECK(outsider.status.code() == Code::kForbidden);
  CHECK(outsider.status.reason() == Reason::kNotParticipant);
  Decision assignee = w.h.run(task_on(w.event, "Bring chairs", erin), w.bob);
  CHECK(assignee.status.code() == Code::kInvalidArgument);
  CHECK(assignee.status.field() == "assignee_id");
  CHECK(assignee.status.reason() == Reason::kNotParticipant);
  w.h.ok(task_on(w.event, "Bring chairs"), w.bob);
  CHECK(w.h.run(AssignTask{1, erin}, w.bob).status.reason() == Reason::kNotParticipant);
  w.h.ok(AssignTask{1, w.carol}, w.bob);
}

TEST_CASE("the tasks of a deleted event are gone with it") {
  World w;
  w.h.ok(task_on(w.event, "Bring chairs", w.carol), w.bob);
  w.h.ok(DeleteEvent{w.event}, w.owner);
  CHECK(w.h.run(CompleteTask{1}, w.carol).status.code() == Code::kNotFound);
  CHECK(w.h.run(AssignTask{1, w.dave}, w.bob).status.code() == Code::kNotFound);
  UpdateTask u;
  u.task_id = 1;
  u.changes.fields = task_field::kTitle;
  u.changes.title = "x";
  CHECK(w.h.run(u, w.bob).status.code() == Code::kNotFound);
}
