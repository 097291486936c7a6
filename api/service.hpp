// The service: what a request meets after the socket. handle() is the whole
// HTTP pipeline as a function (route, identify the caller, rate-limit, call
// the handler, render refusals in the route's dialect, count, log) that
// tests can call without a socket; upgrade() is the same pipeline for
// WebSocket upgrades. The Beast sessions in server.cpp only move bytes.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "api/config.hpp"
#include "api/dialect.hpp"
#include "api/hub.hpp"
#include "api/identity.hpp"
#include "api/media.hpp"
#include "api/metrics.hpp"
#include "api/rate_limit.hpp"
#include "api/router.hpp"
#include "commands/command_sink.hpp"
#include "commands/writer.hpp"
#include "events/clock.hpp"
#include "events/event_store.hpp"
#include "projections/read_models.hpp"

namespace almanac::api {

class ClusterLink;
class Mailer;

struct ServiceDeps {
  ServerConfig config;
  // Where commands go: this node's writer, or the cluster (app/cluster.hpp).
  cmd::CommandSink& writer;
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
  // Set on a node of a cluster (a log in PostgreSQL): every request that
  // reads the models first passes its read barrier, and /health/ready and
  // /metrics say its role, writer and lag.
  ClusterLink* cluster = nullptr;
  // Where mail goes; null: the one the configuration names (SMTP, else the
  // outbox directory: api/mailer.hpp). Must outlive the service when given.
  Mailer* mailer = nullptr;
  // Notices of background work (where mail went); null: standard error.
  std::ostream* notices = nullptr;
};

// The credentials a request carries.
struct Credentials {
  enum Kind { kNone, kMalformed, kBearer } kind = kNone;
  std::string_view token;   // kBearer: the token (a view into the request)
};

// "Authorization: Bearer <token>" (the scheme in any case); kMalformed for
// another scheme or an empty token.
Credentials bearer_credentials(const Request& req);
// A WebSocket upgrade's: "?token=...", else the Authorization header.
Credentials ws_credentials(const Exchange& ex);

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
  cmd::CommandSink& writer() { return deps_.writer; }
  ClusterLink* cluster() const { return deps_.cluster; }
  double replay_seconds() const { return deps_.replay_seconds; }
  uint64_t replay_events() const { return deps_.replay_events; }
  const std::string& store_description() const { return deps_.store_description; }
  const PasswordHasher& hasher() const { return hasher_; }
  // Uploaded files, under <data dir>/media.
  const MediaStore& media() const { return media_; }
  RateLimiter& rate_limiter() { return limiter_; }
  Mailer& mailer() { return *mailer_; }
  // The server's own URL ("http://127.0.0.1:8000"), the default base of links
  // in mail: set once the listener is bound (the port may have been 0), before
  // serving starts; "http://host:port" of the configuration until then.
  std::string origin() const;
  void set_origin(std::string origin) { origin_ = std::move(origin); }
  // One line for the operator (the server's standard error unless the
  // deps name another stream). Thread-safe.
  void notice(const std::string& line);

  // Runs `job` on the background thread, after the jobs queued before it:
  // work a request starts but does not wait for (recording a reset token and
  // mailing it). A job may block (a submit's future, an SMTP exchange) and
  // must not touch the request. False, and the job is dropped with a notice,
  // when kMaxBackgroundJobs are already waiting. Jobs still queued when the
  // service is destroyed run first. Thread-safe.
  bool in_background(std::function<void()> job);
  static constexpr size_t kMaxBackgroundJobs = 1024;
  // Runs the jobs still queued and ends the background thread; in_background()
  // refuses jobs from then on. For a clean stop: call it before the writer
  // stops, so that the jobs' commands are still taken. Idempotent.
  void finish_background();
  ConnectionLimiter& connections() { return connections_; }

  // The whole pipeline for one request from `client_ip`.
  net::awaitable<Response> handle(Request req, std::string client_ip);

  // A WebSocket upgrade request. When a WebSocket route matches its path,
  // takes `req` and the connection and returns true once the connection has
  // ended (refused, or closed); returns false, touching neither, when none
  // does (answer it with handle()).
  net::awaitable<bool> upgrade(Request& req, const std::string& client_ip, beast::tcp_stream& stream);

  // A refusal of the connection layer (a request over the limits, or one
  // the parser could not read) in the shape of the contract owning `target`.
  Response refuse(const Request& req, Refusal kind, std::string detail);

  // Submits a command to the single writer and resumes when it is durable
  // (or refused), on the calling coroutine's executor.
  net::awaitable<cmd::CommandResult> submit(cmd::CommandEnvelope command);

  // Runs `fn` on the blocking pool (password hashing, reads of the log) and
  // resumes with its result.
  template <typename Fn>
  net::awaitable<std::invoke_result_t<Fn>> run_blocking(Fn fn);

  // A command from this request: the actor, a correlation id (the client's
  // X-Request-ID when given, else a fresh one) and, on POST, the client's
  // Idempotency-Key (a repeated key for the same actor returns the first
  // result and appends nothing).
  cmd::CommandEnvelope envelope(const Exchange& ex, cmd::Command command, int64_t actor_id) const;

  // Verifies an access token: signature, expiry, live session, active user.
  // Unauthenticated with the reason otherwise.
  Result<Principal> verify_access(std::string_view token);

 private:
  // Identifies the caller as the route declares and applies its rate limit:
  // the refusal, or nullopt when the handler may run.
  net::awaitable<std::optional<ApiError>> admit(Exchange& ex, const Credentials& credentials);
  // On a cluster follower: resumes once the read models hold every write
  // acknowledged anywhere before the call (api/cluster.hpp). At once otherwise.
  net::awaitable<void> read_barrier();
  // Counts and logs one answered request.
  void record(const Exchange& ex, std::string_view path, const std::string& route_label, int status,
              size_t body_bytes, std::chrono::steady_clock::time_point started);

  void run_background();

  ServiceDeps deps_;
  Router router_;
  PasswordHasher hasher_;
  RateLimiter limiter_;
  ConnectionLimiter connections_;   // open WebSocket connections per client address
  MediaStore media_;
  std::unique_ptr<net::thread_pool> blocking_;
  std::string origin_;                   // set before serving starts; read-only after
  std::unique_ptr<Mailer> own_mailer_;   // when the deps name none
  Mailer* mailer_ = nullptr;
  std::mutex notice_mu_;                 // one notice line at a time
  std::mutex background_mu_;
  std::condition_variable background_cv_;
  std::deque<std::function<void()>> background_jobs_;  // guarded by background_mu_
  bool background_stopping_ = false;                   // guarded by background_mu_
  std::thread background_;
};

// ETag of a single resource: its stream version, quoted ("\"3\"").
std::string etag(uint64_t version);
// The version named by If-Match ("3", "\"3\"" or W/"3"); nullopt when the
// header is absent or "*". A header that names no version this server sent
// is a Conflict with Reason::kStaleVersion (it cannot match), as a stale one
// is once the command is decided.
Result<std::optional<uint64_t>> if_match(const Exchange& ex);

}  // namespace almanac::api

#include "api/service_inl.hpp"
