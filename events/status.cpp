#include "events/status.hpp"

namespace almanac {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kNotFound: return "NotFound";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kConflict: return "Conflict";
    case Code::kForbidden: return "Forbidden";
    case Code::kUnauthenticated: return "Unauthenticated";
    case Code::kFailedPrecondition: return "FailedPrecondition";
    case Code::kUnavailable: return "Unavailable";
    case Code::kInternal: return "Internal";
    case Code::kDataLoss: return "DataLoss";
  }
  return "Unknown";
}

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::kNone: return "none";
    case Reason::kDuplicateUsername: return "duplicate_username";
    case Reason::kDuplicateEmail: return "duplicate_email";
    case Reason::kInvalidEmail: return "invalid_email";
    case Reason::kInvalidCredentials: return "invalid_credentials";
    case Reason::kAccountDisabled: return "account_disabled";
    case Reason::kTokenInvalid: return "token_invalid";
    case Reason::kTokenExpired: return "token_expired";
    case Reason::kTokenReused: return "token_reused";
    case Reason::kSessionEnded: return "session_ended";
    case Reason::kUserGone: return "user_gone";
    case Reason::kInvalidResetToken: return "invalid_reset_token";
    case Reason::kIdempotencyKeyReused: return "idempotency_key_reused";
    case Reason::kSelfDeletion: return "self_deletion";
    case Reason::kStaleVersion: return "stale_version";
    case Reason::kDuplicateCalendarName: return "duplicate_calendar_name";
    case Reason::kTimeConflict: return "time_conflict";
    case Reason::kBlankTitle: return "blank_title";
    case Reason::kEndNotAfterStart: return "end_not_after_start";
    case Reason::kNotOwner: return "not_owner";
    case Reason::kEventFull: return "event_full";
    case Reason::kAlreadyParticipant: return "already_participant";
    case Reason::kNotParticipant: return "not_participant";
    case Reason::kCreatorCannotLeave: return "creator_cannot_leave";
    case Reason::kNotPublic: return "not_public";
    case Reason::kAlreadyVoted: return "already_voted";
    case Reason::kPollEnded: return "poll_ended";
    case Reason::kOptionNotInPoll: return "option_not_in_poll";
    case Reason::kTaskCompleted: return "task_completed";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "OK";
  std::string s = code_name(code_);
  s += ": ";
  s += message_;
  if (!field_.empty()) s += " (" + field_ + ")";
  return s;
}

}  // namespace almanac
