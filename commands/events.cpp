// Calendar events: validation and all-day normalisation, the per-owner
// half-open time-conflict rule, roles (owner / editor / viewer), sharing,
// and participation in public gatherings.
#include <algorithm>
#include <cctype>
#include <chrono>

#include <date/date.h>

#include "commands/aggregates.hpp"
#include "events/time.hpp"

namespace almanac::cmd {

namespace {

using std::chrono::microseconds;

constexpr int kMaxRepeatYears = 100;

constexpr int64_t days_from(date::year_month_day ymd) {
  return date::sys_days{ymd}.time_since_epoch().count();
}

// Years 1 to 9999, inclusive, in µs since the epoch.
constexpr int64_t kMinUs = days_from(date::year{1} / 1 / 1) * kMicrosPerDay;
constexpr int64_t kMaxUs = (days_from(date::year{9999} / 12 / 31) + 1) * kMicrosPerDay - 1;

// Days since 1970-01-01 of an instant (floor, also before the epoch).
int64_t day_of(int64_t us) {
  int64_t d = us / kMicrosPerDay;
  return (us % kMicrosPerDay < 0) ? d - 1 : d;
}

// The last day a repeat may run to: the same date 100 years after the start
// (Feb 29 maps to Feb 28 in a common year).
int64_t repeat_limit_day(int64_t start_day) {
  date::year_month_day ymd{date::sys_days{date::days{start_day}}};
  date::year_month_day later = ymd + date::years{kMaxRepeatYears};
  if (!later.ok()) later = later.year() / later.month() / date::last;
  return date::sys_days{later}.time_since_epoch().count();
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isspace(ch); });
}

// The fields the rules look at, as they will be after the command.
struct Draft {
  std::string title;
  int64_t start = 0;
  int64_t end = 0;
  bool has_end = false;
  bool is_all_day = false;
  bool has_repeat_until = false;
  int32_t repeat_until_day = 0;
  bool has_max_participants = false;
  int32_t max_participants = 0;
};

// Normalises an all-day draft and checks every field rule.
Status normalise_and_check(Draft& d) {
  if (blank(d.title)) return invalid("Title must not be empty", "title").because(Reason::kBlankTitle);
  if (d.start < kMinUs || d.start > kMaxUs)
    return invalid("start_time must be between years 1 and 9999", "start_time");
  if (d.has_end && (d.end < kMinUs || d.end > kMaxUs))
    return invalid("end_time must be between years 1 and 9999", "end_time");
  if (d.is_all_day) {
    int64_t start_day = day_of(d.start);
    int64_t end_day = d.has_end ? day_of(d.end) : start_day;
    d.start = start_day * kMicrosPerDay;
    d.end = (end_day + 1) * kMicrosPerDay - 1;
    d.has_end = true;
  }
  if (d.has_end && d.end <= d.start)
    return invalid("end_time must be after start_time", "end_time").because(Reason::kEndNotAfterStart);
  if (d.has_repeat_until) {
    int64_t start_day = day_of(d.start);
    if (d.repeat_until_day < start_day)
      return invalid("repeat_until must not be before the start date", "repeat_until");
    if (d.repeat_until_day > repeat_limit_day(start_day))
      return invalid("repeat_until must be at most 100 years after the start date",
                     "repeat_until");
  }
  if (d.has_max_participants && d.max_participants < 1)
    return invalid("max_participants must be at least 1", "max_participants");
  return Status::ok();
}

bool present(uint32_t fields, uint32_t nulls, uint32_t bit) {
  return (fields & bit) && !(nulls & bit);
}

Status time_conflict() {
  return conflict("Event time conflicts with existing events").because(Reason::kTimeConflict);
}
Status event_not_found() { return not_found("Event not found"); }
Status insufficient() { return forbidden("Insufficient permissions").because(Reason::kNotOwner); }

bool live_user(const WriteState& s, int64_t id) {
  const UserState* u = s.user(id);
  return u && !u->deleted;
}

