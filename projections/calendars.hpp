// The calendars read model: calendars by id and by owner (in id order).
//
// Applies the Calendar/* stream events. CalendarDeleted removes the calendar;
// the events it held are removed by the events model (ReadModels wires the
// cascade). Calendars and the per-owner sets are DenseMaps (dense ids). Not
// thread-safe by itself: ReadModels guards it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "events/event.hpp"
#include "projections/common.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

class CalendarsModel {
 public:
  void apply(const Envelope& e);
  // Records that the stream of record `id` is now at `version` (after every
  // event of the stream, whatever its type).
  void set_version(int64_t id, uint64_t version);

  const CalendarView* find(int64_t id) const;
  const CalendarView* find_by_uuid(const ev::Uuid& uuid) const;
  // The owner's calendar with exactly this name.
  const CalendarView* find_by_name(int64_t owner_id, std::string_view name) const;
  std::vector<CalendarView> by_owner(int64_t owner_id) const;
  // Ids of the owner's calendars, ascending; nullptr when none.
  const IdSet* ids_of(int64_t owner_id) const { return by_owner_.find(owner_id); }

  size_t count() const { return calendars_.size(); }
  uint64_t digest() const;

 private:
  DenseMap<CalendarView> calendars_;
  UuidIndex by_uuid_;
  IdIndex by_owner_;  // owner -> calendar ids
};

}  // namespace almanac::proj
