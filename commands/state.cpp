#include "commands/state.hpp"

#include <algorithm>
#include <cctype>

namespace almanac::cmd {

namespace {

// FNV-1a over typed, length-prefixed fields: one record's digest.
class Digest {
 public:
  Digest& add(uint64_t v) {
    for (int i = 0; i < 8; ++i) byte(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Digest& add(int64_t v) { return add(static_cast<uint64_t>(v)); }
  Digest& add(int32_t v) { return add(static_cast<uint64_t>(static_cast<int64_t>(v))); }
  Digest& add(bool v) { return add(static_cast<uint64_t>(v ? 1 : 0)); }
  Digest& add(const std::string& s) {
    add(static_cast<uint64_t>(s.size()));
    for (char ch : s) byte(static_cast<uint8_t>(ch));
    return *this;
  }
  template <typename E>
    requires std::is_enum_v<E>
  Digest& add(E e) {
    return add(static_cast<uint64_t>(e));
  }
  uint64_t value() const { return h_; }

 private:
  void byte(uint8_t b) {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

// splitmix64 finaliser: spreads a record digest before it is summed, so the
// order-independent sum still reacts to every bit of every record.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

char fold(char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; }

}  // namespace

size_t FoldedHash::operator()(std::string_view s) const noexcept {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char ch : s) {
    h ^= static_cast<uint8_t>(fold(ch));
    h *= 0x100000001b3ULL;
  }
  return static_cast<size_t>(mix(h ^ s.size()));
}

bool FoldedEq::operator()(std::string_view a, std::string_view b) const noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

std::string lower_ascii(std::string s) {
  for (char& ch : s) ch = fold(ch);
  return s;
}

uint64_t WriteState::version(StreamId stream) const {
  switch (stream.category) {
    case Category::User: return users.version(stream.id);
    case Category::Session: return sessions.version(stream.id);
    case Category::PasswordReset: return password_resets.version(stream.id);
    case Category::Calendar: return calendars.version(stream.id);
    case Category::Event: return events.version(stream.id);
    case Category::Task: return tasks.version(stream.id);
    case Category::Poll: return polls.version(stream.id);
    case Category::Inbox: return inbox_items.version(stream.id);
    case Category::Notification: return notification_streams.version(stream.id);
    default: {
      auto it = other_versions.find(stream);
      return it == other_versions.end() ? 0 : it->second;
    }
  }
}

uint64_t& WriteState::version_slot(StreamId stream) {
  switch (stream.category) {
    case Category::User: return users.version_of(stream.id);
    case Category::Session: return sessions.version_of(stream.id);
    case Category::PasswordReset: return password_resets.version_of(stream.id);
    case Category::Calendar: return calendars.version_of(stream.id);
    case Category::Event: return events.version_of(stream.id);
    case Category::Task: return tasks.version_of(stream.id);
    case Category::Poll: return polls.version_of(stream.id);
    case Category::Inbox: return inbox_items.version_of(stream.id);
    case Category::Notification: return notification_streams.version_of(stream.id);
    default: return other_versions[stream];
  }
}

int64_t WriteState::next_id(Category category) const {
  return max_ids[static_cast<size_t>(category)] + 1;
}

size_t WriteState::count(Category category) const {
  return stream_counts[static_cast<size_t>(category)];
}

const UserState* WriteState::user(int64_t id) const { return users.find(id); }
const SessionState* WriteState::session(int64_t id) const { return sessions.find(id); }
const PasswordResetState* WriteState::password_reset(int64_t id) const {
  return password_resets.find(id);
}
const CalendarState* WriteState::calendar(int64_t id) const { return calendars.find(id); }
const EventState* WriteState::event(int64_t id) const { return events.find(id); }
const TaskState* WriteState::task(int64_t id) const { return tasks.find(id); }
const PollState* WriteState::poll(int64_t id) const { return polls.find(id); }
const InboxState* WriteState::inbox_item(int64_t id) const { return inbox_items.find(id); }

int64_t WriteState::user_by_username(const std::string& username) const {
  auto it = username_index.find(username);
  return it == username_index.end() ? 0 : it->second;
}

int64_t WriteState::user_by_email(const std::string& email) const {
  auto it = email_index.find(std::string_view(email));
  return it == email_index.end() ? 0 : it->second;
}

int64_t WriteState::reset_by_token(const std::string& token_hash) const {
  auto it = reset_index.find(token_hash);
  return it == reset_index.end() ? 0 : it->second;
}

int64_t WriteState::calendar_by_name(int64_t owner, const std::string& name) const {
  auto it = calendar_names.find(std::pair<int64_t, std::string_view>(owner, name));
  return it == calendar_names.end() ? 0 : it->second;
}

bool WriteState::is_superuser(int64_t user_id) const {
  const UserState* u = user(user_id);
  return u && !u->deleted && u->superuser;
}

std::vector<int64_t> WriteState::overlapping(int64_t owner, int64_t start, int64_t end,
                                             int64_t except) const {
  std::vector<int64_t> out;
  const OwnerIntervals* idx = intervals.find(owner);
  if (!idx) return out;
  // An indexed event b with b.end > start has b.start >= b.end - longest >
  // start - longest, so nothing before that bound can overlap.
  auto from = idx->by_start.lower_bound({start - idx->longest, INT64_MIN});
  auto to = idx->by_start.lower_bound({end, INT64_MIN});
  for (auto i = from; i != to; ++i) {
    int64_t id = i->second;
    if (id == except) continue;
    const EventState* b = events.find(id);
    if (b && b->start < end && start < b->end) out.push_back(id);
  }
  return out;
}

uint64_t WriteState::checksum() const {
  uint64_t sum = 0;
  auto put = [&sum](uint64_t kind, const Digest& d) { sum += mix(d.value() ^ mix(kind)); };

  auto put_versions = [&](Category cat, const auto& table) {
    table.for_each_version(
        [&](int64_t id, uint64_t v) { put(1, Digest().add(cat).add(id).add(v)); });
  };
  put_versions(Category::User, users);
  put_versions(Category::Session, sessions);
  put_versions(Category::PasswordReset, password_resets);
  put_versions(Category::Calendar, calendars);
  put_versions(Category::Event, events);
  put_versions(Category::Task, tasks);
  put_versions(Category::Poll, polls);
  put_versions(Category::Inbox, inbox_items);
  put_versions(Category::Notification, notification_streams);
  for (const auto& [stream, v] : other_versions)
    put(1, Digest().add(stream.category).add(stream.id).add(v));
  for (size_t i = 0; i < max_ids.size(); ++i)
    put(2, Digest().add(static_cast<uint64_t>(i)).add(max_ids[i]).add(
               static_cast<uint64_t>(stream_counts[i])));
  put(3, Digest().add(options_created));

  users.for_each([&](int64_t id, const UserState& u) {
    put(10, Digest().add(id).add(u.username).add(u.email).add(u.active).add(u.superuser).add(
                u.deleted));
  });
  sessions.for_each([&](int64_t id, const SessionState& s) {
    Digest d;
    d.add(id).add(s.user_id).add(s.refresh_jti).add(s.expires_at).add(s.ended);
    for (const auto& j : s.earlier_jtis) d.add(j);
    put(11, d);
  });
  password_resets.for_each([&](int64_t id, const PasswordResetState& r) {
    put(12, Digest().add(id).add(r.user_id).add(r.token_hash).add(r.expires_at).add(r.used));
  });
  calendars.for_each([&](int64_t id, const CalendarState& cal) {
    Digest d;
    d.add(id).add(cal.owner_id).add(cal.name).add(cal.deleted);
    for (int64_t e : cal.events) d.add(e);
    put(13, d);
  });
  events.for_each([&](int64_t id, const EventState& e) {
    Digest d;
    d.add(id).add(e.owner_id).add(e.calendar_id).add(e.title).add(e.start).add(e.end);
    d.add(e.has_end).add(e.is_all_day).add(e.repeat).add(e.has_repeat_until);
    d.add(e.repeat_until_day).add(e.visibility).add(e.has_max_participants);
    d.add(e.max_participants).add(e.deleted);
    for (const auto& [user, role] : e.acl) d.add(user).add(role);
    d.add(static_cast<uint64_t>(e.participants.size()));
    for (int64_t p : e.participants) d.add(p);
    put(14, d);
  });
  tasks.for_each([&](int64_t id, const TaskState& t) {
    put(15, Digest().add(id).add(t.event_id).add(t.creator_id).add(t.assignee_id).add(t.status));
  });
  polls.for_each([&](int64_t id, const PollState& p) {
    Digest d;
    d.add(id).add(p.event_id).add(p.creator_id).add(p.first_option_id).add(p.option_count);
    d.add(p.has_ends_at).add(p.ends_at).add(p.multiple_choice).add(p.closed);
    for (const auto& [user, opts] : p.chosen) {
      d.add(user).add(static_cast<uint64_t>(opts.size()));
      for (int64_t o : opts) d.add(o);
    }
    put(16, d);
  });
  inbox_items.for_each([&](int64_t id, const InboxState& i) {
    put(17, Digest().add(id).add(i.owner_id).add(i.deleted).add(i.scheduled));
  });

  // The indexes are derived from the records above, but they are what the
  // rules consult: a stale index entry must show as a different state.
  for (const auto& [name, id] : username_index) put(20, Digest().add(name).add(id));
  for (const auto& [email, id] : email_index) put(21, Digest().add(email).add(id));
  user_sessions.for_each([&](int64_t user, const absl::btree_set<int64_t>& ids) {
    if (ids.empty()) return;   // a user whose sessions all ended has no entry
    Digest d;
    d.add(user);
    for (int64_t s : ids) d.add(s);
    put(22, d);
  });
  for (const auto& [hash, id] : reset_index) put(23, Digest().add(hash).add(id));
  for (const auto& [key, id] : calendar_names)
    put(24, Digest().add(key.first).add(key.second).add(id));
  intervals.for_each([&](int64_t owner, const OwnerIntervals& idx) {
    Digest d;
    d.add(owner).add(idx.longest);
    for (const auto& [start, id] : idx.by_start) d.add(start).add(id);
    put(25, d);
  });
  return sum;
}

}  // namespace almanac::cmd
