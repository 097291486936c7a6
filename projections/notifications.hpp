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
// Storage: compact records in a vector indexed by id - 1; the type is a small
// code and the message lives once per causing envelope in an append-only text
// arena (all recipients of one envelope share it), so fan-out to N users costs
// N small records, not N strings. Views are rendered on query.
//
// Not thread-safe by itself: ReadModels guards it (see read_models.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

  std::optional<NotificationView> find(int64_t id) const;
  // Newest first; total and unread count every notification of the user.
  NotificationPage list(int64_t user, bool unread_only, size_t skip, size_t limit) const;
  // The user's notifications with id > after_id, oldest first, at most limit.
  std::vector<NotificationView> after(int64_t user, int64_t after_id, size_t limit) const;
  int64_t last_id() const { return static_cast<int64_t>(all_.size()); }

  size_t count() const { return all_.size(); }
  uint64_t digest() const;

 private:
  // Indexes the kEventUpdate... names above, in that order.
  enum class Type : uint8_t {
    kEventUpdate, kEventDelete, kEventShare, kEventJoin, kEventLeave, kTaskAssign
  };
  struct Record {
    int64_t user_id = 0;
    int64_t event_id = 0;      // meaningful when has_event
    int64_t task_id = 0;       // meaningful when has_task
    int64_t actor_id = 0;
    int64_t created_at = 0;
    uint64_t position = 0;
    uint64_t text_offset = 0;  // the message: text_[text_offset, + text_size)
    uint32_t text_size = 0;
    Type type = Type::kEventUpdate;
    bool has_event = false;
    bool has_task = false;
    bool is_read = false;
  };
  struct Box {
    std::vector<int64_t> ids;  // ascending
    size_t unread = 0;
  };
  // The message of the notifications the current envelope emits: appended
  // to text_ by begin_text()/append_text(), shared by every emit() until the
  // next begin_text().
  void begin_text();
  void append_text(std::string_view s);
  void emit(const Envelope& e, int64_t user, Type type, std::optional<int64_t> event_id,
            std::optional<int64_t> task_id);
  void mark_read(int64_t user, int64_t id);
  std::string_view text_of(const Record& r) const;
  NotificationView render(int64_t id) const;

  std::vector<Record> all_;  // all_[id - 1]
  std::string text_;         // every message, back to back; append-only
  uint64_t text_begin_ = 0;  // where the current envelope's message starts
  DenseMap<Box> boxes_;      // by recipient (user ids are dense)
  std::vector<int64_t> audience_;  // scratch for apply(); no meaning between calls
};

}  // namespace almanac::proj
