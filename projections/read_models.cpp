#include "projections/read_models.hpp"

#include <mutex>
#include <shared_mutex>

#include "projections/calendars.hpp"
#include "projections/common.hpp"
#include "projections/events.hpp"
#include "projections/inbox.hpp"
#include "projections/notifications.hpp"
#include "projections/polls.hpp"
#include "projections/rw_lock.hpp"
#include "projections/sessions.hpp"
#include "projections/tasks.hpp"
#include "projections/users.hpp"

namespace almanac::proj {

struct ReadModels::Models {
  mutable RwLock lock;
  // Everything below is guarded by `lock`.
  uint64_t position = 0;
  UsersModel users;
  SessionsModel sessions;
  CalendarsModel calendars;
  EventsModel events;
  TasksModel tasks;
  PollsModel polls;
  InboxModel inbox;
  NotificationsModel notifications;

  // One envelope. Notifications first: they read the state before the event.
  void apply(const Envelope& e) {
    notifications.apply(e, users, events, tasks);
    switch (e.category) {
      case Category::User:
        users.apply(e);
        break;
      case Category::Session:
      case Category::PasswordReset:
        sessions.apply(e);
        break;
      case Category::Calendar:
        if (e.payload.type == ev::Payload::CalendarDeleted) {
          // The events still in the calendar go with it; an EventDeleted
          // {with_calendar} for them, before or after, then changes nothing.
          for (int64_t id : events.ids_in_calendar(e.stream_id)) drop_event(id);
        }
        calendars.apply(e);
        break;
      case Category::Event:
        events.apply(e);
        if (e.payload.type == ev::Payload::EventDeleted) {
          tasks.remove_event(e.stream_id);
          polls.remove_event(e.stream_id);
        }
        break;
      case Category::Task:
        tasks.apply(e);
        break;
      case Category::Poll:
        polls.apply(e);
        break;
      case Category::Inbox:
        inbox.apply(e);
        break;
      default:
        break;  // Notification streams were handled above.
    }
    stamp(e);
  }

  // The stream version a view of the aggregate reports (its ETag).
  void stamp(const Envelope& e) {
    switch (e.category) {
      case Category::User: users.set_version(e.stream_id, e.version); break;
      case Category::Session: sessions.set_version(e.stream_id, e.version); break;
      case Category::Calendar: calendars.set_version(e.stream_id, e.version); break;
      case Category::Event: events.set_version(e.stream_id, e.version); break;
      case Category::Task: tasks.set_version(e.stream_id, e.version); break;
      case Category::Poll: polls.set_version(e.stream_id, e.version); break;
      case Category::Inbox: inbox.set_version(e.stream_id, e.version); break;
      default: break;
    }
  }

  void drop_event(int64_t id) {
    events.remove(id);
    tasks.remove_event(id);
    polls.remove_event(id);
  }
};

namespace {
template <typename T>
std::optional<T> copy_of(const T* p) {
  return p != nullptr ? std::optional<T>(*p) : std::nullopt;
}
}  // namespace

ReadModels::ReadModels() : m_(std::make_unique<Models>()) {}
ReadModels::~ReadModels() = default;

void ReadModels::apply_batch(std::span<const Envelope> events) {
  std::unique_lock lock(m_->lock);
  for (const Envelope& e : events) {
    if (e.position <= m_->position) continue;
    m_->apply(e);
    m_->position = e.position;
  }
}

uint64_t ReadModels::position() const {
  std::shared_lock lock(m_->lock);
  return m_->position;
}

uint64_t ReadModels::checksum() const {
  std::shared_lock lock(m_->lock);
  Digest d;
  d.add(m_->position);
  d.add(m_->users.digest()).add(m_->sessions.digest()).add(m_->calendars.digest());
  d.add(m_->events.digest()).add(m_->tasks.digest()).add(m_->polls.digest());
  d.add(m_->inbox.digest()).add(m_->notifications.digest());
  return d.value();
}

std::vector<std::pair<std::string, uint64_t>> ReadModels::counts() const {
  std::shared_lock lock(m_->lock);
  return {
      {"users", m_->users.live_count()},
      {"sessions", m_->sessions.session_count()},
      {"calendars", m_->calendars.count()},
      {"events", m_->events.count()},
      {"tasks", m_->tasks.count()},
      {"polls", m_->polls.count()},
      {"ballots", m_->polls.ballot_count()},
      {"inbox_items", m_->inbox.count()},
      {"notifications", m_->notifications.count()},
  };
}

// ---- users -------------------------------------------------------------------

std::optional<UserView> ReadModels::user(int64_t id, bool include_deleted) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->users.find(id, include_deleted));
}

