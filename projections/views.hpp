// Plain view structs returned by the read-model queries (ReadModels).
//
// Every query returns these by value: a view is a copy taken under the read
// lock and owns all of its data, so a caller may keep it, render it or send it
// across threads after the lock is gone. Nothing here points into the models.
//
// Times are UTC microseconds (floating events carry wall-clock numbers, see
// EventView::floating). Ids of other aggregates are dense int64 ids; an
// absent reference is std::nullopt (never 0 in a view).
//
// A view of an aggregate carries `version`: the version of its stream when the
// view was taken (every event of the stream counts, e.g. a login on a user's
// stream). It is what an ETag names, read in the same snapshot as the view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/schema_generated.h"

namespace almanac::proj {

// One page of a filtered listing: `total` counts every match before
// skip/limit were applied.
template <typename T>
struct Page {
  std::vector<T> items;
  size_t total = 0;
};

// Whose an aggregate is and its UUID. Kept after the aggregate is deleted,
// so that a deletion can still be told to its owner (and named by UUID).
struct Identity {
  ev::Uuid uuid;
  int64_t owner_id = 0;
};

// ---- users, sessions, password resets ---------------------------------------

struct UserView {
  int64_t id = 0;
  uint64_t version = 0;           // of the stream (see above)
  ev::Uuid uuid;
  std::string username;
  std::string email;              // as given at registration or last change
  std::string first_name;
  std::string last_name;
  std::string full_name;
  std::string bio;
  std::string avatar;
  std::string password_hash;      // Argon2id encoded string
  bool is_active = true;
  bool is_superuser = false;
  bool deleted = false;
  int64_t created_at = 0;         // recorded_at of UserRegistered
  int64_t updated_at = 0;         // recorded_at of the last change to the account
  std::optional<int64_t> last_login;  // recorded_at of the last UserLoggedIn
};

// What a live feed of one user's domain events starts from (UserFeed,
// ReadModels::feed_seed): the ids of the aggregates that concern the user,
// ascending.
struct FeedSeed {
  std::vector<int64_t> owned_events;
  std::vector<int64_t> shared_events;   // an ACL entry of the user on another's event
  std::vector<int64_t> calendars;
  std::vector<int64_t> inbox_items;
};

struct SessionView {
  int64_t id = 0;
  uint64_t version = 0;           // of the stream (see above)
  ev::Uuid uuid;
  int64_t user_id = 0;
  std::string refresh_jti;        // the refresh token id valid now
  int64_t expires_at = 0;         // refresh token expiry
  int64_t started_at = 0;
  int64_t refreshed_at = 0;       // started_at until the first refresh
  bool ended = false;
  std::optional<ev::SessionEndReason> end_reason;
  std::optional<int64_t> ended_at;
  bool reuse_detected = false;    // a rotated-out refresh token was presented
};

struct PasswordResetView {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string token_hash;
  int64_t requested_at = 0;
  int64_t expires_at = 0;
  bool used = false;
  std::optional<int64_t> used_at;
};

// ---- calendars ----------------------------------------------------------------

struct CalendarView {
  int64_t id = 0;
  uint64_t version = 0;           // of the stream (see above)
  ev::Uuid uuid;
  int64_t owner_id = 0;
  std::string name;
  std::optional<std::string> color;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// ---- events -------------------------------------------------------------------

struct AclEntry {
  int64_t user_id = 0;
  ev::Role role = ev::Role::Viewer;
};

struct ParticipantView {
  int64_t user_id = 0;
  int64_t joined_at = 0;
};

struct EventView {
  int64_t id = 0;
  uint64_t version = 0;           // of the stream (see above)
  ev::Uuid uuid;
  int64_t owner_id = 0;
  std::optional<int64_t> calendar_id;
  std::string title;
  std::optional<std::string> description;
  int64_t start = 0;
  std::optional<int64_t> end;     // absent for a gathering that has only a date
  bool is_all_day = false;
  bool floating = false;          // naive local time: render without offset
  std::optional<std::string> location;
  std::optional<std::string> category;
  std::optional<std::string> metadata_json;  // a serialised JSON object
  bool is_recurring = false;
  ev::RepeatFrequency repeat = ev::RepeatFrequency::None;
  std::optional<int32_t> repeat_until_day;   // days since 1970-01-01, inclusive
  ev::Visibility visibility = ev::Visibility::Private;
  std::optional<int32_t> max_participants;
  // The owner first (role Owner), then every share in user-id order.
  std::vector<AclEntry> acl;
  // In join order.
  std::vector<ParticipantView> participants;
  int64_t created_at = 0;         // recorded_at of EventScheduled
  int64_t updated_at = 0;         // recorded_at of the last change
};

// Which events a listing starts from, before the filters.
enum class EventScope {
  kVisible,        // owned, shared with the viewer (ACL), or Public
  kOwnedOrShared,  // owned or shared with the viewer; Public alone is not enough
  kOwned,          // owned by the viewer
  kPublic,         // every Public event (gatherings), whoever the viewer is
};

enum class EventOrder { kByStart, kById };

// A listing of events. Every set filter must match. Time filters:
// - overlap_from / overlap_to: the event (for a repeating series, any of its
//   occurrences) overlaps [overlap_from, overlap_to); an event without end, or
//   with end == start, overlaps when overlap_from <= start < overlap_to;
// - start_min / start_max: start_min <= start < start_max (the series' first
//   occurrence for a repeating event);
// - end_max: (end, or start when there is no end) <= end_max;
// - day_end_after / day_end_at_most: a gathering's end (its end, or when it
//   has none the end of its start's UTC day) > day_end_after, <= day_end_at_most.
struct EventQuery {
  int64_t viewer = 0;
  EventScope scope = EventScope::kVisible;
  std::optional<int64_t> overlap_from;
  std::optional<int64_t> overlap_to;
  std::optional<int64_t> start_min;
  std::optional<int64_t> start_max;
  std::optional<int64_t> end_max;
  std::optional<int64_t> day_end_after;
  std::optional<int64_t> day_end_at_most;
  std::optional<std::string> category;   // exact match
  std::optional<int64_t> calendar_id;
  std::optional<int64_t> owner_id;       // "creator" filter
  std::string search;                    // case-insensitive substring of title or description
  EventOrder order = EventOrder::kByStart;  // ties broken by id
  size_t skip = 0;
  size_t limit = 100;
};

// One occurrence of an event in an expanded window (mcal /events/expanded/).
struct OccurrenceView {
  int64_t event_id = 0;           // the original event
  std::optional<int64_t> calendar_id;
  std::string title;
  std::optional<std::string> description;
  int64_t start = 0;
  int64_t end = 0;
  int64_t index = 0;              // 0 for the first occurrence of a series
  bool is_all_day = false;
  bool floating = false;
  std::optional<std::string> color;  // the calendar's color, when it has one
};

inline constexpr size_t kDefaultOccurrenceCap = 10'000;

struct OccurrenceQuery {
  int64_t owner_id = 0;
  std::optional<int64_t> calendar_id;
  bool calendared_only = false;   // skip events that belong to no calendar
  int64_t window_start = 0;
  int64_t window_end = 0;         // exclusive
  size_t cap = kDefaultOccurrenceCap;
};

struct OccurrencePage {
  std::vector<OccurrenceView> items;  // by start, then event id, then index
  bool truncated = false;             // more occurrences exist beyond `cap`
};

// ---- tasks ----------------------------------------------------------------------

struct TaskView {
  int64_t id = 0;
  uint64_t version = 0;           // of the stream (see above)
  ev::Uuid uuid;
  int64_t event_id = 0;
  int64_t creator_id = 0;
  std::string title;
  std::optional<std::string> description;
  ev::TaskStatus status = ev::TaskStatus::Pending;
  ev::TaskPriority priority = ev::TaskPriority::Medium;
  std::optional<int64_t> due;
  std::optional<int64_t> assignee_id;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> completed_at;
};

// Tasks in id order. due_from <= due < due_before; a task without due never
// matches a due filter.
struct TaskQuery {
  std::optional<int64_t> event_id;
  std::optional<int64_t> assignee_id;
  std::optional<int64_t> creator_id;
  std::optional<int64_t> involving_user;  // creator or assignee
  std::optional<int64_t> participant;     // of an event this user takes part in
  std::optional<ev::TaskStatus> status;
  std::optional<int64_t> due_from;
  std::optional<int64_t> due_before;
  size_t skip = 0;
  size_t limit = 100;
};

// ---- polls ----------------------------------------------------------------------

struct PollOptionView {
  int64_t id = 0;
  std::string text;
  int64_t vote_count = 0;
  // vote_count / total_votes in tenths of a percent, rounded half away from
  // zero (533 for 8 of 15); 0 when there are no votes.
  int32_t percent_tenths = 0;
  double percentage = 0.0;        // percent_tenths / 10.0
};

enum class PollStatus { kActive, kEnded };

struct PollView {
  int64_t id = 0;
  uint64_t version = 0;           // of the stream (see above)
  ev::Uuid uuid;
  int64_t event_id = 0;
  int64_t creator_id = 0;
  std::string title;
  std::string description;
  std::vector<PollOptionView> options;   // in creation order
  int64_t total_votes = 0;        // sum of the option counts
  int64_t voters = 0;             // users who cast at least one ballot
  std::optional<int64_t> ends_at;
  bool multiple_choice = false;
  bool closed = false;            // explicitly closed (PollClosed)
  std::optional<int64_t> closed_at;
  // kEnded when closed or ends_at <= now (the `now` of the query).
  PollStatus status = PollStatus::kActive;
  // Highest count; a tie goes to the earliest option; none without votes.
  std::optional<int64_t> winner_option_id;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  // The querying user's own ballot (empty / nullopt when they did not vote).
  std::vector<int64_t> my_choices;   // option ids in the order first chosen
  std::optional<int64_t> my_voted_at;  // recorded_at of their first ballot
};

// Polls in id order.
struct PollQuery {
  std::optional<int64_t> event_id;
  std::optional<PollStatus> status;
  std::optional<int64_t> creator_id;
  std::optional<int64_t> participant;  // of an event this user takes part in
  int64_t now = 0;                // decides active / ended
  int64_t viewer = 0;             // whose my_choices to fill
  size_t skip = 0;
  size_t limit = 100;
};

// ---- inbox ----------------------------------------------------------------------

struct InboxItemView {
  int64_t id = 0;
  uint64_t version = 0;           // of the stream (see above)
  ev::Uuid uuid;
  int64_t owner_id = 0;
  std::string content;
  std::optional<std::string> category;
  // The priority on two scales that always agree: a level 1 (lowest) to 5,
  // and Low (1-2) / Medium (3) / High (4-5). An item whose events never
  // named a level has the level of its TaskPriority: Low 1, Medium 3, High 5.
  ev::TaskPriority priority = ev::TaskPriority::Medium;
  int32_t priority_level = 3;
  ev::InboxStatus status = ev::InboxStatus::Pending;
  std::optional<std::string> metadata_json;
  std::optional<int64_t> event_id;  // set once scheduled as an event
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// One owner's inbox items, newest first (id descending). Each filter that is
// set is one condition: `categories` (exact, any of them), `statuses` (any),
// `priority_levels` (any), and the level range [priority_min, priority_max]
// (one condition, either bound may be absent). The conditions must all hold,
// or with `any_condition` at least one; with no condition every item matches.
struct InboxQuery {
  int64_t owner_id = 0;
  std::vector<std::string> categories;
  std::vector<ev::InboxStatus> statuses;
  std::vector<int32_t> priority_levels;
  std::optional<int32_t> priority_min;
  std::optional<int32_t> priority_max;
  bool any_condition = false;
  size_t skip = 0;
  size_t limit = 100;
};

// ---- notifications -------------------------------------------------------------

struct NotificationView {
  int64_t id = 0;                 // dense, from 1, in log order
  int64_t user_id = 0;            // the recipient
  std::string type;               // "event.update", "event.delete", ...
  std::optional<int64_t> event_id;
  std::optional<int64_t> task_id;
  int64_t actor_id = 0;           // who caused it (0 = system)
  std::string message;
  bool is_read = false;
  int64_t created_at = 0;         // recorded_at of the causing event
  uint64_t position = 0;          // log position of the causing event
};

struct NotificationPage {
  std::vector<NotificationView> items;  // newest first
  size_t total = 0;
  size_t unread = 0;
};

}  // namespace almanac::proj
