// UserFeed: which committed events concern one user, for a live feed of the
// user's own domain events (a WebSocket that follows them).
//
// An event concerns the user when it is on
//   - the user's own account stream (User/<user>),
//   - an event the user owns or holds an ACL role on,
//   - one of the user's calendars,
//   - one of the user's inbox items.
// Session and password-reset streams never concern a feed (their payloads
// are about credentials), nor do other aggregates.
//
// A feed is seeded with the ids the user had when it started (ReadModels::
// feed_seed) and then told every committed envelope, in log order, through
// admit(), which answers and keeps the ids up to date: a new event, calendar
// or inbox item of the user joins, as does an event shared with them; an
// unshare from a non-owner and a deletion leave, after being admitted (the
// user learns about them). So a deleted aggregate is recognised although the
// read models no longer hold it.
//
// Seed after subscribing to the committed batches: a batch applied before the
// seed may then be admitted again (joining is idempotent), and none is missed.
//
// Pure (no I/O, no lock); not thread-safe: one feed belongs to one consumer.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "events/event.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

class UserFeed {
 public:
  UserFeed(int64_t user, const FeedSeed& seed);

  // True when `e` concerns the user; updates the ids it follows.
  bool admit(const Envelope& e);

  int64_t user() const { return user_; }
  // How many aggregates the feed follows (events, calendars, inbox items).
  size_t following() const { return events_.size() + calendars_.size() + inbox_.size(); }

 private:
  int64_t user_;
  absl::flat_hash_map<int64_t, bool> events_;   // event id -> owned by the user
  absl::flat_hash_set<int64_t> calendars_;
  absl::flat_hash_set<int64_t> inbox_;
};

}  // namespace almanac::proj