std::optional<UserView> ReadModels::user_by_uuid(const ev::Uuid& uuid) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->users.find_by_uuid(uuid));
}

std::optional<UserView> ReadModels::user_by_username(std::string_view username) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->users.find_by_username(username));
}

std::optional<UserView> ReadModels::user_by_email(std::string_view email) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->users.find_by_email(email));
}

std::optional<UserView> ReadModels::user_by_login(std::string_view username_or_email) const {
  std::shared_lock lock(m_->lock);
  const UserView* u = m_->users.find_by_username(username_or_email);
  if (u == nullptr) u = m_->users.find_by_email(username_or_email);
  return copy_of(u);
}

Page<UserView> ReadModels::users(size_t skip, size_t limit) const {
  std::shared_lock lock(m_->lock);
  return m_->users.list(skip, limit);
}

FeedSeed ReadModels::feed_seed(int64_t user) const {
  FeedSeed seed;
  std::shared_lock lock(m_->lock);
  auto copy = [](const IdSet* ids, std::vector<int64_t>& out) {
    if (ids) out.assign(ids->begin(), ids->end());
  };
  copy(m_->events.owned_by(user), seed.owned_events);
  copy(m_->events.shared_with(user), seed.shared_events);
  copy(m_->calendars.ids_of(user), seed.calendars);
  copy(m_->inbox.ids_of(user), seed.inbox_items);
  return seed;
}

// ---- sessions ----------------------------------------------------------------

std::optional<SessionView> ReadModels::session(int64_t id) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->sessions.find_session(id));
}

bool ReadModels::session_active(int64_t id) const {
  std::shared_lock lock(m_->lock);
  return m_->sessions.session_active(id);
}

std::optional<PasswordResetView> ReadModels::password_reset(std::string_view token_hash) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->sessions.find_reset(token_hash));
}

// ---- calendars ---------------------------------------------------------------

std::optional<CalendarView> ReadModels::calendar(int64_t id) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->calendars.find(id));
}

std::optional<CalendarView> ReadModels::calendar_by_uuid(const ev::Uuid& uuid) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->calendars.find_by_uuid(uuid));
}

std::optional<CalendarView> ReadModels::calendar_by_name(int64_t owner_id,
                                                         std::string_view name) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->calendars.find_by_name(owner_id, name));
}

std::vector<CalendarView> ReadModels::calendars_of(int64_t owner_id) const {
  std::shared_lock lock(m_->lock);
  return m_->calendars.by_owner(owner_id);
}

// ---- events ------------------------------------------------------------------

std::optional<EventView> ReadModels::event(int64_t id) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->events.find(id));
}

std::optional<EventView> ReadModels::event_by_uuid(const ev::Uuid& uuid) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->events.find_by_uuid(uuid));
}

std::optional<Identity> ReadModels::event_identity(int64_t id) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->events.identity(id));
}

std::optional<ev::Role> ReadModels::role_of(int64_t user, int64_t event_id) const {
  std::shared_lock lock(m_->lock);
  const EventView* v = m_->events.find(event_id);
  return v != nullptr ? EventsModel::role_of(user, *v) : std::nullopt;
}

