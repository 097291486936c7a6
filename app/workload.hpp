// A reproducible random workload of domain commands: registrations, calendars,
// events (timed, all-day, recurring, public gatherings), shares, joins, tasks,
// polls and ballots, inbox items, sessions, updates and deletions, from random
// actors — so a good share is refused, as real traffic would be. Used by the
// replay-equivalence tests, the CLI tests and the benchmarks.
//
// Not thread-safe: one producer calls next(); observe() may be called from the
// writer thread and is guarded internally.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <vector>

#include "commands/command.hpp"
#include "commands/writer.hpp"

namespace almanac::app {

class Workload {
 public:
  explicit Workload(uint64_t seed, int64_t start_us = 1'700'000'000'000'000);

  // The next command. Ids it refers to come from results seen by observe(),
  // so it stays realistic whatever share of commands is refused.
  cmd::CommandEnvelope next();

  // Records the aggregates a committed command created.
  void observe(const cmd::CommandResult& result);

 private:
  int64_t pick(const std::vector<int64_t>& ids);
  int64_t any_user();
  cmd::Command make_event_command(int64_t actor);  // with mu_ held

  std::mt19937_64 rng_;
  int64_t start_us_;
  uint64_t counter_ = 0;

  std::mutex mu_;                       // guards the id lists below
  std::vector<int64_t> users_, calendars_, events_, public_events_, tasks_, polls_,
      inbox_, sessions_;
  std::vector<int64_t> option_of_poll_; // first option id, parallel to polls_
};

}  // namespace almanac::app
