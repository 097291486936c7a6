// Internal to commands/: the per-aggregate halves of decide() and apply(),
// and the Emitter that collects a decision's events with their expected
// stream versions. decide.cpp dispatches to these; nothing outside commands/
// (and its tests) includes this header.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "commands/command.hpp"
#include "commands/state.hpp"
#include "events/clock.hpp"
#include "events/event_store.hpp"

namespace almanac::cmd {

// Collects the events of one decision. Each event gets the stream's version
// before it: the state's version for the first event of a stream, one more
// for each further event of the same stream in the same decision. New
// aggregate ids come from allocate(), which counts the ids already handed
// out in this decision.
class Emitter {
 public:
  explicit Emitter(const WriteState& state) : state_(state) {}

  template <typename T>
  void emit(StreamId stream, T payload) {
    auto [it, inserted] = next_version_.try_emplace(stream, 0);
    if (inserted) it->second = state_.version(stream);
    PendingEvent p;
    p.stream = stream;
    p.expected_version = it->second++;
    p.payload.Set(std::move(payload));
    events_.push_back(std::move(p));
  }

  int64_t allocate(Category category) {
    return state_.next_id(category) + allocated_[category]++;
  }

  // Keeps the events even though the command is refused (refresh reuse).
  void keep_on_refusal() { keep_on_refusal_ = true; }
  bool keeps_on_refusal() const { return keep_on_refusal_; }

  std::vector<PendingEvent> take() { return std::move(events_); }

 private:
  const WriteState& state_;
  std::vector<PendingEvent> events_;
  std::map<StreamId, uint64_t> next_version_;
  std::map<Category, int64_t> allocated_;
  bool keep_on_refusal_ = false;
};

// Everything a per-aggregate decide function may use.
struct Context {
  const WriteState& state;
  int64_t actor = 0;    // 0: the system
  int64_t now = 0;      // UTC µs, read once per decision
  IdSource& ids;
  Emitter& out;
};

// ---- decide, one overload per command (the file of its aggregate) -------
Status decide_command(Context& c, const RegisterUser& cmd);
Status decide_command(Context& c, const UpdateProfile& cmd);
Status decide_command(Context& c, const ChangePassword& cmd);
Status decide_command(Context& c, const SetSuperuser& cmd);
Status decide_command(Context& c, const SetUserActive& cmd);
Status decide_command(Context& c, const DeleteUser& cmd);
Status decide_command(Context& c, const UpdateAccount& cmd);
Status decide_command(Context& c, const StartSession& cmd);
Status decide_command(Context& c, const RefreshSession& cmd);
Status decide_command(Context& c, const EndSession& cmd);
Status decide_command(Context& c, const RequestPasswordReset& cmd);
Status decide_command(Context& c, const CompletePasswordReset& cmd);
Status decide_command(Context& c, const CreateCalendar& cmd);
Status decide_command(Context& c, const UpdateCalendar& cmd);
Status decide_command(Context& c, const DeleteCalendar& cmd);
Status decide_command(Context& c, const ScheduleEvent& cmd);
Status decide_command(Context& c, const ScheduleEvents& cmd);
Status decide_command(Context& c, const UpdateEvent& cmd);
Status decide_command(Context& c, const DeleteEvent& cmd);
Status decide_command(Context& c, const ShareEvent& cmd);
Status decide_command(Context& c, const UnshareEvent& cmd);
Status decide_command(Context& c, const JoinEvent& cmd);
Status decide_command(Context& c, const LeaveEvent& cmd);
Status decide_command(Context& c, const CreateTask& cmd);
Status decide_command(Context& c, const UpdateTask& cmd);
Status decide_command(Context& c, const AssignTask& cmd);
Status decide_command(Context& c, const CompleteTask& cmd);
Status decide_command(Context& c, const CreatePoll& cmd);
Status decide_command(Context& c, const CastBallot& cmd);
Status decide_command(Context& c, const ClosePoll& cmd);
Status decide_command(Context& c, const CaptureInboxItem& cmd);
Status decide_command(Context& c, const UpdateInboxItem& cmd);
Status decide_command(Context& c, const ScheduleInboxItem& cmd);
Status decide_command(Context& c, const DeleteInboxItem& cmd);
Status decide_command(Context& c, const SetInboxItemsStatus& cmd);
Status decide_command(Context& c, const MarkNotificationRead& cmd);
Status decide_command(Context& c, const MarkAllNotificationsRead& cmd);

// An event scheduled earlier in the same decision, with an end.
struct Interval {
  int64_t owner = 0, start = 0, end = 0;
};

// Schedules one event (validation, normalisation, conflict rule) and emits
// its EventScheduled; returns the new event id through `event_id`. `batch`
// holds the events scheduled earlier in the same decision, which the
// conflict rule must also see; the new event is appended to it.
Status schedule_event(Context& c, const ScheduleEvent& cmd, std::vector<Interval>& batch,
                      int64_t& event_id);

// The event when it exists, is not deleted and `user` may see it (owner,
// someone in its ACL, or anyone for a Public event); nullptr otherwise.
const EventState* visible_event(const WriteState& s, int64_t event_id, int64_t user);
// True when `user` may edit the event: the owner or an Editor.
bool can_edit(const EventState& e, int64_t user);
// True when `user` takes part in the event: a public gathering's participant
// (its owner is its first), or, for a private event, anyone it is visible to.
bool takes_part(const EventState& e, int64_t user);

// Open sessions of a user (not ended, not expired at `now`), ascending ids.
std::vector<int64_t> open_sessions(const WriteState& s, int64_t user_id, int64_t now);

// ---- apply, one function per aggregate (the file of its aggregate) -------
// Each folds the payload of `e` into `s`; versions and counts are kept by
// the dispatcher in decide.cpp.
void apply_user(WriteState& s, const Envelope& e);
void apply_session(WriteState& s, const Envelope& e);
void apply_calendar(WriteState& s, const Envelope& e);
void apply_event(WriteState& s, const Envelope& e);
void apply_task(WriteState& s, const Envelope& e);
void apply_poll(WriteState& s, const Envelope& e);
void apply_inbox(WriteState& s, const Envelope& e);

}  // namespace almanac::cmd
