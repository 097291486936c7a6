// Builds envelopes by hand for the read-model tests: positions from 1,
// per-stream versions, recorded_at advancing one second per event unless set.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "events/event.hpp"
#include "events/time.hpp"
#include "projections/read_models.hpp"

namespace almanac::test {

inline constexpr int64_t kSecond = 1'000'000;
inline constexpr int64_t kHour = 3600 * kSecond;
inline constexpr int64_t kDay = kMicrosPerDay;
inline constexpr int64_t kT0 = 1'710'892'800'000'000;  // 2024-03-20T00:00:00Z

inline ev::Uuid uuid_of(uint64_t n) { return ev::Uuid(0xA1A1, n); }

class Log {
 public:
  explicit Log(proj::ReadModels& models) : models_(models) {}

  // recorded_at of the next event; later ones follow one second apart.
  Log& at(int64_t t) {
    now_ = t;
    return *this;
  }

  // Queues one envelope for the next commit().
  template <typename T>
  Log& add(Category c, int64_t stream, T payload, int64_t actor = 0) {
    Envelope e;
    e.position = ++position_;
    e.category = c;
    e.stream_id = stream;
    e.version = ++versions_[{static_cast<int>(c), stream}];
    e.recorded_at = now_;
    now_ += kSecond;
    e.actor_id = actor;
    e.payload.Set(std::move(payload));
    batch_.push_back(std::move(e));
    return *this;
  }

  // Applies the queued envelopes as one batch.
  void commit() {
    models_.apply_batch(batch_);
    batch_.clear();
  }

  // add() then commit().
  template <typename T>
  Log& put(Category c, int64_t stream, T payload, int64_t actor = 0) {
    add(c, stream, std::move(payload), actor);
    commit();
    return *this;
  }

  uint64_t position() const { return position_; }
  int64_t now() const { return now_; }

 private:
  proj::ReadModels& models_;
  std::vector<Envelope> batch_;
  std::map<std::pair<int, int64_t>, uint64_t> versions_;
  uint64_t position_ = 0;
  int64_t now_ = kT0;
};

inline ev::UserRegisteredT registered(int64_t id, std::string username, std::string email) {
  ev::UserRegisteredT u;
  u.uuid = uuid_of(1000 + static_cast<uint64_t>(id));
  u.username = std::move(username);
  u.email = std::move(email);
  u.password_hash = "$argon2id$v=19$hash-" + std::to_string(id);
  return u;
}

inline ev::EventScheduledT scheduled(int64_t id, int64_t owner, std::string title, int64_t start,
                                     int64_t end) {
  ev::EventScheduledT s;
  s.uuid = uuid_of(5000 + static_cast<uint64_t>(id));
  s.owner_id = owner;
  s.title = std::move(title);
  s.start = start;
  s.end = end;
  s.fields = event_field::kTitle | event_field::kStart | event_field::kEnd;
  return s;
}

inline ev::EventSharedT shared(int64_t user, ev::Role role) {
  ev::EventSharedT s;
  s.user_id = user;
  s.role = role;
  return s;
}

inline ev::ParticipantJoinedT joined(int64_t user) {
  ev::ParticipantJoinedT j;
  j.user_id = user;
  return j;
}

inline ev::ParticipantLeftT left(int64_t user) {
  ev::ParticipantLeftT l;
  l.user_id = user;
  return l;
}

inline ev::EventDeletedT deleted(bool with_calendar = false) {
  ev::EventDeletedT d;
  d.with_calendar = with_calendar;
  return d;
}

inline ev::CalendarCreatedT calendar(int64_t id, int64_t owner, std::string name,
                                     std::optional<std::string> color) {
  ev::CalendarCreatedT c;
  c.uuid = uuid_of(3000 + static_cast<uint64_t>(id));
  c.owner_id = owner;
  c.name = std::move(name);
  c.has_color = color.has_value();
  c.color = color.value_or("");
  return c;
}

inline ev::TaskCreatedT task(int64_t id, int64_t event, int64_t creator, std::string title) {
  ev::TaskCreatedT t;
  t.uuid = uuid_of(7000 + static_cast<uint64_t>(id));
  t.event_id = event;
  t.creator_id = creator;
  t.title = std::move(title);
  t.fields = task_field::kTitle;
  return t;
}

inline ev::PollCreatedT poll(int64_t id, int64_t event, int64_t creator, std::string title,
                             std::vector<std::string> options, int64_t first_option_id) {
  ev::PollCreatedT p;
  p.uuid = uuid_of(9000 + static_cast<uint64_t>(id));
  p.event_id = event;
  p.creator_id = creator;
  p.title = std::move(title);
  p.option_texts = std::move(options);
  p.first_option_id = first_option_id;
  return p;
}

inline ev::BallotCastT ballot(int64_t user, std::vector<int64_t> options) {
  ev::BallotCastT b;
  b.user_id = user;
  b.option_ids = std::move(options);
  return b;
}

// Registers users 1..n named u1..un.
inline void register_users(Log& log, int n) {
  for (int i = 1; i <= n; ++i) {
    log.add(Category::User, i,
            registered(i, "u" + std::to_string(i), "u" + std::to_string(i) + "@example.com"));
  }
  log.commit();
}

}  // namespace almanac::test
