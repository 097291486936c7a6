#include "api/dialect.hpp"

#include "api/content.hpp"
#include "api/rate_limit.hpp"

namespace almanac::api {

namespace {

// What every contract answers unless its own table says otherwise.
constexpr ReasonAnswer kDefaultAnswers[] = {
    {Reason::kStaleVersion, http::status::precondition_failed},
};

const ReasonAnswer* find_answer(std::span<const ReasonAnswer> table, Reason reason) {
  for (const ReasonAnswer& a : table)
    if (a.reason == reason) return &a;
  return nullptr;
}

}  // namespace

std::string reason_phrase(http::status status) { return std::string(http::obsolete_reason(status)); }

Response Dialect::render(const Request& req, const ApiError& e) const {
  Response res = make_response(req, e.status, body(e));
  // A 401 names the scheme the client should use (RFC 9110 §11.6.1).
  if (e.status == http::status::unauthorized) res.set(http::field::www_authenticate, "Bearer");
  return res;
}

ApiError Dialect::refusal(Refusal kind, std::string detail) const {
  auto plain = [](http::status s, std::string message) { return ApiError{s, "", std::move(message), {}, json::object()}; };
  switch (kind) {
    case Refusal::kNotFound: return plain(http::status::not_found, "Not Found");
    case Refusal::kMethodNotAllowed: return plain(http::status::method_not_allowed, "Method Not Allowed");
    case Refusal::kPayloadTooLarge: return plain(http::status::payload_too_large, std::move(detail));
    case Refusal::kHeadersTooLarge: return plain(http::status::request_header_fields_too_large, std::move(detail));
    case Refusal::kMalformedRequest: return plain(http::status::bad_request, "Malformed HTTP request");
    case Refusal::kUnsupportedMediaType: return plain(http::status::unsupported_media_type, std::move(detail));
    case Refusal::kSuperuserRequired: return plain(http::status::forbidden, "Not enough permissions");
    case Refusal::kUpgradeRequired: return plain(http::status::upgrade_required, std::move(detail));
    case Refusal::kTooManyConnections: return plain(http::status::too_many_requests, std::move(detail));
    case Refusal::kInternal: return plain(http::status::internal_server_error, "Internal server error");
    case Refusal::kUnavailable: return plain(http::status::service_unavailable, std::move(detail));
  }
  return plain(http::status::internal_server_error, "Internal server error");
}

ApiError Dialect::unauthenticated(AuthFailure failure, const Status& why) const {
  std::string message = failure == AuthFailure::kRejected ? why.message() : "Not authenticated";
  return {http::status::unauthorized, "", std::move(message), {}, json::object()};
}

ApiError Dialect::too_many_requests(const RateDecision&, int64_t) const {
  return {http::status::too_many_requests, "", "Too many requests", {}, json::object()};
}

ApiError Dialect::invalid(std::span<const Problem> problems) const {
  std::vector<FieldError> fields;
  fields.reserve(problems.size());
  for (const Problem& p : problems) fields.push_back(word(p));
  return invalid_fields(std::move(fields));
}

ApiError Dialect::invalid_fields(std::vector<FieldError> fields) const {
  return {validation_status(), "", "Validation error", std::move(fields), json::object()};
}

std::optional<ApiError> Dialect::body_failure(const Problem& p, std::vector<Problem>& problems) const {
  // FastAPI answers a body it cannot decode at once, alone; a missing body or
  // one of another type is a validation problem among the others.
  if (p.kind == Problem::kUndecodable) return invalid_fields({word(p)});
  problems.push_back(p);
  return std::nullopt;
}

ApiError Dialect::domain(const Status& s, std::span<const ReasonAnswer> route_answers) const {
  if (s.reason() != Reason::kNone) {
    const ReasonAnswer* a = find_answer(route_answers, s.reason());
    if (!a) a = find_answer(answers(), s.reason());
    if (!a) a = find_answer(kDefaultAnswers, s.reason());
    if (a) return answer(*a, s);
  }
  return by_code(s);
}

ApiError Dialect::answer(const ReasonAnswer& a, const Status& s) const {
  ApiError e{a.status, std::string(a.code), a.message.empty() ? s.message() : std::string(a.message), {},
             json::object()};
  if (a.with_field) {
    std::vector<std::string> loc = {"body"};
    if (!s.field().empty()) loc.push_back(s.field());
    e.fields.push_back({std::move(loc), a.field_message.empty() ? s.message() : std::string(a.field_message),
                        "value_error"});
  }
  return e;
}

ApiError Dialect::by_code(const Status& s) const {
  auto plain = [&](http::status status) { return ApiError{status, "", s.message(), {}, json::object()}; };
  switch (s.code()) {
    case Code::kInvalidArgument: {
      std::vector<std::string> loc = {"body"};
      if (!s.field().empty()) loc.push_back(s.field());
      return invalid_fields({{std::move(loc), s.message(), "value_error"}});
    }
    case Code::kNotFound: return plain(http::status::not_found);
    case Code::kConflict: return plain(http::status::conflict);
    case Code::kForbidden: return plain(http::status::forbidden);
    case Code::kUnauthenticated: return plain(http::status::unauthorized);
    case Code::kFailedPrecondition: return plain(http::status::bad_request);
    case Code::kUnavailable: return plain(http::status::service_unavailable);
    case Code::kOk:
    case Code::kInternal:
    case Code::kDataLoss: break;
  }
  return plain(http::status::internal_server_error);
}

}  // namespace almanac::api
