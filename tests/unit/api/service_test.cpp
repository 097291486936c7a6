// Service::handle without a socket, over the in-memory store: routing,
// identification at dispatch, rate limits, media types and validation in
// each route's dialect, and the contracts' routes end to end.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <mutex>
#include <random>
#include <sstream>

#include "api/contracts/contracts.hpp"
#include "api/dialects.hpp"
#include "api/handler.hpp"
#include "api/mailer.hpp"
#include "api/routes.hpp"
#include "api/service.hpp"
#include "commands/decide.hpp"
#include "storage/memory_event_store.hpp"

#include "api/service_harness.hpp"  // tests/unit/api

using namespace almanac;
using namespace almanac::api;
namespace fs = std::filesystem;

namespace {

// A contract of this test's own: one route per caller kind.
net::awaitable<Response> whoami(Exchange& ex) {
  co_return reply(ex, http::status::ok, {{"user", ex.caller ? ex.caller->user_id : 0}});
}

constexpr RatePolicy kProbeRate{"probe-fast", {.count = 2, .window_s = 1, .burst = 1}, RateKey::kClientIp};

void add_probe_routes(Routes& routes) {
  routes.owns("/probe/");
  routes.get("/probe/anyone", whoami).anyone();
  routes.get("/probe/optional", whoami).optional_user();
  routes.get("/probe/user", whoami);
  routes.get("/probe/root", whoami).superuser();
  routes.get("/probe/users/{user_id}", whoami).self_or_superuser("user_id");
  routes.get("/probe/limited", whoami).anyone().rate(kProbeRate);
}

const Contract& probe() {
  static const PydanticV2Dialect dialect;
  static const Contract c{"probe", "test routes", dialect, add_probe_routes};
  return c;
}

// The shared service harness with the probe contract, and the calls these
// tests make.
class Harness : public testing::ServiceHarness {
 public:
  explicit Harness(ServerConfig config = {}, Mailer* mailer = nullptr)
      : ServiceHarness(std::move(config), mailer, {&probe()}) {}

  using ServiceHarness::call;
  Response call(http::verb method, std::string target, json body = nullptr,
                std::vector<std::pair<http::field, std::string>> headers = {}) {
    Request req{method, target, 11};
    for (auto& [k, v] : headers) req.set(k, v);
    if (!body.is_null()) {
      if (req[http::field::content_type].empty()) req.set(http::field::content_type, "application/json");
      req.body() = body.is_string() ? body.get<std::string>() : body.dump();
      req.prepare_payload();
    }
    return call(std::move(req));
  }

  Response get(std::string target, const std::string& token = {}) {
    if (token.empty()) return call(http::verb::get, std::move(target));
    return call(http::verb::get, std::move(target), nullptr, {{http::field::authorization, "Bearer " + token}});
  }

  std::string signed_in(const std::string& name) {
    std::string token = ServiceHarness::signed_in(name);
    REQUIRE_FALSE(token.empty());
    return token;
  }
};

// Keeps every message instead of sending it.
class RecordingMailer final : public Mailer {
 public:
  Result<std::string> send(const Mail& mail) override {
    std::lock_guard lock(mu_);
    sent_.push_back(mail);
    return std::string("the test's mailbox");
  }
  std::vector<Mail> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Mail> sent_;
};

json body_of(const Response& r) { return json::parse(r.body()); }

}  // namespace

TEST_CASE("routing: 404 in the prefix owner's shape, 405 with Allow, 307 with the slash toggled") {
  Harness h;
  Response r = h.get("/nothing/here");
  CHECK(r.result() == http::status::not_found);
  CHECK(body_of(r) == json{{"detail", "Not Found"}});
  r = h.get("/api/events/1/nope");
  CHECK(body_of(r)["detail"]["code"] == "NOT_FOUND");
  r = h.get("/api/v1/tasks/x/y");
  CHECK(body_of(r)["error"] == "not_found");
  r = h.call(http::verb::delete_, "/health/ready");
  CHECK(r.result() == http::status::method_not_allowed);
  CHECK(r[http::field::allow] == "GET");
  CHECK(body_of(r)["error"] == "method_not_allowed");
  r = h.get("/calendars?x=1");
  CHECK(r.result() == http::status::temporary_redirect);
  CHECK(r[http::field::location] == "/calendars/?x=1");
}

