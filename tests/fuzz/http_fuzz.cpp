// Requests through Service::handle: the router with path and query parsing,
// identification, and the body decoders (JSON, MessagePack, forms,
// multipart) and field validators of every route of every contract.
//
// An input picks a route from the router's own table, fills its path
// parameters, adds a query string, a caller and a content type, and a body:
// either raw bytes or, more often, an object built over the names of the
// route's documented request fields (so the validators behind the decoders are
// reached), sent as JSON or MessagePack. Sometimes the path is raw bytes
// instead, for routing itself.
//
// Fails on: an exception escaping a handler, any 5xx answer, and a JSON
// answer whose body is not JSON.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>

#include "api/service_harness.hpp"  // tests/unit/api

using namespace almanac;
using api::json;
namespace http = api::http;

namespace {

// Drops every message: a fuzzer must not fill a disk with password-reset mail.
class DiscardingMailer final : public api::Mailer {
 public:
  Result<std::string> send(const api::Mail&) override { return std::string("nowhere"); }
};

api::ServerConfig fuzz_config() {
  api::ServerConfig config;
  config.rate_limits = false;  // every input must reach its route
  return config;
}

struct Fixture {
  DiscardingMailer mailer;
  testing::ServiceHarness harness{fuzz_config(), &mailer};
  std::string token;            // a signed-in user's access token
  std::string other_token;      // another user's
  std::vector<const api::Route*> routes;
};

Fixture& fixture() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    fx->token = fx->harness.signed_in("fuzzer");
    fx->other_token = fx->harness.signed_in("another");
    if (fx->token.empty() || fx->other_token.empty()) {
      std::fprintf(stderr, "http_fuzz: could not sign in the fuzzing users\n");
      std::abort();
    }
    // WebSocket upgrades need a socket; the API documents and their readers
    // take no input and cost seconds a call in this build.
    for (const api::Route& r : fx->harness.service().router().routes())
      if (!r.ws && !r.pattern.starts_with("/openapi.json") && !r.pattern.starts_with("/docs") &&
          !r.pattern.starts_with("/redoc"))
        fx->routes.push_back(&r);
    return fx;
  }();
  return *f;
}

// Bytes a request target may hold as they are; everything else is
// percent-encoded, as an HTTP parser would only pass a target that is.
std::string as_target_text(std::string_view raw) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : raw) {
    if (c > 0x20 && c < 0x7f && c != '#') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string fill_pattern(const std::string& pattern, FuzzedDataProvider& in) {
  std::string out;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] != '{') {
      out += pattern[i++];
      continue;
    }
    size_t close = pattern.find('}', i);
    if (close == std::string::npos) close = pattern.size() - 1;
    switch (in.ConsumeIntegralInRange(0, 3)) {
      case 0: out += std::to_string(in.ConsumeIntegralInRange<int64_t>(-2, 40)); break;
      case 1: out += std::to_string(in.ConsumeIntegral<int64_t>()); break;
      case 2: out += "4b1c6a2e-95d7-4c4f-8f6e-2d1b0a3c9e7f"; break;
      default: out += as_target_text(in.ConsumeRandomLengthString(40)); break;
    }
    i = close + 1;
  }
  return out;
}

json fuzzed_value(FuzzedDataProvider& in, int depth);

json fuzzed_object(FuzzedDataProvider& in, const std::vector<std::string>& names, int depth) {
  json obj = json::object();
  for (const std::string& name : names)
    if (in.ConsumeBool()) obj[name] = fuzzed_value(in, depth + 1);
  if (in.ConsumeIntegralInRange(0, 7) == 0) obj[in.ConsumeRandomLengthString(16)] = fuzzed_value(in, depth + 1);
  return obj;
}

