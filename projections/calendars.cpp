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
      by_owner_.insert(c.owner_id, id);
      calendars_.assign(id, std::move(c));
      break;
    }
    case Payload::CalendarUpdated: {
      CalendarView* c = calendars_.find(id);
      if (c == nullptr) break;
      const auto& p = *e.payload.AsCalendarUpdated();
      c->name = p.name;
      if (p.has_color) {
        c->color = p.color;
      } else {
        c->color.reset();
      }
      c->updated_at = e.recorded_at;
      break;
    }
    case Payload::CalendarDeleted: {
      const CalendarView* c = calendars_.find(id);
      if (c == nullptr) break;
      by_uuid_.erase(key_of(c->uuid));
      by_owner_.erase(c->owner_id, id);
      calendars_.erase(id);
      break;
    }
    default:
      break;
  }
}

const CalendarView* CalendarsModel::find(int64_t id) const {
  return calendars_.find(id);
}

const CalendarView* CalendarsModel::find_by_uuid(const ev::Uuid& uuid) const {
  auto it = by_uuid_.find(key_of(uuid));
  return it == by_uuid_.end() ? nullptr : find(it->second);
}

const CalendarView* CalendarsModel::find_by_name(int64_t owner_id, std::string_view name) const {
  const IdSet* owned = by_owner_.find(owner_id);
  if (owned == nullptr) return nullptr;
  for (int64_t id : *owned) {
    const CalendarView* c = find(id);
    if (c != nullptr && c->name == name) return c;
  }
  return nullptr;
}

std::vector<CalendarView> CalendarsModel::by_owner(int64_t owner_id) const {
  std::vector<CalendarView> out;
  const IdSet* owned = by_owner_.find(owner_id);
  if (owned == nullptr) return out;
  out.reserve(owned->size());
  for (int64_t id : *owned) out.push_back(*calendars_.find(id));
  return out;
}

uint64_t CalendarsModel::digest() const {
  SetDigest set;
  calendars_.for_each([&](int64_t, const CalendarView& c) {
    Digest d;
    d.add(c.id).add(c.uuid).add(c.owner_id).add(c.name).add(c.color).add(c.created_at);
    d.add(c.updated_at);
    set.add(d.value());
  });
  return set.value();
}

void CalendarsModel::set_version(int64_t id, uint64_t version) {
  if (auto* r = calendars_.find(id)) r->version = version;
}

}  // namespace almanac::proj