TEST_CASE("dispatch identifies the caller as each route declares") {
  Harness h;
  const std::string token = h.signed_in("ada");
  CHECK(body_of(h.get("/probe/anyone", token)) == json{{"user", 0}});
  CHECK(body_of(h.get("/probe/optional")) == json{{"user", 0}});
  CHECK(body_of(h.get("/probe/optional", token)) == json{{"user", 1}});
  CHECK(h.get("/probe/optional", "garbage").result() == http::status::unauthorized);
  CHECK(h.get("/probe/user").result() == http::status::unauthorized);
  CHECK(body_of(h.get("/probe/user", token)) == json{{"user", 1}});
  Response r = h.call(http::verb::get, "/probe/user", nullptr, {{http::field::authorization, "Basic abc"}});
  CHECK(r.result() == http::status::unauthorized);
  CHECK(r[http::field::www_authenticate] == "Bearer");
  // A signed-in user who is not a superuser.
  r = h.get("/probe/root", token);
  CHECK(r.result() == http::status::forbidden);
  CHECK(body_of(r) == json{{"detail", "Not enough permissions"}});
  r = h.get("/streams/all", token);
  CHECK(body_of(r) == json{{"detail", "Superuser privileges required"}});
}

TEST_CASE("a refused credential is answered in the route's dialect") {
  Harness h;
  CHECK(h.get("/users/me").result() == http::status::forbidden);
  CHECK(body_of(h.get("/users/me", "garbage")) == json{{"detail", "Could not validate credentials"}});
  CHECK(body_of(h.get("/calendars/")) == json{{"detail", "Not authenticated"}});
  CHECK(body_of(h.get("/api/v1/auth/profile/"))["error"] == "not_authenticated");
  CHECK(body_of(h.get("/api/v1/auth/profile/", "garbage"))["error"] == "token_not_valid");
  // Logged out: the session's tokens stop at once.
  const std::string token = h.signed_in("bob");
  Response r = h.call(http::verb::post, "/api/auth/logout", nullptr, {{http::field::authorization, "Bearer " + token}});
  CHECK(r.result() == http::status::no_content);
  CHECK(body_of(h.get("/calendars/", token)) == json{{"detail", "Session has ended; log in again"}});
}

TEST_CASE("reads answer from the read models with the view's version as ETag") {
  Harness h;
  const std::string token = h.signed_in("cy");
  Response r = h.get("/users/me", token);
  CHECK(r.result() == http::status::ok);
  CHECK(body_of(r)["username"] == "cy");
  // Registered, then logged in: two events on the user's stream.
  CHECK(r[http::field::etag] == "\"2\"");
  r = h.call(http::verb::post, "/calendars/", json{{"name", "Work"}, {"color", nullptr}},
             {{http::field::authorization, "Bearer " + token}});
  CHECK(r.result() == http::status::created);
  CHECK(r[http::field::etag] == "\"1\"");
  CHECK(body_of(r) == json{{"id", 1}, {"name", "Work"}, {"color", nullptr}});
  r = h.call(http::verb::put, "/calendars/1/", json{{"name", "Job"}},
             {{http::field::authorization, "Bearer " + token}, {http::field::if_match, "\"1\""}});
  CHECK(r.result() == http::status::ok);
  CHECK(r[http::field::etag] == "\"2\"");
  r = h.call(http::verb::put, "/calendars/1/", json{{"name", "Late"}},
             {{http::field::authorization, "Bearer " + token}, {http::field::if_match, "\"1\""}});
  CHECK(r.result() == http::status::precondition_failed);
}

