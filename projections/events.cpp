#include "projections/events.hpp"

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "events/time.hpp"
#include "projections/recurrence.hpp"

namespace almanac::proj {

using ev::Payload;
namespace ef = event_field;

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

bool is_series(const EventView& v) { return v.repeat != ev::RepeatFrequency::None; }

int64_t end_of(const EventView& v) { return v.end.value_or(v.start); }

Series series_of(const EventView& v) {
  Series s;
  s.start = v.start;
  s.end = std::max(v.start, end_of(v));
  s.frequency = v.repeat;
  s.until_day = v.repeat_until_day;
  return s;
}

// The half-open overlap rule of recurrence.hpp, for one interval.
bool overlaps(int64_t start, int64_t end, int64_t from, int64_t to) {
  if (end <= start) return from <= start && start < to;
  return start < to && end > from;
}

template <typename T>
void set_opt(std::optional<T>& slot, uint32_t bit, uint32_t nulls, const T& value) {
  if (nulls & bit) {
    slot.reset();
  } else {
    slot = value;
  }
}

}  // namespace

int64_t StartIndex::day_of(int64_t start_us) {
  return start_us / kMicrosPerDay - (start_us % kMicrosPerDay < 0 ? 1 : 0);  // floor
}

void StartIndex::insert(int64_t start, int64_t id) { days_[day_of(start)].emplace_back(start, id); }

void StartIndex::erase(int64_t start, int64_t id) {
  auto day = days_.find(day_of(start));
  if (day == days_.end()) return;
  auto& bucket = day->second;
  auto it = std::find(bucket.begin(), bucket.end(), std::pair<int64_t, int64_t>{start, id});
  if (it == bucket.end()) return;
  *it = bucket.back();
  bucket.pop_back();
  if (bucket.empty()) days_.erase(day);
}

EventsModel::TimeKey EventsModel::time_key(const EventView& v) {
  return {is_series(v), v.visibility == ev::Visibility::Public, v.start};
}

