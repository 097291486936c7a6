// `almanac serve`: the whole server on one data directory.
#pragma once

#include <iosfwd>
#include <cstdint>
#include <map>
#include <string>

#include "api/config.hpp"

namespace almanac::app {

// Settings by name ("listen", "threads", "rate-limits", ...), as given by
// flags; serve() completes them from ALMANAC_* variables and then from the
// file named by "config" (key = value lines), flags first.
using Settings = std::map<std::string, std::string>;

// Builds the configuration from settings, environment and file. An error
// message (naming the setting and what is expected) when a value is invalid.
std::string build_config(const Settings& flags, api::ServerConfig& out);

// The settings of a node of a cluster (docs/cluster.md), from the same
// sources. `log` empty: a node on its own, on its data directory.
struct ClusterSettings {
  std::string log;             // --log / ALMANAC_LOG: the PostgreSQL log
  std::string node_id;         // --node-id (default: the advertised address)
  std::string advertise;       // --advertise HOST:PORT (default: the listening address)
  std::string secret;          // --cluster-secret: required with --log
  int64_t writer_timeout_ms = 5000;  // --writer-timeout SECONDS (may be fractional)
};
std::string build_cluster_settings(const Settings& flags, ClusterSettings& out);

// Opens, replays, listens, serves until SIGINT/SIGTERM, then shuts down
// gracefully. Returns the process exit code.
int serve(const Settings& flags, std::ostream& out, std::ostream& err);

}  // namespace almanac::app