TEST_CASE("rate limits: the headers on every answer, 429 in the route's dialect") {
  ServerConfig config;
  config.auth_per_minute = 1;
  Harness h(config);
  Response r = h.call(http::verb::post, "/users/login", json{{"username_or_email", "x"}, {"password", "whatever1"}});
  CHECK(r.result() == http::status::unauthorized);
  CHECK(r["X-RateLimit-Limit"] == "1");
  CHECK(r["X-RateLimit-Remaining"] == "0");
  r = h.call(http::verb::post, "/api/v1/auth/login/", json{{"username", "x"}, {"password", "whatever1"}});
  CHECK(r.result() == http::status::too_many_requests);
  CHECK_FALSE(r[http::field::retry_after].empty());
  CHECK(body_of(r)["error"] == "rate_limit_exceeded");
  CHECK(body_of(r)["details"]["limit"] == 1);
}

TEST_CASE("bodies: media types a route does not take are 415, every problem is listed at once") {
  Harness h;
  Response r = h.call(http::verb::post, "/users/register", std::string("username=a"),
                      {{http::field::content_type, "application/x-www-form-urlencoded"}});
  CHECK(r.result() == http::status::unsupported_media_type);
  // The document's form login takes it.
  r = h.call(http::verb::post, "/api/auth/login", std::string("username=a&password=whatever1"),
             {{http::field::content_type, "application/x-www-form-urlencoded"}});
  CHECK(r.result() == http::status::unauthorized);

  const std::string token = h.signed_in("dee");
  r = h.call(http::verb::post, "/calendars/zero/events/", json{{"title", 5}},
             {{http::field::authorization, "Bearer " + token}});
  CHECK(r.result() == http::status::unprocessable_entity);
  std::vector<json> locs;
  const json listed = body_of(r);
  for (const json& d : listed["detail"]) locs.push_back(d["loc"]);
  CHECK(locs == std::vector<json>{{"path", "calendar_id"}, {"body", "title"}, {"body", "start_time"}, {"body", "end_time"}});
  r = h.call(http::verb::post, "/calendars/", std::string("{\"name\": "), {{http::field::authorization, "Bearer " + token}});
  CHECK(body_of(r) == json{{"detail", {{{"loc", {"body"}}, {"msg", "JSON decode error"}, {"type", "json_invalid"}}}}});
}

TEST_CASE("a stopped writer is 503 in the route's dialect, never a hang") {
  Harness h;
  const std::string token = h.signed_in("eve");
  h.writer().stop();
  Response r = h.call(http::verb::post, "/calendars/", json{{"name", "Late"}}, {{http::field::authorization, "Bearer " + token}});
  CHECK(r.result() == http::status::service_unavailable);
  CHECK(body_of(r)["detail"].is_string());
}

TEST_CASE("background jobs run in order, and finish_background runs what is queued then refuses more") {
  Harness h;
  std::mutex mu;
  std::vector<int> order;
  for (int i = 0; i < 5; ++i)
    CHECK(h.service().in_background([&, i] {
      std::lock_guard lock(mu);
      order.push_back(i);
    }));
  h.service().finish_background();
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
  CHECK_FALSE(h.service().in_background([] {}));
  CHECK(h.notices().find("background work refused") != std::string::npos);
  h.service().finish_background();  // again: nothing happens
}

