// The byte form of a command and of its result, for the internal interface
// between the nodes of a cluster: a follower sends the writer a command it
// was given and gets the writer's result back (docs/cluster.md, "The
// internal interface", describes the bytes). Pure functions, no I/O.
//
// A command is its alternative's index in cmd::Command, then its fields in
// the order fields() below lists them; domain-event members travel as
// FlatBuffers tables of events/schema.fbs. Both ends must run the same
// build: the first bytes name the format and the number of command kinds,
// and a mismatch is refused rather than guessed at.
#pragma once

#include <string>
#include <string_view>
#include <tuple>

#include "commands/command.hpp"
#include "commands/command_sink.hpp"

namespace almanac::cmd {

std::string encode_command(const CommandEnvelope& command);
// InvalidArgument when the bytes do not read as a command of this build;
// FailedPrecondition when they were written by a build with other commands.
Result<CommandEnvelope> decode_command(std::string_view bytes);

std::string encode_result(const CommandResult& result);
Result<CommandResult> decode_result(std::string_view bytes);

// ---- the fields of each command, in their byte order ----------------------
// Adding a command to cmd::Command means adding its line here (the codec
// does not compile without it); adding a field to a command means adding it
// at the end of its line.
inline auto fields(RegisterUser& c) {
  return std::tie(c.username, c.email, c.password_hash, c.first_name, c.last_name, c.full_name);
}
inline auto fields(UpdateProfile& c) {
  return std::tie(c.user_id, c.fields, c.username, c.email, c.first_name, c.last_name, c.full_name, c.bio,
                  c.avatar);
}
inline auto fields(ChangePassword& c) { return std::tie(c.user_id, c.password_hash, c.keep_session_id); }
inline auto fields(SetSuperuser& c) { return std::tie(c.user_id, c.is_superuser); }
inline auto fields(SetUserActive& c) { return std::tie(c.user_id, c.active); }
inline auto fields(DeleteUser& c) { return std::tie(c.user_id); }
inline auto fields(UpdateAccount& c) {
  return std::tie(c.profile, c.password_hash, c.is_active, c.is_superuser, c.keep_session_id);
}
inline auto fields(StartSession& c) { return std::tie(c.user_id, c.refresh_jti, c.expires_at); }
inline auto fields(RefreshSession& c) { return std::tie(c.session_id, c.presented_jti, c.new_jti, c.expires_at); }
inline auto fields(EndSession& c) { return std::tie(c.session_id, c.reason); }
inline auto fields(RequestPasswordReset& c) { return std::tie(c.user_id, c.token_hash, c.expires_at); }
inline auto fields(CompletePasswordReset& c) { return std::tie(c.token_hash, c.new_password_hash); }
inline auto fields(CreateCalendar& c) { return std::tie(c.owner_id, c.name, c.color); }
inline auto fields(UpdateCalendar& c) { return std::tie(c.calendar_id, c.name, c.color); }
inline auto fields(DeleteCalendar& c) { return std::tie(c.calendar_id); }
inline auto fields(ScheduleEvent& c) { return std::tie(c.event, c.reject_conflicts); }
inline auto fields(ScheduleEvents& c) { return std::tie(c.events); }
inline auto fields(UpdateEvent& c) { return std::tie(c.event_id, c.changes, c.reject_conflicts); }
inline auto fields(DeleteEvent& c) { return std::tie(c.event_id); }
inline auto fields(ShareEvent& c) { return std::tie(c.event_id, c.user_id, c.role); }
inline auto fields(UnshareEvent& c) { return std::tie(c.event_id, c.user_id); }
inline auto fields(JoinEvent& c) { return std::tie(c.event_id); }
inline auto fields(LeaveEvent& c) { return std::tie(c.event_id); }
inline auto fields(CreateTask& c) { return std::tie(c.task); }
inline auto fields(UpdateTask& c) { return std::tie(c.task_id, c.changes); }
inline auto fields(AssignTask& c) { return std::tie(c.task_id, c.assignee_id); }
inline auto fields(CompleteTask& c) { return std::tie(c.task_id); }
inline auto fields(CreatePoll& c) { return std::tie(c.poll); }
inline auto fields(CastBallot& c) { return std::tie(c.poll_id, c.option_ids); }
inline auto fields(ClosePoll& c) { return std::tie(c.poll_id); }
inline auto fields(CaptureInboxItem& c) { return std::tie(c.item); }
inline auto fields(UpdateInboxItem& c) { return std::tie(c.item_id, c.changes); }
inline auto fields(ScheduleInboxItem& c) { return std::tie(c.item_id, c.event); }
inline auto fields(DeleteInboxItem& c) { return std::tie(c.item_id); }
inline auto fields(MarkNotificationRead& c) { return std::tie(c.notification_id); }
inline auto fields(MarkAllNotificationsRead& c) { return std::tie(c.up_to_id); }
inline auto fields(SetInboxItemsStatus& c) { return std::tie(c.item_ids, c.status); }

}  // namespace almanac::cmd
