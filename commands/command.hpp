// Commands: what a caller asks the domain to do. One struct per intent; the
// contract adapters in api/ fill them, decide() (commands/decide.hpp) turns
// them into events or a refusal. Passwords arrive already hashed (Argon2id is
// slow and must not run on the writer thread); tokens arrive as their ids or
// hashes, never in clear.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "events/event.hpp"

namespace almanac::cmd {

// ---- users --------------------------------------------------------------
struct RegisterUser {
  std::string username, email, password_hash, first_name, last_name, full_name;
};
// Changes the fields named in `fields` (user_field bits). Allowed to the user
// themself and to superusers.
struct UpdateProfile {
  int64_t user_id = 0;
  uint32_t fields = 0;
  std::string username, email, first_name, last_name, full_name, bio, avatar;
};
// The user themself or a superuser. Every open session of the user ends in
// the same append, except `keep_session_id` (the session that asked, so a
// user changing their own password stays signed in there; 0: none kept).
struct ChangePassword { int64_t user_id = 0; std::string password_hash; int64_t keep_session_id = 0; };
// Superuser or system (actor 0) only.
struct SetSuperuser { int64_t user_id = 0; bool is_superuser = true; };
// Superuser or system only. Deactivation ends the user's open sessions in the
// same append (a later reactivation does not revive them).
struct SetUserActive { int64_t user_id = 0; bool active = true; };
// The user themself or a superuser; a superuser cannot delete their own
// account (FailedPrecondition, Reason::kSelfDeletion). Ends the user's open
// sessions in the same append; the username and email become free.
struct DeleteUser { int64_t user_id = 0; };
// An account change decided as one (user administration): the profile
// fields `profile.fields` names (profile.user_id is the account), a new
// password hash, and the active and superuser flags. The user themself or a
// superuser may change the profile and password; the flags only a superuser
// (or the system) may send: anyone else is refused (Forbidden) even when the
// value equals the current one. The rules of UpdateProfile, ChangePassword
// (keep_session_id) and SetUserActive hold; a flag equal to the current one
// records nothing, and a session ended for two reasons ends once. All of it
// is appended together, or nothing.
struct UpdateAccount {
  UpdateProfile profile;
  std::optional<std::string> password_hash;
  std::optional<bool> is_active;
  std::optional<bool> is_superuser;
  int64_t keep_session_id = 0;
};

// ---- sessions -----------------------------------------------------------
// Login: SessionStarted + UserLoggedIn. The new session id is the stream id
// of the SessionStarted event.
struct StartSession { int64_t user_id = 0; std::string refresh_jti; int64_t expires_at = 0; };
// Rotation. Presenting the current jti rotates to new_jti; presenting an
// earlier jti of the session is reuse: the session is revoked (events are
// appended) and the command is refused with Unauthenticated.
struct RefreshSession {
  int64_t session_id = 0;
  std::string presented_jti, new_jti;
  int64_t expires_at = 0;
};
struct EndSession { int64_t session_id = 0; ev::SessionEndReason reason = ev::SessionEndReason::Logout; };

// ---- password reset -----------------------------------------------------
struct RequestPasswordReset { int64_t user_id = 0; std::string token_hash; int64_t expires_at = 0; };
// Single use, before expiry; ends the user's sessions.
struct CompletePasswordReset { std::string token_hash; std::string new_password_hash; };

// ---- calendars ----------------------------------------------------------
struct CreateCalendar { int64_t owner_id = 0; std::string name; std::optional<std::string> color; };
struct UpdateCalendar { int64_t calendar_id = 0; std::string name; std::optional<std::string> color; };
// Deletes the calendar and each of its events in one append.
struct DeleteCalendar { int64_t calendar_id = 0; };

// ---- events -------------------------------------------------------------
// `event` holds the fields as given (uuid is assigned by decide; owner_id,
// calendar_id, visibility by the adapter). All-day events are normalised to
// 00:00:00-23:59:59.999999 of their days. With reject_conflicts, an overlap
// (half-open) with another event of the owner is a Conflict.
struct ScheduleEvent { ev::EventScheduledT event; bool reject_conflicts = false; };
// Several events, all or nothing.
struct ScheduleEvents { std::vector<ScheduleEvent> events; };
// `changes.fields` names the fields to set (event_field bits).
struct UpdateEvent { int64_t event_id = 0; ev::EventUpdatedT changes; bool reject_conflicts = false; };
struct DeleteEvent { int64_t event_id = 0; };
struct ShareEvent { int64_t event_id = 0; int64_t user_id = 0; ev::Role role = ev::Role::Viewer; };
struct UnshareEvent { int64_t event_id = 0; int64_t user_id = 0; };
struct JoinEvent { int64_t event_id = 0; };    // the actor joins
struct LeaveEvent { int64_t event_id = 0; };   // the actor leaves

// ---- tasks --------------------------------------------------------------
struct CreateTask { ev::TaskCreatedT task; };            // creator = actor
struct UpdateTask { int64_t task_id = 0; ev::TaskUpdatedT changes; };
struct AssignTask { int64_t task_id = 0; int64_t assignee_id = 0; };
struct CompleteTask { int64_t task_id = 0; };

// ---- polls --------------------------------------------------------------
struct CreatePoll { ev::PollCreatedT poll; };            // creator = actor
struct CastBallot { int64_t poll_id = 0; std::vector<int64_t> option_ids; };
struct ClosePoll { int64_t poll_id = 0; };

// ---- inbox --------------------------------------------------------------
struct CaptureInboxItem { ev::InboxItemCapturedT item; };   // owner = actor
struct UpdateInboxItem { int64_t item_id = 0; ev::InboxItemUpdatedT changes; };
// Creates the event and marks the item scheduled, in one append.
struct ScheduleInboxItem { int64_t item_id = 0; ScheduleEvent event; };
struct DeleteInboxItem { int64_t item_id = 0; };
// Sets the status of each of the actor's live items among `item_ids` (an
// InboxItemUpdated per item, in one append); ids of unknown, deleted or
// someone else's items, and repeated ids, are skipped. The count of items
// set is the count of events.
struct SetInboxItemsStatus { std::vector<int64_t> item_ids; ev::InboxStatus status = ev::InboxStatus::Pending; };

// ---- notifications (ids are assigned by the notifications read model) ---
struct MarkNotificationRead { int64_t notification_id = 0; };
struct MarkAllNotificationsRead { int64_t up_to_id = 0; };

using Command = std::variant<
    RegisterUser, UpdateProfile, ChangePassword, SetSuperuser, SetUserActive, DeleteUser, UpdateAccount,
    StartSession, RefreshSession, EndSession, RequestPasswordReset, CompletePasswordReset,
    CreateCalendar, UpdateCalendar, DeleteCalendar,
    ScheduleEvent, ScheduleEvents, UpdateEvent, DeleteEvent, ShareEvent, UnshareEvent,
    JoinEvent, LeaveEvent,
    CreateTask, UpdateTask, AssignTask, CompleteTask,
    CreatePoll, CastBallot, ClosePoll,
    CaptureInboxItem, UpdateInboxItem, ScheduleInboxItem, DeleteInboxItem,
    MarkNotificationRead, MarkAllNotificationsRead, SetInboxItemsStatus>;

// A command with who asks and how it is tracked.
struct CommandEnvelope {
  Command command;
  int64_t actor_id = 0;                      // 0: the system (CLI)
  std::string correlation_id;
  std::string idempotency_key;               // empty: none
  // When set, the target aggregate's stream must be at this version
  // (If-Match); otherwise Conflict.
  std::optional<uint64_t> expected_version;
};

}  // namespace almanac::cmd
