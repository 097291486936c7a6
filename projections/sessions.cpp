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
      sessions_[id] = std::move(s);
      break;
    }
    case Payload::SessionRefreshed: {
      auto it = sessions_.find(id);
      if (it == sessions_.end()) break;
      const auto& p = *e.payload.AsSessionRefreshed();
      it->second.refresh_jti = p.refresh_jti;
      it->second.expires_at = p.expires_at;
      it->second.refreshed_at = e.recorded_at;
      break;
    }
    case Payload::SessionEnded: {
      auto it = sessions_.find(id);
      if (it == sessions_.end() || it->second.ended) break;
      it->second.ended = true;
      it->second.end_reason = e.payload.AsSessionEnded()->reason;
      it->second.ended_at = e.recorded_at;
      break;
    }
    case Payload::RefreshReuseDetected: {
      auto it = sessions_.find(id);
      if (it != sessions_.end()) it->second.reuse_detected = true;
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
      resets_[id] = std::move(r);
      break;
    }
    case Payload::PasswordResetCompleted: {
      auto it = resets_.find(id);
      if (it == resets_.end()) break;
      it->second.used = true;
      it->second.used_at = e.recorded_at;
      break;
    }
    default:
      break;
  }
}

const SessionView* SessionsModel::find_session(int64_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

bool SessionsModel::session_active(int64_t id) const {
  const SessionView* s = find_session(id);
  return s != nullptr && !s->ended;
}

const PasswordResetView* SessionsModel::find_reset(std::string_view token_hash) const {
  auto it = reset_by_hash_.find(std::string(token_hash));
  if (it == reset_by_hash_.end()) return nullptr;
  auto r = resets_.find(it->second);
  return r == resets_.end() ? nullptr : &r->second;
}

uint64_t SessionsModel::digest() const {
  SetDigest set;
  for (const auto& [id, s] : sessions_) {
    Digest d;
    d.add(uint64_t{1}).add(s.id).add(s.uuid).add(s.user_id).add(s.refresh_jti).add(s.expires_at);
    d.add(s.started_at).add(s.refreshed_at).add(s.ended).add(s.ended_at).add(s.reuse_detected);
    d.add(static_cast<int64_t>(s.end_reason ? static_cast<int>(*s.end_reason) : -1));
    set.add(d.value());
  }
  for (const auto& [id, r] : resets_) {
    Digest d;
    d.add(uint64_t{2}).add(r.id).add(r.user_id).add(r.token_hash).add(r.requested_at);
    d.add(r.expires_at).add(r.used).add(r.used_at);
    set.add(d.value());
  }
  return set.value();
}

}  // namespace almanac::proj
