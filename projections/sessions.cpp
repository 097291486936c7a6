#include "projections/sessions.hpp"

namespace almanac::proj {

using ev::Payload;

void SessionsModel::apply(const Envelope& e) {
  const int64_t id = e.stream_id;
  switch (e.payload.type) {
    case Payload::SessionStarted: {
      const auto& p = *e.payload.AsSessionStarted();
      SessionView s;
      s.id = id;
      s.uuid = p.uuid;
      s.user_id = p.user_id;
      s.refresh_jti = p.refresh_jti;
      s.expires_at = p.expires_at;
      s.started_at = e.recorded_at;
      s.refreshed_at = e.recorded_at;
      sessions_.assign(id, std::move(s));
      break;
    }
    case Payload::SessionRefreshed: {
      SessionView* s = sessions_.find(id);
      if (s == nullptr) break;
      const auto& p = *e.payload.AsSessionRefreshed();
      s->refresh_jti = p.refresh_jti;
      s->expires_at = p.expires_at;
      s->refreshed_at = e.recorded_at;
      break;
    }
    case Payload::SessionEnded: {
      SessionView* s = sessions_.find(id);
      if (s == nullptr || s->ended) break;
      s->ended = true;
      s->end_reason = e.payload.AsSessionEnded()->reason;
      s->ended_at = e.recorded_at;
      break;
    }
    case Payload::RefreshReuseDetected: {
      if (SessionView* s = sessions_.find(id)) s->reuse_detected = true;
      break;
    }
    case Payload::PasswordResetRequested: {
      const auto& p = *e.payload.AsPasswordResetRequested();
      PasswordResetView r;
      r.id = id;
      r.user_id = p.user_id;
      r.token_hash = p.token_hash;
      r.requested_at = e.recorded_at;
      r.expires_at = p.expires_at;
      reset_by_hash_[r.token_hash] = id;
      resets_.assign(id, std::move(r));
      break;
    }
    case Payload::PasswordResetCompleted: {
      PasswordResetView* r = resets_.find(id);
      if (r == nullptr) break;
      r->used = true;
      r->used_at = e.recorded_at;
      break;
    }
    default:
      break;
  }
}

const SessionView* SessionsModel::find_session(int64_t id) const {
  return sessions_.find(id);
}

bool SessionsModel::session_active(int64_t id) const {
  const SessionView* s = find_session(id);
  return s != nullptr && !s->ended;
}

const PasswordResetView* SessionsModel::find_reset(std::string_view token_hash) const {
  auto it = reset_by_hash_.find(key_view(token_hash));
  if (it == reset_by_hash_.end()) return nullptr;
  return resets_.find(it->second);
}

uint64_t SessionsModel::digest() const {
  SetDigest set;
  sessions_.for_each([&](int64_t, const SessionView& s) {
    Digest d;
    d.add(uint64_t{1}).add(s.id).add(s.uuid).add(s.user_id).add(s.refresh_jti).add(s.expires_at);
    d.add(s.started_at).add(s.refreshed_at).add(s.ended).add(s.ended_at).add(s.reuse_detected);
    d.add(static_cast<int64_t>(s.end_reason ? static_cast<int>(*s.end_reason) : -1));
    set.add(d.value());
  });
  resets_.for_each([&](int64_t, const PasswordResetView& r) {
    Digest d;
    d.add(uint64_t{2}).add(r.id).add(r.user_id).add(r.token_hash).add(r.requested_at);
    d.add(r.expires_at).add(r.used).add(r.used_at);
    set.add(d.value());
  });
  return set.value();
}

void SessionsModel::set_version(int64_t id, uint64_t version) {
  if (auto* r = sessions_.find(id)) r->version = version;
}

}  // namespace almanac::proj
