// The `almanac` command line: serve, log, replay, verify, backup, users.
// run_cli() is the whole program minus the process entry point, so tests can
// drive it with argument vectors and capture its output.
#pragma once

#include <iosfwd>

namespace almanac::app {

// Parses `argv` and runs the chosen command. Normal output goes to `out`,
// progress and errors to `err`. Returns the process exit code.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace almanac::app
