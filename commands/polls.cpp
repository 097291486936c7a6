// Polls on an event: started and answered by those who take part in it,
// 2 to 20 options numbered globally and densely, one ballot per user for
// single choice, several ballots (never repeating an option) for multiple
// choice, nothing after ends_at or once closed. The system closes a poll once
// its ends_at has passed; its creator may close it earlier.
#include <algorithm>
#include <cctype>
#include <set>

#include "commands/aggregates.hpp"

namespace almanac::cmd {

namespace {

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isspace(ch); });
}

constexpr size_t kMinOptions = 2;
constexpr size_t kMaxOptions = 20;

// A poll whose event still exists and is visible to `user`; nullptr (and the
// event through `event`) otherwise: the polls of a deleted event go with it.
const PollState* live_poll(const WriteState& s, int64_t id, int64_t user, const EventState** event) {
  const PollState* p = s.poll(id);
  if (!p) return nullptr;
  const EventState* e = visible_event(s, p->event_id, user);
  if (!e) return nullptr;
  *event = e;
  return p;
}

}  // namespace

Status decide_command(Context& c, const CreatePoll& cmd) {
  const ev::PollCreatedT& in = cmd.poll;
  const EventState* e = visible_event(c.state, in.event_id, c.actor);
  if (!e) return not_found("Event not found");
  if (!takes_part(*e, c.actor))
    return forbidden("Only those who take part in the event can start a poll").because(Reason::kNotParticipant);
  if (blank(in.title)) return invalid("Title must not be empty", "title");
  if (in.option_texts.size() < kMinOptions)
    return invalid("A poll needs at least two options", "options");
  if (in.option_texts.size() > kMaxOptions) return invalid("A poll has at most 20 options", "options");
  for (const std::string& text : in.option_texts)
    if (blank(text)) return invalid("Options must not be empty", "options");
  if (in.has_ends_at && in.ends_at <= c.now)
    return invalid("ends_at must be in the future", "ends_at");
  ev::PollCreatedT out = in;
  out.uuid = c.ids.uuid();
  out.creator_id = c.actor;
  out.first_option_id = c.state.options_created + 1;
  if (!out.has_ends_at) out.ends_at = 0;
  c.out.emit({Category::Poll, c.out.allocate(Category::Poll)}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const CastBallot& cmd) {
  const EventState* e = nullptr;
  const PollState* p = live_poll(c.state, cmd.poll_id, c.actor, &e);
  if (!p) return not_found("Poll not found");
  if (p->closed || (p->has_ends_at && c.now >= p->ends_at))
    return forbidden("Voting has ended").because(Reason::kPollEnded);
  if (!takes_part(*e, c.actor))
    return forbidden("Only those who take part in the event can vote").because(Reason::kNotParticipant);
  const std::set<int64_t> chosen(cmd.option_ids.begin(), cmd.option_ids.end());
  if (chosen.empty() || chosen.size() != cmd.option_ids.size() ||
      *chosen.begin() < p->first_option_id ||
      *chosen.rbegin() >= p->first_option_id + p->option_count)
    return invalid("Invalid options", "options").because(Reason::kOptionNotInPoll);
  auto before = p->chosen.find(c.actor);
  if (!p->multiple_choice) {
    if (chosen.size() != 1) return invalid("Invalid options: choose exactly one", "options");
    if (before != p->chosen.end()) return failed_precondition("Already voted").because(Reason::kAlreadyVoted);
  } else if (before != p->chosen.end()) {
    for (int64_t o : chosen)
      if (before->second.count(o)) return failed_precondition("Already voted").because(Reason::kAlreadyVoted);
  }
  ev::BallotCastT out;
  out.user_id = c.actor;
  out.option_ids = cmd.option_ids;
  c.out.emit({Category::Poll, cmd.poll_id}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const ClosePoll& cmd) {
  const EventState* e = nullptr;
  // The system (actor 0) closes polls whose time is up; people only their own.
  const PollState* p = c.actor == 0 ? c.state.poll(cmd.poll_id) : live_poll(c.state, cmd.poll_id, c.actor, &e);
  if (!p) return not_found("Poll not found");
  if (p->closed) return failed_precondition("Poll is already closed").because(Reason::kPollEnded);
  if (c.actor == 0) {
    if (!p->has_ends_at || c.now < p->ends_at)
      return failed_precondition("The poll's time is not up").because(Reason::kNotOwner);
  } else if (p->creator_id != c.actor) {
    return forbidden("Only the poll's creator can close it").because(Reason::kNotOwner);
  }
  c.out.emit({Category::Poll, cmd.poll_id}, ev::PollClosedT{});
  return Status::ok();
}

void apply_poll(WriteState& s, const Envelope& e) {
  int64_t id = e.stream_id;
  switch (e.payload.type) {
    case ev::Payload::PollCreated: {
      const auto* in = e.payload.AsPollCreated();
      PollState& p = s.polls[id];
      p.event_id = in->event_id;
      p.creator_id = in->creator_id;
      p.first_option_id = in->first_option_id;
      p.option_count = static_cast<int64_t>(in->option_texts.size());
      p.has_ends_at = in->has_ends_at;
      p.ends_at = in->ends_at;
      p.multiple_choice = in->multiple_choice;
      s.options_created =
          std::max(s.options_created, p.first_option_id + p.option_count - 1);
      break;
    }
    case ev::Payload::BallotCast: {
      const auto* b = e.payload.AsBallotCast();
      auto& mine = s.polls[id].chosen[b->user_id];
      mine.insert(b->option_ids.begin(), b->option_ids.end());
      break;
    }
    case ev::Payload::PollClosed: s.polls[id].closed = true; break;
    default: break;
  }
}

}  // namespace almanac::cmd
