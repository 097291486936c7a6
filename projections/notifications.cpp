#include "projections/notifications.hpp"

#include <algorithm>

namespace almanac::proj {

using ev::Payload;

namespace {

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string user_label(const UsersModel& users, int64_t id) {
  const UserView* u = users.find(id, /*include_deleted=*/true);
  return u != nullptr ? quoted(u->username) : "#" + std::to_string(id);
}

}  // namespace

void NotificationsModel::emit(const Envelope& e, int64_t user, const char* type,
                              std::optional<int64_t> event_id, std::optional<int64_t> task_id,
                              std::string message) {
  NotificationView n;
  n.id = static_cast<int64_t>(all_.size()) + 1;
  n.user_id = user;
  n.type = type;
  n.event_id = event_id;
  n.task_id = task_id;
  n.actor_id = e.actor_id;
  n.message = std::move(message);
  n.created_at = e.recorded_at;
  n.position = e.position;
  Box& box = boxes_[user];
  box.ids.push_back(n.id);
  ++box.unread;
  all_.push_back(std::move(n));
}

void NotificationsModel::mark_read(int64_t user, int64_t id) {
  if (id < 1 || id > last_id()) return;
  NotificationView& n = all_[static_cast<size_t>(id - 1)];
  if (n.user_id != user || n.is_read) return;
  n.is_read = true;
  --boxes_[user].unread;
}

void NotificationsModel::apply(const Envelope& e, const UsersModel& users,
                               const EventsModel& events, const TasksModel& tasks) {
  const int64_t actor = e.actor_id;
  const int64_t id = e.stream_id;
  auto to_audience = [&](const EventView& v, const char* type, const std::string& message) {
    for (int64_t user : EventsModel::audience(v)) {
      if (user != actor) emit(e, user, type, v.id, std::nullopt, message);
    }
  };
  auto task_assigned = [&](int64_t task_id, int64_t event_id, const std::string& title,
                           int64_t assignee) {
    if (assignee == 0 || assignee == actor) return;
    emit(e, assignee, kTaskAssign, event_id, task_id, "Task " + quoted(title) + " was assigned to you");
  };

  switch (e.payload.type) {
    case Payload::EventUpdated:
      if (const EventView* v = events.find(id)) {
        to_audience(*v, kEventUpdate, "Event " + quoted(v->title) + " was updated");
      }
      break;
    case Payload::EventDeleted:
      if (const EventView* v = events.find(id)) {
        to_audience(*v, kEventDelete, "Event " + quoted(v->title) + " was deleted");
      }
      break;
    case Payload::CalendarDeleted:
      // The calendar's events go with it (ReadModels cascades), whichever of
      // CalendarDeleted and their EventDeleted{with_calendar} comes first.
      for (int64_t event_id : events.ids_in_calendar(id)) {
        if (const EventView* v = events.find(event_id)) {
          to_audience(*v, kEventDelete, "Event " + quoted(v->title) + " was deleted");
        }
      }
      break;
    case Payload::EventShared:
      if (const EventView* v = events.find(id)) {
        const int64_t user = e.payload.AsEventShared()->user_id;
        if (user != actor && user != v->owner_id) {
          emit(e, user, kEventShare, v->id, std::nullopt,
               "Event " + quoted(v->title) + " was shared with you");
        }
      }
      break;
    case Payload::ParticipantJoined:
    case Payload::ParticipantLeft:
      if (const EventView* v = events.find(id)) {
        const bool joined = e.payload.type == Payload::ParticipantJoined;
        const int64_t user = joined ? e.payload.AsParticipantJoined()->user_id
                                    : e.payload.AsParticipantLeft()->user_id;
        if (v->owner_id != actor && v->owner_id != user) {
          emit(e, v->owner_id, joined ? kEventJoin : kEventLeave, v->id, std::nullopt,
               "User " + user_label(users, user) + (joined ? " joined" : " left") + " event " +
                   quoted(v->title));
        }
      }
      break;
    case Payload::TaskCreated: {
      const auto& p = *e.payload.AsTaskCreated();
      if (p.fields & task_field::kAssignee) task_assigned(id, p.event_id, p.title, p.assignee_id);
      break;
    }
    case Payload::TaskUpdated: {
      const auto& p = *e.payload.AsTaskUpdated();
      const TaskView* t = tasks.find(id);
      if (t == nullptr || !(p.fields & task_field::kAssignee) ||
          (p.nulls & task_field::kAssignee) || t->assignee_id == p.assignee_id) {
        break;
      }
      const std::string& title = (p.fields & task_field::kTitle) ? p.title : t->title;
      task_assigned(id, t->event_id, title, p.assignee_id);
      break;
    }
    case Payload::TaskAssigned:
      if (const TaskView* t = tasks.find(id)) {
        task_assigned(id, t->event_id, t->title, e.payload.AsTaskAssigned()->assignee_id);
      }
      break;
    case Payload::NotificationRead:
      mark_read(id, e.payload.AsNotificationRead()->notification_id);
      break;
    case Payload::AllNotificationsRead: {
      auto box = boxes_.find(id);
      if (box == boxes_.end()) break;
      const int64_t up_to = e.payload.AsAllNotificationsRead()->up_to_id;
      // ids are ascending: stop past up_to (0 or less marks every one read).
      for (int64_t n : box->second.ids) {
        if (up_to > 0 && n > up_to) break;
        mark_read(id, n);
      }
      break;
    }
    default:
      break;
  }
}

const NotificationView* NotificationsModel::find(int64_t id) const {
  if (id < 1 || id > last_id()) return nullptr;
  return &all_[static_cast<size_t>(id - 1)];
}

NotificationPage NotificationsModel::list(int64_t user, bool unread_only, size_t skip,
                                          size_t limit) const {
  NotificationPage page;
  auto box = boxes_.find(user);
  if (box == boxes_.end()) return page;
  page.unread = box->second.unread;
  if (!unread_only) page.total = box->second.ids.size();
  size_t matched = 0;
  for (auto it = box->second.ids.rbegin(); it != box->second.ids.rend(); ++it) {
    const NotificationView& n = all_[static_cast<size_t>(*it - 1)];
    if (unread_only && n.is_read) continue;
    if (matched++ < skip) continue;
    if (page.items.size() >= limit) break;
    page.items.push_back(n);
  }
  if (unread_only) page.total = page.unread;
  return page;
}

std::vector<NotificationView> NotificationsModel::after(int64_t user, int64_t after_id,
                                                        size_t limit) const {
  std::vector<NotificationView> out;
  auto box = boxes_.find(user);
  if (box == boxes_.end()) return out;
  const auto& ids = box->second.ids;
  for (auto it = std::upper_bound(ids.begin(), ids.end(), after_id);
       it != ids.end() && out.size() < limit; ++it) {
    out.push_back(all_[static_cast<size_t>(*it - 1)]);
  }
  return out;
}

uint64_t NotificationsModel::digest() const {
  Digest d;  // all_ is in id order already
  d.add(static_cast<uint64_t>(all_.size()));
  for (const NotificationView& n : all_) {
    d.add(n.id).add(n.user_id).add(n.type).add(n.event_id).add(n.task_id).add(n.actor_id);
    d.add(n.message).add(n.is_read).add(n.created_at).add(n.position);
  }
  return d.value();
}

}  // namespace almanac::proj
