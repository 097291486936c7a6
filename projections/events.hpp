// The events read model: calendar events and gatherings by id, uuid, owner and
// calendar, their ACL and participants, and a time index for range queries.
//
// Storage: events in a DenseMap by id (event ids are dense); the per-owner,
// per-calendar, per-series-owner and shared-with (user -> events) sets are
// IdIndexes (sorted id vectors under a dense key); the global sets (public
// events, series, the time index) are B-trees.
//
// Time index: non-repeating events sit in a StartIndex (start, id), bucketed
// by UTC day of start, together with the longest duration ever indexed
// (max_duration_, which only grows), so "overlaps [from, to)" looks only at
// starts in [from - max_duration_, to). Queries sort what they find, so the
// index needs no order inside a day: an insert is an append to the day's
// bucket, found in a small ordered map of days that stays in cache, where an
// ordered set of every (start, id) would miss the cache on most inserts. Repeating series (repeat != None) are kept apart, per owner, and asked
// through proj::expand() whether an occurrence falls in the window. An
// EventUpdated touches an index only when that index's key changed.
//
// Visibility: a Public event is visible to every signed-in user; a Private one
// to its owner and the users with an ACL entry.
//
// Not thread-safe by itself: ReadModels guards it (see read_models.hpp).
// Pointers returned by find() are valid only until the next apply.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

#include "events/event.hpp"
#include "projections/calendars.hpp"
#include "projections/common.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

// (start, id) pairs bucketed by the UTC day of start; see above.
class StartIndex {
 public:
  void insert(int64_t start, int64_t id);
  void erase(int64_t start, int64_t id);
  // Calls f(start, id) for every entry with lo <= start < hi, in no
  // particular order.
  template <typename F>
  void for_each_in(int64_t lo, int64_t hi, F&& f) const {
    if (lo >= hi) return;
    const int64_t last_day = day_of(hi - 1);
    for (auto it = days_.lower_bound(day_of(lo)); it != days_.end() && it->first <= last_day; ++it) {
      for (const auto& [start, id] : it->second)
        if (lo <= start && start < hi) f(start, id);
    }
  }

 private:
  static int64_t day_of(int64_t start_us);
  absl::btree_map<int64_t, std::vector<std::pair<int64_t, int64_t>>> days_;
};

class EventsModel {
 public:
  // EventScheduled / Updated / Deleted / Shared / Unshared, ParticipantJoined / Left.
  void apply(const Envelope& e);
  // Records that the stream of record `id` is now at `version` (after every
  // event of the stream, whatever its type).
  void set_version(int64_t id, uint64_t version);
  // Removes an event and every index entry of it (deletion, calendar cascade).
  void remove(int64_t id);

  const EventView* find(int64_t id) const;
  const EventView* find_by_uuid(const ev::Uuid& uuid) const;
  // Of every event ever scheduled (deleted ones too); nullptr for an id
  // never scheduled.
  const Identity* identity(int64_t id) const { return identities_.find(id); }
  // Ids of the events in a calendar, ascending.
  std::vector<int64_t> ids_in_calendar(int64_t calendar_id) const;
  // Ids of the events `user` owns / holds an ACL entry on, ascending;
  // nullptr when none.
  const IdSet* owned_by(int64_t user) const { return by_owner_.find(user); }
  const IdSet* shared_with(int64_t user) const { return shared_with_.find(user); }
  // Ids of the events `user` takes part in (ParticipantJoined), ascending;
  // nullptr when none.
  const IdSet* participating(int64_t user) const { return participating_.find(user); }
  // A gathering's end: its end, or when it has none the end of its start's
  // UTC day (the start of the next).
  static int64_t day_end(const EventView& v);

  static bool can_view(int64_t user, const EventView& v);
  // Owner, or the role of the user's ACL entry; nullopt otherwise (a Public
  // event is visible without a role).
  static std::optional<ev::Role> role_of(int64_t user, const EventView& v);
  // The users involved in an event, ascending: owner, ACL entries, participants.
  static std::vector<int64_t> audience(const EventView& v);
  // The same, written into `out` (cleared first), so a caller can reuse it.
  static void audience(const EventView& v, std::vector<int64_t>& out);

  Page<EventView> query(const EventQuery& q) const;
  OccurrencePage occurrences(const OccurrenceQuery& q, const CalendarsModel& calendars) const;

  size_t count() const { return events_.size(); }
  uint64_t digest() const;

 private:
  // The keys of the time, public and series indexes.
  struct TimeKey {
    bool series = false;
    bool is_public = false;
    int64_t start = 0;
    friend bool operator==(const TimeKey&, const TimeKey&) = default;
  };
  static TimeKey time_key(const EventView& v);
  void index(const EventView& v);
  void unindex(const EventView& v);
  // Moves v from the entries of `before` to its current ones.
  void reindex(const TimeKey& before, const EventView& v);
  void set_share(EventView& v, int64_t user, ev::Role role);
  void drop_share(EventView& v, int64_t user);
  bool matches(const EventQuery& q, const EventView& v, const std::string& needle) const;

  DenseMap<EventView> events_;
  DenseMap<Identity> identities_;      // never erased
  UuidIndex by_uuid_;
  IdIndex by_owner_;
  IdIndex by_calendar_;
  IdIndex shared_with_;  // user -> events with an ACL entry
  IdIndex participating_;  // user -> events they take part in
  absl::btree_set<int64_t> public_;
  // Title and description in lower case, kept beside the views so that a
  // search compares bytes instead of folding every event's text per query.
  struct Folded {
    std::string title;
    std::string description;
  };
  DenseMap<Folded> folded_;
  // Trigrams of the folded text of public events -> their ids, so that a
  // search reads the ids under the needle's rarest trigram instead of every
  // public event. Appended to as texts change: a list may hold an id twice,
  // a deleted one, or one whose text moved on, and every candidate is checked
  // against folded_ anyway. Rebuilt from the live public events once the
  // entries reach twice what the last rebuild left (plus kTrigramSlack).
  absl::flat_hash_map<uint32_t, std::vector<int64_t>> trigrams_;
  size_t trigram_entries_ = 0;           // ids in all the lists
  size_t trigram_entries_rebuilt_ = 0;   // ... right after the last rebuild
  static constexpr size_t kTrigramSlack = 1 << 16;
  // Adds id under the trigrams of `now` that `before` (its earlier text) lacks.
  void add_trigrams(int64_t id, const Folded& now, const Folded* before);
  // Adds id under each trigram of `text` not in `had`, adding them to it.
  void push_trigrams(int64_t id, const Folded& text, absl::flat_hash_set<uint32_t>& had);
  void rebuild_trigrams();
  StartIndex by_start_;                // (start, id), non-repeating only
  int64_t max_duration_ = 0;           // never shrinks
  absl::btree_set<int64_t> series_;    // repeating events
  IdIndex series_by_owner_;
};

}  // namespace almanac::proj
