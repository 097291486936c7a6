#include "api/service.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>
#include <sstream>

#include "api/cluster.hpp"
#include "api/content.hpp"
#include "api/contract.hpp"
#include "api/dialects.hpp"
#include "api/mailer.hpp"
#include "api/ws_session.hpp"

namespace almanac::api {

Service::Service(ServiceDeps deps)
    : deps_(std::move(deps)),
      hasher_(deps_.config.argon2_ops, deps_.config.argon2_mem),
      media_(deps_.config.data_dir + "/media"),
      blocking_(std::make_unique<net::thread_pool>(2)) {
  if (deps_.mailer == nullptr) own_mailer_ = make_mailer(deps_.config);
  mailer_ = deps_.mailer != nullptr ? deps_.mailer : own_mailer_.get();
  background_ = std::thread([this] { run_background(); });
}

Service::~Service() {
  finish_background();
  blocking_->join();
}

std::string Service::origin() const {
  if (!origin_.empty()) return origin_;
  return "http://" + deps_.config.host + ":" + std::to_string(deps_.config.port);
}

void Service::notice(const std::string& line) {
  std::lock_guard lock(notice_mu_);
  std::ostream& out = deps_.notices != nullptr ? *deps_.notices : std::cerr;
  out << "almanac: " << line << std::endl;
}

bool Service::in_background(std::function<void()> job) {
  {
    std::lock_guard lock(background_mu_);
    if (!background_stopping_ && background_jobs_.size() < kMaxBackgroundJobs) {
      background_jobs_.push_back(std::move(job));
      background_cv_.notify_one();
      return true;
    }
  }
  notice("background work refused: " + std::to_string(kMaxBackgroundJobs) +
         " jobs are waiting, or the server is stopping");
  return false;
}

void Service::finish_background() {
  {
    std::lock_guard lock(background_mu_);
    background_stopping_ = true;
    background_cv_.notify_one();
  }
  if (background_.joinable()) background_.join();
}

void Service::run_background() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(background_mu_);
      background_cv_.wait(lock, [&] { return background_stopping_ || !background_jobs_.empty(); });
      if (background_jobs_.empty()) return;  // stopping, and nothing left
      job = std::move(background_jobs_.front());
      background_jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      notice(std::string("background job failed: ") + e.what());
    }
  }
}

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

// The dialect for errors of a path no contract owns (only before any
// contract is added: add_contracts() sets a fallback owner).
const Dialect& dialect_of(const Contract* owner) {
  static const PydanticV2Dialect kPlain;
  return owner ? owner->dialect : kPlain;
}

// The rate limit a route counts against: the bucket namespace (also the
// metrics label), its rule and what a bucket belongs to.
struct AppliedLimit {
  std::string_view name;
  RateRule rule;
  RateKey key;
};

std::optional<AppliedLimit> limit_of(const Route& route, const ServerConfig& config) {
  switch (route.limit) {
    case Limit::kNone: return std::nullopt;
    case Limit::kAuth: return AppliedLimit{"auth", {config.auth_per_minute, 60, 0}, RateKey::kClientIp};
    case Limit::kGeneral: break;
  }
  const RatePolicy* policy = route.rate_policy ? route.rate_policy : route.contract->rate_policy;
  if (!policy) return AppliedLimit{"user", {config.user_per_minute, 60, 0}, RateKey::kUserOrIp};
  auto configured = config.rate_policies.find(policy->name);
  return AppliedLimit{policy->name, configured != config.rate_policies.end() ? configured->second : policy->rule,
                      policy->key};
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

}  // namespace

Credentials bearer_credentials(const Request& req) {
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return {};
  std::string_view h = it->value();
  if (!iequals_prefix(h, "bearer ")) return {Credentials::kMalformed, {}};
  h.remove_prefix(7);
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  if (h.empty()) return {Credentials::kMalformed, {}};
  return {Credentials::kBearer, h};
}

Credentials ws_credentials(const Exchange& ex) {
  for (const auto& [k, v] : ex.query)
    if (k == "token") return v.empty() ? Credentials{Credentials::kMalformed, {}} : Credentials{Credentials::kBearer, v};
  return bearer_credentials(ex.req);
}

