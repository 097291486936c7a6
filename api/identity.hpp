// Identity shared by every contract: Argon2id password hashes (libsodium) and
// HS256 JWTs (libjwt). The signing key is generated on first start and kept in
// the data directory (jwt.key, mode 0600); there is no built-in key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "events/status.hpp"

namespace almanac::api {

// Thread-safe; hash() and verify() are slow by design: call them off the IO
// threads (Service::run_blocking).
class PasswordHasher {
 public:
  PasswordHasher(uint64_t ops, uint64_t mem) : ops_(ops), mem_(mem) {}
  Result<std::string> hash(std::string_view password) const;
  bool verify(std::string_view encoded_hash, std::string_view password) const;

 private:
  uint64_t ops_, mem_;
};

// The authenticated caller of a request.
struct Principal {
  int64_t user_id = 0;
  int64_t session_id = 0;   // 0: no session (the local user of --anonymous-calendars)
  bool is_superuser = false;
};

struct TokenClaims {
  enum Kind { kAccess, kRefresh } kind = kAccess;
  int64_t user_id = 0;
  int64_t session_id = 0;
  std::string jti;          // token id (refresh tokens: the rotation id)
  int64_t expires_at = 0;   // UTC seconds
};

// Thread-safe after open().
class TokenService {
 public:
  // Loads <data_dir>/jwt.key, creating it (32 random bytes, 0600) when missing.
  static Result<std::unique_ptr<TokenService>> open(const std::string& data_dir);
  // Signs with `key` (at least 32 bytes): the key the nodes of a cluster
  // share beside their log.
  static Result<std::unique_ptr<TokenService>> from_key(std::string key);

  std::string issue(const TokenClaims& claims) const;
  // Checks signature, algorithm, expiry (against `now_s`) and kind.
  Result<TokenClaims> verify(std::string_view token, TokenClaims::Kind kind, int64_t now_s) const;

 private:
  std::string key_;
};

// A random token id (128 bits, hex).
std::string random_token_id();
// A random secret for a link (256 bits, URL-safe base64 without padding).
std::string random_secret();
// The digest a secret is stored as (SHA-256, lower-case hex): the log holds
// this, never the secret.
std::string secret_hash(std::string_view secret);

}  // namespace almanac::api