namespace {
uint32_t trigram_at(std::string_view text, size_t i) {
  return static_cast<uint32_t>(static_cast<unsigned char>(text[i])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(text[i + 1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(text[i + 2]));
}

template <typename F>
void for_each_trigram(std::string_view text, F&& f) {
  for (size_t i = 0; i + 3 <= text.size(); ++i) f(trigram_at(text, i));
}
}  // namespace

void EventsModel::add_trigrams(int64_t id, const Folded& now, const Folded* before) {
  // Stale entries (deleted events, old texts) are dropped by rebuilding the
  // lists once they have grown to twice what the last rebuild left: the
  // rebuild's cost is then paid for by the appends since, and the index
  // stays in proportion to the public events alive. Done before adding, so
  // an event being indexed is either in public_ already or added below.
  if (trigram_entries_ > 2 * trigram_entries_rebuilt_ + kTrigramSlack) rebuild_trigrams();
  absl::flat_hash_set<uint32_t> had;
  if (before != nullptr) {
    for_each_trigram(before->title, [&](uint32_t t) { had.insert(t); });
    for_each_trigram(before->description, [&](uint32_t t) { had.insert(t); });
  }
  push_trigrams(id, now, had);
}

void EventsModel::push_trigrams(int64_t id, const Folded& text, absl::flat_hash_set<uint32_t>& had) {
  auto add = [&](uint32_t t) {
    if (had.insert(t).second) {
      trigrams_[t].push_back(id);
      ++trigram_entries_;
    }
  };
  for_each_trigram(text.title, add);
  for_each_trigram(text.description, add);
}

void EventsModel::rebuild_trigrams() {
  trigrams_.clear();
  trigram_entries_ = 0;
  absl::flat_hash_set<uint32_t> had;
  for (int64_t id : public_)
    if (const Folded* text = folded_.find(id)) {
      had.clear();
      push_trigrams(id, *text, had);
    }
  trigram_entries_rebuilt_ = trigram_entries_;
}

void EventsModel::index(const EventView& v) {
  Folded& text = folded_.assign(v.id, Folded{ascii_lower(v.title), ascii_lower(v.description.value_or(""))});
  if (v.visibility == ev::Visibility::Public) add_trigrams(v.id, text, nullptr);
  if (v.calendar_id) by_calendar_.insert(*v.calendar_id, v.id);
  if (v.visibility == ev::Visibility::Public) public_.insert(v.id);
  if (is_series(v)) {
    series_.insert(v.id);
    series_by_owner_.insert(v.owner_id, v.id);
  } else {
    by_start_.insert(v.start, v.id);
    max_duration_ = std::max(max_duration_, sat_sub(end_of(v), v.start));
  }
}

void EventsModel::unindex(const EventView& v) {
  folded_.erase(v.id);
  if (v.calendar_id) by_calendar_.erase(*v.calendar_id, v.id);
  public_.erase(v.id);
  if (is_series(v)) {
    series_.erase(v.id);
    series_by_owner_.erase(v.owner_id, v.id);
  } else {
    by_start_.erase(v.start, v.id);
  }
}

void EventsModel::reindex(const TimeKey& before, const EventView& v) {
  const TimeKey after = time_key(v);
  Folded text{ascii_lower(v.title), ascii_lower(v.description.value_or(""))};
  if (after.is_public) add_trigrams(v.id, text, before.is_public ? folded_.find(v.id) : nullptr);
  folded_.assign(v.id, std::move(text));
  if (after.is_public != before.is_public) {
    if (after.is_public) {
      public_.insert(v.id);
    } else {
      public_.erase(v.id);
    }
  }
  if (after.series != before.series || (!after.series && after.start != before.start)) {
    if (before.series) {
      series_.erase(v.id);
      series_by_owner_.erase(v.owner_id, v.id);
    } else {
      by_start_.erase(before.start, v.id);
    }
    if (after.series) {
      series_.insert(v.id);
      series_by_owner_.insert(v.owner_id, v.id);
    } else {
      by_start_.insert(v.start, v.id);
    }
  }
  if (!after.series) max_duration_ = std::max(max_duration_, sat_sub(end_of(v), v.start));
}

void EventsModel::set_share(EventView& v, int64_t user, ev::Role role) {
  if (user == v.owner_id) return;
  // acl[0] is the owner; shares follow in user-id order.
  auto it = std::lower_bound(v.acl.begin() + 1, v.acl.end(), user,
                             [](const AclEntry& a, int64_t u) { return a.user_id < u; });
  if (it != v.acl.end() && it->user_id == user) {
    it->role = role;
  } else {
    v.acl.insert(it, AclEntry{user, role});
    shared_with_.insert(user, v.id);
  }
}

void EventsModel::drop_share(EventView& v, int64_t user) {
  auto it = std::find_if(v.acl.begin() + 1, v.acl.end(),
                         [user](const AclEntry& a) { return a.user_id == user; });
  if (it == v.acl.end()) return;
  v.acl.erase(it);
  shared_with_.erase(user, v.id);
}

void EventsModel::apply(const Envelope& e) {
  const int64_t id = e.stream_id;
  if (e.payload.type == Payload::EventScheduled) {
    const auto& p = *e.payload.AsEventScheduled();
    if (events_.contains(id)) remove(id);
    EventView v;
    v.id = id;
    v.uuid = p.uuid;
    v.owner_id = p.owner_id;
    if (p.calendar_id != 0) v.calendar_id = p.calendar_id;
    v.title = p.title;
    if (p.fields & ef::kDescription) set_opt(v.description, ef::kDescription, p.nulls, p.description);
    v.start = p.start;
    if (p.fields & ef::kEnd) set_opt(v.end, ef::kEnd, p.nulls, p.end);
    v.is_all_day = p.is_all_day;
    v.floating = p.floating;
    if (p.fields & ef::kLocation) set_opt(v.location, ef::kLocation, p.nulls, p.location);
    if (p.fields & ef::kCategory) set_opt(v.category, ef::kCategory, p.nulls, p.category);
    if (p.fields & ef::kMetadata) set_opt(v.metadata_json, ef::kMetadata, p.nulls, p.metadata_json);
    v.is_recurring = p.is_recurring;
    v.repeat = p.repeat;
    if (p.fields & ef::kRepeatUntil) {
      set_opt(v.repeat_until_day, ef::kRepeatUntil, p.nulls, p.repeat_until_day);
    }
    v.visibility = p.visibility;
    if (p.fields & ef::kMaxParticipants) {
      set_opt(v.max_participants, ef::kMaxParticipants, p.nulls, p.max_participants);
    }
    v.acl.push_back(AclEntry{v.owner_id, ev::Role::Owner});
    v.created_at = e.recorded_at;
    v.updated_at = e.recorded_at;
    identities_.assign(id, Identity{v.uuid, v.owner_id});
    by_uuid_[key_of(v.uuid)] = id;
    by_owner_.insert(v.owner_id, id);
    index(v);
    events_.assign(id, std::move(v));
    return;
  }
  EventView* found = events_.find(id);
  if (found == nullptr) return;
  EventView& v = *found;
  switch (e.payload.type) {
    case Payload::EventUpdated: {
      const auto& p = *e.payload.AsEventUpdated();
      const uint32_t f = p.fields;
      const TimeKey before = time_key(v);
      if (f & ef::kTitle) v.title = p.title;
      if (f & ef::kDescription) set_opt(v.description, ef::kDescription, p.nulls, p.description);
      if (f & ef::kStart) v.start = p.start;
      if (f & ef::kEnd) set_opt(v.end, ef::kEnd, p.nulls, p.end);
      if (f & ef::kAllDay) v.is_all_day = p.is_all_day;
      if (f & ef::kFloating) v.floating = p.floating;
      if (f & ef::kLocation) set_opt(v.location, ef::kLocation, p.nulls, p.location);
      if (f & ef::kCategory) set_opt(v.category, ef::kCategory, p.nulls, p.category);
      if (f & ef::kMetadata) set_opt(v.metadata_json, ef::kMetadata, p.nulls, p.metadata_json);
      if (f & ef::kRecurring) v.is_recurring = p.is_recurring;
      if (f & ef::kRepeat) v.repeat = p.repeat;
      if (f & ef::kRepeatUntil) {
        set_opt(v.repeat_until_day, ef::kRepeatUntil, p.nulls, p.repeat_until_day);
      }
      if (f & ef::kVisibility) v.visibility = p.visibility;
      if (f & ef::kMaxParticipants) {
        set_opt(v.max_participants, ef::kMaxParticipants, p.nulls, p.max_participants);
      }
      v.updated_at = e.recorded_at;
      reindex(before, v);
      break;
    }
    case Payload::EventDeleted:
      remove(id);
      break;
    case Payload::EventShared: {
      const auto& p = *e.payload.AsEventShared();
      set_share(v, p.user_id, p.role);
      break;
    }
    case Payload::EventUnshared:
      drop_share(v, e.payload.AsEventUnshared()->user_id);
      break;
    case Payload::ParticipantJoined: {
      const int64_t user = e.payload.AsParticipantJoined()->user_id;
      auto found = std::find_if(v.participants.begin(), v.participants.end(),
                                [user](const ParticipantView& p) { return p.user_id == user; });
      if (found == v.participants.end()) v.participants.push_back({user, e.recorded_at});
      participating_.insert(user, id);
      break;
    }
    case Payload::ParticipantLeft: {
      const int64_t user = e.payload.AsParticipantLeft()->user_id;
      std::erase_if(v.participants, [user](const ParticipantView& p) { return p.user_id == user; });
      participating_.erase(user, id);
      break;
    }
    default:
      break;
  }
}

void EventsModel::remove(int64_t id) {
  const EventView* v = events_.find(id);
  if (v == nullptr) return;
  unindex(*v);
  by_uuid_.erase(key_of(v->uuid));
  by_owner_.erase(v->owner_id, id);
  for (size_t i = 1; i < v->acl.size(); ++i) shared_with_.erase(v->acl[i].user_id, id);
  for (const ParticipantView& p : v->participants) participating_.erase(p.user_id, id);
  events_.erase(id);
}

int64_t EventsModel::day_end(const EventView& v) {
  if (v.end) return *v.end;
  const int64_t day = v.start / kMicrosPerDay - (v.start % kMicrosPerDay < 0 ? 1 : 0);  // floor
  return (day + 1) * kMicrosPerDay;
}

const EventView* EventsModel::find(int64_t id) const {
  return events_.find(id);
}

const EventView* EventsModel::find_by_uuid(const ev::Uuid& uuid) const {
  auto it = by_uuid_.find(key_of(uuid));
  return it == by_uuid_.end() ? nullptr : find(it->second);
}

std::vector<int64_t> EventsModel::ids_in_calendar(int64_t calendar_id) const {
  const IdSet* ids = by_calendar_.find(calendar_id);
  if (ids == nullptr) return {};
  return ids->ids();
}

std::optional<ev::Role> EventsModel::role_of(int64_t user, const EventView& v) {
  for (const AclEntry& a : v.acl) {
    if (a.user_id == user) return a.role;
  }
  return std::nullopt;
}

bool EventsModel::can_view(int64_t user, const EventView& v) {
  return v.visibility == ev::Visibility::Public || role_of(user, v).has_value();
}

std::vector<int64_t> EventsModel::audience(const EventView& v) {
  std::vector<int64_t> users;
  audience(v, users);
  return users;
}

void EventsModel::audience(const EventView& v, std::vector<int64_t>& users) {
  users.clear();
  users.reserve(v.acl.size() + v.participants.size());
  for (const AclEntry& a : v.acl) users.push_back(a.user_id);
  for (const ParticipantView& p : v.participants) users.push_back(p.user_id);
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
}

bool EventsModel::matches(const EventQuery& q, const EventView& v, const std::string& needle) const {
  switch (q.scope) {
    case EventScope::kVisible:
      if (!can_view(q.viewer, v)) return false;
      break;
    case EventScope::kOwnedOrShared:
      if (!role_of(q.viewer, v)) return false;
      break;
    case EventScope::kOwned:
      if (v.owner_id != q.viewer) return false;
      break;
    case EventScope::kPublic:
      if (v.visibility != ev::Visibility::Public) return false;
      break;
  }
  if (q.calendar_id && v.calendar_id != q.calendar_id) return false;
  if (q.owner_id && v.owner_id != *q.owner_id) return false;
  if (q.category && v.category != q.category) return false;
  if (q.start_min && v.start < *q.start_min) return false;
  if (q.start_max && v.start >= *q.start_max) return false;
  if (q.end_max && end_of(v) > *q.end_max) return false;
  if (q.day_end_after && day_end(v) <= *q.day_end_after) return false;
  if (q.day_end_at_most && day_end(v) > *q.day_end_at_most) return false;
  if (q.overlap_from || q.overlap_to) {
    const int64_t from = q.overlap_from.value_or(kMin);
    const int64_t to = q.overlap_to.value_or(kMax);
    if (is_series(v)) {
      std::vector<Occurrence> first;
      expand(series_of(v), from, to, 1, first);
      if (first.empty()) return false;
    } else if (!overlaps(v.start, end_of(v), from, to)) {
      return false;
    }
  }
  if (!needle.empty()) {
    const Folded* text = folded_.find(v.id);
    if (text == nullptr || (text->title.find(needle) == std::string::npos &&
                            text->description.find(needle) == std::string::npos)) {
      return false;
    }
  }
  return true;
}

Page<EventView> EventsModel::query(const EventQuery& q) const {
  const std::string needle = ascii_lower(q.search);
  std::vector<const EventView*> hits;
  auto consider = [&](int64_t id) {
    const EventView* v = find(id);
    if (v != nullptr && matches(q, *v, needle)) hits.push_back(v);
  };
  auto consider_set = [&](const IdIndex& index, int64_t key) {
    const IdSet* ids = index.find(key);
    if (ids == nullptr) return;
    for (int64_t id : *ids) consider(id);
  };

  const bool timed = q.overlap_from || q.overlap_to || q.start_min || q.start_max;
  if (q.calendar_id) {
    consider_set(by_calendar_, *q.calendar_id);
  } else if (q.owner_id) {
    consider_set(by_owner_, *q.owner_id);
  } else if (q.scope == EventScope::kOwned) {
    consider_set(by_owner_, q.viewer);
  } else if (timed) {
    int64_t lo = kMin;
    int64_t hi = kMax;  // exclusive bound on start
    if (q.start_min) lo = std::max(lo, *q.start_min);
    if (q.start_max) hi = std::min(hi, *q.start_max);
    if (q.overlap_from) lo = std::max(lo, sat_sub(*q.overlap_from, max_duration_));
    if (q.overlap_to) hi = std::min(hi, *q.overlap_to);
    by_start_.for_each_in(lo, hi, [&](int64_t, int64_t id) { consider(id); });
    for (int64_t id : series_) consider(id);
  } else if (q.scope == EventScope::kPublic && needle.size() >= 3) {
    // Only events holding every trigram of the needle can match: read the
    // ids under its rarest one (none at all when one is held by no event).
    static const std::vector<int64_t> kNone;
    const std::vector<int64_t>* rarest = nullptr;
    for (size_t i = 0; i + 3 <= needle.size(); ++i) {
      auto it = trigrams_.find(trigram_at(needle, i));
      const std::vector<int64_t>* ids = it == trigrams_.end() ? &kNone : &it->second;
      if (rarest == nullptr || ids->size() < rarest->size()) rarest = ids;
    }
    std::vector<int64_t> ids(*rarest);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (int64_t id : ids) consider(id);
  } else if (q.scope == EventScope::kPublic) {
    for (int64_t id : public_) consider(id);  // ascending and unique already
  } else {
    std::vector<int64_t> ids;
    auto take = [&](const IdIndex& index, int64_t key) {
      const IdSet* set = index.find(key);
      if (set != nullptr) ids.insert(ids.end(), set->begin(), set->end());
    };
    take(by_owner_, q.viewer);
    take(shared_with_, q.viewer);
    if (q.scope == EventScope::kVisible) {
      ids.insert(ids.end(), public_.begin(), public_.end());
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (int64_t id : ids) consider(id);
  }

  if (q.order == EventOrder::kById) {
    std::sort(hits.begin(), hits.end(),
              [](const EventView* a, const EventView* b) { return a->id < b->id; });
  } else {
    std::sort(hits.begin(), hits.end(), [](const EventView* a, const EventView* b) {
      return a->start != b->start ? a->start < b->start : a->id < b->id;
    });
  }
  Page<EventView> page;
  page.total = hits.size();
  for (size_t i = q.skip; i < hits.size() && page.items.size() < q.limit; ++i) {
    page.items.push_back(*hits[i]);
  }
  return page;
}

OccurrencePage EventsModel::occurrences(const OccurrenceQuery& q,
                                        const CalendarsModel& calendars) const {
  OccurrencePage page;
  if (q.window_end <= q.window_start || q.cap == 0) {
    return page;
  }
  std::vector<OccurrenceView>& out = page.items;
  auto less = [](const OccurrenceView& a, const OccurrenceView& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.event_id != b.event_id) return a.event_id < b.event_id;
    return a.index < b.index;
  };
  // Keeps memory bounded by 2 * cap: beyond it only the earliest cap can be returned.
  auto trim = [&](size_t limit) {
    if (out.size() <= limit) return;
    std::sort(out.begin(), out.end(), less);
    out.resize(q.cap);
    page.truncated = true;
  };
  auto wanted = [&](const EventView& v) {
    if (v.owner_id != q.owner_id) return false;
    if (q.calendar_id && v.calendar_id != q.calendar_id) return false;
    if (q.calendared_only && !v.calendar_id) return false;
    return true;
  };
  auto emit = [&](const EventView& v, int64_t start, int64_t end, int64_t index) {
    OccurrenceView o;
    o.event_id = v.id;
    o.calendar_id = v.calendar_id;
    o.title = v.title;
    o.description = v.description;
    o.start = start;
    o.end = end;
    o.index = index;
    o.is_all_day = v.is_all_day;
    o.floating = v.floating;
    if (v.calendar_id) {
      if (const CalendarView* c = calendars.find(*v.calendar_id)) o.color = c->color;
    }
    out.push_back(std::move(o));
    trim(2 * q.cap);
  };
  auto single = [&](const EventView& v) {
    if (!is_series(v) && wanted(v) && overlaps(v.start, end_of(v), q.window_start, q.window_end)) {
      emit(v, v.start, end_of(v), 0);
    }
  };

  if (q.calendar_id) {
    if (const IdSet* ids = by_calendar_.find(*q.calendar_id)) {
      for (int64_t id : *ids) single(*events_.find(id));
    }
  } else {
    const int64_t lo = sat_sub(q.window_start, max_duration_);
    by_start_.for_each_in(lo, q.window_end,
                          [&](int64_t, int64_t id) { single(*events_.find(id)); });
  }
  if (const IdSet* owned = series_by_owner_.find(q.owner_id)) {
    std::vector<Occurrence> occ;
    for (int64_t id : *owned) {
      const EventView& v = *events_.find(id);
      if (!wanted(v)) continue;
      occ.clear();
      if (expand(series_of(v), q.window_start, q.window_end, q.cap, occ)) page.truncated = true;
      for (const Occurrence& o : occ) emit(v, o.start, o.end, o.index);
    }
  }
  std::sort(out.begin(), out.end(), less);
  trim(q.cap);
  return page;
}

uint64_t EventsModel::digest() const {
  SetDigest set;
  events_.for_each([&](int64_t, const EventView& v) {
    Digest d;
    d.add(v.id).add(v.uuid).add(v.owner_id).add(v.calendar_id).add(v.title).add(v.description);
    d.add(v.start).add(v.end).add(v.is_all_day).add(v.floating).add(v.location).add(v.category);
    d.add(v.metadata_json).add(v.is_recurring).add(static_cast<int64_t>(v.repeat));
    d.add(v.repeat_until_day).add(static_cast<int64_t>(v.visibility)).add(v.max_participants);
    d.add(static_cast<uint64_t>(v.acl.size()));
    for (const AclEntry& a : v.acl) d.add(a.user_id).add(static_cast<int64_t>(a.role));
    d.add(static_cast<uint64_t>(v.participants.size()));
    for (const ParticipantView& p : v.participants) d.add(p.user_id).add(p.joined_at);
    d.add(v.created_at).add(v.updated_at);
    set.add(d.value());
  });
  return set.value();
}

void EventsModel::set_version(int64_t id, uint64_t version) {
  if (auto* r = events_.find(id)) r->version = version;
}

}  // namespace almanac::proj
