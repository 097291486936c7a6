// Dialects: each contract's rendering of every refusal the layer produces,
// the wording of field problems, and domain refusals mapped by reason.
#include <catch2/catch.hpp>

#include "api/contracts/admin/admin.hpp"
#include "api/contracts/collab/collab.hpp"
#include "api/contracts/flowstate/flowstate.hpp"
#include "api/contracts/gather/gather.hpp"
#include "api/contracts/mcal/mcal.hpp"
#include "api/contracts/native/native.hpp"
#include "api/dialects.hpp"
#include "api/fields.hpp"
#include "api/rate_limit.hpp"

using namespace almanac;
using namespace almanac::api;

namespace {

const Dialect& mcal_d() { return mcal::contract().dialect; }
const Dialect& flow_d() { return flowstate::contract().dialect; }
const Dialect& collab_d() { return collab::contract().dialect; }
const Dialect& admin_d() { return admin::contract().dialect; }
const Dialect& gather_d() { return gather::contract().dialect; }
const Dialect& native_d() { return native::contract().dialect; }

// The body a dialect renders for `e`, without the timestamp DRF adds.
json body(const Dialect& d, const ApiError& e) {
  json b = d.body(e);
  if (b.contains("timestamp")) {
    CHECK(b["timestamp"].get<std::string>().back() == 'Z');
    b.erase("timestamp");
  }
  return b;
}

json body(const Dialect& d, Refusal r, std::string detail = {}) { return body(d, d.refusal(r, std::move(detail))); }

Problem problem(Problem::Kind kind, ValueType type, Loc loc) { return Problem::at(kind, type, std::move(loc)); }

}  // namespace

TEST_CASE("every style renders the layer's refusals with their status") {
  struct Case {
    Refusal refusal;
    http::status status;
  };
  for (const Case& c : {Case{Refusal::kNotFound, http::status::not_found},
                        Case{Refusal::kMethodNotAllowed, http::status::method_not_allowed},
                        Case{Refusal::kPayloadTooLarge, http::status::payload_too_large},
                        Case{Refusal::kHeadersTooLarge, http::status::request_header_fields_too_large},
                        Case{Refusal::kUnsupportedMediaType, http::status::unsupported_media_type},
                        Case{Refusal::kSuperuserRequired, http::status::forbidden},
                        Case{Refusal::kInternal, http::status::internal_server_error},
                        Case{Refusal::kUnavailable, http::status::service_unavailable}})
    for (const Dialect* d : {&mcal_d(), &flow_d(), &collab_d(), &admin_d(), &gather_d(), &native_d()})
      CHECK(d->refusal(c.refusal, "detail").status == c.status);
}

