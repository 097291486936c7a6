#include "projections/inbox.hpp"

#include <algorithm>

namespace almanac::proj {

using ev::Payload;
namespace xf = inbox_field;

namespace {

int32_t level_of(ev::TaskPriority p) {
  switch (p) {
    case ev::TaskPriority::Low: return 1;
    case ev::TaskPriority::High: return 5;
    default: return 3;
  }
}

ev::TaskPriority priority_of(int32_t level) {
  if (level <= 2) return ev::TaskPriority::Low;
  if (level >= 4) return ev::TaskPriority::High;
  return ev::TaskPriority::Medium;
}

void set_priority(InboxItemView& v, ev::TaskPriority p) {
  v.priority = p;
  v.priority_level = level_of(p);
}

void set_level(InboxItemView& v, int32_t level) {
  v.priority_level = level;
  v.priority = priority_of(level);
}

bool has(const std::vector<ev::InboxStatus>& set, ev::InboxStatus s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

// Whether `v` passes the query's conditions (see InboxQuery).
bool matches(const InboxQuery& q, const InboxItemView& v) {
  int conditions = 0, held = 0;
  auto condition = [&](bool holds) {
    ++conditions;
    if (holds) ++held;
  };
  if (!q.categories.empty())
    condition(v.category && std::find(q.categories.begin(), q.categories.end(), *v.category) != q.categories.end());
  if (!q.statuses.empty()) condition(has(q.statuses, v.status));
  if (!q.priority_levels.empty())
    condition(std::find(q.priority_levels.begin(), q.priority_levels.end(), v.priority_level) !=
              q.priority_levels.end());
  if (q.priority_min || q.priority_max)
    condition((!q.priority_min || v.priority_level >= *q.priority_min) &&
              (!q.priority_max || v.priority_level <= *q.priority_max));
  if (conditions == 0) return true;
  return q.any_condition ? held > 0 : held == conditions;
}

}  // namespace

void InboxModel::apply(const Envelope& e) {
  const int64_t id = e.stream_id;
  if (e.payload.type == Payload::InboxItemCaptured) {
    const auto& p = *e.payload.AsInboxItemCaptured();
    InboxItemView v;
    v.id = id;
    v.uuid = p.uuid;
    v.owner_id = p.owner_id;
    v.content = p.content;
    if (p.fields & xf::kCategory) v.category = p.category;
    if (p.fields & xf::kPriority) set_priority(v, p.priority);
    if (p.fields & xf::kPriorityLevel) set_level(v, p.priority_level);
    if (p.fields & xf::kStatus) v.status = p.status;
    if (p.fields & xf::kMetadata) v.metadata_json = p.metadata_json;
    v.created_at = e.recorded_at;
    v.updated_at = e.recorded_at;
    identities_.assign(id, Identity{v.uuid, v.owner_id});
    by_uuid_[key_of(v.uuid)] = id;
    by_owner_.insert(v.owner_id, id);
    items_.assign(id, std::move(v));
    return;
  }
  InboxItemView* found = items_.find(id);
  if (found == nullptr) return;
  InboxItemView& v = *found;
  switch (e.payload.type) {
    case Payload::InboxItemUpdated: {
      const auto& p = *e.payload.AsInboxItemUpdated();
      if (p.fields & xf::kContent) v.content = p.content;
      if (p.fields & xf::kCategory) {
        if (p.nulls & xf::kCategory) {
          v.category.reset();
        } else {
          v.category = p.category;
        }
      }
      if (p.fields & xf::kPriority) set_priority(v, p.priority);
      if (p.fields & xf::kPriorityLevel) set_level(v, p.priority_level);
      if (p.fields & xf::kStatus) v.status = p.status;
      if (p.fields & xf::kMetadata) {
        if (p.nulls & xf::kMetadata) {
          v.metadata_json.reset();
        } else {
          v.metadata_json = p.metadata_json;
        }
      }
      v.updated_at = e.recorded_at;
      break;
    }
    case Payload::InboxItemScheduled:
      v.status = ev::InboxStatus::Scheduled;
      v.event_id = e.payload.AsInboxItemScheduled()->event_id;
      v.updated_at = e.recorded_at;
      break;
    case Payload::InboxItemDeleted: {
      by_uuid_.erase(key_of(v.uuid));
      by_owner_.erase(v.owner_id, id);
      items_.erase(id);
      break;
    }
    default:
      break;
  }
}

const InboxItemView* InboxModel::find(int64_t id) const {
  return items_.find(id);
}

const InboxItemView* InboxModel::find_by_uuid(const ev::Uuid& uuid) const {
  auto it = by_uuid_.find(key_of(uuid));
  return it == by_uuid_.end() ? nullptr : find(it->second);
}

Page<InboxItemView> InboxModel::by_owner(int64_t owner_id, std::optional<ev::InboxStatus> status,
                                         size_t skip, size_t limit) const {
  Page<InboxItemView> page;
  const IdSet* owned = by_owner_.find(owner_id);
  if (owned == nullptr) return page;
  for (int64_t id : *owned) {
    const InboxItemView& v = *items_.find(id);
    if (status && v.status != *status) continue;
    if (page.total++ < skip || page.items.size() >= limit) continue;
    page.items.push_back(v);
  }
  return page;
}

Page<InboxItemView> InboxModel::query(const InboxQuery& q) const {
  Page<InboxItemView> page;
  const IdSet* owned = by_owner_.find(q.owner_id);
  if (owned == nullptr) return page;
  // Ids are assigned in capture order: descending ids are newest first.
  for (auto it = owned->ids().rbegin(); it != owned->ids().rend(); ++it) {
    const InboxItemView& v = *items_.find(*it);
    if (!matches(q, v)) continue;
    if (page.total++ < q.skip || page.items.size() >= q.limit) continue;
    page.items.push_back(v);
  }
  return page;
}

uint64_t InboxModel::digest() const {
  SetDigest set;
  items_.for_each([&](int64_t, const InboxItemView& v) {
    Digest d;
    d.add(v.id).add(v.uuid).add(v.owner_id).add(v.content).add(v.category);
    d.add(static_cast<int64_t>(v.priority)).add(v.priority_level).add(static_cast<int64_t>(v.status));
    d.add(v.metadata_json).add(v.event_id).add(v.created_at).add(v.updated_at);
    set.add(d.value());
  });
  return set.value();
}

void InboxModel::set_version(int64_t id, uint64_t version) {
  if (auto* r = items_.find(id)) r->version = version;
}

}  // namespace almanac::proj
