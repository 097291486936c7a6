// The notifications read model: per-user notifications with read state,
// derived from domain events.
//
// Notifications are not stored in the log: they are produced here, while the
// log is applied, in log order, with dense ids from 1, so a replay reproduces
// the same ids, texts and times. apply() must see the other models as they
// were *before* the envelope was applied (the audience of a deleted event,
// the title before an update); ReadModels calls it first for each envelope.
// The exact rules are in docs/read-models.md ("Notifications").
//
// Not thread-safe by itself: ReadModels guards it (see read_models.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/event.hpp"
#include "projections/common.hpp"
#include "projections/events.hpp"
#include "projections/tasks.hpp"
#include "projections/users.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

inline constexpr const char* kEventUpdate = "event.update";
inline constexpr const char* kEventDelete = "event.delete";
inline constexpr const char* kEventShare = "event.share";
inline constexpr const char* kEventJoin = "event.join";
inline constexpr const char* kEventLeave = "event.leave";
inline constexpr const char* kTaskAssign = "task.assign";

class NotificationsModel {
 public:
  void apply(const Envelope& e, const UsersModel& users, const EventsModel& events,
             const TasksModel& tasks);

  const NotificationView* find(int64_t id) const;
  // Newest first; total and unread count every notification of the user.
  NotificationPage list(int64_t user, bool unread_only, size_t skip, size_t limit) const;
  // The user's notifications with id > after_id, oldest first, at most limit.
  std::vector<NotificationView> after(int64_t user, int64_t after_id, size_t limit) const;
  int64_t last_id() const { return static_cast<int64_t>(all_.size()); }

  size_t count() const { return all_.size(); }
  uint64_t digest() const;

 private:
  struct Box {
    std::vector<int64_t> ids;  // ascending
    size_t unread = 0;
  };
  void emit(const Envelope& e, int64_t user, const char* type, std::optional<int64_t> event_id,
            std::optional<int64_t> task_id, std::string message);
  void mark_read(int64_t user, int64_t id);

  std::vector<NotificationView> all_;  // all_[id - 1]
  std::unordered_map<int64_t, Box> boxes_;
};

}  // namespace almanac::proj