TEST_CASE("FastAPI styles: {detail: message}") {
  CHECK(body(mcal_d(), Refusal::kNotFound) == json{{"detail", "Not Found"}});
  CHECK(body(admin_d(), Refusal::kMethodNotAllowed) == json{{"detail", "Method Not Allowed"}});
  CHECK(body(mcal_d(), Refusal::kPayloadTooLarge, "Request body exceeds the limit of 10 bytes") ==
        json{{"detail", "Request body exceeds the limit of 10 bytes"}});
  CHECK(body(mcal_d(), Refusal::kInternal) == json{{"detail", "Internal server error"}});
  CHECK(body(admin_d(), Refusal::kSuperuserRequired) == json{{"detail", "Not enough permissions"}});
  CHECK(body(native_d(), Refusal::kSuperuserRequired) == json{{"detail", "Superuser privileges required"}});
  CHECK(body(mcal_d(), mcal_d().too_many_requests({false, 5, 0, 1'000'000'060}, 1'000'000'000)) ==
        json{{"detail", "Too many requests"}});
}

TEST_CASE("the collab style: {detail: {code, message, errors}}") {
  CHECK(body(collab_d(), Refusal::kNotFound) == json{{"detail", {{"code", "NOT_FOUND"}, {"message", "Not Found"}}}});
  CHECK(body(collab_d(), Refusal::kPayloadTooLarge, "too big")["detail"]["code"] == "PAYLOAD_TOO_LARGE");
  CHECK(body(collab_d(), Refusal::kUnsupportedMediaType, "x")["detail"]["code"] == "UNSUPPORTED_MEDIA_TYPE");
  json limited = body(collab_d(), collab_d().too_many_requests({false, 5, 0, 1'710'842'460}, 1'710'842'400));
  CHECK(limited == json{{"detail",
                         {{"code", "RATE_LIMIT_EXCEEDED"}, {"message", "Too many requests"}, {"reset_at", "2024-03-19T10:01:00Z"}}}});
}

TEST_CASE("the DRF style: {error, message, details, timestamp}") {
  CHECK(body(gather_d(), Refusal::kNotFound) ==
        json{{"error", "not_found"}, {"message", "Not Found"}, {"details", json::object()}});
  CHECK(body(gather_d(), Refusal::kMethodNotAllowed)["error"] == "method_not_allowed");
  CHECK(body(gather_d(), Refusal::kHeadersTooLarge, "x")["error"] == "request_header_fields_too_large");
  json limited = body(gather_d(), gather_d().too_many_requests({false, 100, 0, 1'704'110'460}, 1'704'110'400));
  CHECK(limited == json{{"error", "rate_limit_exceeded"},
                        {"message", "Rate limit exceeded. Try again in 60 seconds."},
                        {"details", {{"limit", 100}, {"window", "1 minute"}, {"reset_at", "2024-01-01T12:01:00Z"}}}});
}

TEST_CASE("missing and rejected credentials, as each document words them") {
  const Status rejected = unauthenticated("Token has expired").because(Reason::kTokenExpired);
  auto check = [&](const Dialect& d, AuthFailure f, http::status status, json expected) {
    ApiError e = d.unauthenticated(f, rejected);
    CHECK(e.status == status);
    CHECK(body(d, e) == expected);
  };
  check(mcal_d(), AuthFailure::kMissing, http::status::unauthorized, {{"detail", "Not authenticated"}});
  check(mcal_d(), AuthFailure::kRejected, http::status::unauthorized, {{"detail", "Token has expired"}});
  // HTTPBearer: 403 without credentials, 401 for a token that does not verify.
  check(flow_d(), AuthFailure::kMissing, http::status::forbidden, {{"detail", "Not authenticated"}});
  check(flow_d(), AuthFailure::kMalformed, http::status::forbidden, {{"detail", "Invalid authentication credentials"}});
  check(flow_d(), AuthFailure::kRejected, http::status::unauthorized, {{"detail", "Could not validate credentials"}});
  check(collab_d(), AuthFailure::kMissing, http::status::unauthorized,
        {{"detail", {{"code", "UNAUTHORIZED"}, {"message", "Not authenticated"}}}});
  check(gather_d(), AuthFailure::kMissing, http::status::unauthorized,
        {{"error", "not_authenticated"},
         {"message", "Authentication credentials were not provided."},
         {"details", json::object()}});
  check(gather_d(), AuthFailure::kRejected, http::status::unauthorized,
        {{"error", "token_not_valid"}, {"message", "Given token not valid for any token type"}, {"details", json::object()}});
  // Every 401 names the scheme.
  Request req{http::verb::get, "/", 11};
  CHECK(mcal_d().render(req, mcal_d().unauthenticated(AuthFailure::kMissing, Status::ok()))[http::field::www_authenticate] ==
        "Bearer");
}

TEST_CASE("validation: every problem, worded by the style, at its location") {
  const std::vector<Problem> problems = {problem(Problem::kMissing, ValueType::kString, {"body", "name"}),
                                         problem(Problem::kType, ValueType::kString, {"body", "color"})};
  ApiError v2 = mcal_d().invalid(problems);
  CHECK(v2.status == http::status::unprocessable_entity);
  CHECK(body(mcal_d(), v2) == json{{"detail",
                                    {{{"loc", {"body", "name"}}, {"msg", "Field required"}, {"type", "missing"}},
                                     {{"loc", {"body", "color"}}, {"msg", "Input should be a valid string"}, {"type", "string_type"}}}}});
  CHECK(body(admin_d(), admin_d().invalid(problems)) ==
        json{{"detail",
              {{{"loc", {"body", "name"}}, {"msg", "field required"}, {"type", "value_error.missing"}},
               {{"loc", {"body", "color"}}, {"msg", "str type expected"}, {"type", "type_error.str"}}}}});
  ApiError coded = collab_d().invalid(problems);
  CHECK(coded.status == http::status::bad_request);
  CHECK(body(collab_d(), coded) == json{{"detail",
                                         {{"code", "VALIDATION_ERROR"},
                                          {"message", "Validation error"},
                                          {"errors",
                                           {{{"field", "name"}, {"message", "Field required"}},
                                            {{"field", "color"}, {"message", "Input should be a valid string"}}}}}}});
  // A field inside a list is named by its dotted path in the collab style.
  CHECK(body(collab_d(), collab_d().invalid(std::vector<Problem>{
            problem(Problem::kMissing, ValueType::kString, {"body", "events", "1", "title"})}))["detail"]["errors"] ==
        json::array({{{"field", "events.1.title"}, {"message", "Field required"}}}));
  ApiError drf = gather_d().invalid(problems);
  CHECK(drf.status == http::status::bad_request);
  CHECK(body(gather_d(), drf) == json{{"error", "validation_error"},
                                      {"message", "Invalid input."},
                                      {"details", {{"name", {"This field is required."}}, {"color", {"Not a valid string."}}}}});
}

TEST_CASE("the wording of bounds, enums and parameters that do not parse") {
  Problem p = problem(Problem::kType, ValueType::kInteger, {"path", "calendar_id"});
  p.text_input = true;
  CHECK(mcal_d().word(p).msg == "Input should be a valid integer, unable to parse string as an integer");
  CHECK(mcal_d().word(p).type == "int_parsing");
  p = problem(Problem::kTooSmall, ValueType::kInteger, {"path", "calendar_id"});
  p.bound = 0;
  p.inclusive = false;
  CHECK(mcal_d().word(p).msg == "Input should be greater than 0");
  CHECK(mcal_d().word(p).type == "greater_than");
  CHECK(admin_d().word(p).type == "value_error.number.not_gt");
  CHECK(gather_d().word(p).msg == "Ensure this value is greater than or equal to 1.");
  p = problem(Problem::kNotAllowed, ValueType::kEnum, {"body", "repeat_frequency"});
  p.allowed = {"none", "daily", "weekly", "monthly", "yearly"};
  p.given = "hourly";
  CHECK(mcal_d().word(p).msg == "Input should be 'none', 'daily', 'weekly', 'monthly' or 'yearly'");
  CHECK(gather_d().word(p).msg == "\"hourly\" is not a valid choice.");
}

TEST_CASE("a body that fails before its fields: alone, among the others, or as an empty object") {
  Problem undecodable = problem(Problem::kUndecodable, ValueType::kObject, {"body"});
  undecodable.message = "the body is not valid JSON";
  const Problem missing = problem(Problem::kMissing, ValueType::kObject, {"body"});
  Problem not_object = problem(Problem::kType, ValueType::kObject, {"body"});
  not_object.given = "array";
  std::vector<Problem> listed;

  auto v2 = mcal_d().body_failure(undecodable, listed);
  REQUIRE(v2);
  CHECK(body(mcal_d(), *v2) == json{{"detail", {{{"loc", {"body"}}, {"msg", "JSON decode error"}, {"type", "json_invalid"}}}}});
  CHECK_FALSE(flow_d().body_failure(not_object, listed));
  REQUIRE(listed.size() == 1);
  CHECK(flow_d().word(listed[0]).msg == "Input should be a valid dictionary or object to extract fields from");
  CHECK(admin_d().word(listed[0]).type == "type_error.dict");

  listed.clear();
  auto coded = collab_d().body_failure(missing, listed);
  REQUIRE(coded);
  CHECK(body(collab_d(), *coded) == json{{"detail",
                                          {{"code", "VALIDATION_ERROR"},
                                           {"message", "Invalid request body"},
                                           {"errors", {{{"field", "body"}, {"message", "Input should be an object"}}}}}}});

  auto drf = gather_d().body_failure(undecodable, listed);
  REQUIRE(drf);
  CHECK(body(gather_d(), *drf) == json{{"error", "parse_error"},
                                       {"message", "Malformed request body: the body is not valid JSON"},
                                       {"details", json::object()}});
  CHECK_FALSE(gather_d().body_failure(missing, listed));
  CHECK(listed.empty());  // DRF reads an absent body as {}
  CHECK_FALSE(gather_d().body_failure(not_object, listed));
  REQUIRE(listed.size() == 1);
  CHECK(gather_d().word(listed[0]).msg == "Invalid data. Expected a dictionary, but got array.");
}

TEST_CASE("domain refusals: by reason where the contract words them, else by code") {
  const Status taken = conflict("Username already exists", "username").because(Reason::kDuplicateUsername);
  CHECK(body(flow_d(), flow_d().domain(taken)) == json{{"detail", "Username already exists"}});
  CHECK(flow_d().domain(taken).status == http::status::conflict);
  CHECK(admin_d().domain(taken).status == http::status::bad_request);
  CHECK(body(admin_d(), admin_d().domain(taken)) == json{{"detail", "Username already registered"}});
  CHECK(body(collab_d(), collab_d().domain(taken)) ==
        json{{"detail",
              {{"code", "CONFLICT"},
               {"message", "Username already exists"},
               {"errors", {{{"field", "username"}, {"message", "Username already exists"}}}}}}});
  CHECK(body(gather_d(), gather_d().domain(taken)) ==
        json{{"error", "conflict"},
             {"message", "Username already exists"},
             {"details", {{"username", {"A user with that username already exists."}}}}});

  const Status stale = conflict("Resource was modified", "If-Match").because(Reason::kStaleVersion);
  CHECK(mcal_d().domain(stale).status == http::status::precondition_failed);
  CHECK(body(flow_d(), flow_d().domain(stale)) == json{{"detail", "Precondition Failed"}});

  // A route's own table comes first.
  constexpr ReasonAnswer route[] = {{Reason::kStaleVersion, http::status::conflict, "Changed meanwhile"}};
  CHECK(body(mcal_d(), mcal_d().domain(stale, route)) == json{{"detail", "Changed meanwhile"}});

  const Status bad_email = invalid("Invalid email address", "email").because(Reason::kInvalidEmail);
  CHECK(body(admin_d(), admin_d().domain(bad_email)) ==
        json{{"detail",
              {{{"loc", {"body", "email"}}, {"msg", "value is not a valid email address"}, {"type", "value_error.email"}}}}});
  // flowstate's 422 also carries the message of the service's validation handler.
  CHECK(body(flow_d(), flow_d().domain(bad_email)) ==
        json{{"detail", {{{"loc", {"body", "email"}}, {"msg", "Invalid email address"}, {"type", "value_error"}}}},
             {"message", "Validation Error"}});
  CHECK(body(mcal_d(), mcal_d().domain(bad_email)) ==
        json{{"detail", {{{"loc", {"body", "email"}}, {"msg", "Invalid email address"}, {"type", "value_error"}}}}});

  // flowstate words the event rules and the reset token its own way; mcal keeps the 422.
  const Status blank = invalid("Title must not be empty", "title").because(Reason::kBlankTitle);
  const Status order = invalid("end_time must be after start_time", "end_time").because(Reason::kEndNotAfterStart);
  const Status clash = conflict("Event time conflicts with existing events").because(Reason::kTimeConflict);
  const Status reset = invalid("Invalid or expired password reset token", "token").because(Reason::kInvalidResetToken);
  CHECK(flow_d().domain(blank).status == http::status::bad_request);
  CHECK(body(flow_d(), flow_d().domain(blank)) == json{{"detail", "Event title cannot be empty"}});
  CHECK(body(flow_d(), flow_d().domain(order)) == json{{"detail", "Event start time must be before end time"}});
  CHECK(flow_d().domain(clash).status == http::status::conflict);
  CHECK(body(flow_d(), flow_d().domain(clash)) == json{{"detail", "Event time conflicts with existing events"}});
  CHECK(body(flow_d(), flow_d().domain(reset)) == json{{"detail", "Invalid or expired password reset token"}});
  CHECK(flow_d().domain(reset).status == http::status::bad_request);
  CHECK(mcal_d().domain(blank).status == http::status::unprocessable_entity);
  CHECK(mcal_d().domain(order).status == http::status::unprocessable_entity);
  CHECK(flow_d().error_schema()["properties"].contains("message"));

  CHECK(mcal_d().domain(not_found("Calendar not found")).status == http::status::not_found);
  CHECK(mcal_d().domain(unavailable("restart the server")).status == http::status::service_unavailable);
  CHECK(gather_d().domain(unauthenticated("x").because(Reason::kTokenInvalid)).code == "token_not_valid");
}
