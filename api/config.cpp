#include "api/config.hpp"

namespace almanac::api {

std::string ServerConfig::validate() const {
  if (data_dir.empty()) return "--data must name a directory";
  if (threads < 0 || threads > 256) return "--threads must be between 0 (one per core) and 256";
  if (body_limit < 1024) return "the body limit must be at least 1024 bytes";
  if (header_limit < 1024) return "the header limit must be at least 1024 bytes";
  if (read_timeout_s < 1 || idle_timeout_s < 1) return "timeouts must be at least 1 second";
  if (auth_per_minute < 1 || user_per_minute < 1) return "rate limits must allow at least 1 request per minute";
  if (access_ttl_s < 1 || refresh_ttl_s < access_ttl_s)
    return "token lifetimes must be positive, and refresh tokens must outlive access tokens";
  if (argon2_ops < 1 || argon2_mem < 8192) return "the password hashing cost is below libsodium's minimum";
  if (expand_max_days < 1 || expand_max_days > 36600)
    return "--expand-max-days must be between 1 and 36600";
  if (batch_max_events < 1 || batch_max_events > 10000)
    return "--batch-max-events must be between 1 and 10000";
  if (max_connections < 1) return "max-connections must be at least 1";
  if (max_requests_per_connection < 1) return "max-requests-per-connection must be at least 1";
  if (ws_queue_limit < 1) return "the WebSocket queue limit must be at least 1";
  if (ws_ping_interval_ms < 10 || ws_pong_timeout_ms < 10)
    return "--ws-ping-interval and --ws-pong-timeout must be at least 0.01 seconds";
  if (reset_ttl_s < 1) return "--reset-ttl must be at least 1 second";
  if (smtp_port == 0) return "--smtp-port must be a port number";
  if (mail_from.find('@') == std::string::npos) return "--mail-from must be an email address";
  for (const auto& [name, rule] : rate_policies)
    if (rule.count < 1 || rule.window_s < 1)
      return "--rate-policy " + name + ": a rule must allow at least 1 request per window of at least 1 second";
  return {};
}

}  // namespace almanac::api