bool ReadModels::can_view(int64_t user, int64_t event_id) const {
  std::shared_lock lock(m_->lock);
  const EventView* v = m_->events.find(event_id);
  return v != nullptr && EventsModel::can_view(user, *v);
}

Page<EventView> ReadModels::events(const EventQuery& q) const {
  std::shared_lock lock(m_->lock);
  return m_->events.query(q);
}

OccurrencePage ReadModels::occurrences(const OccurrenceQuery& q) const {
  std::shared_lock lock(m_->lock);
  return m_->events.occurrences(q, m_->calendars);
}

std::optional<GatheringView> ReadModels::gathering(int64_t event_id, int64_t now,
                                                   int64_t viewer) const {
  std::shared_lock lock(m_->lock);
  const EventView* v = m_->events.find(event_id);
  if (v == nullptr) return std::nullopt;
  GatheringView g;
  g.event = *v;
  g.tasks = m_->tasks.by_event(event_id);
  PollQuery q;
  q.event_id = event_id;
  q.now = now;
  q.viewer = viewer;
  q.limit = static_cast<size_t>(-1);
  g.polls = m_->polls.query(q).items;
  return g;
}

// ---- tasks, polls, inbox -----------------------------------------------------

std::optional<TaskView> ReadModels::task(int64_t id) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->tasks.find(id));
}

Page<TaskView> ReadModels::tasks(const TaskQuery& q) const {
  std::shared_lock lock(m_->lock);
  return m_->tasks.query(q, q.participant ? m_->events.participating(*q.participant) : nullptr);
}

std::optional<PollView> ReadModels::poll(int64_t id, int64_t now, int64_t viewer) const {
  std::shared_lock lock(m_->lock);
  return m_->polls.view(id, now, viewer);
}

Page<PollView> ReadModels::polls(const PollQuery& q) const {
  std::shared_lock lock(m_->lock);
  return m_->polls.query(q, q.participant ? m_->events.participating(*q.participant) : nullptr);
}

std::vector<int64_t> ReadModels::polls_due(int64_t now) const {
  std::shared_lock lock(m_->lock);
  return m_->polls.due(now);
}

std::optional<int64_t> ReadModels::next_poll_deadline() const {
  std::shared_lock lock(m_->lock);
  return m_->polls.next_deadline();
}

std::optional<InboxItemView> ReadModels::inbox_item(int64_t id) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->inbox.find(id));
}

std::optional<InboxItemView> ReadModels::inbox_item_by_uuid(const ev::Uuid& uuid) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->inbox.find_by_uuid(uuid));
}

Page<InboxItemView> ReadModels::inbox(int64_t owner_id, std::optional<ev::InboxStatus> status,
                                      size_t skip, size_t limit) const {
  std::shared_lock lock(m_->lock);
  return m_->inbox.by_owner(owner_id, status, skip, limit);
}

Page<InboxItemView> ReadModels::inbox(const InboxQuery& q) const {
  std::shared_lock lock(m_->lock);
  return m_->inbox.query(q);
}

std::optional<Identity> ReadModels::inbox_identity(int64_t id) const {
  std::shared_lock lock(m_->lock);
  return copy_of(m_->inbox.identity(id));
}

// ---- notifications -----------------------------------------------------------

NotificationPage ReadModels::notifications(int64_t user, size_t skip, size_t limit,
                                           bool unread_only) const {
  std::shared_lock lock(m_->lock);
  return m_->notifications.list(user, unread_only, skip, limit);
}

std::optional<NotificationView> ReadModels::notification(int64_t id) const {
  std::shared_lock lock(m_->lock);
  return m_->notifications.find(id);
}

std::vector<NotificationView> ReadModels::notifications_after(int64_t user, int64_t after_id,
                                                              size_t limit) const {
  std::shared_lock lock(m_->lock);
  return m_->notifications.after(user, after_id, limit);
}

int64_t ReadModels::last_notification_id() const {
  std::shared_lock lock(m_->lock);
  return m_->notifications.last_id();
}

}  // namespace almanac::proj
