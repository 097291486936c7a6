// Token handling (api/identity): TokenService::verify on arbitrary tokens and
// on tokens built to pass the signature check with fuzzed headers and claims,
// so the claim checks behind the signature are reached too.
//
// Fails on: a crash or sanitizer report; a token accepted whose signature is
// not the HMAC-SHA256 of its header and claims under the service's key (a
// forgery: alg "none", a stripped or altered signature); an accepted token of
// the other kind, or already expired.
#include <fuzzer/FuzzedDataProvider.h>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "api/identity.hpp"

using namespace almanac;

namespace {

constexpr int64_t kNow = 1'800'000'000;
const std::string kKey(32, '\x5a');

std::string b64url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string hmac(std::string_view signing_input) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(kKey.data()), kKey.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(signing_input.data()),
                                signing_input.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return std::string(reinterpret_cast<char*>(mac), sizeof mac);
}

std::string signed_token(const std::string& header, const std::string& claims) {
  std::string input = b64url(header) + "." + b64url(claims);
  return input + "." + b64url(hmac(input));
}

api::TokenService& service() {
  static api::TokenService* s = [] {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("almanac-jwt-fuzz-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    std::ofstream(dir / "jwt.key", std::ios::binary) << kKey;
    auto opened = api::TokenService::open(dir.string());
    if (!opened) std::abort();
    return std::move(opened).value().release();
  }();
  return *s;
}

// Whether `token` carries the right signature for its first two segments.
bool genuinely_signed(std::string_view token) {
  const size_t a = token.find('.');
  const size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos) return false;
  std::string_view sig = token.substr(b + 1);
  unsigned char raw[64];
  size_t len = 0;
  if (sodium_base642bin(raw, sizeof raw, sig.data(), sig.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return false;
  return std::string_view(reinterpret_cast<char*>(raw), len) == hmac(token.substr(0, b));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  api::TokenService& tokens = service();
  FuzzedDataProvider in(data, size);
  const auto kind = in.ConsumeBool() ? api::TokenClaims::kAccess : api::TokenClaims::kRefresh;
  std::string token;
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0:  // any text at all
      token = in.ConsumeRemainingBytesAsString();
      break;
    case 1: {  // correctly signed, fuzzed claims
      std::string claims = in.ConsumeRemainingBytesAsString();
      token = signed_token(R"({"alg":"HS256","typ":"JWT"})", claims);
      break;
    }
    case 2: {  // correctly signed, fuzzed header and claims
      std::string header = in.ConsumeRandomLengthString(80);
      token = signed_token(header, in.ConsumeRemainingBytesAsString());
      break;
    }
    case 3: {  // an issued token with its bytes altered
      api::TokenClaims c{kind, in.ConsumeIntegralInRange<int64_t>(1, 99), 3, "abc", kNow + 60};
      token = tokens.issue(c);
      while (in.remaining_bytes() >= 2 && !token.empty()) {
        size_t at = in.ConsumeIntegralInRange<size_t>(0, token.size() - 1);
        token[at] = static_cast<char>(in.ConsumeIntegral<uint8_t>());
      }
      break;
    }
    default: {  // a forged header or signature on genuine claims
      std::string claims = R"({"sub":"1","sid":3,"typ":"access","jti":"x","exp":1900000000})";
      token = b64url(in.ConsumeRandomLengthString(60)) + "." + b64url(claims) + "." +
              in.ConsumeRemainingBytesAsString();
      break;
    }
  }

  auto claims = tokens.verify(token, kind, kNow);
  if (!claims) return 0;
  if (!genuinely_signed(token)) {
    std::fprintf(stderr, "jwt_fuzz: accepted a token without a valid signature: %s\n", token.c_str());
    std::abort();
  }
  if (claims->kind != kind || claims->expires_at <= kNow || claims->user_id <= 0) {
    std::fprintf(stderr, "jwt_fuzz: accepted a token of the wrong kind, expired or without a user\n");
    std::abort();
  }
  return 0;
}
