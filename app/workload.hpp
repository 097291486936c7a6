// A reproducible random workload of domain commands shaped like real use:
// users register once and then log in, refresh sessions, keep calendars,
// schedule and edit their own events (timed, all-day, recurring, public
// gatherings), share them, join gatherings, create and complete tasks and vote
// in the gatherings they take part in, capture inbox items. A share of commands comes from the wrong user or names
// something missing, so some are refused, as real traffic is. Used by the
// replay-equivalence tests, the CLI tests and the benchmarks.
//
// `start_us` should be the clock's time when the commands are decided: tokens
// and poll deadlines are set relative to it.
//
// Not thread-safe: one producer calls next(); observe() may be called from the
// writer's threads and is guarded internally.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/command.hpp"
#include "commands/writer.hpp"

namespace almanac::app {

class Workload {
 public:
  Workload(uint64_t seed, int64_t start_us);

  // The next command. Ids it refers to come from results seen by observe(),
  // so it stays realistic whatever share of commands is refused.
  cmd::CommandEnvelope next();

  // Records the aggregates a committed command created.
  void observe(const cmd::CommandResult& result);

 private:
  int64_t pick(const std::vector<int64_t>& ids);
  int64_t any_user();
  // Someone taking part in public event `event` (any user when none is known).
  int64_t participant_of(int64_t event);
  cmd::Command make_event_command(int64_t actor);  // with mu_ held

  std::mt19937_64 rng_;
  int64_t start_us_;
  uint64_t counter_ = 0;

  struct Owned {
    int64_t id = 0;
    int64_t owner = 0;
  };
  struct Session {
    int64_t id = 0;
    int64_t user = 0;
    std::string jti;                    // the refresh token id now valid
  };
  template <typename T>
  const T* pick_record(const std::vector<T>& v) {
    return v.empty() ? nullptr : &v[rng_() % v.size()];
  }

  std::mutex mu_;                       // guards the lists below
  std::vector<int64_t> users_, public_events_;
  std::vector<Owned> calendars_, events_, tasks_, polls_, inbox_;
  std::vector<int64_t> option_of_poll_; // first option id, parallel to polls_
  std::vector<int64_t> event_of_poll_;  // the poll's event, parallel to polls_
  // Who takes part in each public event (tasks, polls and ballots come from them).
  std::unordered_map<int64_t, std::vector<int64_t>> participants_;
  std::vector<Session> sessions_;
  std::unordered_map<int64_t, size_t> session_index_;  // session id -> index in sessions_
};

}  // namespace almanac::app