TEST_CASE("password reset: the same answer for every email, one mailed secret, single use, sessions end") {
  RecordingMailer mailbox;
  ServerConfig config;
  config.rate_limits = false;  // more calls of the auth routes than their limit allows
  config.reset_link_base = "https://app.example/reset?token=";
  config.reset_ttl_s = 600;
  Harness h(config, &mailbox);
  const std::string token = h.signed_in("rita");
  REQUIRE(h.get("/users/me", token).result() == http::status::ok);

  for (const char* email : {"nobody@example.com", "RITA@example.com"}) {
    Response r = h.call(http::verb::post, "/users/request-password-reset", json{{"email", email}});
    CHECK(r.result() == http::status::ok);
    CHECK(body_of(r) == json{{"message", "If a user with that email exists, a password reset link has been sent."}});
  }
  h.service().finish_background();
  std::vector<Mail> sent = mailbox.sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].to == "rita@example.com");
  const std::string base = "https://app.example/reset?token=";
  const size_t at = sent[0].text.find(base);
  REQUIRE(at != std::string::npos);
  const std::string secret = sent[0].text.substr(at + base.size(), 43);
  CHECK(sent[0].text.find("10 minutes") != std::string::npos);
  CHECK(h.notices().find("delivered to the test's mailbox") != std::string::npos);

  auto reset = [&](const std::string& s, const std::string& pw) {
    return h.call(http::verb::post, "/users/reset-password", json{{"token", s}, {"new_password", pw}});
  };
  Response r = reset("not-a-token", "brand-new-pass");
  CHECK(r.result() == http::status::bad_request);
  CHECK(body_of(r) == json{{"detail", "Invalid or expired password reset token"}});
  r = reset(secret, "short");
  CHECK(r.result() == http::status::unprocessable_entity);
  CHECK(body_of(r)["detail"][0]["loc"] == json{"body", "new_password"});
  CHECK(body_of(r)["message"] == "Validation Error");
  r = reset(secret, "brand-new-pass");
  CHECK(r.result() == http::status::ok);
  CHECK(body_of(r) == json{{"message", "Password has been reset successfully."}});
  CHECK(reset(secret, "another-pass-1").result() == http::status::bad_request);  // used
  CHECK(h.get("/users/me", token).result() == http::status::unauthorized);     // the session ended
  Response old_login = h.call(http::verb::post, "/users/login", json{{"username_or_email", "rita"}, {"password", "securepass"}});
  CHECK(old_login.result() == http::status::unauthorized);
  Response new_login =
      h.call(http::verb::post, "/users/login", json{{"username_or_email", "rita"}, {"password", "brand-new-pass"}});
  CHECK(new_login.result() == http::status::ok);
}

TEST_CASE("password reset: an expired secret is refused") {
  RecordingMailer mailbox;
  ServerConfig config;
  config.rate_limits = false;  // more calls of the auth routes than their limit allows
  config.reset_link_base = "x:";
  config.reset_ttl_s = 60;
  Harness h(config, &mailbox);
  h.signed_in("sam");
  h.call(http::verb::post, "/users/request-password-reset", json{{"email", "sam@example.com"}});
  h.service().finish_background();
  REQUIRE(mailbox.sent().size() == 1);
  const std::string text = mailbox.sent()[0].text;
  const std::string secret = text.substr(text.find("x:") + 2, 43);
  h.clock().advance(61 * 1'000'000);
  Response r = h.call(http::verb::post, "/users/reset-password", json{{"token", secret}, {"new_password", "brand-new-pass"}});
  CHECK(r.result() == http::status::bad_request);
  CHECK(body_of(r) == json{{"detail", "Invalid or expired password reset token"}});
}

TEST_CASE("self or superuser: the user the path names, or any id for a superuser") {
  Harness h;
  const std::string ada = h.signed_in("ada");   // user 1
  const std::string bea = h.signed_in("bea");   // user 2
  CHECK(body_of(h.get("/probe/users/1", ada)) == json{{"user", 1}});
  Response r = h.get("/probe/users/2", ada);
  CHECK(r.result() == http::status::forbidden);
  CHECK(body_of(r) == json{{"detail", "Not enough permissions"}});
  CHECK(h.get("/probe/users/99", ada).result() == http::status::forbidden);
  // Text that is no id is the handler's to refuse (here it is let through).
  CHECK(h.get("/probe/users/abc", ada).result() == http::status::ok);
  CHECK(h.get("/probe/users/2").result() == http::status::unauthorized);

  cmd::CommandEnvelope promote;
  promote.command = cmd::SetSuperuser{2, true};
  REQUIRE(h.writer().submit(std::move(promote)).get().status.is_ok());
  CHECK(body_of(h.get("/probe/users/1", bea)) == json{{"user", 2}});
  CHECK(body_of(h.get("/probe/users/99", bea)) == json{{"user", 2}});
}

