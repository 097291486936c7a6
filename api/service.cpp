#include "api/service.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <sstream>

#include "api/content.hpp"
#include "api/time_format.hpp"

namespace almanac::api {

Service::Service(ServiceDeps deps)
    : deps_(std::move(deps)),
      hasher_(deps_.config.argon2_ops, deps_.config.argon2_mem),
      limiter_(deps_.config.auth_per_minute, deps_.config.user_per_minute),
      blocking_(std::make_unique<net::thread_pool>(2)) {}

Service::~Service() { blocking_->join(); }

namespace {

void parse_query(std::string_view qs, std::vector<std::pair<std::string, std::string>>& out) {
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view pair = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view{} : qs.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    out.emplace_back(url_decode(pair.substr(0, eq)),
                     eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1)));
  }
}

std::string_view bearer_token(const Request& req) {
  std::string_view h = req[http::field::authorization];
  if (h.size() > 7 && (h.substr(0, 7) == "Bearer " || h.substr(0, 7) == "bearer ")) {
    h.remove_prefix(7);
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    return h;
  }
  return {};
}

ApiError too_many(Contract contract, const RateDecision& d, int64_t now_s) {
  ApiError e;
  e.status = http::status::too_many_requests;
  int64_t wait = std::max<int64_t>(1, d.reset_at_s - now_s);
  std::string reset_at = format_utc(d.reset_at_s * 1'000'000);
  switch (contract) {
    case Contract::kCollab:
      e.message = "Too many requests";
      e.extra = {{"reset_at", reset_at}};
      break;
    case Contract::kGather:
      e.message = "Rate limit exceeded. Try again in " + std::to_string(wait) + " seconds.";
      e.extra = {{"limit", d.limit}, {"window", "1 minute"}, {"reset_at", reset_at}};
      break;
    default:
      e.message = "Too many requests";
      break;
  }
  return e;
}

}  // namespace

Result<Principal> Service::authenticate_token(std::string_view token) {
  auto claims = deps_.tokens.verify(token, TokenClaims::kAccess, deps_.clock.now_us() / 1'000'000);
  if (!claims) return claims.status();
  auto session = deps_.models.session(claims->session_id);
  if (!session || session->user_id != claims->user_id || session->ended)
    return unauthenticated("Session has ended; log in again");
  auto user = deps_.models.user(claims->user_id);
  if (!user || user->deleted) return unauthenticated("User no longer exists");
  if (!user->is_active) return unauthenticated("Account disabled");
  return Principal{user->id, claims->session_id, user->is_superuser};
}

Result<Principal> Service::authenticate(const Exchange& ex) {
  std::string_view token = bearer_token(ex.req);
  if (token.empty()) return unauthenticated("Not authenticated");
  return authenticate_token(token);
}

cmd::CommandEnvelope Service::envelope(const Exchange& ex, cmd::Command command, int64_t actor_id) const {
  cmd::CommandEnvelope c;
  c.command = std::move(command);
  c.actor_id = actor_id;
  std::string_view request_id = ex.req["X-Request-ID"];
  c.correlation_id = request_id.empty() || request_id.size() > 128 ? random_token_id() : std::string(request_id);
  if (ex.req.method() == http::verb::post) {
    std::string_view key = ex.req["Idempotency-Key"];
    if (!key.empty() && key.size() <= 255) c.idempotency_key = std::string(key);
  }
  return c;
}

std::string etag(uint64_t version) { return "\"" + std::to_string(version) + "\""; }