void index_event(WriteState& s, int64_t id, const EventState& e) {
  if (e.deleted || !e.has_end) return;
  OwnerIntervals& idx = s.intervals[e.owner_id];
  idx.by_start.insert({e.start, id});
  idx.longest = std::max(idx.longest, e.end - e.start);
}

void unindex_event(WriteState& s, int64_t id, const EventState& e) {
  if (OwnerIntervals* idx = s.intervals.find(e.owner_id)) idx->by_start.erase({e.start, id});
}

}  // namespace

const EventState* visible_event(const WriteState& s, int64_t event_id, int64_t user) {
  const EventState* e = s.event(event_id);
  if (!e || e->deleted) return nullptr;
  if (e->visibility == ev::Visibility::Public) return e;
  if (user != 0 && (e->owner_id == user || e->acl.count(user))) return e;
  return nullptr;
}

bool can_edit(const EventState& e, int64_t user) {
  if (e.owner_id == user) return true;
  auto it = e.acl.find(user);
  return it != e.acl.end() && it->second != ev::Role::Viewer;
}

bool takes_part(const EventState& e, int64_t user) {
  if (e.visibility != ev::Visibility::Public) return user != 0 && (e.owner_id == user || e.acl.count(user));
  return std::find(e.participants.begin(), e.participants.end(), user) != e.participants.end();
}

Status schedule_event(Context& c, const ScheduleEvent& cmd, std::vector<Interval>& batch,
                      int64_t& event_id) {
  const ev::EventScheduledT& in = cmd.event;
  int64_t owner = in.owner_id != 0 ? in.owner_id : c.actor;
  if (owner != c.actor && c.actor != 0) return insufficient();
  if (!live_user(c.state, owner)) return not_found("User not found");

  Draft d;
  d.title = in.title;
  d.start = in.start;
  d.has_end = present(in.fields, in.nulls, event_field::kEnd);
  d.end = d.has_end ? in.end : 0;
  d.is_all_day = in.is_all_day;
  d.has_repeat_until = present(in.fields, in.nulls, event_field::kRepeatUntil);
  d.repeat_until_day = in.repeat_until_day;
  d.has_max_participants = present(in.fields, in.nulls, event_field::kMaxParticipants);
  d.max_participants = in.max_participants;
  if (Status st = normalise_and_check(d); !st) return st;

  if (in.calendar_id != 0) {
    const CalendarState* cal = c.state.calendar(in.calendar_id);
    if (!cal || cal->deleted || cal->owner_id != owner) return not_found("Calendar not found");
  }
  if (cmd.reject_conflicts && d.has_end) {
    if (!c.state.overlapping(owner, d.start, d.end).empty()) return time_conflict();
    for (const Interval& b : batch)
      if (b.owner == owner && d.start < b.end && b.start < d.end) return time_conflict();
  }

  ev::EventScheduledT out = in;
  out.uuid = c.ids.uuid();
  out.owner_id = owner;
  out.start = d.start;
  out.fields |= event_field::kTitle | event_field::kStart;
  out.nulls &= ~(event_field::kTitle | event_field::kStart);
  if (d.has_end) {
    out.end = d.end;
    out.fields |= event_field::kEnd;
    out.nulls &= ~event_field::kEnd;
    batch.push_back({owner, d.start, d.end});
  } else {
    out.end = 0;
  }
  out.nulls &= out.fields;
  const bool is_public = out.visibility == ev::Visibility::Public;
  event_id = c.out.allocate(Category::Event);
  c.out.emit({Category::Event, event_id}, std::move(out));
  // A public gathering has its owner as first participant, recorded as such.
  if (is_public) {
    ev::ParticipantJoinedT joined;
    joined.user_id = owner;
    c.out.emit({Category::Event, event_id}, std::move(joined));
  }
  return Status::ok();
}

Status decide_command(Context& c, const ScheduleEvent& cmd) {
  std::vector<Interval> batch;
  int64_t id = 0;
  return schedule_event(c, cmd, batch, id);
}

