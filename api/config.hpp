// Server configuration: flags, then environment (ALMANAC_*), then an optional
// file (key = value lines), then these defaults.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "api/rate_limit.hpp"

namespace almanac::api {

struct ServerConfig {
  std::string data_dir = "data";
  std::string host = "127.0.0.1";
  uint16_t port = 8000;
  int threads = 0;                       // 0: one per core

  // Limits every connection lives under.
  uint64_t body_limit = 1 << 20;         // bytes; larger bodies get 413
  uint32_t header_limit = 16 << 10;      // bytes; larger headers get 431
  int read_timeout_s = 30;               // a request must arrive whole within this
  int idle_timeout_s = 75;               // a keep-alive connection idle this long is closed
  uint32_t max_requests_per_connection = 10000;   // the last one's answer says Connection: close
  // Open connections (HTTP and WebSocket) at once; one more is closed as soon as
  // it is accepted, so idle or slow clients cannot take every descriptor.
  uint32_t max_connections = 10000;

  // Rate limits (the collab document's defaults).
  bool rate_limits = true;
  uint32_t auth_per_minute = 5;          // per client IP, authentication routes
  uint32_t user_per_minute = 100;        // per user (per IP when anonymous), other routes
  // The rules of the rate policies contracts and routes declare
  // (RatePolicy), replaced by policy name: --rate-policy "admin=10/s+20".
  // A name nothing declares is refused when the server starts.
  std::map<std::string, RateRule, std::less<>> rate_policies;

  // Tokens.
  int64_t access_ttl_s = 3600;           // 1 hour
  int64_t refresh_ttl_s = 7 * 24 * 3600; // 7 days
  int64_t reset_ttl_s = 3600;            // password-reset tokens

  // Argon2id cost (libsodium's "interactive" level by default). Lowered only by
  // the benchmark flag --bench-fast-hash.
  uint64_t argon2_ops = 2;
  uint64_t argon2_mem = 64ull << 20;

  // mcal routes without a token, as one local user. Never on by default.
  bool anonymous_calendars = false;

  // mcal /events/expanded/: the longest range, in days (start_date to end_date
  // inclusive), one query may ask for; longer ranges are refused with 400.
  uint32_t expand_max_days = 366;

  // collab POST /api/events/batch: the most events one batch may hold (more: 400).
  uint32_t batch_max_events = 100;

  // WebSocket sessions: messages queued for a slow client before it is closed.
  size_t ws_queue_limit = 1024;
  // Endpoints with a JSON heartbeat (flowstate's /ws/sync): a ping every
  // interval; no pong within the timeout of an unanswered ping closes the
  // connection. Milliseconds (the settings are seconds, fractions allowed).
  int64_t ws_ping_interval_ms = 15'000;
  int64_t ws_pong_timeout_ms = 45'000;

  // Outgoing mail (password-reset links). Without an SMTP host, each message
  // is written as an .eml file into <data_dir>/outbox/ instead.
  std::string smtp_host;
  uint16_t smtp_port = 587;
  bool smtp_starttls = true;             // require STARTTLS (off: plain SMTP, e.g. a local relay)
  std::string smtp_username;             // empty: no authentication
  std::string smtp_password;
  std::string mail_from = "almanac@localhost";
  // Where the links in mail point: a reset link is this followed by the
  // token. Empty: http://<listen address>/reset-password?token=
  std::string reset_link_base;
  // WebSocket connections open at once from one client address, over every
  // WebSocket endpoint; the next one is refused (0: no limit).
  size_t ws_per_ip = 32;

  // The npm packages behind /docs and /redoc (a node_modules directory with
  // swagger-ui-dist/ and redoc/). Empty: the build's default (api/docs_pages.hpp).
  std::string web_assets;

  // Refuses contradictory or out-of-range settings with a message saying which.
  std::string validate() const;
};

}  // namespace almanac::api
