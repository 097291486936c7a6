#include "projections/users.hpp"

namespace almanac::proj {

using ev::Payload;

UserView* UsersModel::mutable_user(int64_t id) { return users_.find(id); }

void UsersModel::unindex(const UserView& u) {
  by_uuid_.erase(key_of(u.uuid));
  auto un = by_username_.find(u.username);
  if (un != by_username_.end() && un->second == u.id) by_username_.erase(un);
  auto em = by_email_.find(ascii_lower(u.email));
  if (em != by_email_.end() && em->second == u.id) by_email_.erase(em);
}

void UsersModel::index(const UserView& u) {
  if (u.deleted) return;
  by_uuid_[key_of(u.uuid)] = u.id;
  by_username_[u.username] = u.id;
  by_email_[ascii_lower(u.email)] = u.id;
}

void UsersModel::apply(const Envelope& e) {
  const int64_t id = e.stream_id;
  const Payload type = e.payload.type;
  if (type == Payload::UserRegistered) {
    const auto& p = *e.payload.AsUserRegistered();
    UserView u;
    u.id = id;
    u.uuid = p.uuid;
    u.username = p.username;
    u.email = p.email;
    u.first_name = p.first_name;
    u.last_name = p.last_name;
    u.full_name = p.full_name;
    u.password_hash = p.password_hash;
    u.created_at = e.recorded_at;
    u.updated_at = e.recorded_at;
    if (auto* old = mutable_user(id)) unindex(*old);
    index(users_.assign(id, std::move(u)));
    live_ids_.insert(id);
    return;
  }
  UserView* u = mutable_user(id);
  if (u == nullptr) return;
  switch (type) {
    case Payload::UserProfileUpdated: {
      const auto& p = *e.payload.AsUserProfileUpdated();
      // The indexes are touched only when a key (username, email) changes;
      // the account keeps the entries it has otherwise.
      const bool rekey = (p.changed & (user_field::kUsername | user_field::kEmail)) != 0;
      if (rekey) unindex(*u);
      if (p.changed & user_field::kUsername) u->username = p.username;
      if (p.changed & user_field::kEmail) u->email = p.email;
      if (p.changed & user_field::kFirstName) u->first_name = p.first_name;
      if (p.changed & user_field::kLastName) u->last_name = p.last_name;
      if (p.changed & user_field::kFullName) u->full_name = p.full_name;
      if (p.changed & user_field::kBio) u->bio = p.bio;
      if (p.changed & user_field::kAvatar) u->avatar = p.avatar;
      if (rekey) index(*u);
      u->updated_at = e.recorded_at;
      break;
    }
    case Payload::PasswordChanged:
      u->password_hash = e.payload.AsPasswordChanged()->password_hash;
      u->updated_at = e.recorded_at;
      break;
    case Payload::UserPromoted:
      u->is_superuser = e.payload.AsUserPromoted()->is_superuser;
      u->updated_at = e.recorded_at;
      break;
    case Payload::UserDeactivated:
      u->is_active = false;
      u->updated_at = e.recorded_at;
      break;
    case Payload::UserReactivated:
      u->is_active = true;
      u->updated_at = e.recorded_at;
      break;
    case Payload::UserDeleted:
      unindex(*u);
      live_ids_.erase(id);
      u->deleted = true;
      u->is_active = false;
      u->updated_at = e.recorded_at;
      break;
    case Payload::UserLoggedIn:
      u->last_login = e.recorded_at;
      break;
    default:
      break;
  }
}

const UserView* UsersModel::find(int64_t id, bool include_deleted) const {
  const UserView* u = users_.find(id);
  if (u == nullptr || (u->deleted && !include_deleted)) return nullptr;
  return u;
}

const UserView* UsersModel::find_by_uuid(const ev::Uuid& uuid) const {
  auto it = by_uuid_.find(key_of(uuid));
  return it == by_uuid_.end() ? nullptr : find(it->second);
}

const UserView* UsersModel::find_by_username(std::string_view username) const {
  auto it = by_username_.find(key_view(username));
  return it == by_username_.end() ? nullptr : find(it->second);
}

const UserView* UsersModel::find_by_email(std::string_view email) const {
  auto it = by_email_.find(ascii_lower(email));
  return it == by_email_.end() ? nullptr : find(it->second);
}

Page<UserView> UsersModel::list(size_t skip, size_t limit) const {
  Page<UserView> page;
  page.total = live_ids_.size();
  const std::vector<int64_t> ids = live_ids_.range(skip, limit);
  page.items.reserve(ids.size());
  for (int64_t id : ids)
    if (const UserView* u = find(id)) page.items.push_back(*u);
  return page;
}

uint64_t UsersModel::digest() const {
  SetDigest set;
  users_.for_each([&](int64_t, const UserView& u) {
    Digest d;
    d.add(u.id).add(u.uuid).add(u.username).add(u.email).add(u.first_name).add(u.last_name);
    d.add(u.full_name).add(u.bio).add(u.avatar).add(u.password_hash).add(u.is_active);
    d.add(u.is_superuser).add(u.deleted).add(u.created_at).add(u.updated_at).add(u.last_login);
    set.add(d.value());
  });
  return set.value();
}

void UsersModel::set_version(int64_t id, uint64_t version) {
  if (auto* r = users_.find(id)) r->version = version;
}

}  // namespace almanac::proj
