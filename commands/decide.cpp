// The dispatcher: decide() checks If-Match and routes each command to its
// aggregate's file; apply() keeps versions and counts and routes each event.
#include "commands/decide.hpp"

#include <algorithm>
#include <string>
#include <type_traits>

#include "commands/aggregates.hpp"

namespace almanac::cmd {

namespace {

// The aggregate a command is about, for If-Match. `creates`: the command
// makes a new aggregate, whose version before it is 0.
struct Target {
  StreamId stream;
  bool creates = false;
};

template <typename T>
constexpr bool kCreates =
    std::is_same_v<T, RegisterUser> || std::is_same_v<T, StartSession> ||
    std::is_same_v<T, RequestPasswordReset> || std::is_same_v<T, CreateCalendar> ||
    std::is_same_v<T, ScheduleEvent> || std::is_same_v<T, ScheduleEvents> ||
    std::is_same_v<T, CreateTask> || std::is_same_v<T, CreatePoll> ||
    std::is_same_v<T, CaptureInboxItem>;

Target target_of(const WriteState& s, const CommandEnvelope& env) {
  return std::visit(
      [&](const auto& c) -> Target {
        using T = std::decay_t<decltype(c)>;
        if constexpr (kCreates<T>) {
          return {{}, true};
        } else if constexpr (std::is_same_v<T, UpdateProfile> ||
                             std::is_same_v<T, ChangePassword> ||
                             std::is_same_v<T, SetSuperuser> ||
                             std::is_same_v<T, SetUserActive> ||
                             std::is_same_v<T, DeleteUser>) {
          return {{Category::User, c.user_id}};
        } else if constexpr (std::is_same_v<T, UpdateAccount>) {
          return {{Category::User, c.profile.user_id}};
        } else if constexpr (std::is_same_v<T, RefreshSession> ||
                             std::is_same_v<T, EndSession>) {
          return {{Category::Session, c.session_id}};
        } else if constexpr (std::is_same_v<T, CompletePasswordReset>) {
          return {{Category::PasswordReset, s.reset_by_token(c.token_hash)}};
        } else if constexpr (std::is_same_v<T, UpdateCalendar> ||
                             std::is_same_v<T, DeleteCalendar>) {
          return {{Category::Calendar, c.calendar_id}};
        } else if constexpr (std::is_same_v<T, UpdateEvent> || std::is_same_v<T, DeleteEvent> ||
                             std::is_same_v<T, ShareEvent> || std::is_same_v<T, UnshareEvent> ||
                             std::is_same_v<T, JoinEvent> || std::is_same_v<T, LeaveEvent>) {
          return {{Category::Event, c.event_id}};
        } else if constexpr (std::is_same_v<T, UpdateTask> || std::is_same_v<T, AssignTask> ||
                             std::is_same_v<T, CompleteTask>) {
          return {{Category::Task, c.task_id}};
        } else if constexpr (std::is_same_v<T, CastBallot> || std::is_same_v<T, ClosePoll>) {
          return {{Category::Poll, c.poll_id}};
        } else if constexpr (std::is_same_v<T, UpdateInboxItem> ||
                             std::is_same_v<T, ScheduleInboxItem> ||
                             std::is_same_v<T, DeleteInboxItem>) {
          return {{Category::Inbox, c.item_id}};
        } else if constexpr (std::is_same_v<T, SetInboxItemsStatus>) {
          // Several items, none of them the target of an If-Match.
          return {{}, true};
        } else {
          static_assert(std::is_same_v<T, MarkNotificationRead> ||
                        std::is_same_v<T, MarkAllNotificationsRead>);
          // A user's notification stream may legitimately still be empty.
          return {{Category::Notification, env.actor_id}, true};
        }
      },
      env.command);
}

}  // namespace

Decision decide(const WriteState& state, const CommandEnvelope& command, Clock& clock,
                IdSource& ids) {
  Decision d;
  if (command.expected_version) {
    Target t = target_of(state, command);
    uint64_t current = t.creates && t.stream.category != Category::Notification
                           ? 0
                           : state.version(t.stream);
    // An unknown target is left to the command, which reports it as not
    // found; a stale version of a known one is a conflict.
    bool known = t.creates || current > 0;
    if (known && current != *command.expected_version) {
      d.status = conflict("Resource was modified: expected version " +
                              std::to_string(*command.expected_version) + ", current " +
                              std::to_string(current),
                          "If-Match")
                     .because(Reason::kStaleVersion);
      return d;
    }
  }

  Emitter out(state);
  Context ctx{state, command.actor_id, clock.now_us(), ids, out};
  d.status = std::visit([&](const auto& c) { return decide_command(ctx, c); }, command.command);
  if (d.status.is_ok() || out.keeps_on_refusal()) d.events = out.take();
  return d;
}

void apply(WriteState& state, const Envelope& e) {
  auto cat = static_cast<size_t>(e.category);
  if (cat >= state.max_ids.size()) return;
  uint64_t& v = state.version_slot(stream_of(e));
  if (v == 0) ++state.stream_counts[cat];
  // A committed envelope carries its version; a decided-but-not-yet-stored
  // one (version 0) is the next of its stream.
  v = e.version != 0 ? e.version : v + 1;
  if (e.category != Category::Notification)
    state.max_ids[cat] = std::max(state.max_ids[cat], e.stream_id);

  switch (e.category) {
    case Category::User: apply_user(state, e); break;
    case Category::Session:
    case Category::PasswordReset: apply_session(state, e); break;
    case Category::Calendar: apply_calendar(state, e); break;
    case Category::Event: apply_event(state, e); break;
    case Category::Task: apply_task(state, e); break;
    case Category::Poll: apply_poll(state, e); break;
    case Category::Inbox: apply_inbox(state, e); break;
    case Category::Notification:
    case Category::None: break;
  }
}

}  // namespace almanac::cmd