Result<Principal> Service::verify_access(std::string_view token) {
  auto claims = deps_.tokens.verify(token, TokenClaims::kAccess, deps_.clock.now_us() / 1'000'000);
  if (!claims) return claims.status();
  auto session = deps_.models.session(claims->session_id);
  if (!session || session->user_id != claims->user_id || session->ended)
    return unauthenticated("Session has ended; log in again").because(Reason::kSessionEnded);
  auto user = deps_.models.user(claims->user_id);
  if (!user || user->deleted) return unauthenticated("User no longer exists").because(Reason::kUserGone);
  if (!user->is_active) return unauthenticated("Account disabled").because(Reason::kAccountDisabled);
  return Principal{user->id, claims->session_id, user->is_superuser};
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
  auto unreadable = [] {
    return conflict("If-Match does not name a version of this resource", "If-Match").because(Reason::kStaleVersion);
  };
  uint64_t n = 0;
  if (v.empty() || v.size() > 19) return unreadable();
  for (char c : v) {
    if (c < '0' || c > '9') return unreadable();
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return std::optional<uint64_t>(n);
}

net::awaitable<void> Service::read_barrier() {
  ClusterLink* cluster = deps_.cluster;
  if (!cluster) co_return;
  auto op = net::async_initiate<decltype(net::use_awaitable), void()>(
      [cluster](auto handler) {
        auto ex = net::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        cluster->after_acknowledged_writes([h, ex] { net::post(ex, [h]() mutable { (*h)(); }); });
      },
      net::use_awaitable);
  co_await std::move(op);
}

net::awaitable<cmd::CommandResult> Service::submit(cmd::CommandEnvelope command) {
  // The initiation captures only a pointer to `command` (alive in this frame
  // until the writer completes): GCC 12 may destroy a temporary of a co_await
  // expression twice, so nothing owning memory may be one.
  cmd::CommandSink* writer = &deps_.writer;
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

net::awaitable<std::optional<ApiError>> Service::admit(Exchange& ex, const Credentials& credentials) {
  const Route& route = *ex.route;
  const Dialect& dialect = ex.dialect();

  // Credentials are read once, here, for every route that identifies its caller.
  std::optional<Result<Principal>> verified;
  if (route.caller != Caller::kAnyone && credentials.kind == Credentials::kBearer)
    verified = verify_access(credentials.token);

  std::optional<AppliedLimit> limit = deps_.config.rate_limits ? limit_of(route, deps_.config) : std::nullopt;
  if (limit) {
    std::string key(limit->name);
    if (limit->key == RateKey::kUserOrIp && verified && verified->is_ok())
      key += "|user:" + std::to_string((*verified)->user_id);
    else
      key += "|ip:" + ex.client_ip;
    const int64_t now = deps_.clock.now_us();
    RateDecision d = limiter_.take(key, limit->rule, now);
    ex.extra_headers.emplace_back("X-RateLimit-Limit", std::to_string(d.limit));
    ex.extra_headers.emplace_back("X-RateLimit-Remaining", std::to_string(d.remaining));
    ex.extra_headers.emplace_back("X-RateLimit-Reset", std::to_string(d.reset_at_s));
    if (!d.allowed) {
      deps_.metrics.rate_limited(limit->name);
      ex.extra_headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, d.reset_at_s - now / 1'000'000)));
      co_return dialect.too_many_requests(d, now / 1'000'000);
    }
  }

  if (route.caller == Caller::kAnyone) co_return std::nullopt;
  if (credentials.kind == Credentials::kNone) {
    if (route.caller == Caller::kOptionalUser) co_return std::nullopt;
    if (route.contract->anonymous) {
      std::optional<Result<Principal>> local = co_await route.contract->anonymous(*this);
      if (local && !*local) {
        const Status& why = local->status();
        co_return why.code() == Code::kUnauthenticated ? dialect.unauthenticated(AuthFailure::kRejected, why)
                                                       : dialect.domain(why);
      }
      if (local) verified = std::move(local);
    }
    if (!verified) co_return dialect.unauthenticated(AuthFailure::kMissing, Status::ok());
  }
  if (credentials.kind == Credentials::kMalformed)
    co_return dialect.unauthenticated(AuthFailure::kMalformed, Status::ok());
  if (!verified->is_ok()) co_return dialect.unauthenticated(AuthFailure::kRejected, verified->status());
  ex.caller = verified->value();
  if (route.caller == Caller::kSuperuser && !ex.caller->is_superuser)
    co_return dialect.refusal(Refusal::kSuperuserRequired);
  if (route.caller == Caller::kSelfOrSuperuser && !ex.caller->is_superuser) {
    // Someone else's id is refused here; text that is no id at all is left
    // to the handler's validation of the parameter.
    const std::string* raw = ex.params.get(route.self_param);
    const bool digits = raw && !raw->empty() && raw->size() <= 18 &&
                        raw->find_first_not_of("0123456789") == std::string::npos;
    if (digits && std::stoll(*raw) != ex.caller->user_id) co_return dialect.refusal(Refusal::kSuperuserRequired);
  }
  co_return std::nullopt;
}

