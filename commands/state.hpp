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
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/btree_map.h>
#include <absl/container/btree_set.h>
#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>
#include <absl/hash/hash.h>

#include "events/event.hpp"

namespace almanac::cmd {

// Records keyed by an aggregate id, each slot also holding the version of
// the stream with that id (0: no events), so that applying an event touches
// one slot for both. Ids are dense per category (decide() gives max seen + 1,
// from 1), so a slot lives in a chunk of kChunk slots found by id / kChunk:
// one predictable access, no hashing, no per-record allocation. Chunks are
// never moved or freed while the table lives, so a pointer or reference to a
// record or a version stays valid until the table is destroyed (as with the
// node-based maps this replaces).
//
// Hostile or corrupt ids: an id < 1, or one above 2 * (slots used in chunks)
// + kMaxGap, goes to a node-based hash map instead, so no log can make the
// table reserve more than (2 * slots used + kMaxGap) slots. Where an id lives
// is fixed when its slot is first used; lookups check both places.
//
// A record exists once operator[] created it; a version may exist without a
// record (a stream whose events this state does not fold) and the other way
// round (a record created through a reference from another stream).
//
// Thread safety: none; owned like the WriteState that holds it.
template <typename T>
class IdTable {
 public:
  static constexpr int64_t kChunkBits = 10;
  static constexpr int64_t kChunk = int64_t{1} << kChunkBits;
  static constexpr int64_t kMaxGap = 1'000'000;

  IdTable() = default;
  IdTable(IdTable&&) = default;
  IdTable& operator=(IdTable&&) = default;
  IdTable(const IdTable& other) { *this = other; }
  IdTable& operator=(const IdTable& other) {
    if (this == &other) return *this;
    chunks_.clear();
    chunks_.resize(other.chunks_.size());
    for (size_t c = 0; c < other.chunks_.size(); ++c)
      if (other.chunks_[c]) chunks_[c] = std::make_unique<Chunk>(*other.chunks_[c]);
    used_in_chunks_ = other.used_in_chunks_;
    records_ = other.records_;
    sparse_ = other.sparse_;
    return *this;
  }

  // The record of `id`, or nullptr when there is none.
  const T* find(int64_t id) const {
    const Slot* s = slot(id);
    return s && s->has_record ? &s->value : nullptr;
  }
  T* find(int64_t id) { return const_cast<T*>(std::as_const(*this).find(id)); }

  // The record of `id`, value-initialised first when there is none.
  T& operator[](int64_t id) {
    Slot& s = use(id);
    if (!s.has_record) {
      s.has_record = true;
      ++records_;
    }
    return s.value;
  }

  // The version of stream `id`: 0 when it has no events.
  uint64_t version(int64_t id) const {
    const Slot* s = slot(id);
    return s ? s->version : 0;
  }
  // The version of stream `id`, for apply() to advance.
  uint64_t& version_of(int64_t id) { return use(id).version; }

  // Records held.
  size_t size() const { return records_; }

  // Calls f(id, record) for every record, in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    each_slot([&](int64_t id, const Slot& s) {
      if (s.has_record) f(id, s.value);
    });
  }
  // Calls f(id, version) for every stream with events, in no particular order.
  template <typename F>
  void for_each_version(F&& f) const {
    each_slot([&](int64_t id, const Slot& s) {
      if (s.version != 0) f(id, s.version);
    });
  }

 private:
  struct Slot {
    uint64_t version = 0;
    bool used = false;         // version or record touched: counts for the guard
    bool has_record = false;
    T value{};
  };
  struct Chunk {
    std::array<Slot, kChunk> slots{};
  };

  const Slot* slot(int64_t id) const {
    if (id > 0) {
      auto c = static_cast<uint64_t>(id) >> kChunkBits;
      if (c < chunks_.size() && chunks_[c]) {
        const Slot& s = chunks_[c]->slots[static_cast<size_t>(id & (kChunk - 1))];
        if (s.used || sparse_.empty()) return s.used ? &s : nullptr;
      }
    }
    if (sparse_.empty()) return nullptr;
    auto it = sparse_.find(id);
    return it == sparse_.end() ? nullptr : &it->second;
  }

  Slot& use(int64_t id) {
    if (id > 0) {
      auto c = static_cast<uint64_t>(id) >> kChunkBits;
      if (c < chunks_.size() && chunks_[c]) {
        Slot& s = chunks_[c]->slots[static_cast<size_t>(id & (kChunk - 1))];
        if (s.used) return s;
        if (sparse_.empty()) {
          s.used = true;
          ++used_in_chunks_;
          return s;
        }
      }
    }
    return use_slow(id);
  }

  Slot& use_slow(int64_t id) {
    if (!sparse_.empty()) {
      auto it = sparse_.find(id);
      if (it != sparse_.end()) return it->second;
    }
    if (id < 1 || static_cast<uint64_t>(id) > 2 * static_cast<uint64_t>(used_in_chunks_) +
                                                  static_cast<uint64_t>(kMaxGap)) {
      Slot& s = sparse_[id];
      s.used = true;
      return s;
    }
    auto c = static_cast<size_t>(static_cast<uint64_t>(id) >> kChunkBits);
    if (c >= chunks_.size()) chunks_.resize(c + 1);
    if (!chunks_[c]) chunks_[c] = std::make_unique<Chunk>();
    Slot& s = chunks_[c]->slots[static_cast<size_t>(id & (kChunk - 1))];
    s.used = true;
    ++used_in_chunks_;
    return s;
  }

  template <typename F>
  void each_slot(F&& f) const {
    for (size_t c = 0; c < chunks_.size(); ++c) {
      if (!chunks_[c]) continue;
      for (size_t i = 0; i < static_cast<size_t>(kChunk); ++i) {
        const Slot& s = chunks_[c]->slots[i];
        if (s.used) f(static_cast<int64_t>((c << kChunkBits) | i), s);
      }
    }
    for (const auto& [id, s] : sparse_) f(id, s);
  }

  std::vector<std::unique_ptr<Chunk>> chunks_;   // by id / kChunk; null: no slot used yet
  size_t used_in_chunks_ = 0;                    // slots used in chunks_
  size_t records_ = 0;                           // records, wherever they live
  absl::node_hash_map<int64_t, Slot> sparse_;    // ids outside the guarded range
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
