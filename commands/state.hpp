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
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/btree_map.h>
#include <absl/container/btree_set.h>
#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include "events/dense_map.hpp"
#include "events/event.hpp"

namespace almanac::cmd {

// Records keyed by an aggregate id, each entry also holding the version of
// the stream with that id (0: no events), so that applying an event touches
// one entry for both. The entries live in a DenseMap (events/dense_map.hpp):
// a pointer or reference to a record or a version stays valid until its id
// is erased (only a deleted event's is: see apply_event) or the table is
// destroyed, and no id, however corrupt, makes the table reserve memory out
// of proportion to what it holds.
//
// A record exists once operator[] created it; a version may exist without a
// record (a stream whose events this state does not fold) and the other way
// round (a record created through a reference from another stream).
//
// Thread safety: none; owned like the WriteState that holds it.
template <typename T>
class IdTable {
 public:
  // The record of `id`, or nullptr when there is none.
  const T* find(int64_t id) const {
    const Entry* e = entries_.find(id);
    return e != nullptr && e->has_record ? &e->record : nullptr;
  }
  T* find(int64_t id) { return const_cast<T*>(std::as_const(*this).find(id)); }

  // The record of `id`, value-initialised first when there is none.
  T& operator[](int64_t id) {
    Entry& e = entries_.get_or_create(id);
    if (!e.has_record) {
      e.has_record = true;
      ++records_;
    }
    return e.record;
  }

  // The version of stream `id`: 0 when it has no events.
  uint64_t version(int64_t id) const {
    const Entry* e = entries_.find(id);
    return e != nullptr ? e->version : 0;
  }
  // The version of stream `id`, for apply() to advance.
  uint64_t& version_of(int64_t id) { return entries_.get_or_create(id).version; }

  // Forgets the record and the version of `id`.
  void erase(int64_t id) {
    if (const Entry* e = entries_.find(id); e != nullptr && e->has_record) --records_;
    entries_.erase(id);
  }

  // Records held.
  size_t size() const { return records_; }

  // Calls f(id, record) for every record, in ascending id order.
  template <typename F>
  void for_each(F&& f) const {
    entries_.for_each([&](int64_t id, const Entry& e) {
      if (e.has_record) f(id, e.record);
    });
  }
  // Calls f(id, version) for every stream with events, in ascending id order.
  template <typename F>
  void for_each_version(F&& f) const {
    entries_.for_each([&](int64_t id, const Entry& e) {
      if (e.version != 0) f(id, e.version);
    });
  }

 private:
  struct Entry {
    // User-provided, so that creating an entry runs the member initialisers
    // alone instead of zeroing the whole entry first (one per stream).
    Entry() {}
    uint64_t version = 0;
    bool has_record = false;
    T record{};
  };

  DenseMap<Entry> entries_;   // an entry per id whose version or record was touched
  size_t records_ = 0;        // entries with has_record
};

// Notification streams: only their versions are kept here.
struct NotificationStreamState {};

// Hash and equality of strings under ASCII case folding; transparent, so an
// index keyed by lower-cased strings is searched with any spelling without
// building a lower-cased copy.
struct FoldedHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept;
};
struct FoldedEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};

// Hash of an (owner, name) key; transparent over a string_view name.
struct OwnerNameHash {
  using is_transparent = void;
  size_t operator()(const std::pair<int64_t, std::string>& k) const noexcept {
    return absl::Hash<std::pair<int64_t, std::string_view>>{}({k.first, k.second});
  }
  size_t operator()(const std::pair<int64_t, std::string_view>& k) const noexcept {
    return absl::Hash<std::pair<int64_t, std::string_view>>{}(k);
  }
};
struct OwnerNameEq {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const noexcept {
    return a.first == b.first && std::string_view(a.second) == std::string_view(b.second);
  }
};

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
  absl::btree_set<int64_t> events;   // live events of the calendar
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
  absl::btree_map<int64_t, ev::Role> acl;   // user -> role; the owner holds Owner
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
  absl::btree_map<int64_t, absl::btree_set<int64_t>> chosen;   // user -> options chosen so far
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
  absl::btree_set<std::pair<int64_t, int64_t>> by_start;   // (start, event id)
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
  // (with deleted = true), except events: a deleted event is forgotten, its
  // stream version with it (commands/events.cpp), so that events created and
  // deleted cost nothing once gone.
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
  // Per-aggregate records and their stream versions are IdTables (see
  // above): pointers returned by the lookups stay valid while the WriteState
  // lives.
  // Stream versions live in the IdTable of their category (below); streams
  // of Category::None or of a category this build does not know, here.
  absl::flat_hash_map<StreamId, uint64_t, StreamIdHash> other_versions;
  std::array<int64_t, 16> max_ids{};        // by Category
  std::array<size_t, 16> stream_counts{};   // by Category
  int64_t options_created = 0;              // poll options ever created

  IdTable<UserState> users;
  IdTable<SessionState> sessions;
  IdTable<PasswordResetState> password_resets;
  IdTable<CalendarState> calendars;
  IdTable<EventState> events;
  IdTable<TaskState> tasks;
  IdTable<PollState> polls;
  IdTable<InboxState> inbox_items;
  // Notification streams carry only versions here: which notification ids
  // exist is the read model's business.
  IdTable<NotificationStreamState> notification_streams;

  // The version slot of a stream, created when missing (for apply()).
  uint64_t& version_slot(StreamId stream);

  // Indexes.
  absl::flat_hash_map<std::string, int64_t> username_index;   // live users
  // Lower-cased email -> live user; searched case-insensitively.
  absl::flat_hash_map<std::string, int64_t, FoldedHash, FoldedEq> email_index;
  IdTable<absl::btree_set<int64_t>> user_sessions;   // by user: not-ended sessions
  absl::flat_hash_map<std::string, int64_t> reset_index;      // token hash -> reset id
  // (owner, name) -> live calendar.
  absl::flat_hash_map<std::pair<int64_t, std::string>, int64_t, OwnerNameHash, OwnerNameEq>
      calendar_names;
  IdTable<OwnerIntervals> intervals;     // by owner
};

// ASCII lower-casing, the form in which emails are compared.
std::string lower_ascii(std::string s);

}  // namespace almanac::cmd
