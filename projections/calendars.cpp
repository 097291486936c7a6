#include "projections/calendars.hpp"

namespace almanac::proj {

using ev::Payload;

void CalendarsModel::apply(const Envelope& e) {
  const int64_t id = e.stream_id;
  switch (e.payload.type) {
    case Payload::CalendarCreated: {
      const auto& p = *e.payload.AsCalendarCreated();
      CalendarView c;
      c.id = id;
      c.uuid = p.uuid;
      c.owner_id = p.owner_id;
      c.name = p.name;
      if (p.has_color) c.color = p.color;
      c.created_at = e.recorded_at;
      c.updated_at = e.recorded_at;
      by_uuid_[key_of(c.uuid)] = id;
      by_owner_[c.owner_id].insert(id);
      calendars_[id] = std::move(c);
      break;
    }
    case Payload::CalendarUpdated: {
      auto it = calendars_.find(id);
      if (it == calendars_.end()) break;
      const auto& p = *e.payload.AsCalendarUpdated();
      it->second.name = p.name;
      if (p.has_color) {
        it->second.color = p.color;
      } else {
        it->second.color.reset();
      }
      it->second.updated_at = e.recorded_at;
      break;
    }
    case Payload::CalendarDeleted: {
      auto it = calendars_.find(id);
      if (it == calendars_.end()) break;
      by_uuid_.erase(key_of(it->second.uuid));
      auto owned = by_owner_.find(it->second.owner_id);
      if (owned != by_owner_.end()) {
        owned->second.erase(id);
        if (owned->second.empty()) by_owner_.erase(owned);
      }
      calendars_.erase(it);
      break;
    }
    default:
      break;
  }
}

const CalendarView* CalendarsModel::find(int64_t id) const {
  auto it = calendars_.find(id);
  return it == calendars_.end() ? nullptr : &it->second;
}

const CalendarView* CalendarsModel::find_by_uuid(const ev::Uuid& uuid) const {
  auto it = by_uuid_.find(key_of(uuid));
  return it == by_uuid_.end() ? nullptr : find(it->second);
}

const CalendarView* CalendarsModel::find_by_name(int64_t owner_id, std::string_view name) const {
  auto owned = by_owner_.find(owner_id);
  if (owned == by_owner_.end()) return nullptr;
  for (int64_t id : owned->second) {
    const CalendarView* c = find(id);
    if (c != nullptr && c->name == name) return c;
  }
  return nullptr;
}

std::vector<CalendarView> CalendarsModel::by_owner(int64_t owner_id) const {
  std::vector<CalendarView> out;
  auto owned = by_owner_.find(owner_id);
  if (owned == by_owner_.end()) return out;
  out.reserve(owned->second.size());
  for (int64_t id : owned->second) out.push_back(calendars_.at(id));
  return out;
}

uint64_t CalendarsModel::digest() const {
  SetDigest set;
  for (const auto& [id, c] : calendars_) {
    Digest d;
    d.add(c.id).add(c.uuid).add(c.owner_id).add(c.name).add(c.color).add(c.created_at);
    d.add(c.updated_at);
    set.add(d.value());
  }
  return set.value();
}

}  // namespace almanac::proj
