// The inbox read model: captured items by id, uuid and owner.
//
// Applies the Inbox/* stream events; InboxItemScheduled marks the item
// Scheduled and links the event created from it; InboxItemDeleted removes it
// (its identity, owner and UUID, stays). Items and the per-owner sets are
// DenseMaps (dense ids). Priorities: see InboxItemView.
// Not thread-safe by itself: ReadModels guards it (see read_models.hpp).
#pragma once

#include <cstdint>
#include <optional>

#include "events/event.hpp"
#include "projections/common.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

class InboxModel {
 public:
  void apply(const Envelope& e);
  // Records that the stream of record `id` is now at `version` (after every
  // event of the stream, whatever its type).
  void set_version(int64_t id, uint64_t version);

  const InboxItemView* find(int64_t id) const;
  const InboxItemView* find_by_uuid(const ev::Uuid& uuid) const;
  // The owner's items in id order, optionally only those with `status`.
  Page<InboxItemView> by_owner(int64_t owner_id, std::optional<ev::InboxStatus> status,
                               size_t skip, size_t limit) const;
  Page<InboxItemView> query(const InboxQuery& q) const;
  // Of every item ever captured; nullptr for an id never captured.
  const Identity* identity(int64_t id) const { return identities_.find(id); }
  // Ids of the owner's items, ascending; nullptr when none.
  const IdSet* ids_of(int64_t owner_id) const { return by_owner_.find(owner_id); }

  size_t count() const { return items_.size(); }
  uint64_t digest() const;

 private:
  DenseMap<InboxItemView> items_;
  UuidIndex by_uuid_;
  IdIndex by_owner_;  // owner -> item ids
  DenseMap<Identity> identities_;  // never erased
};

}  // namespace almanac::proj
