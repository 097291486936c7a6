#include "projections/inbox.hpp"

namespace almanac::proj {

using ev::Payload;
namespace xf = inbox_field;

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
    if (p.fields & xf::kPriority) v.priority = p.priority;
    if (p.fields & xf::kMetadata) v.metadata_json = p.metadata_json;
    v.created_at = e.recorded_at;
    v.updated_at = e.recorded_at;
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
      if (p.fields & xf::kPriority) v.priority = p.priority;
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

uint64_t InboxModel::digest() const {
  SetDigest set;
  items_.for_each([&](int64_t, const InboxItemView& v) {
    Digest d;
    d.add(v.id).add(v.uuid).add(v.owner_id).add(v.content).add(v.category);
    d.add(static_cast<int64_t>(v.priority)).add(static_cast<int64_t>(v.status));
    d.add(v.metadata_json).add(v.event_id).add(v.created_at).add(v.updated_at);
    set.add(d.value());
  });
  return set.value();
}

void InboxModel::set_version(int64_t id, uint64_t version) {
  if (auto* r = items_.find(id)) r->version = version;
}

}  // namespace almanac::proj
