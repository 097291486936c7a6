// The polls read model: votes of gatherings with live tallies.
//
// Tallies are kept per option as ballots arrive, so a poll view costs
// O(options), not O(ballots). A user's later ballot on a multiple-choice poll
// adds the options they had not chosen yet; a single-choice poll keeps the
// first ballot (the command layer refuses a second one). Status is computed at
// query time from `now`. When an event is deleted ReadModels calls
// remove_event() so its polls go with it. Polls and the per-event sets are
// DenseMaps (dense ids); a poll's ballots are a B-tree by user. Not
// thread-safe by itself: ReadModels guards it (see read_models.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"

#include "events/event.hpp"
#include "projections/common.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

class PollsModel {
 public:
  void apply(const Envelope& e);
  // Records that the stream of record `id` is now at `version` (after every
  // event of the stream, whatever its type).
  void set_version(int64_t id, uint64_t version);
  void remove_event(int64_t event_id);

  bool exists(int64_t id) const { return polls_.contains(id); }
  // The poll as seen by `viewer` at time `now`.
  std::optional<PollView> view(int64_t id, int64_t now, int64_t viewer) const;
  // `participating`: the events of q.participant (null when there is none).
  Page<PollView> query(const PollQuery& q, const IdSet* participating = nullptr) const;
  // Polls still open whose ends_at is <= now, in ends_at order (what the
  // server must close), and the earliest ends_at of an open poll.
  std::vector<int64_t> due(int64_t now) const;
  std::optional<int64_t> next_deadline() const;

  size_t count() const { return polls_.size(); }
  size_t ballot_count() const { return ballots_; }
  uint64_t digest() const;

 private:
  struct Option {
    int64_t id = 0;
    std::string text;
    int64_t count = 0;
  };
  struct Ballot {
    std::vector<int64_t> choices;  // in the order first chosen
    int64_t voted_at = 0;          // first ballot
  };
  struct Poll {
    int64_t id = 0;
    uint64_t version = 0;
    ev::Uuid uuid;
    int64_t event_id = 0;
    int64_t creator_id = 0;
    std::string title;
    std::string description;
    std::vector<Option> options;
    std::optional<int64_t> ends_at;
    bool multiple_choice = false;
    bool closed = false;
    std::optional<int64_t> closed_at;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    int64_t total = 0;
    absl::btree_map<int64_t, Ballot> ballots;  // by user
  };

  PollView render(const Poll& p, int64_t now, int64_t viewer) const;
  static bool ended(const Poll& p, int64_t now);
  void remove(int64_t id);

  DenseMap<Poll> polls_;
  absl::btree_set<std::pair<int64_t, int64_t>> deadlines_;  // (ends_at, id) of open polls
  IdIndex by_event_;
  size_t ballots_ = 0;  // (poll, user) pairs with a ballot
};

// Tenths of a percent of count / total, rounded half away from zero; 0 when
// total is 0. Exposed for tests.
int32_t percent_tenths(int64_t count, int64_t total);

}  // namespace almanac::proj
