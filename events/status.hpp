// Status and Result<T>: how every module boundary reports failure.
// No exception crosses the core; foreign errors are translated once, at the edge.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace almanac {

enum class Code {
  kOk = 0,
  kNotFound,
  kInvalidArgument,
  kConflict,            // stale expected version, duplicate name, time conflict
  kForbidden,
  kUnauthenticated,
  kFailedPrecondition,  // the state does not allow it (event full, poll closed, ...)
  kUnavailable,
  kInternal,
  kDataLoss,            // the log is damaged (torn tail, bad payload)
};

const char* code_name(Code code);

// Why a request was refused, stable across wording changes: the contracts in
// api/ map a reason (never a message text or a field name) to their own
// status code and wording. kNone: the code alone says it.
enum class Reason {
  kNone = 0,
  // identity
  kDuplicateUsername,
  kDuplicateEmail,
  kInvalidEmail,           // not an email address
  kInvalidCredentials,     // unknown account or wrong password (never says which)
  kAccountDisabled,
  kTokenInvalid,           // not a token of ours, of another kind, or malformed
  kTokenExpired,
  kTokenReused,            // a rotated-out refresh token: the session is revoked
  kSessionEnded,           // logged out, revoked or expired
  kUserGone,               // the account behind a token was deleted
  kInvalidResetToken,
  kIdempotencyKeyReused,   // the key was used for another request
  kSelfDeletion,           // a superuser asked to delete their own account
  // versions
  kStaleVersion,           // If-Match names another version (or none we sent)
  // calendars and events
  kDuplicateCalendarName,
  kTimeConflict,
  kBlankTitle,             // a title of nothing but white space
  kEndNotAfterStart,       // an end at or before the start
  kNotOwner,               // the caller's role does not allow it
  kEventFull,
  kAlreadyParticipant,
  kNotParticipant,
  kCreatorCannotLeave,
  kNotPublic,              // only public gatherings can be joined
  // polls and tasks
  kAlreadyVoted,
  kPollEnded,
  kOptionNotInPoll,
  kTaskCompleted,
};

const char* reason_name(Reason reason);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string field = {}, Reason reason = Reason::kNone)
      : code_(code), message_(std::move(message)), field_(std::move(field)), reason_(reason) {}

  static Status ok() { return {}; }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  // Human-readable, already phrased for the API user ("Calendar not found").
  const std::string& message() const { return message_; }
  // The input field the error is about, when there is one ("end_time").
  const std::string& field() const { return field_; }
  Reason reason() const { return reason_; }
  // This status with `reason` attached.
  Status because(Reason reason) && {
    reason_ = reason;
    return std::move(*this);
  }
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string field_;
  Reason reason_ = Reason::kNone;
};

inline Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status invalid(std::string m, std::string field = {}) {
  return {Code::kInvalidArgument, std::move(m), std::move(field)};
}
inline Status conflict(std::string m, std::string field = {}) {
  return {Code::kConflict, std::move(m), std::move(field)};
}
inline Status forbidden(std::string m) { return {Code::kForbidden, std::move(m)}; }
inline Status unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
inline Status failed_precondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
inline Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status internal_error(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status data_loss(std::string m) { return {Code::kDataLoss, std::move(m)}; }

// A value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).is_ok()); }

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status kOkStatus;
    return is_ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace almanac
