#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "projections/user_feed.hpp"

using namespace almanac;
using namespace almanac::test;
using proj::ReadModels;
using proj::UserFeed;

namespace {

Envelope envelope(Category c, int64_t stream, auto payload) {
  Envelope e;
  e.category = c;
  e.stream_id = stream;
  e.payload.Set(std::move(payload));
  return e;
}

ev::InboxItemCapturedT captured(int64_t owner) {
  ev::InboxItemCapturedT i;
  i.owner_id = owner;
  i.content = "idea";
  return i;
}

ev::EventUnsharedT unshared(int64_t user) {
  ev::EventUnsharedT u;
  u.user_id = user;
  return u;
}

}  // namespace

TEST_CASE("a feed starts from what the user owns or is shared, as the read models hold it") {
  ReadModels m;
  Log log(m);
  register_users(log, 3);
  log.put(Category::Event, 1, scheduled(1, 1, "mine", kT0, kT0 + kHour));
  log.put(Category::Event, 2, scheduled(2, 2, "theirs, shared", kT0, kT0 + kHour));
  log.put(Category::Event, 2, shared(1, ev::Role::Viewer));
  log.put(Category::Event, 3, scheduled(3, 2, "theirs", kT0, kT0 + kHour));
  log.put(Category::Calendar, 1, calendar(1, 1, "Work", std::nullopt));
  log.put(Category::Inbox, 1, captured(1));

  proj::FeedSeed seed = m.feed_seed(1);
  CHECK(seed.owned_events == std::vector<int64_t>{1});
  CHECK(seed.shared_events == std::vector<int64_t>{2});
  CHECK(seed.calendars == std::vector<int64_t>{1});
  CHECK(seed.inbox_items == std::vector<int64_t>{1});

  UserFeed feed(1, seed);
  CHECK(feed.following() == 4);
  CHECK(feed.admit(envelope(Category::Event, 1, ev::EventUpdatedT{})));
  CHECK(feed.admit(envelope(Category::Event, 2, ev::EventUpdatedT{})));
  CHECK_FALSE(feed.admit(envelope(Category::Event, 3, ev::EventUpdatedT{})));
  CHECK(feed.admit(envelope(Category::Calendar, 1, ev::CalendarUpdatedT{})));
  CHECK(feed.admit(envelope(Category::Inbox, 1, ev::InboxItemUpdatedT{})));
  CHECK(feed.admit(envelope(Category::User, 1, ev::UserLoggedInT{})));
  CHECK_FALSE(feed.admit(envelope(Category::User, 2, ev::UserLoggedInT{})));
  CHECK_FALSE(feed.admit(envelope(Category::Session, 1, ev::SessionEndedT{})));
}

TEST_CASE("a feed follows new aggregates, shares, unshares and deletions") {
  UserFeed feed(7, proj::FeedSeed{});
  // Someone else's event, then shared with the user: from then on it concerns them.
  CHECK_FALSE(feed.admit(envelope(Category::Event, 10, scheduled(10, 8, "x", kT0, kT0 + kHour))));
  CHECK(feed.admit(envelope(Category::Event, 10, shared(7, ev::Role::Editor))));
  CHECK(feed.admit(envelope(Category::Event, 10, ev::EventUpdatedT{})));
  // Sharing it with a third user concerns the user too; unsharing them is seen, and ends it.
  CHECK(feed.admit(envelope(Category::Event, 10, shared(9, ev::Role::Viewer))));
  CHECK(feed.admit(envelope(Category::Event, 10, unshared(7))));
  CHECK_FALSE(feed.admit(envelope(Category::Event, 10, ev::EventUpdatedT{})));

  // The user's own event: an unshare of someone else keeps it, its deletion is seen once.
  CHECK(feed.admit(envelope(Category::Event, 11, scheduled(11, 7, "own", kT0, kT0 + kHour))));
  CHECK(feed.admit(envelope(Category::Event, 11, unshared(9))));
  CHECK(feed.admit(envelope(Category::Event, 11, deleted())));
  CHECK_FALSE(feed.admit(envelope(Category::Event, 11, ev::EventUpdatedT{})));

  // A calendar and an inbox item of the user, until deleted.
  CHECK(feed.admit(envelope(Category::Calendar, 4, calendar(4, 7, "Home", std::nullopt))));
  CHECK_FALSE(feed.admit(envelope(Category::Calendar, 5, calendar(5, 8, "Other", std::nullopt))));
  CHECK(feed.admit(envelope(Category::Calendar, 4, ev::CalendarDeletedT{})));
  CHECK_FALSE(feed.admit(envelope(Category::Calendar, 4, ev::CalendarUpdatedT{})));
  CHECK(feed.admit(envelope(Category::Inbox, 3, captured(7))));
  CHECK_FALSE(feed.admit(envelope(Category::Inbox, 4, captured(8))));
  CHECK(feed.admit(envelope(Category::Inbox, 3, ev::InboxItemDeletedT{})));
  CHECK(feed.following() == 0);
}
