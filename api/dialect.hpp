// Dialects: how a contract words and shapes every refusal.
//
// A handler or the layer describes what went wrong once (an ApiError: status,
// a machine code, a message, the fields at fault), and the route's dialect
// renders it in its contract's documented shape. The layer's own refusals
// (no route, wrong method, limits, authentication, rate limits, validation,
// server failures) are asked of the dialect by kind, so their wording lives in
// one place per style. The styles are in api/dialects.hpp; a contract picks
// one and may override what its document words differently
// (api/contracts/<name>/).
//
// Domain refusals carry a Reason (events/status.hpp). A dialect maps reasons
// to answers through tables (ReasonAnswer): the route's own table first, then
// the contract's, then the code alone (Conflict is 409, NotFound 404, ...).
// Nothing here compares message texts or field names.
//
// Every member is const and keeps no state: safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.hpp"
#include "events/status.hpp"

namespace almanac::api {

struct RateDecision;

// One problem with one input value, as the client reads it.
struct FieldError {
  std::vector<std::string> loc;  // {"body", "email"}, {"path", "calendar_id"}, {"query", "from"}
  std::string msg;               // "Field required"
  std::string type;              // "missing", "value_error.email", ... (Pydantic styles)
};

struct ApiError {
  http::status status = http::status::internal_server_error;
  std::string code;              // machine code (collab, gather); the dialect's for `status` when empty
  std::string message;
  std::vector<FieldError> fields;
  json extra = json::object();   // style extras (reset_at, limit, ...), merged into the body
};

// What kind of value a field holds, for the wording of a problem with it.
enum class ValueType { kString, kInteger, kNumber, kBoolean, kEnum, kUuid, kEmail, kDate, kDateTime, kObject, kList };

// A problem found reading one value (api/fields.hpp finds them; a dialect
// words them).
struct Problem {
  enum Kind {
    kMissing,      // required and absent
    kNull,         // null where a value is required
    kType,         // another JSON type, or text that does not read as the type
    kTooShort,     // a string (characters) or a list (items) under `bound`
    kTooLong,      // over `bound`
    kTooSmall,     // a number under `bound` (equal allowed when `inclusive`)
    kTooBig,       // a number over `bound` (equal allowed when `inclusive`)
    kNotAllowed,   // not one of `allowed`
    kTooLarge,     // a JSON object whose encoding is over `bound` bytes
    kUndecodable,  // a body that is not valid JSON / MessagePack (`message` says where)
    kInvalid,      // `message` says why (a rule across fields, a domain rule)
  };
  Kind kind = kInvalid;
  ValueType type = ValueType::kString;
  std::vector<std::string> loc;
  int64_t bound = 0;
  bool inclusive = true;
  std::vector<std::string> allowed;
  std::string given;        // the value as sent, when a wording quotes it (kNotAllowed)
  bool text_input = false;  // the value was text to parse (a path or query parameter, a JSON string)
  std::string message;

  // A problem of `kind` with a value of `type` at `loc`.
  static Problem at(Kind kind, ValueType type, std::vector<std::string> loc) {
    Problem p;
    p.kind = kind;
    p.type = type;
    p.loc = std::move(loc);
    return p;
  }
  // A rule's refusal of the value at `loc`: `message` says why.
  static Problem because(std::vector<std::string> loc, std::string message) {
    Problem p;
    p.loc = std::move(loc);
    p.message = std::move(message);
    return p;
  }
};

// Why the caller of a route that needs one could not be identified.
enum class AuthFailure {
  kMissing,     // no credentials
  kMalformed,   // an Authorization header that is not "Bearer <token>"
  kRejected,    // a token that does not verify, has expired, or whose session or account is gone
};

// The layer's refusals that are neither about fields nor about who calls.
enum class Refusal {
  kNotFound,              // no route has the path
  kMethodNotAllowed,
  kPayloadTooLarge,       // detail: the limit's wording
  kHeadersTooLarge,       // detail: the limit's wording
  kMalformedRequest,      // HTTP the parser refused
  kUnsupportedMediaType,  // detail: the types the route takes
  kSuperuserRequired,
  kUpgradeRequired,       // a WebSocket endpoint asked without the upgrade
  kTooManyConnections,    // detail: the per-address WebSocket connection limit
  kInternal,
  kUnavailable,           // detail: what to do
};

// How a contract answers a domain refusal with `reason`.
struct ReasonAnswer {
  Reason reason = Reason::kNone;
  http::status status = http::status::bad_request;
  std::string_view message = {};        // empty: the domain's message
  std::string_view code = {};           // machine code; empty: the dialect's for `status`
  // List the refusal's field (none: the request as a whole) with
  // `field_message`, or the domain's message when that is empty.
  bool with_field = false;
  std::string_view field_message = {};
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  // ---- rendering ----------------------------------------------------------
  // The error body in this style.
  virtual json body(const ApiError& e) const = 0;
  // `e` as a response, JSON or MessagePack as the request's Accept asks; a
  // 401 also carries "WWW-Authenticate: Bearer".
  Response render(const Request& req, const ApiError& e) const;
  // OpenAPI: the component name and JSON Schema of this style's error body.
  virtual std::string_view error_schema_name() const = 0;
  virtual json error_schema() const = 0;

  // ---- the layer's refusals ---------------------------------------------------
  virtual ApiError refusal(Refusal kind, std::string detail = {}) const;
  // `why` is the verification's refusal for kRejected (its reason says which).
  virtual ApiError unauthenticated(AuthFailure failure, const Status& why) const;
  virtual ApiError too_many_requests(const RateDecision& d, int64_t now_s) const;

  // ---- validation ---------------------------------------------------------------
  // The answer listing `problems`, each worded by word().
  ApiError invalid(std::span<const Problem> problems) const;
  // The status of a validation refusal (422 in FastAPI, 400 elsewhere).
  virtual http::status validation_status() const { return http::status::unprocessable_entity; }
  // One problem as the client reads it.
  virtual FieldError word(const Problem& p) const = 0;
  // How a body that failed before its fields were read is answered: a
  // refusal of its own (returned), a problem listed with the others (added
  // to `problems`), or neither, when the style reads a missing body as an
  // empty object.
  virtual std::optional<ApiError> body_failure(const Problem& p, std::vector<Problem>& problems) const;

  // ---- domain refusals --------------------------------------------------------------
  // `s` as this contract answers it: the first entry of `route_answers`, then
  // of answers(), that names its reason; else by its code.
  ApiError domain(const Status& s, std::span<const ReasonAnswer> route_answers = {}) const;

 protected:
  // The contract's table of answers by reason.
  virtual std::span<const ReasonAnswer> answers() const { return {}; }
  // A refusal no table answers, by its code (InvalidArgument: a validation
  // refusal naming its field; Conflict 409; NotFound 404; ...).
  virtual ApiError by_code(const Status& s) const;
  // The answer a table entry gives for `s`.
  ApiError answer(const ReasonAnswer& a, const Status& s) const;
  // The validation refusal carrying `fields` (the status and the wording of
  // its message are the style's).
  virtual ApiError invalid_fields(std::vector<FieldError> fields) const;
};

// "Not Found", "Method Not Allowed": the reason phrase of `status`.
std::string reason_phrase(http::status status);

}  // namespace almanac::api
