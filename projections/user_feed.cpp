#include "projections/user_feed.hpp"

namespace almanac::proj {

using ev::Payload;

UserFeed::UserFeed(int64_t user, const FeedSeed& seed) : user_(user) {
  for (int64_t id : seed.shared_events) events_.insert_or_assign(id, false);
  for (int64_t id : seed.owned_events) events_.insert_or_assign(id, true);
  calendars_.insert(seed.calendars.begin(), seed.calendars.end());
  inbox_.insert(seed.inbox_items.begin(), seed.inbox_items.end());
}

bool UserFeed::admit(const Envelope& e) {
  const int64_t id = e.stream_id;
  const Payload type = e.payload.type;
  switch (e.category) {
    case Category::User:
      return id == user_;

    case Category::Event: {
      if (type == Payload::EventScheduled) {
        if (e.payload.AsEventScheduled()->owner_id != user_) return false;
        events_.insert_or_assign(id, true);
        return true;
      }
      if (type == Payload::EventShared && e.payload.AsEventShared()->user_id == user_) {
        events_.try_emplace(id, false);
        return true;
      }
      auto it = events_.find(id);
      if (it == events_.end()) return false;
      if (type == Payload::EventDeleted ||
          (type == Payload::EventUnshared && e.payload.AsEventUnshared()->user_id == user_ && !it->second))
        events_.erase(it);
      return true;
    }

    case Category::Calendar:
      if (type == Payload::CalendarCreated) {
        if (e.payload.AsCalendarCreated()->owner_id != user_) return false;
        calendars_.insert(id);
        return true;
      }
      if (!calendars_.contains(id)) return false;
      if (type == Payload::CalendarDeleted) calendars_.erase(id);
      return true;

    case Category::Inbox:
      if (type == Payload::InboxItemCaptured) {
        if (e.payload.AsInboxItemCaptured()->owner_id != user_) return false;
        inbox_.insert(id);
        return true;
      }
      if (!inbox_.contains(id)) return false;
      if (type == Payload::InboxItemDeleted) inbox_.erase(id);
      return true;

    default:
      return false;
  }
}

}  // namespace almanac::proj