Status decide_command(Context& c, const ScheduleEvents& cmd) {
  std::vector<Interval> batch;
  for (size_t i = 0; i < cmd.events.size(); ++i) {
    int64_t id = 0;
    if (Status st = schedule_event(c, cmd.events[i], batch, id); !st) {
      // The refusal names the event of the batch: "events.<index>[.<field>]".
      std::string field = "events." + std::to_string(i) + (st.field().empty() ? "" : "." + st.field());
      return Status(st.code(), st.message(), std::move(field), st.reason());
    }
  }
  return Status::ok();
}

Status decide_command(Context& c, const UpdateEvent& cmd) {
  const EventState* cur = visible_event(c.state, cmd.event_id, c.actor);
  if (!cur) return event_not_found();
  if (!can_edit(*cur, c.actor)) return insufficient();

  const ev::EventUpdatedT& ch = cmd.changes;
  const uint32_t f = ch.fields;
  const uint32_t n = ch.nulls & f;
  Draft d;
  d.title = cur->title;
  d.start = cur->start;
  d.end = cur->end;
  d.has_end = cur->has_end;
  d.is_all_day = cur->is_all_day;
  d.has_repeat_until = cur->has_repeat_until;
  d.repeat_until_day = cur->repeat_until_day;
  d.has_max_participants = cur->has_max_participants;
  d.max_participants = cur->max_participants;
  if (f & event_field::kTitle) d.title = (n & event_field::kTitle) ? std::string() : ch.title;
  if (f & event_field::kStart) {
    if (n & event_field::kStart) return invalid("start_time must not be null", "start_time");
    d.start = ch.start;
  }
  if (f & event_field::kEnd) {
    d.has_end = !(n & event_field::kEnd);
    d.end = d.has_end ? ch.end : 0;
  }
  if (f & event_field::kAllDay) d.is_all_day = !(n & event_field::kAllDay) && ch.is_all_day;
  if (f & event_field::kRepeatUntil) {
    d.has_repeat_until = !(n & event_field::kRepeatUntil);
    d.repeat_until_day = d.has_repeat_until ? ch.repeat_until_day : 0;
  }
  if (f & event_field::kMaxParticipants) {
    d.has_max_participants = !(n & event_field::kMaxParticipants);
    d.max_participants = d.has_max_participants ? ch.max_participants : 0;
  }
  if (Status st = normalise_and_check(d); !st) return st;
  // A limit never removes anyone: it may not fall below who has joined.
  if ((f & event_field::kMaxParticipants) && d.has_max_participants &&
      static_cast<int64_t>(cur->participants.size()) > d.max_participants)
    return invalid("max_participants cannot be below the current number of participants (" +
                       std::to_string(cur->participants.size()) + ")",
                   "max_participants");
  if (cmd.reject_conflicts && d.has_end &&
      !c.state.overlapping(cur->owner_id, d.start, d.end, cmd.event_id).empty())
    return time_conflict();

  // The event records the effective change: normalisation may move start and
  // end even when the command did not name them.
  ev::EventUpdatedT out = ch;
  out.nulls &= out.fields;
  if ((f & event_field::kStart) || d.start != cur->start) {
    out.fields |= event_field::kStart;
    out.start = d.start;
  }
  if (d.has_end) {
    if ((f & event_field::kEnd) || !cur->has_end || d.end != cur->end) {
      out.fields |= event_field::kEnd;
      out.nulls &= ~event_field::kEnd;
      out.end = d.end;
    }
  } else if (cur->has_end) {
    out.fields |= event_field::kEnd;
    out.nulls |= event_field::kEnd;
    out.end = 0;
  }
  if (out.fields == 0) return Status::ok();
  const bool becomes_public = (out.fields & event_field::kVisibility) &&
                              !(out.nulls & event_field::kVisibility) &&
                              out.visibility == ev::Visibility::Public;
  c.out.emit({Category::Event, cmd.event_id}, std::move(out));
  const auto& ps = cur->participants;
  if (becomes_public && std::find(ps.begin(), ps.end(), cur->owner_id) == ps.end()) {
    ev::ParticipantJoinedT joined;
    joined.user_id = cur->owner_id;
    c.out.emit({Category::Event, cmd.event_id}, std::move(joined));
  }
  return Status::ok();
}

