#include "api/identity.hpp"

#include <fcntl.h>
#include <jwt.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace almanac::api {

namespace {

Status invalid_token() {
  return unauthenticated("Could not validate credentials").because(Reason::kTokenInvalid);
}

}  // namespace

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops_, mem_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return internal_error("password hashing ran out of memory");
  return std::string(out);
}

bool PasswordHasher::verify(std::string_view encoded_hash, std::string_view password) const {
  if (encoded_hash.empty() || encoded_hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string h(encoded_hash);  // NUL-terminated copy
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

std::string random_token_id() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

std::string random_secret() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char text[sodium_base64_ENCODED_LEN(sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(text, sizeof text, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return text;
}

std::string secret_hash(std::string_view secret) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

Result<std::unique_ptr<TokenService>> TokenService::open(const std::string& data_dir) {
  if (sodium_init() < 0) return internal_error("cannot initialise the random source");
  namespace fs = std::filesystem;
  fs::path path = fs::path(data_dir) / "jwt.key";
  auto service = std::unique_ptr<TokenService>(new TokenService());
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (key.size() < 32)
      return data_loss(path.string() + " is shorter than 32 bytes; remove it to generate a new key "
                       "(every issued token then stops working)");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077))
      ::chmod(path.c_str(), S_IRUSR | S_IWUSR);  // keep the secret private
    service->key_ = std::move(key);
    return service;
  }
  unsigned char key[32];
  randombytes_buf(key, sizeof key);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
  if (fd < 0) return unavailable("cannot create " + path.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, key, sizeof key) == static_cast<ssize_t>(sizeof key) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return unavailable("cannot write " + path.string() + ": " + std::strerror(errno));
  service->key_.assign(reinterpret_cast<char*>(key), sizeof key);
  sodium_memzero(key, sizeof key);
  return service;
}

Result<std::unique_ptr<TokenService>> TokenService::from_key(std::string key) {
  if (key.size() < 32) return data_loss("the token signing key is shorter than 32 bytes");
  auto service = std::unique_ptr<TokenService>(new TokenService());
  service->key_ = std::move(key);
  return service;
}

std::string TokenService::issue(const TokenClaims& c) const {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(key_.data()),
              static_cast<int>(key_.size()));
  jwt_add_grant(jwt, "sub", std::to_string(c.user_id).c_str());
  jwt_add_grant_int(jwt, "sid", c.session_id);
  jwt_add_grant(jwt, "typ", c.kind == TokenClaims::kAccess ? "access" : "refresh");
  jwt_add_grant(jwt, "jti", c.jti.c_str());
  jwt_add_grant_int(jwt, "exp", c.expires_at);
  char* encoded = jwt_encode_str(jwt);
  std::string out = encoded ? encoded : "";
  std::free(encoded);  // allocated by libjwt with malloc
  jwt_free(jwt);
  return out;
}

Result<TokenClaims> TokenService::verify(std::string_view token, TokenClaims::Kind kind,
                                         int64_t now_s) const {
  if (token.empty() || token.size() > 4096) return invalid_token();
  std::string t(token);
  jwt_t* jwt = nullptr;
  if (jwt_decode(&jwt, t.c_str(), reinterpret_cast<const unsigned char*>(key_.data()),
                 static_cast<int>(key_.size())) != 0 ||
      !jwt) {
    if (jwt) jwt_free(jwt);
    return invalid_token();
  }
  TokenClaims c;
  bool ok = jwt_get_alg(jwt) == JWT_ALG_HS256;
  const char* typ = jwt_get_grant(jwt, "typ");
  const char* sub = jwt_get_grant(jwt, "sub");
  const char* jti = jwt_get_grant(jwt, "jti");
  errno = 0;
  c.session_id = jwt_get_grant_int(jwt, "sid");
  c.expires_at = jwt_get_grant_int(jwt, "exp");
  ok = ok && errno == 0 && typ && sub;
  if (ok) {
    c.kind = std::strcmp(typ, "refresh") == 0 ? TokenClaims::kRefresh : TokenClaims::kAccess;
    ok = std::strcmp(typ, "access") == 0 || std::strcmp(typ, "refresh") == 0;
    char* end = nullptr;
    c.user_id = std::strtoll(sub, &end, 10);
    ok = ok && end && *end == '\0' && c.user_id > 0;
    if (jti) c.jti = jti;
  }
  jwt_free(jwt);
  if (!ok || c.kind != kind) return invalid_token();
  if (c.expires_at <= now_s) return unauthenticated("Token has expired").because(Reason::kTokenExpired);
  return c;
}

}  // namespace almanac::api
