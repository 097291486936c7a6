// Tokens and password hashes: what TokenService::verify refuses and what the
// password rule and hasher accept.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "api/identity.hpp"

using namespace almanac;
using namespace almanac::api;

namespace {

constexpr int64_t kNow = 1'700'000'000;

std::string base64url(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out.push_back(kAlphabet[(buffer >> (bits - 6)) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / ("almanac-identity-" + random_token_id());
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TokenClaims access_claims() { return {TokenClaims::kAccess, 7, 3, "jti-1", kNow + 3600}; }

}  // namespace

TEST_CASE("an issued token verifies with its claims") {
  TempDir dir;
  auto tokens = TokenService::open(dir.path.string());
  REQUIRE(tokens);
  std::string token = tokens.value()->issue(access_claims());
  auto claims = tokens.value()->verify(token, TokenClaims::kAccess, kNow);
  REQUIRE(claims);
  CHECK(claims->user_id == 7);
  CHECK(claims->session_id == 3);
  CHECK(claims->jti == "jti-1");
  CHECK(claims->expires_at == kNow + 3600);
  CHECK(claims->kind == TokenClaims::kAccess);
}

TEST_CASE("a token with alg none is refused") {
  TempDir dir;
  auto tokens = TokenService::open(dir.path.string());
  REQUIRE(tokens);
  std::string payload = base64url(R"({"sub":"7","sid":3,"typ":"access","jti":"x","exp":1800000000})");
  std::string unsigned_token = base64url(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".";
  auto claims = tokens.value()->verify(unsigned_token, TokenClaims::kAccess, kNow);
  REQUIRE_FALSE(claims);
  CHECK(claims.status().code() == Code::kUnauthenticated);

  // alg none in front of a genuine signature is refused too.
  std::string genuine = tokens.value()->issue(access_claims());
  std::string signature = genuine.substr(genuine.rfind('.'));
  std::string genuine_payload = genuine.substr(genuine.find('.') + 1);
  genuine_payload = genuine_payload.substr(0, genuine_payload.find('.'));
  CHECK_FALSE(tokens.value()->verify(base64url(R"({"alg":"none","typ":"JWT"})") + "." + genuine_payload + signature,
                                     TokenClaims::kAccess, kNow));
}

TEST_CASE("a tampered payload or signature is refused") {
  TempDir dir;
  auto tokens = TokenService::open(dir.path.string());
  REQUIRE(tokens);
  std::string token = tokens.value()->issue(access_claims());
  size_t first = token.find('.'), second = token.rfind('.');
  std::string header = token.substr(0, first);
  std::string signature = token.substr(second + 1);

  // Another user id under the original signature.
  std::string forged = header + "." + base64url(R"({"sub":"1","sid":3,"typ":"access","jti":"jti-1","exp":1700003600})") +
                       "." + signature;
  CHECK_FALSE(tokens.value()->verify(forged, TokenClaims::kAccess, kNow));

  std::string flipped = token;
  flipped[second + 5] = flipped[second + 5] == 'A' ? 'B' : 'A';
  CHECK_FALSE(tokens.value()->verify(flipped, TokenClaims::kAccess, kNow));

  // Signed with another server's key.
  TempDir other_dir;
  auto other = TokenService::open(other_dir.path.string());
  REQUIRE(other);
  CHECK_FALSE(tokens.value()->verify(other.value()->issue(access_claims()), TokenClaims::kAccess, kNow));
  CHECK_FALSE(tokens.value()->verify("", TokenClaims::kAccess, kNow));
  CHECK_FALSE(tokens.value()->verify("not.a.jwt", TokenClaims::kAccess, kNow));
}

TEST_CASE("an expired token is refused with its own message") {
  TempDir dir;
  auto tokens = TokenService::open(dir.path.string());
  REQUIRE(tokens);
  TokenClaims c = access_claims();
  c.expires_at = kNow;
  auto claims = tokens.value()->verify(tokens.value()->issue(c), TokenClaims::kAccess, kNow);
  REQUIRE_FALSE(claims);
  CHECK(claims.status().message() == "Token has expired");
  CHECK(tokens.value()->verify(tokens.value()->issue(c), TokenClaims::kAccess, kNow - 1));
}

TEST_CASE("a token of the other kind is refused") {
  TempDir dir;
  auto tokens = TokenService::open(dir.path.string());
  REQUIRE(tokens);
  TokenClaims refresh = access_claims();
  refresh.kind = TokenClaims::kRefresh;
  std::string refresh_token = tokens.value()->issue(refresh);
  std::string access_token = tokens.value()->issue(access_claims());
  CHECK_FALSE(tokens.value()->verify(refresh_token, TokenClaims::kAccess, kNow));
  CHECK_FALSE(tokens.value()->verify(access_token, TokenClaims::kRefresh, kNow));
  auto claims = tokens.value()->verify(refresh_token, TokenClaims::kRefresh, kNow);
  REQUIRE(claims);
  CHECK(claims->kind == TokenClaims::kRefresh);
}

TEST_CASE("the signing key is kept private and reused across restarts") {
  TempDir dir;
  std::string token;
  {
    auto first = TokenService::open(dir.path.string());
    REQUIRE(first);
    token = first.value()->issue(access_claims());
  }
  struct stat st {};
  REQUIRE(::stat((dir.path / "jwt.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto second = TokenService::open(dir.path.string());
  REQUIRE(second);
  CHECK(second.value()->verify(token, TokenClaims::kAccess, kNow));
}

TEST_CASE("password hashes are Argon2id and verify only the right password") {
  PasswordHasher hasher(1, 8 << 10);
  auto hash = hasher.hash("correct horse");
  REQUIRE(hash);
  CHECK(hash.value().rfind("$argon2id$", 0) == 0);
  CHECK(hasher.verify(hash.value(), "correct horse"));
  CHECK_FALSE(hasher.verify(hash.value(), "correct horse!"));
  CHECK_FALSE(hasher.verify("", "correct horse"));
  CHECK_FALSE(hasher.verify("$argon2id$garbage", "correct horse"));
}
