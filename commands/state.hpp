// WriteState: the write side's memory, exactly what decide() needs to judge a
// command (uniqueness, ownership, permissions, time conflicts, versions) and
// nothing a query needs. It is built only by apply() (commands/decide.hpp)
// folding events in log order, so a replay of the log rebuilds it exactly.
//
// Rules applied when folding (the read models apply the same):
//  - EventScheduled gives its owner the Owner role in the event's ACL.
//  - A Public event's owner is a participant through an explicit
//    ParticipantJoined that decide() emits right after EventScheduled (or
//    after the EventUpdated that makes the event Public); nothing is implied.
//  - UserDeleted frees the username and the email for new registrations.
//
// Thread safety: none. The writer thread owns its WriteState; anyone else
// builds their own (replay, verify).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "events/event.hpp"

namespace almanac::cmd {

struct UserState {
  std::string username;     // as registered (uniqueness is case-sensitive)
  std::string email;        // as given (uniqueness is case-insensitive)
  bool active = true;
  bool superuser = false;
  bool deleted = false;
};

struct SessionState {
  int64_t user_id = 0;
  std::string refresh_jti;                 // the one refresh token id now valid
  std::vector<std::string> earlier_jtis;   // rotated away, oldest first
  int64_t expires_at = 0;                  // refresh expiry, UTC µs
  bool ended = false;
};

struct PasswordResetState {
  int64_t user_id = 0;
  std::string token_hash;
  int64_t expires_at = 0;
  bool used = false;
};

struct CalendarState {
  int64_t owner_id = 0;
  std::string name;
  bool deleted = false;
  std::set<int64_t> events;   // live events of the calendar
};

struct EventState {
  int64_t owner_id = 0;
  int64_t calendar_id = 0;    // 0: none
  std::string title;
  int64_t start = 0;
  int64_t end = 0;            // meaningful only when has_end
  bool has_end = false;
  bool is_all_day = false;
  ev::RepeatFrequency repeat = ev::RepeatFrequency::None;
  bool has_repeat_until = false;
  int32_t repeat_until_day = 0;   // days since 1970-01-01, inclusive
  ev::Visibility visibility = ev::Visibility::Private;
  bool has_max_participants = false;
  int32_t max_participants = 0;
  std::map<int64_t, ev::Role> acl;   // user -> role; the owner holds Owner
  std::vector<int64_t> participants; // join order
  bool deleted = false;
};

struct TaskState {
  int64_t event_id = 0;
  int64_t creator_id = 0;
  int64_t assignee_id = 0;    // 0: unassigned
  ev::TaskStatus status = ev::TaskStatus::Pending;
};

struct PollState {
  int64_t event_id = 0;
  int64_t creator_id = 0;
  int64_t first_option_id = 0;
  int64_t option_count = 0;   // options are first_option_id .. +option_count-1
  bool has_ends_at = false;
  int64_t ends_at = 0;
  bool multiple_choice = false;
  bool closed = false;
  std::map<int64_t, std::set<int64_t>> chosen;   // user -> options chosen so far
};

struct InboxState {
  int64_t owner_id = 0;
  bool deleted = false;
  bool scheduled = false;
};

// The live events of one owner that have an end, ordered by start, and the
// longest duration among every event ever indexed for that owner. An overlap
// query for [s, e) then only visits events starting in (s - longest, e).
struct OwnerIntervals {
  std::set<std::pair<int64_t, int64_t>> by_start;   // (start, event id)
  int64_t longest = 0;
};

struct WriteState {
  // ---- queries used by decide() and by tools comparing states -----------

  // Current version of a stream (0 when it has no events).
  uint64_t version(StreamId stream) const;
  // The id decide() gives the next aggregate of `category`: max id seen + 1.
  int64_t next_id(Category category) const;
  // Number of streams of `category` holding at least one event (deleted
  // aggregates included: deletion is an event on the stream).
  size_t count(Category category) const;
  // Deterministic 64-bit digest of the whole state. Independent of hash-map
  // iteration order and of the order in which independent streams were
  // applied; two states built from the same log always agree.
  uint64_t checksum() const;

  // Lookups: nullptr when unknown. Deleted aggregates are still returned
  // (with deleted = true) so callers can tell "gone" from "never existed".
  const UserState* user(int64_t id) const;
  const SessionState* session(int64_t id) const;
  const PasswordResetState* password_reset(int64_t id) const;
  const CalendarState* calendar(int64_t id) const;
  const EventState* event(int64_t id) const;
  const TaskState* task(int64_t id) const;
  const PollState* poll(int64_t id) const;
  const InboxState* inbox_item(int64_t id) const;

  // Live user holding this exact username / this email (any case); 0: none.
  int64_t user_by_username(const std::string& username) const;
  int64_t user_by_email(const std::string& email) const;
  // Password reset id for a token hash; 0: none.
  int64_t reset_by_token(const std::string& token_hash) const;
  // Live calendar of `owner` named exactly `name`; 0: none.
  int64_t calendar_by_name(int64_t owner, const std::string& name) const;
  // A live, non-deleted user with the superuser flag.
  bool is_superuser(int64_t user_id) const;

  // Live events of `owner` with an end overlapping [start, end) half-open,
  // in start order, skipping `except` (0: skip nothing).
  std::vector<int64_t> overlapping(int64_t owner, int64_t start, int64_t end,
                                   int64_t except = 0) const;

  // ---- the data (written only by apply) ---------------------------------
  std::unordered_map<StreamId, uint64_t, StreamIdHash> versions;
  std::array<int64_t, 16> max_ids{};        // by Category
  std::array<size_t, 16> stream_counts{};   // by Category
  int64_t options_created = 0;              // poll options ever created

  std::unordered_map<int64_t, UserState> users;
  std::unordered_map<int64_t, SessionState> sessions;
  std::unordered_map<int64_t, PasswordResetState> password_resets;
  std::unordered_map<int64_t, CalendarState> calendars;
  std::unordered_map<int64_t, EventState> events;
  std::unordered_map<int64_t, TaskState> tasks;
  std::unordered_map<int64_t, PollState> polls;
  std::unordered_map<int64_t, InboxState> inbox_items;
  // Notification streams carry only versions here: which notification ids
  // exist is the read model's business.

  // Indexes.
  std::unordered_map<std::string, int64_t> username_index;   // live users
  std::unordered_map<std::string, int64_t> email_index;      // lower-cased, live users
  std::unordered_map<int64_t, std::set<int64_t>> user_sessions;   // not-ended sessions
  std::unordered_map<std::string, int64_t> reset_index;      // token hash -> reset id
  std::map<std::pair<int64_t, std::string>, int64_t> calendar_names;   // live calendars
  std::unordered_map<int64_t, OwnerIntervals> intervals;     // by owner
};

// ASCII lower-casing, the form in which emails are compared.
std::string lower_ascii(std::string s);

}  // namespace almanac::cmd
