// The events read model: calendar events and gatherings by id, uuid, owner and
// calendar, their ACL and participants, and a time index for range queries.
//
// Time index: non-repeating events sit in an ordered set keyed by (start, id)
// together with the longest duration ever indexed (max_duration_, which only
// grows), so "overlaps [from, to)" scans only starts in [from - max_duration_,
// to). Repeating series (repeat != None) are kept apart, per owner, and asked
// through proj::expand() whether an occurrence falls in the window.
//
// Visibility: a Public event is visible to every signed-in user; a Private one
// to its owner and the users with an ACL entry.
//
// Not thread-safe by itself: ReadModels guards it (see read_models.hpp).
// Pointers returned by find() are valid only until the next apply.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "events/event.hpp"
#include "projections/calendars.hpp"
#include "projections/common.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

class EventsModel {
 public:
  // EventScheduled / Updated / Deleted / Shared / Unshared, ParticipantJoined / Left.
  void apply(const Envelope& e);
  // Removes an event and every index entry of it (deletion, calendar cascade).
  void remove(int64_t id);

  const EventView* find(int64_t id) const;
  const EventView* find_by_uuid(const ev::Uuid& uuid) const;
  // Ids of the events in a calendar, ascending.
  std::vector<int64_t> ids_in_calendar(int64_t calendar_id) const;

  static bool can_view(int64_t user, const EventView& v);
  // Owner, or the role of the user's ACL entry; nullopt otherwise (a Public
  // event is visible without a role).
  static std::optional<ev::Role> role_of(int64_t user, const EventView& v);
  // The users involved in an event, ascending: owner, ACL entries, participants.
  static std::vector<int64_t> audience(const EventView& v);

  Page<EventView> query(const EventQuery& q) const;
  OccurrencePage occurrences(const OccurrenceQuery& q, const CalendarsModel& calendars) const;

  size_t count() const { return events_.size(); }
  uint64_t digest() const;

 private:
  void index(const EventView& v);
  void unindex(const EventView& v);
  void set_share(EventView& v, int64_t user, ev::Role role);
  void drop_share(EventView& v, int64_t user);
  bool matches(const EventQuery& q, const EventView& v, const std::string& needle) const;

  std::unordered_map<int64_t, EventView> events_;
  std::unordered_map<UuidKey, int64_t, UuidKeyHash> by_uuid_;
  std::unordered_map<int64_t, std::set<int64_t>> by_owner_;
  std::unordered_map<int64_t, std::set<int64_t>> by_calendar_;
  std::unordered_map<int64_t, std::set<int64_t>> shared_with_;  // user -> events with an ACL entry
  std::set<int64_t> public_;
  std::set<std::pair<int64_t, int64_t>> by_start_;  // (start, id), non-repeating events only
  int64_t max_duration_ = 0;                         // never shrinks
  std::set<int64_t> series_;                         // repeating events
  std::unordered_map<int64_t, std::set<int64_t>> series_by_owner_;
};

}  // namespace almanac::proj
