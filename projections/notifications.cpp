#include "projections/notifications.hpp"

#include <algorithm>

namespace almanac::proj {

using ev::Payload;

namespace {

const char* type_name(int type) {
  static constexpr const char* kNames[] = {kEventUpdate, kEventDelete, kEventShare,
                                           kEventJoin,   kEventLeave,  kTaskAssign};
  return kNames[type];
}

}  // namespace

void NotificationsModel::begin_text() { text_begin_ = text_.size(); }

void NotificationsModel::append_text(std::string_view s) { text_.append(s); }

std::string_view NotificationsModel::text_of(const Record& r) const {
  return std::string_view(text_).substr(r.text_offset, r.text_size);
}

void NotificationsModel::emit(const Envelope& e, int64_t user, Type type,
                              std::optional<int64_t> event_id, std::optional<int64_t> task_id) {
  Record& r = all_.emplace_back();
  r.user_id = user;
  r.type = type;
  r.has_event = event_id.has_value();
  r.event_id = event_id.value_or(0);
  r.has_task = task_id.has_value();
  r.task_id = task_id.value_or(0);
  r.actor_id = e.actor_id;
  r.created_at = e.recorded_at;
  r.position = e.position;
  r.text_offset = text_begin_;
  r.text_size = static_cast<uint32_t>(text_.size() - text_begin_);
  Box& box = boxes_.get_or_create(user);
  box.ids.push_back(static_cast<int64_t>(all_.size()));
  ++box.unread;
}

void NotificationsModel::mark_read(int64_t user, int64_t id) {
  if (id < 1 || id > last_id()) return;
  Record& n = all_[static_cast<size_t>(id - 1)];
  if (n.user_id != user || n.is_read) return;
  n.is_read = true;
  --boxes_.find(user)->unread;
}

NotificationView NotificationsModel::render(int64_t id) const {
  const Record& r = all_[static_cast<size_t>(id - 1)];
  NotificationView n;
  n.id = id;
  n.user_id = r.user_id;
  n.type = type_name(static_cast<int>(r.type));
  if (r.has_event) n.event_id = r.event_id;
  if (r.has_task) n.task_id = r.task_id;
  n.actor_id = r.actor_id;
  n.message = text_of(r);
  n.is_read = r.is_read;
  n.created_at = r.created_at;
  n.position = r.position;
  return n;
}

void NotificationsModel::apply(const Envelope& e, const UsersModel& users,
                               const EventsModel& events, const TasksModel& tasks) {
  const int64_t actor = e.actor_id;
  const int64_t id = e.stream_id;
  // "<prefix>'<title>'<suffix>", the message shape of every event notification.
  auto set_text = [&](std::string_view prefix, std::string_view title, std::string_view suffix) {
    begin_text();
    append_text(prefix);
    append_text("'");
    append_text(title);
    append_text("'");
    append_text(suffix);
  };
  auto to_audience = [&](const EventView& v, Type type, std::string_view suffix) {
    EventsModel::audience(v, audience_);
    bool any = false;
    for (int64_t user : audience_) {
      if (user == actor) continue;
      if (!any) set_text("Event ", v.title, suffix);
      any = true;
      emit(e, user, type, v.id, std::nullopt);
    }
  };
  auto task_assigned = [&](int64_t task_id, int64_t event_id, std::string_view title,
                           int64_t assignee) {
    if (assignee == 0 || assignee == actor) return;
    set_text("Task ", title, " was assigned to you");
    emit(e, assignee, Type::kTaskAssign, event_id, task_id);
  };

  switch (e.payload.type) {
    case Payload::EventUpdated:
      if (const EventView* v = events.find(id)) to_audience(*v, Type::kEventUpdate, " was updated");
      break;
    case Payload::EventDeleted:
      if (const EventView* v = events.find(id)) to_audience(*v, Type::kEventDelete, " was deleted");
      break;
    case Payload::CalendarDeleted:
      // The calendar's events go with it (ReadModels cascades), whichever of
      // CalendarDeleted and their EventDeleted{with_calendar} comes first.
      for (int64_t event_id : events.ids_in_calendar(id)) {
        if (const EventView* v = events.find(event_id)) {
          to_audience(*v, Type::kEventDelete, " was deleted");
        }
      }
      break;
    case Payload::EventShared:
      if (const EventView* v = events.find(id)) {
        const int64_t user = e.payload.AsEventShared()->user_id;
        if (user != actor && user != v->owner_id) {
          set_text("Event ", v->title, " was shared with you");
          emit(e, user, Type::kEventShare, v->id, std::nullopt);
        }
        // Everyone else who holds the event hears of it too.
        EventsModel::audience(*v, audience_);
        bool any = false;
        for (int64_t other : audience_) {
          if (other == actor || other == user) continue;
          if (!any) {
            set_text("Event ", v->title, " was shared with ");
            const UserView* u = users.find(user, /*include_deleted=*/true);
            append_text(u ? "'" + u->username + "'" : "#" + std::to_string(user));
          }
          any = true;
          emit(e, other, Type::kEventShare, v->id, std::nullopt);
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
          begin_text();
          append_text("User ");
          if (const UserView* u = users.find(user, /*include_deleted=*/true)) {
            append_text("'");
            append_text(u->username);
            append_text("'");
          } else {
            append_text("#");
            append_text(std::to_string(user));
          }
          append_text(joined ? " joined event '" : " left event '");
          append_text(v->title);
          append_text("'");
          emit(e, v->owner_id, joined ? Type::kEventJoin : Type::kEventLeave, v->id, std::nullopt);
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
      const std::string_view title = (p.fields & task_field::kTitle) ? p.title : t->title;
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
      const Box* box = boxes_.find(id);
      if (box == nullptr) break;
      const int64_t up_to = e.payload.AsAllNotificationsRead()->up_to_id;
      // ids are ascending: stop past up_to (0 or less marks every one read).
      // mark_read() changes only the unread count, not the ids.
      for (int64_t n : box->ids) {
        if (up_to > 0 && n > up_to) break;
        mark_read(id, n);
      }
      break;
    }
    default:
      break;
  }
}

std::optional<NotificationView> NotificationsModel::find(int64_t id) const {
  if (id < 1 || id > last_id()) return std::nullopt;
  return render(id);
}

NotificationPage NotificationsModel::list(int64_t user, bool unread_only, size_t skip,
                                          size_t limit) const {
  NotificationPage page;
  const Box* box = boxes_.find(user);
  if (box == nullptr) return page;
  page.unread = box->unread;
  if (!unread_only) page.total = box->ids.size();
  size_t matched = 0;
  for (auto it = box->ids.rbegin(); it != box->ids.rend(); ++it) {
    const Record& n = all_[static_cast<size_t>(*it - 1)];
    if (unread_only && n.is_read) continue;
    if (matched++ < skip) continue;
    if (page.items.size() >= limit) break;
    page.items.push_back(render(*it));
  }
  if (unread_only) page.total = page.unread;
  return page;
}

std::vector<NotificationView> NotificationsModel::after(int64_t user, int64_t after_id,
                                                        size_t limit) const {
  std::vector<NotificationView> out;
  const Box* box = boxes_.find(user);
  if (box == nullptr) return out;
  const auto& ids = box->ids;
  for (auto it = std::upper_bound(ids.begin(), ids.end(), after_id);
       it != ids.end() && out.size() < limit; ++it) {
    out.push_back(render(*it));
  }
  return out;
}

uint64_t NotificationsModel::digest() const {
  Digest d;  // all_ is in id order already
  d.add(static_cast<uint64_t>(all_.size()));
  for (size_t i = 0; i < all_.size(); ++i) {
    const Record& n = all_[i];
    const auto event_id = n.has_event ? std::optional<int64_t>(n.event_id) : std::nullopt;
    const auto task_id = n.has_task ? std::optional<int64_t>(n.task_id) : std::nullopt;
    d.add(static_cast<int64_t>(i + 1)).add(n.user_id);
    d.add(std::string_view(type_name(static_cast<int>(n.type))));
    d.add(event_id).add(task_id).add(n.actor_id);
    d.add(text_of(n)).add(n.is_read).add(n.created_at).add(n.position);
  }
  return d.value();
}

}  // namespace almanac::proj