Result<std::optional<uint64_t>> if_match(const Exchange& ex) {
  std::string_view v = ex.req[http::field::if_match];
  if (v.empty() || v == "*") return std::optional<uint64_t>{};
  if (v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  uint64_t n = 0;
  if (v.empty() || v.size() > 19) return invalid("If-Match must be an ETag this server sent", "If-Match");
  for (char c : v) {
    if (c < '0' || c > '9') return invalid("If-Match must be an ETag this server sent", "If-Match");
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return std::optional<uint64_t>(n);
}

net::awaitable<cmd::CommandResult> Service::submit(cmd::CommandEnvelope command) {
  // The initiation captures only a pointer to `command` (alive in this frame
  // until the writer completes): GCC 12 may destroy a temporary of a co_await
  // expression twice, so nothing owning memory may be one.
  cmd::Writer* writer = &deps_.writer;
  cmd::CommandEnvelope* pending = &command;
  auto op = net::async_initiate<decltype(net::use_awaitable), void(cmd::CommandResult)>(
      [writer, pending](auto handler) {
        auto ex = net::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        writer->submit(std::move(*pending), [h, ex](cmd::CommandResult r) {
          net::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        });
      },
      net::use_awaitable);
  co_return co_await std::move(op);
}

net::awaitable<Response> Service::dispatch(Exchange& ex, const Router::Match& match) {
  const Route& route = *match.route;
  ex.contract = route.contract;
  ex.params = match.params;
  ex.route = route.pattern;

  if (deps_.config.rate_limits && route.access != Access::kUnlimited) {
    std::string key;
    bool auth_route = route.access == Access::kAuthLimited;
    if (auth_route) {
      key = "ip:" + ex.client_ip;
    } else if (auto p = authenticate(ex); p.is_ok()) {
      key = "user:" + std::to_string(p->user_id);
    } else {
      key = "anon:" + ex.client_ip;
    }
    int64_t now = deps_.clock.now_us();
    RateDecision d = limiter_.take(key, auth_route, now);
    ex.extra_headers.emplace_back("X-RateLimit-Limit", std::to_string(d.limit));
    ex.extra_headers.emplace_back("X-RateLimit-Remaining", std::to_string(d.remaining));
    ex.extra_headers.emplace_back("X-RateLimit-Reset", std::to_string(d.reset_at_s));
    if (!d.allowed) {
      deps_.metrics.rate_limited(auth_route ? "auth" : "user");
      Response res = render_error(route.contract, ex.req, too_many(route.contract, d, now / 1'000'000));
      res.set(http::field::retry_after, std::to_string(std::max<int64_t>(1, d.reset_at_s - now / 1'000'000)));
      co_return res;
    }
  }
  co_return co_await route.handler(ex);
}

net::awaitable<Response> Service::handle(Request req, std::string client_ip) {
  const auto started = std::chrono::steady_clock::now();
  const std::string target(req.target());
  const size_t qmark = target.find('?');
  const std::string path = target.substr(0, qmark);
  const std::string raw_query = qmark == std::string::npos ? "" : target.substr(qmark + 1);

  Exchange ex{.service = *this, .req = std::move(req), .client_ip = std::move(client_ip)};
  parse_query(raw_query, ex.query);
  auto match = router_.match(ex.req.method(), path);

  Response res;
  std::string route_label;
  switch (match.kind) {
    case Router::Match::kFound: {
      route_label = match.route->pattern;
      std::exception_ptr failure;
      try {
        res = co_await dispatch(ex, match);
      } catch (...) {
        failure = std::current_exception();
      }
      if (failure) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        if (deps_.access_log) *deps_.access_log << "error: " << path << ": " << what << std::endl;
        res = render_error(match.owner, ex.req,
                           {http::status::internal_server_error, "", "Internal server error", {}, json::object()});
      }
      break;
    }
    case Router::Match::kRedirect:
      route_label = "(redirect)";
      res = make_empty(ex.req, http::status::temporary_redirect);
      res.set(http::field::location, raw_query.empty() ? match.location : match.location + "?" + raw_query);
      break;
    case Router::Match::kWrongMethod:
      route_label = "(method not allowed)";
      res = render_error(match.owner, ex.req,
                         {http::status::method_not_allowed, "", "Method Not Allowed", {}, json::object()});
      res.set(http::field::allow, match.allow);
      break;
    case Router::Match::kNotFound:
      route_label = "(not found)";
      res = render_error(match.owner, ex.req, not_found_error("Not Found"));
      break;
  }
  for (const auto& [name, value] : ex.extra_headers) res.set(name, value);
  res.keep_alive(ex.req.keep_alive());

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  deps_.metrics.observe_request(route_label, std::string(http::to_string(ex.req.method())),
                                res.result_int(), seconds);
  if (deps_.access_log) {
    std::ostringstream line;
    line << ex.client_ip << " " << http::to_string(ex.req.method()) << " " << path << " "
         << res.result_int() << " " << res.body().size() << "B " << std::fixed;
    line.precision(2);
    line << seconds * 1000 << "ms\n";
    *deps_.access_log << line.str() << std::flush;
  }
  co_return res;
}

}  // namespace almanac::api
