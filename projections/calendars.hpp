// The calendars read model: calendars by id and by owner (in id order).
//
// Applies the Calendar/* stream events. CalendarDeleted removes the calendar;
// the events it held are removed by the events model (ReadModels wires the
// cascade). Not thread-safe by itself: ReadModels guards it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/event.hpp"
#include "projections/common.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

class CalendarsModel {
 public:
  void apply(const Envelope& e);

  const CalendarView* find(int64_t id) const;
  const CalendarView* find_by_uuid(const ev::Uuid& uuid) const;
  // The owner's calendar with exactly this name.
  const CalendarView* find_by_name(int64_t owner_id, std::string_view name) const;
  std::vector<CalendarView> by_owner(int64_t owner_id) const;

  size_t count() const { return calendars_.size(); }
  uint64_t digest() const;

 private:
  std::unordered_map<int64_t, CalendarView> calendars_;
  std::unordered_map<UuidKey, int64_t, UuidKeyHash> by_uuid_;
  std::unordered_map<int64_t, std::set<int64_t>> by_owner_;
};

}  // namespace almanac::proj