TEST_CASE("rate policies: a route's own, a contract's, and configuration replacing one by name") {
  SECTION("a route's policy: count + burst at once, per client IP, refilled over time") {
    Harness h;
    for (int i = 0; i < 3; ++i) {
      Response r = h.get("/probe/limited");
      CHECK(r.result() == http::status::ok);
      CHECK(r["X-RateLimit-Limit"] == "3");
      CHECK(r["X-RateLimit-Remaining"] == std::to_string(2 - i));
    }
    Response r = h.get("/probe/limited");
    CHECK(r.result() == http::status::too_many_requests);
    CHECK(body_of(r) == json{{"detail", "Too many requests"}});
    CHECK(r[http::field::retry_after] == "2");
    h.clock().advance(600'000);   // 2 a second: one more after half a second
    CHECK(h.get("/probe/limited").result() == http::status::ok);
    CHECK(h.get("/probe/limited").result() == http::status::too_many_requests);
    // Other routes keep their own limits.
    CHECK(h.get("/probe/optional")["X-RateLimit-Limit"] == "100");
    CHECK(h.get("/health/live")["X-RateLimit-Limit"].empty());
  }
  SECTION("admin's routes count against its contract's policy, 10/s and a burst of 20") {
    Harness h;
    const std::string token = h.signed_in("ada");
    Response r = h.get("/api/v1/users/1", token);
    CHECK(r.result() == http::status::ok);
    CHECK(r["X-RateLimit-Limit"] == "30");
    CHECK(r["X-RateLimit-Remaining"] == "29");
    // Its authentication routes keep the authentication limit.
    r = h.call(http::verb::post, "/api/v1/auth/login", json{{"username", "ada"}, {"password", "securepass"}});
    CHECK(r["X-RateLimit-Limit"] == "5");
    for (int i = 0; i < 29; ++i) REQUIRE(h.get("/api/v1/users/1", token).result() == http::status::ok);
    r = h.get("/api/v1/users/1", token);
    CHECK(r.result() == http::status::too_many_requests);
    CHECK(body_of(r) == json{{"detail", "Too many requests"}});
  }
  SECTION("configuration replaces a policy's rule by name") {
    ServerConfig config;
    config.rate_policies["admin"] = RateRule{1, 60, 0};
    Harness h(config);
    const std::string token = h.signed_in("ada");
    CHECK(h.get("/api/v1/users/1", token)["X-RateLimit-Limit"] == "1");
    CHECK(h.get("/api/v1/users/1", token).result() == http::status::too_many_requests);
    CHECK(h.get("/probe/limited")["X-RateLimit-Limit"] == "3");
    const std::vector<std::string> names = rate_policy_names(h.service().router());
    CHECK(names == std::vector<std::string>{"admin", "probe-fast"});
  }
}

TEST_CASE("a body whose strings are not UTF-8 is refused, whatever its encoding, and writes nothing") {
  // JSON's parser checks the text; MessagePack, forms and multipart fields
  // carry any bytes, and the log must hold only text.
  Harness h;
  const std::string token = h.signed_in("uma");
  const std::string auth = "Bearer " + token;
  const uint64_t head = h.head();
  std::vector<uint8_t> packed = json::to_msgpack(json{{"title", "x"}, {"start_time", "2030-01-01T10:00:00Z"},
                                                      {"end_time", "2030-01-01T11:00:00Z"}});
  const auto at = std::find(packed.begin(), packed.end(), 'x');
  REQUIRE(at != packed.end());
  *at = 0xff;  // the title's one byte
  Response r = h.call(http::verb::post, "/api/events", std::string(packed.begin(), packed.end()),
                      {{http::field::content_type, "application/x-msgpack"}, {http::field::authorization, auth}});
  CHECK(r.result() == http::status::bad_request);
  CHECK(body_of(r)["detail"]["code"].is_string());

  r = h.call(http::verb::post, "/api/auth/login", std::string("username=uma%FF&password=securepass"),
             {{http::field::content_type, "application/x-www-form-urlencoded"}});
  CHECK(r.result() == http::status::bad_request);

  const std::string form = "--B\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\nA\xff\r\n--B--\r\n";
  r = h.call(http::verb::put, "/api/v1/auth/profile/", form,
             {{http::field::content_type, "multipart/form-data; boundary=B"}, {http::field::authorization, auth}});
  CHECK(r.result() == http::status::bad_request);
  CHECK(body_of(r)["error"].is_string());
  CHECK(h.head() == head);
}
