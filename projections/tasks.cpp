#include "projections/tasks.hpp"

#include <algorithm>

namespace almanac::proj {

using ev::Payload;
namespace tf = task_field;

void TasksModel::set_assignee(TaskView& t, std::optional<int64_t> assignee) {
  if (t.assignee_id == assignee) return;
  if (t.assignee_id) by_assignee_.erase(*t.assignee_id, t.id);
  t.assignee_id = assignee;
  if (t.assignee_id) by_assignee_.insert(*t.assignee_id, t.id);
}

void TasksModel::apply(const Envelope& e) {
  const int64_t id = e.stream_id;
  if (e.payload.type == Payload::TaskCreated) {
    const auto& p = *e.payload.AsTaskCreated();
    remove(id);
    TaskView t;
    t.id = id;
    t.uuid = p.uuid;
    t.event_id = p.event_id;
    t.creator_id = p.creator_id;
    t.title = p.title;
    if (p.fields & tf::kDescription) t.description = p.description;
    if (p.fields & tf::kStatus) t.status = p.status;
    if (p.fields & tf::kPriority) t.priority = p.priority;
    if (p.fields & tf::kDue) t.due = p.due;
    t.created_at = e.recorded_at;
    t.updated_at = e.recorded_at;
    if (t.status == ev::TaskStatus::Completed) t.completed_at = e.recorded_at;
    by_event_.insert(t.event_id, id);
    TaskView& stored = tasks_.assign(id, std::move(t));
    if ((p.fields & tf::kAssignee) && p.assignee_id != 0) set_assignee(stored, p.assignee_id);
    return;
  }
  TaskView* found = tasks_.find(id);
  if (found == nullptr) return;
  TaskView& t = *found;
  switch (e.payload.type) {
    case Payload::TaskUpdated: {
      const auto& p = *e.payload.AsTaskUpdated();
      const uint32_t f = p.fields;
      const uint32_t nulls = p.nulls;
      if (f & tf::kTitle) t.title = p.title;
      if (f & tf::kDescription) {
        if (nulls & tf::kDescription) {
          t.description.reset();
        } else {
          t.description = p.description;
        }
      }
      if (f & tf::kStatus) {
        if (p.status == ev::TaskStatus::Completed && t.status != ev::TaskStatus::Completed) {
          t.completed_at = e.recorded_at;
        } else if (p.status != ev::TaskStatus::Completed) {
          t.completed_at.reset();
        }
        t.status = p.status;
      }
      if (f & tf::kPriority) t.priority = p.priority;
      if (f & tf::kDue) {
        if (nulls & tf::kDue) {
          t.due.reset();
        } else {
          t.due = p.due;
        }
      }
      if (f & tf::kAssignee) {
        if ((nulls & tf::kAssignee) || p.assignee_id == 0) {
          set_assignee(t, std::nullopt);
        } else {
          set_assignee(t, p.assignee_id);
        }
      }
      t.updated_at = e.recorded_at;
      break;
    }
    case Payload::TaskAssigned: {
      const int64_t assignee = e.payload.AsTaskAssigned()->assignee_id;
      set_assignee(t, assignee == 0 ? std::nullopt : std::optional<int64_t>(assignee));
      t.updated_at = e.recorded_at;
      break;
    }
    case Payload::TaskCompleted:
      if (t.status != ev::TaskStatus::Completed) t.completed_at = e.recorded_at;
      t.status = ev::TaskStatus::Completed;
      t.updated_at = e.recorded_at;
      break;
    default:
      break;
  }
}

void TasksModel::remove(int64_t id) {
  const TaskView* t = tasks_.find(id);
  if (t == nullptr) return;
  by_event_.erase(t->event_id, id);
  if (t->assignee_id) by_assignee_.erase(*t->assignee_id, id);
  tasks_.erase(id);
}

void TasksModel::remove_event(int64_t event_id) {
  const IdSet* tasks = by_event_.find(event_id);
  if (tasks == nullptr) return;
  const std::vector<int64_t> ids = tasks->ids();  // remove() changes the set
  for (int64_t id : ids) remove(id);
}

const TaskView* TasksModel::find(int64_t id) const {
  return tasks_.find(id);
}

std::vector<TaskView> TasksModel::by_event(int64_t event_id) const {
  std::vector<TaskView> out;
  const IdSet* ids = by_event_.find(event_id);
  if (ids == nullptr) return out;
  out.reserve(ids->size());
  for (int64_t id : *ids) out.push_back(*tasks_.find(id));
  return out;
}

Page<TaskView> TasksModel::query(const TaskQuery& q, const IdSet* participating) const {
  auto matches = [&q](const TaskView& t) {
    if (q.event_id && t.event_id != *q.event_id) return false;
    if (q.assignee_id && t.assignee_id != q.assignee_id) return false;
    if (q.creator_id && t.creator_id != *q.creator_id) return false;
    if (q.involving_user && t.creator_id != *q.involving_user && t.assignee_id != q.involving_user) {
      return false;
    }
    if (q.status && t.status != *q.status) return false;
    if ((q.due_from || q.due_before) && !t.due) return false;
    if (q.due_from && *t.due < *q.due_from) return false;
    if (q.due_before && *t.due >= *q.due_before) return false;
    return true;
  };
  std::vector<const TaskView*> hits;
  auto scan_index = [&](const IdIndex& index, int64_t key) {
    const IdSet* ids = index.find(key);
    if (ids == nullptr) return;
    for (int64_t id : *ids) {
      const TaskView& t = *tasks_.find(id);
      if (matches(t)) hits.push_back(&t);
    }
  };
  if (q.event_id) {
    if (!q.participant || (participating && participating->contains(*q.event_id))) scan_index(by_event_, *q.event_id);
  } else if (q.participant) {
    if (participating)
      for (int64_t event : *participating) scan_index(by_event_, event);
    std::sort(hits.begin(), hits.end(), [](const TaskView* a, const TaskView* b) { return a->id < b->id; });
  } else if (q.assignee_id) {
    scan_index(by_assignee_, *q.assignee_id);
  } else {
    tasks_.for_each([&](int64_t, const TaskView& t) {
      if (matches(t)) hits.push_back(&t);
    });
  }
  Page<TaskView> page;
  page.total = hits.size();
  for (size_t i = q.skip; i < hits.size() && page.items.size() < q.limit; ++i) {
    page.items.push_back(*hits[i]);
  }
  return page;
}

uint64_t TasksModel::digest() const {
  SetDigest set;
  tasks_.for_each([&](int64_t, const TaskView& t) {
    Digest d;
    d.add(t.id).add(t.uuid).add(t.event_id).add(t.creator_id).add(t.title).add(t.description);
    d.add(static_cast<int64_t>(t.status)).add(static_cast<int64_t>(t.priority)).add(t.due);
    d.add(t.assignee_id).add(t.created_at).add(t.updated_at).add(t.completed_at);
    set.add(d.value());
  });
  return set.value();
}

void TasksModel::set_version(int64_t id, uint64_t version) {
  if (auto* r = tasks_.find(id)) r->version = version;
}

}  // namespace almanac::proj
