// `almanac serve`: the whole server on one data directory.
#pragma once

#include <iosfwd>
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

// Opens, replays, listens, serves until SIGINT/SIGTERM, then shuts down
// gracefully. Returns the process exit code.
int serve(const Settings& flags, std::ostream& out, std::ostream& err);

}  // namespace almanac::app
