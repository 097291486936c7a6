// Tasks of an event: created by those who take part in it (a public
// gathering's participants), assigned to one of them, changed and completed
// by their creator or assignee, assigned by the task's creator or the
// event's creator. They go with their event.
#include <algorithm>
#include <cctype>

#include "commands/aggregates.hpp"

namespace almanac::cmd {

namespace {

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isspace(ch); });
}

bool live_user(const WriteState& s, int64_t id) {
  const UserState* u = s.user(id);
  return u && !u->deleted;
}

// The assignee exists and takes part in the event (anyone may be unassigned).
Status check_assignee(const WriteState& s, const EventState& e, int64_t assignee) {
  if (assignee == 0) return Status::ok();
  if (!live_user(s, assignee)) return invalid("Assignee does not exist", "assignee_id");
  if (!takes_part(e, assignee))
    return invalid("The assignee must take part in the event", "assignee_id").because(Reason::kNotParticipant);
  return Status::ok();
}

Status task_not_found() { return not_found("Task not found"); }

// A task whose event still exists; nullptr (and the event through `event`)
// otherwise: the tasks of a deleted event are gone with it.
const TaskState* live_task(const WriteState& s, int64_t id, const EventState** event) {
  const TaskState* t = s.task(id);
  if (!t) return nullptr;
  const EventState* e = s.event(t->event_id);
  if (!e || e->deleted) return nullptr;
  *event = e;
  return t;
}

bool creator_or_assignee(const TaskState& t, int64_t user) {
  return user != 0 && (t.creator_id == user || t.assignee_id == user);
}

}  // namespace

Status decide_command(Context& c, const CreateTask& cmd) {
  const ev::TaskCreatedT& in = cmd.task;
  const EventState* e = visible_event(c.state, in.event_id, c.actor);
  if (!e) return not_found("Event not found");
  if (!takes_part(*e, c.actor))
    return forbidden("Only those who take part in the event can add tasks to it").because(Reason::kNotParticipant);
  if (blank(in.title)) return invalid("Title must not be empty", "title");
  int64_t assignee = (in.fields & task_field::kAssignee) ? in.assignee_id : 0;
  if (Status st = check_assignee(c.state, *e, assignee); !st) return st;
  ev::TaskCreatedT out = in;
  out.uuid = c.ids.uuid();
  out.creator_id = c.actor;
  out.assignee_id = assignee;
  out.fields |= task_field::kTitle;
  if (assignee == 0) out.fields &= ~task_field::kAssignee;
  if (!(out.fields & task_field::kStatus)) out.status = ev::TaskStatus::Pending;
  c.out.emit({Category::Task, c.out.allocate(Category::Task)}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const UpdateTask& cmd) {
  const EventState* e = nullptr;
  const TaskState* t = live_task(c.state, cmd.task_id, &e);
  if (!t) return task_not_found();
  if (!creator_or_assignee(*t, c.actor))
    return forbidden("Only the task's creator or assignee can change it").because(Reason::kNotOwner);
  const ev::TaskUpdatedT& ch = cmd.changes;
  const uint32_t n = ch.nulls & ch.fields;
  if ((ch.fields & task_field::kTitle) && ((n & task_field::kTitle) || blank(ch.title)))
    return invalid("Title must not be empty", "title");
  if ((ch.fields & task_field::kAssignee) && !(n & task_field::kAssignee))
    if (Status st = check_assignee(c.state, *e, ch.assignee_id); !st) return st;
  if (ch.fields == 0) return Status::ok();
  ev::TaskUpdatedT out = ch;
  out.nulls = n;
  c.out.emit({Category::Task, cmd.task_id}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const AssignTask& cmd) {
  const EventState* e = nullptr;
  const TaskState* t = live_task(c.state, cmd.task_id, &e);
  if (!t) return task_not_found();
  bool event_creator = c.actor != 0 && e->owner_id == c.actor;
  if (!event_creator && !(c.actor != 0 && t->creator_id == c.actor))
    return forbidden("Only the event's creator or the task's creator can assign it")
        .because(Reason::kNotOwner);
  if (Status st = check_assignee(c.state, *e, cmd.assignee_id); !st) return st;
  ev::TaskAssignedT out;
  out.assignee_id = cmd.assignee_id;
  c.out.emit({Category::Task, cmd.task_id}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const CompleteTask& cmd) {
  const EventState* e = nullptr;
  const TaskState* t = live_task(c.state, cmd.task_id, &e);
  if (!t) return task_not_found();
  if (!creator_or_assignee(*t, c.actor))
    return forbidden("Only the task's creator or assignee can complete it").because(Reason::kNotOwner);
  if (t->status == ev::TaskStatus::Completed)
    return failed_precondition("Task is already completed").because(Reason::kTaskCompleted);
  c.out.emit({Category::Task, cmd.task_id}, ev::TaskCompletedT{});
  return Status::ok();
}

void apply_task(WriteState& s, const Envelope& e) {
  int64_t id = e.stream_id;
  switch (e.payload.type) {
    case ev::Payload::TaskCreated: {
      const auto* p = e.payload.AsTaskCreated();
      TaskState& t = s.tasks[id];
      t.event_id = p->event_id;
      t.creator_id = p->creator_id;
      t.assignee_id = (p->fields & task_field::kAssignee) ? p->assignee_id : 0;
      t.status = p->status;
      break;
    }
    case ev::Payload::TaskUpdated: {
      const auto* p = e.payload.AsTaskUpdated();
      TaskState& t = s.tasks[id];
      const uint32_t n = p->nulls & p->fields;
      if (p->fields & task_field::kAssignee)
        t.assignee_id = (n & task_field::kAssignee) ? 0 : p->assignee_id;
      if (p->fields & task_field::kStatus)
        t.status = (n & task_field::kStatus) ? ev::TaskStatus::Pending : p->status;
      break;
    }
    case ev::Payload::TaskAssigned:
      s.tasks[id].assignee_id = e.payload.AsTaskAssigned()->assignee_id;
      break;
    case ev::Payload::TaskCompleted: s.tasks[id].status = ev::TaskStatus::Completed; break;
    default: break;
  }
}

}  // namespace almanac::cmd
