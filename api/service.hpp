// The service: what a request meets after the socket. handle() is the whole
// HTTP pipeline as a function (route, rate-limit, authenticate, call the
// handler, render errors, count, log) that tests can call without a socket;
// the Beast sessions in server.cpp only move bytes.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "api/config.hpp"
#include "api/errors.hpp"
#include "api/hub.hpp"
#include "api/identity.hpp"
#include "api/metrics.hpp"
#include "api/rate_limit.hpp"
#include "api/router.hpp"
#include "commands/writer.hpp"
#include "events/clock.hpp"
#include "events/event_store.hpp"
#include "projections/read_models.hpp"

namespace almanac::api {

// The authenticated caller.
struct Principal {
  int64_t user_id = 0;
  int64_t session_id = 0;
  bool is_superuser = false;
};

struct ServiceDeps {
  ServerConfig config;
  cmd::Writer& writer;
  proj::ReadModels& models;
  EventStore& store;
  Clock& clock;
  TokenService& tokens;
  Hub& hub;
  Metrics& metrics;
  std::ostream* access_log = nullptr;     // one line per request when set
  std::string store_description;          // e.g. "RocksDB 7.8.3", for /health/status
  double replay_seconds = 0;              // how the start-up replay went, for /metrics
  uint64_t replay_events = 0;
};

class Service {
 public:
  explicit Service(ServiceDeps deps);
  ~Service();

  Router& router() { return router_; }
  const ServerConfig& config() const { return deps_.config; }
  proj::ReadModels& models() { return deps_.models; }
  EventStore& store() { return deps_.store; }
  Clock& clock() { return deps_.clock; }
  TokenService& tokens() { return deps_.tokens; }
  Hub& hub() { return deps_.hub; }
  Metrics& metrics() { return deps_.metrics; }
  cmd::Writer& writer() { return deps_.writer; }
  double replay_seconds() const { return deps_.replay_seconds; }
  uint64_t replay_events() const { return deps_.replay_events; }
  const std::string& store_description() const { return deps_.store_description; }
  const PasswordHasher& hasher() const { return hasher_; }
  RateLimiter& rate_limiter() { return limiter_; }

  // The whole pipeline for one request from `client_ip`.
  net::awaitable<Response> handle(Request req, std::string client_ip);

  // Submits a command to the single writer and resumes when it is durable
  // (or refused), on the calling coroutine's executor.
  net::awaitable<cmd::CommandResult> submit(cmd::CommandEnvelope command);

  // Runs `fn` on the blocking pool (password hashing) and resumes with its result.
  template <typename Fn>
  net::awaitable<std::invoke_result_t<Fn>> run_blocking(Fn fn);

  // A command from this request: the actor, a correlation id (the client's
  // X-Request-ID when given, else a fresh one) and, on POST, the client's
  // Idempotency-Key (a repeated key for the same actor returns the first
  // result and appends nothing).
  cmd::CommandEnvelope envelope(const Exchange& ex, cmd::Command command, int64_t actor_id) const;

  // Verifies a bearer access token: signature, expiry, live session, active user.
  Result<Principal> authenticate_token(std::string_view token);
  // The request's "Authorization: Bearer ..." token; Unauthenticated with
  // "Not authenticated" when the header is missing.
  Result<Principal> authenticate(const Exchange& ex);

 private:
  net::awaitable<Response> dispatch(Exchange& ex, const Router::Match& match);

  ServiceDeps deps_;
  Router router_;
  PasswordHasher hasher_;
  RateLimiter limiter_;
  std::unique_ptr<net::thread_pool> blocking_;
};

// ETag of a single resource: its stream version, quoted ("\"3\"").
std::string etag(uint64_t version);
// The version named by If-Match ("3", "\"3\"" or W/"3"); nullopt when the
// header is absent or "*"; InvalidArgument when it cannot be read. A stale
// one makes the command a Conflict, which handlers answer with 412.
Result<std::optional<uint64_t>> if_match(const Exchange& ex);

}  // namespace almanac::api

#include "api/service_inl.hpp"