void Service::record(const Exchange& ex, std::string_view path, const std::string& route_label, int status,
                     size_t body_bytes, std::chrono::steady_clock::time_point started) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  deps_.metrics.observe_request(route_label, std::string(http::to_string(ex.req.method())), status, seconds);
  if (deps_.access_log) {
    std::ostringstream line;
    line << ex.client_ip << " " << http::to_string(ex.req.method()) << " " << path << " " << status << " "
         << body_bytes << "B " << std::fixed;
    line.precision(2);
    line << seconds * 1000 << "ms\n";
    *deps_.access_log << line.str() << std::flush;
  }
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
      ex.route = match.route;
      ex.params = std::move(match.params);
      std::exception_ptr failure;
      try {
        // A follower first catches up with every acknowledged write, so that
        // a token or a write made through another node is seen here.
        if (ex.route->limit != Limit::kNone) co_await read_barrier();
        const Credentials credentials = bearer_credentials(ex.req);
        std::optional<ApiError> refused = co_await admit(ex, credentials);
        if (refused)
          res = ex.dialect().render(ex.req, *refused);
        else
          res = co_await ex.route->handler(ex);
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
        res = ex.dialect().render(ex.req, ex.dialect().refusal(Refusal::kInternal));
      }
      break;
    }
    case Router::Match::kRedirect:
      route_label = "(redirect)";
      res = make_empty(ex.req, http::status::temporary_redirect);
      res.set(http::field::location, raw_query.empty() ? match.location : match.location + "?" + raw_query);
      break;
    case Router::Match::kWrongMethod: {
      route_label = "(method not allowed)";
      const Dialect& d = dialect_of(match.owner);
      res = d.render(ex.req, d.refusal(Refusal::kMethodNotAllowed));
      res.set(http::field::allow, match.allow);
      break;
    }
    case Router::Match::kNotFound: {
      route_label = "(not found)";
      const Dialect& d = dialect_of(match.owner);
      res = d.render(ex.req, d.refusal(Refusal::kNotFound));
      break;
    }
  }
  for (const auto& [name, value] : ex.extra_headers) res.set(name, value);
  // Unavailable is temporary (no writer during a takeover, a server that is
  // stopping): say when to come back.
  if (res.result() == http::status::service_unavailable && res.find(http::field::retry_after) == res.end())
    res.set(http::field::retry_after, "1");
  res.keep_alive(ex.req.keep_alive());
  record(ex, path, route_label, res.result_int(), res.body().size(), started);
  co_return res;
}

net::awaitable<bool> Service::upgrade(Request& req, const std::string& client_ip, beast::tcp_stream& stream) {
  const auto started = std::chrono::steady_clock::now();
  const std::string target(req.target());
  const size_t qmark = target.find('?');
  const std::string path = target.substr(0, qmark);
  auto match = router_.match(http::verb::get, path);
  if (match.kind != Router::Match::kFound || !match.route->ws) co_return false;

  Exchange ex{.service = *this, .req = std::move(req), .client_ip = client_ip};
  if (qmark != std::string::npos) parse_query(std::string_view(target).substr(qmark + 1), ex.query);
  ex.route = match.route;
  ex.params = std::move(match.params);

  co_await read_barrier();
  const Credentials credentials = ws_credentials(ex);
  std::optional<ApiError> refused = co_await admit(ex, credentials);
  // The connection counts against its address's limit from here until the
  // session has ended (the slot lives in this frame).
  std::optional<ConnectionLimiter::Slot> slot;
  uint16_t close_code = ex.route->ws_refusal_close;
  if (!refused) {
    slot = connections_.acquire(ex.client_ip, deps_.config.ws_per_ip);
    if (!slot) {
      refused = ex.dialect().refusal(Refusal::kTooManyConnections,
                                     "Too many WebSocket connections from this address (at most " +
                                         std::to_string(deps_.config.ws_per_ip) + ")");
      // Endpoints that refuse by closing say "try again later" (RFC 6455 1013).
      if (close_code) close_code = kCloseTryAgainLater;
    }
  }
  WsAdmission admission;
  if (refused) {
    std::string reason = close_code ? refused->message : std::string();
    admission = WsRefusal{std::move(*refused), close_code, std::move(reason)};
  } else {
    admission = co_await ex.route->ws(ex);
  }
  const auto* refusal = std::get_if<WsRefusal>(&admission);
  const int status = refusal && refusal->close_code == 0 ? static_cast<int>(refusal->error.status) : 101;
  record(ex, path, ex.route->pattern, status, 0, started);
  auto session = run_websocket(ex, std::move(stream), std::move(admission));
  co_await std::move(session);
  co_return true;
}

Response Service::refuse(const Request& req, Refusal kind, std::string detail) {
  std::string_view target = req.target();
  std::string path(target.substr(0, target.find('?')));
  const Dialect& d = dialect_of(router_.match(req.method(), path.empty() ? "/" : path).owner);
  return d.render(req, d.refusal(kind, std::move(detail)));
}

}  // namespace almanac::api
