// The users read model: accounts by id, uuid, username and email.
//
// Applies the User/* stream events. Accounts sit in a DenseMap by id (user ids
// are dense); uuid, username and email are hash indexes; a rank index of the
// live ids serves listings at any offset in O(log n). Not thread-safe by
// itself: ReadModels guards it (see read_models.hpp). Lookups return pointers
// into the model that are valid only until the next apply; ReadModels copies
// them out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "events/event.hpp"
#include "projections/common.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

class UsersModel {
 public:
  void apply(const Envelope& e);
  // Records that the stream of record `id` is now at `version` (after every
  // event of the stream, whatever its type).
  void set_version(int64_t id, uint64_t version);

  // Every lookup skips deleted accounts unless include_deleted.
  const UserView* find(int64_t id, bool include_deleted = false) const;
  const UserView* find_by_uuid(const ev::Uuid& uuid) const;
  // Exact username.
  const UserView* find_by_username(std::string_view username) const;
  // Email without ASCII case.
  const UserView* find_by_email(std::string_view email) const;

  // Live (not deleted) accounts in id order. O(log n + limit) whatever
  // `skip` is (the rank index below).
  Page<UserView> list(size_t skip, size_t limit) const;

  size_t live_count() const { return by_username_.size(); }
  uint64_t digest() const;

 private:
  UserView* mutable_user(int64_t id);
  void unindex(const UserView& u);
  void index(const UserView& u);

  DenseMap<UserView> users_;  // every account ever registered, deleted included
  // Live accounts only; a deleted account frees its username and email.
  UuidIndex by_uuid_;
  StringIndex by_username_;
  StringIndex by_email_;  // key: ascii_lower(email)
  RankedIds live_ids_;    // live accounts by rank in id order: list() reaches any offset directly
};

}  // namespace almanac::proj