json fuzzed_value(FuzzedDataProvider& in, int depth) {
  switch (in.ConsumeIntegralInRange(0, depth > 3 ? 6 : 9)) {
    case 0: return nullptr;
    case 1: return in.ConsumeBool();
    case 2: return in.ConsumeIntegralInRange<int64_t>(-3, 300);
    case 3: return in.ConsumeIntegral<int64_t>();
    case 4: return in.ConsumeFloatingPoint<double>();
    case 5: return in.ConsumeRandomLengthString(64);
    case 6: {  // a date or date-time, well formed or nearly
      static const char* shapes[] = {"2026-12-05T10:00:00Z", "2026-12-05T10:00:00+05:30", "2026-12-05",
                                     "2026-02-30T10:00:00", "2026-12-05T25:61:00Z", "0000-01-01T00:00:00Z",
                                     "9999-12-31T23:59:59.999999Z", "2026-12-05T10:00:00 Europe/Paris"};
      return shapes[in.ConsumeIntegralInRange<size_t>(0, std::size(shapes) - 1)];
    }
    case 7: {
      json arr = json::array();
      for (int n = in.ConsumeIntegralInRange(0, 4); n > 0; --n) arr.push_back(fuzzed_value(in, depth + 1));
      return arr;
    }
    default: return fuzzed_object(in, {}, depth);
  }
}

std::vector<std::string> documented_fields(const api::Route& route) {
  std::vector<std::string> names;
  const json& schema = route.doc.request_schema;
  if (schema.is_object() && schema.contains("properties") && schema["properties"].is_object())
    for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) names.push_back(it.key());
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fx = fixture();
  FuzzedDataProvider in(data, size);
  const api::Route& route = *fx.routes[in.ConsumeIntegralInRange<size_t>(0, fx.routes.size() - 1)];

  static const http::verb verbs[] = {http::verb::get, http::verb::post, http::verb::put,
                                     http::verb::patch, http::verb::delete_, http::verb::head};
  http::verb method = in.ConsumeIntegralInRange(0, 7) == 0
                          ? verbs[in.ConsumeIntegralInRange<size_t>(0, std::size(verbs) - 1)]
                          : route.method;
  std::string target = in.ConsumeIntegralInRange(0, 15) == 0
                           ? "/" + as_target_text(in.ConsumeRandomLengthString(80))
                           : fill_pattern(route.pattern, in);
  if (in.ConsumeBool()) target += "?" + as_target_text(in.ConsumeRandomLengthString(80));

  api::Request req{method, target, 11};
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0: break;
    case 1: req.set(http::field::authorization, "Bearer " + fx.other_token); break;
    case 2: req.set(http::field::authorization, in.ConsumeRandomLengthString(60)); break;
    default: req.set(http::field::authorization, "Bearer " + fx.token); break;
  }
  if (in.ConsumeIntegralInRange(0, 7) == 0) req.set(http::field::if_match, in.ConsumeRandomLengthString(12));
  if (in.ConsumeIntegralInRange(0, 7) == 0) req.set(http::field::accept, "application/msgpack");

  const int body_kind = in.ConsumeIntegralInRange(0, 9);
  std::string body;
  std::string content_type;
  if (body_kind <= 5) {  // an object over the documented fields
    json value = in.ConsumeIntegralInRange(0, 9) == 0 ? fuzzed_value(in, 0)
                                                      : fuzzed_object(in, documented_fields(route), 0);
    if (body_kind <= 3) {
      content_type = "application/json";
      body = value.dump(-1, ' ', false, json::error_handler_t::replace);
    } else {
      content_type = "application/msgpack";
      std::vector<uint8_t> packed = json::to_msgpack(value);
      body.assign(packed.begin(), packed.end());
    }
  } else {
    static const char* types[] = {"application/json", "application/msgpack", "application/x-msgpack",
                                  "multipart/form-data; boundary=XyZ", "application/x-www-form-urlencoded",
                                  "text/plain", ""};
    content_type = types[in.ConsumeIntegralInRange<size_t>(0, std::size(types) - 1)];
    body = in.ConsumeRemainingBytesAsString();
  }
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  if (!body.empty() || method != http::verb::get) {
    req.body() = std::move(body);
    req.prepare_payload();
  }

  api::Response res = fx.harness.call(std::move(req));  // an escaping exception ends the run
  const unsigned status = res.result_int();
  if (status >= 500) {
    std::fprintf(stderr, "http_fuzz: %u from %s %s\n%s\n", status, std::string(http::to_string(method)).c_str(),
                 target.c_str(), res.body().c_str());
    std::abort();
  }
  if (res[http::field::content_type].starts_with("application/json") && !res.body().empty() &&
      !json::accept(res.body())) {
    std::fprintf(stderr, "http_fuzz: a JSON answer that is not JSON from %s\n", target.c_str());
    std::abort();
  }
  return 0;
}