Status decide_command(Context& c, const DeleteEvent& cmd) {
  const EventState* e = visible_event(c.state, cmd.event_id, c.actor);
  if (!e) return event_not_found();
  if (e->owner_id != c.actor) return insufficient();
  c.out.emit({Category::Event, cmd.event_id}, ev::EventDeletedT{});
  return Status::ok();
}

Status decide_command(Context& c, const ShareEvent& cmd) {
  const EventState* e = visible_event(c.state, cmd.event_id, c.actor);
  if (!e) return event_not_found();
  if (e->owner_id != c.actor) return insufficient();
  if (!live_user(c.state, cmd.user_id)) return not_found("User not found");
  if (cmd.user_id == e->owner_id)
    return invalid("The owner's role cannot be changed", "user_id");
  if (cmd.role != ev::Role::Viewer && cmd.role != ev::Role::Editor)
    return invalid("Role must be VIEWER or EDITOR", "role");
  ev::EventSharedT out;
  out.user_id = cmd.user_id;
  out.role = cmd.role;
  c.out.emit({Category::Event, cmd.event_id}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const UnshareEvent& cmd) {
  const EventState* e = visible_event(c.state, cmd.event_id, c.actor);
  if (!e) return event_not_found();
  if (e->owner_id != c.actor) return insufficient();
  if (cmd.user_id == e->owner_id)
    return invalid("The owner's role cannot be changed", "user_id");
  if (!e->acl.count(cmd.user_id)) return not_found("User has no access to this event");
  ev::EventUnsharedT out;
  out.user_id = cmd.user_id;
  c.out.emit({Category::Event, cmd.event_id}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const JoinEvent& cmd) {
  if (!live_user(c.state, c.actor)) return unauthenticated("Not authenticated");
  const EventState* e = visible_event(c.state, cmd.event_id, c.actor);
  if (!e) return event_not_found();
  if (e->visibility != ev::Visibility::Public)
    return forbidden("Only public events can be joined").because(Reason::kNotPublic);
  const auto& ps = e->participants;
  if (std::find(ps.begin(), ps.end(), c.actor) != ps.end())
    return failed_precondition("Already a participant").because(Reason::kAlreadyParticipant);
  if (e->has_max_participants && static_cast<int64_t>(ps.size()) >= e->max_participants)
    return failed_precondition("Event is full").because(Reason::kEventFull);
  ev::ParticipantJoinedT out;
  out.user_id = c.actor;
  c.out.emit({Category::Event, cmd.event_id}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const LeaveEvent& cmd) {
  const EventState* e = visible_event(c.state, cmd.event_id, c.actor);
  if (!e) return event_not_found();
  if (e->owner_id == c.actor) return forbidden("Event creator cannot leave").because(Reason::kCreatorCannotLeave);
  const auto& ps = e->participants;
  if (std::find(ps.begin(), ps.end(), c.actor) == ps.end())
    return failed_precondition("Not a participant").because(Reason::kNotParticipant);
  ev::ParticipantLeftT out;
  out.user_id = c.actor;
  c.out.emit({Category::Event, cmd.event_id}, std::move(out));
  return Status::ok();
}

void apply_event(WriteState& s, const Envelope& env) {
  int64_t id = env.stream_id;
  switch (env.payload.type) {
    case ev::Payload::EventScheduled: {
      const auto* p = env.payload.AsEventScheduled();
      EventState& e = s.events[id];
      e.owner_id = p->owner_id;
      e.calendar_id = p->calendar_id;
      e.title = p->title;
      e.start = p->start;
      e.has_end = present(p->fields, p->nulls, event_field::kEnd);
      e.end = e.has_end ? p->end : 0;
      e.is_all_day = p->is_all_day;
      e.repeat = p->repeat;
      e.has_repeat_until = present(p->fields, p->nulls, event_field::kRepeatUntil);
      e.repeat_until_day = e.has_repeat_until ? p->repeat_until_day : 0;
      e.visibility = p->visibility;
      e.has_max_participants = present(p->fields, p->nulls, event_field::kMaxParticipants);
      e.max_participants = e.has_max_participants ? p->max_participants : 0;
      e.acl[e.owner_id] = ev::Role::Owner;
      if (e.calendar_id != 0) s.calendars[e.calendar_id].events.insert(id);
      index_event(s, id, e);
      break;
    }
    case ev::Payload::EventUpdated: {
      const auto* p = env.payload.AsEventUpdated();
      EventState& e = s.events[id];
      const bool was_indexed = !e.deleted && e.has_end;
      const int64_t old_start = e.start;
      const uint32_t f = p->fields;
      const uint32_t n = p->nulls & f;
      if (f & event_field::kTitle) e.title = (n & event_field::kTitle) ? std::string() : p->title;
      if (f & event_field::kStart) e.start = p->start;
      if (f & event_field::kEnd) {
        e.has_end = !(n & event_field::kEnd);
        e.end = e.has_end ? p->end : 0;
      }
      if (f & event_field::kAllDay) e.is_all_day = !(n & event_field::kAllDay) && p->is_all_day;
      if (f & event_field::kRepeat)
        e.repeat = (n & event_field::kRepeat) ? ev::RepeatFrequency::None : p->repeat;
      if (f & event_field::kRepeatUntil) {
        e.has_repeat_until = !(n & event_field::kRepeatUntil);
        e.repeat_until_day = e.has_repeat_until ? p->repeat_until_day : 0;
      }
      if (f & event_field::kMaxParticipants) {
        e.has_max_participants = !(n & event_field::kMaxParticipants);
        e.max_participants = e.has_max_participants ? p->max_participants : 0;
      }
      if ((f & event_field::kVisibility) && !(n & event_field::kVisibility))
        e.visibility = p->visibility;
      // The index key is (start, id): when it stays, only `longest` may grow.
      if (was_indexed && e.has_end && e.start == old_start) {
        OwnerIntervals& idx = s.intervals[e.owner_id];
        idx.longest = std::max(idx.longest, e.end - e.start);
      } else {
        if (was_indexed)
          if (OwnerIntervals* idx = s.intervals.find(e.owner_id))
            idx->by_start.erase({old_start, id});
        index_event(s, id, e);
      }
      break;
    }
    case ev::Payload::EventDeleted: {
      EventState* e = s.events.find(id);
      if (e == nullptr) break;
      unindex_event(s, id, *e);
      if (e->calendar_id != 0)
        if (CalendarState* cal = s.calendars.find(e->calendar_id)) cal->events.erase(id);
      // Gone for good: every command on it is refused as not found, which an
      // id without a record gets too. So its record and stream version go, and
      // a server that keeps creating and deleting events keeps a steady size.
      s.events.erase(id);
      break;
    }
    case ev::Payload::EventShared: {
      const auto* p = env.payload.AsEventShared();
      s.events[id].acl[p->user_id] = p->role;
      break;
    }
    case ev::Payload::EventUnshared:
      s.events[id].acl.erase(env.payload.AsEventUnshared()->user_id);
      break;
    case ev::Payload::ParticipantJoined: {
      auto& ps = s.events[id].participants;
      int64_t user = env.payload.AsParticipantJoined()->user_id;
      if (std::find(ps.begin(), ps.end(), user) == ps.end()) ps.push_back(user);
      break;
    }
    case ev::Payload::ParticipantLeft: {
      auto& ps = s.events[id].participants;
      int64_t user = env.payload.AsParticipantLeft()->user_id;
      ps.erase(std::remove(ps.begin(), ps.end(), user), ps.end());
      break;
    }
    default: break;
  }
}

}  // namespace almanac::cmd
