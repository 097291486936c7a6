#include "app/workload.hpp"

namespace almanac::app {

namespace {
constexpr int64_t kHour = 3'600'000'000LL;
constexpr int64_t kDay = 24 * kHour;
}  // namespace

Workload::Workload(uint64_t seed, int64_t start_us) : rng_(seed), start_us_(start_us) {}

int64_t Workload::pick(const std::vector<int64_t>& ids) {
  if (ids.empty()) return 1 + static_cast<int64_t>(rng_() % 3);  // probably missing: refused
  return ids[rng_() % ids.size()];
}

int64_t Workload::any_user() { return pick(users_); }

int64_t Workload::participant_of(int64_t event) {
  auto it = participants_.find(event);
  return it == participants_.end() || it->second.empty() ? any_user() : pick(it->second);
}

void Workload::observe(const cmd::CommandResult& result) {
  if (result.duplicate) return;
  std::lock_guard lock(mu_);
  for (const Envelope& e : result.events) {
    switch (e.payload.type) {
      case ev::Payload::UserRegistered: users_.push_back(e.stream_id); break;
      case ev::Payload::CalendarCreated:
        calendars_.push_back({e.stream_id, e.payload.AsCalendarCreated()->owner_id});
        break;
      case ev::Payload::EventScheduled: {
        const auto* p = e.payload.AsEventScheduled();
        events_.push_back({e.stream_id, p->owner_id});
        if (p->visibility == ev::Visibility::Public) public_events_.push_back(e.stream_id);
        break;
      }
      case ev::Payload::TaskCreated:
        tasks_.push_back({e.stream_id, e.payload.AsTaskCreated()->creator_id});
        break;
      case ev::Payload::PollCreated:
        polls_.push_back({e.stream_id, e.payload.AsPollCreated()->creator_id});
        option_of_poll_.push_back(e.payload.AsPollCreated()->first_option_id);
        event_of_poll_.push_back(e.payload.AsPollCreated()->event_id);
        break;
      case ev::Payload::ParticipantJoined:
        participants_[e.stream_id].push_back(e.payload.AsParticipantJoined()->user_id);
        break;
      case ev::Payload::ParticipantLeft:
        std::erase(participants_[e.stream_id], e.payload.AsParticipantLeft()->user_id);
        break;
      case ev::Payload::InboxItemCaptured:
        inbox_.push_back({e.stream_id, e.payload.AsInboxItemCaptured()->owner_id});
        break;
      case ev::Payload::SessionStarted: {
        const auto* p = e.payload.AsSessionStarted();
        session_index_[e.stream_id] = sessions_.size();
        sessions_.push_back({e.stream_id, p->user_id, p->refresh_jti});
        break;
      }
      case ev::Payload::SessionRefreshed:
        if (auto it = session_index_.find(e.stream_id); it != session_index_.end())
          sessions_[it->second].jti = e.payload.AsSessionRefreshed()->refresh_jti;
        break;
      default: break;
    }
  }
}

cmd::Command Workload::make_event_command(int64_t actor) {
  ev::EventScheduledT ev;
  ev.owner_id = actor;
  ev.title = "event " + std::to_string(counter_);
  ev.start = start_us_ + static_cast<int64_t>(rng_() % 8000) * kHour;
  ev.end = ev.start + (1 + static_cast<int64_t>(rng_() % 4)) * kHour;
  ev.fields = event_field::kTitle | event_field::kStart | event_field::kEnd;
  switch (rng_() % 6) {
    case 0:
      ev.is_all_day = true;
      ev.fields |= event_field::kAllDay;
      break;
    case 1: {
      ev.repeat = static_cast<ev::RepeatFrequency>(1 + rng_() % 4);
      ev.is_recurring = true;
      ev.fields |= event_field::kRepeat | event_field::kRecurring;
      if (rng_() % 2) {
        ev.repeat_until_day = static_cast<int32_t>(ev.start / kDay + 30 + rng_() % 700);
        ev.fields |= event_field::kRepeatUntil;
      }
      break;
    }
    case 2:
      ev.visibility = ev::Visibility::Public;
      ev.max_participants = 2 + static_cast<int32_t>(rng_() % 20);
      ev.location = "Room " + std::to_string(rng_() % 9);
      ev.fields |= event_field::kVisibility | event_field::kMaxParticipants | event_field::kLocation;
      break;
    case 3:
      ev.description = "about " + std::to_string(rng_() % 100);
      ev.category = (rng_() % 2) ? "work" : "home";
      ev.metadata_json = R"({"priority":"high"})";
      ev.fields |= event_field::kDescription | event_field::kCategory | event_field::kMetadata;
      break;
    default:
      break;
  }
  // A calendar of the owner's, when the pick lands on one.
  if (const Owned* c = pick_record(calendars_); c && c->owner == actor) ev.calendar_id = c->id;
  if (rng_() % 20 == 0) ev.end = ev.start - kHour;  // invalid: refused
  cmd::ScheduleEvent s;
  s.event = std::move(ev);
  s.reject_conflicts = rng_() % 4 == 0;
  return s;
}

cmd::CommandEnvelope Workload::next() {
  ++counter_;
  cmd::CommandEnvelope c;
  c.correlation_id = "w-" + std::to_string(counter_);
  std::lock_guard lock(mu_);
  int64_t actor = any_user();
  c.actor_id = actor;
  const std::string n = std::to_string(counter_);
  // Registrations taper off as the user base grows.
  const uint64_t register_per_mille = users_.size() < 5 ? 1000 : users_.size() < 1000 ? 80 : 15;
  if (rng_() % 1000 < register_per_mille) {
    c.actor_id = 0;
    c.command = cmd::RegisterUser{"user" + n, "User" + n + "@example.com",
                                  "$argon2id$v=19$m=65536,t=2,p=1$fixture$" + n, "First" + n,
                                  "Last" + n, "Full Name " + n};
    return c;
  }
  // Commands on an existing aggregate mostly come from its owner.
  auto as_owner = [&](const std::vector<Owned>& v) {
    const Owned* o = pick_record(v);
    if (!o) return int64_t{1};
    if (rng_() % 10 < 8) c.actor_id = o->owner;
    return o->id;
  };

  const uint64_t roll = rng_() % 100;
  if (roll < 4) {
    c.command = cmd::CreateCalendar{actor, (rng_() % 5 ? "calendar " + n : std::string("Work")),
                                    rng_() % 2 ? std::optional<std::string>("#FF5733") : std::nullopt};
  } else if (roll < 20) {
    c.command = make_event_command(actor);
  } else if (roll < 30) {
    ev::EventUpdatedT u;
    u.title = "renamed " + n;
    u.fields = event_field::kTitle;
    if (rng_() % 2) {
      u.start = start_us_ + static_cast<int64_t>(rng_() % 8000) * kHour;
      u.end = u.start + kHour;
      u.fields |= event_field::kStart | event_field::kEnd;
    }
    int64_t id = as_owner(events_);
    c.command = cmd::UpdateEvent{id, std::move(u), rng_() % 3 == 0};
  } else if (roll < 32) {
    c.command = cmd::DeleteEvent{as_owner(events_)};
  } else if (roll < 36) {
    int64_t id = as_owner(events_);
    c.command = cmd::ShareEvent{id, any_user(), rng_() % 2 ? ev::Role::Editor : ev::Role::Viewer};
  } else if (roll < 37) {
    int64_t id = as_owner(events_);
    c.command = cmd::UnshareEvent{id, any_user()};
  } else if (roll < 45) {
    c.command = cmd::JoinEvent{pick(public_events_)};
  } else if (roll < 47) {
    c.command = cmd::LeaveEvent{pick(public_events_)};
  } else if (roll < 51) {
    ev::TaskCreatedT t;
    t.event_id = pick(public_events_);
    c.actor_id = participant_of(t.event_id);
    t.title = "task " + n;
    t.priority = static_cast<ev::TaskPriority>(rng_() % 3);
    t.fields = task_field::kTitle | task_field::kPriority;
    if (rng_() % 2) {
      t.assignee_id = participant_of(t.event_id);
      t.fields |= task_field::kAssignee;
    }
    c.command = cmd::CreateTask{std::move(t)};
  } else if (roll < 53) {
    int64_t id = as_owner(tasks_);
    c.command = cmd::AssignTask{id, any_user()};
  } else if (roll < 55) {
    c.command = cmd::CompleteTask{as_owner(tasks_)};
  } else if (roll < 57) {
    ev::PollCreatedT p;
    p.event_id = pick(public_events_);
    c.actor_id = participant_of(p.event_id);
    p.title = "poll " + n;
    p.option_texts = {"A", "B", "C"};
    p.multiple_choice = rng_() % 3 == 0;
    p.has_ends_at = rng_() % 2;
    p.ends_at = start_us_ + 30 * kDay;
    c.command = cmd::CreatePoll{std::move(p)};
  } else if (roll < 65) {
    int64_t poll = 1, first = 1;
    if (!polls_.empty()) {
      size_t i = rng_() % polls_.size();
      poll = polls_[i].id;
      first = option_of_poll_[i];
      c.actor_id = participant_of(event_of_poll_[i]);
    }
    c.command = cmd::CastBallot{poll, {first + static_cast<int64_t>(rng_() % 3)}};
  } else if (roll < 69) {
    ev::InboxItemCapturedT item;
    item.owner_id = actor;
    item.content = "idea " + n;
    item.fields = inbox_field::kContent;
    c.command = cmd::CaptureInboxItem{std::move(item)};
  } else if (roll < 70) {
    cmd::ScheduleEvent s;
    int64_t item = as_owner(inbox_);
    s.event.owner_id = c.actor_id;
    s.event.title = "from inbox " + n;
    s.event.start = start_us_ + static_cast<int64_t>(rng_() % 8000) * kHour;
    s.event.end = s.event.start + kHour;
    s.event.fields = event_field::kTitle | event_field::kStart | event_field::kEnd;
    c.command = cmd::ScheduleInboxItem{item, std::move(s)};
  } else if (roll < 80) {
    c.command = cmd::StartSession{actor, "jti-" + n, start_us_ + 7 * kDay};
  } else if (roll < 92) {
    if (const Session* s = pick_record(sessions_)) {
      c.actor_id = s->user;
      // Now and then a client presents a refresh token that was already rotated.
      std::string presented = rng_() % 20 ? s->jti : "jti-" + std::to_string(rng_() % counter_);
      c.command = cmd::RefreshSession{s->id, presented, "jti-r" + n, start_us_ + 7 * kDay};
    } else {
      c.command = cmd::RefreshSession{1, "jti-none", "jti-r" + n, start_us_ + 7 * kDay};
    }
  } else if (roll < 94) {
    const Session* s = pick_record(sessions_);
    if (s) c.actor_id = s->user;
    c.command = cmd::EndSession{s ? s->id : 1, ev::SessionEndReason::Logout};
  } else if (roll < 97) {
    cmd::UpdateProfile u;
    u.user_id = actor;
    u.fields = user_field::kBio | user_field::kFirstName;
    u.bio = "bio " + n;
    u.first_name = "F" + n;
    c.command = std::move(u);
  } else if (roll < 98) {
    int64_t id = as_owner(calendars_);
    c.command = cmd::UpdateCalendar{id, "renamed calendar " + n, std::nullopt};
  } else if (roll < 99) {
    c.command = cmd::DeleteCalendar{as_owner(calendars_)};
  } else {
    c.command = cmd::MarkAllNotificationsRead{static_cast<int64_t>(counter_)};
  }
  if (rng_() % 50 == 0) c.idempotency_key = "key-" + std::to_string(rng_() % 20);
  return c;
}

}  // namespace almanac::app
