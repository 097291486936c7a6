// The sessions and password-reset read models.
//
// Sessions (Session/* streams): the refresh token id valid now, its expiry and
// whether the session ended, so access-token checks can ask session_active().
// Password resets (PasswordReset/* streams): looked up by the hash of the
// token, never by the token itself. Both are DenseMaps by id (dense ids).
//
// Not thread-safe by itself: ReadModels guards it (see read_models.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "events/event.hpp"
#include "projections/common.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

class SessionsModel {
 public:
  void apply(const Envelope& e);
  // Records that the stream of record `id` is now at `version` (after every
  // event of the stream, whatever its type).
  void set_version(int64_t id, uint64_t version);

  const SessionView* find_session(int64_t id) const;
  // Exists and has not ended (refresh-token expiry is the caller's concern).
  bool session_active(int64_t id) const;

  const PasswordResetView* find_reset(std::string_view token_hash) const;

  size_t session_count() const { return sessions_.size(); }
  uint64_t digest() const;

 private:
  DenseMap<SessionView> sessions_;
  DenseMap<PasswordResetView> resets_;
  StringIndex reset_by_hash_;
};

}  // namespace almanac::proj
