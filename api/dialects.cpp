#include "api/dialects.hpp"

#include <algorithm>

#include "api/rate_limit.hpp"
#include "api/time_format.hpp"

namespace almanac::api {

namespace {

std::string plural(int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// 'a', 'b' or 'c'
std::string or_list(const std::vector<std::string>& allowed) {
  std::string out;
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (i) out += i + 1 == allowed.size() ? " or " : ", ";
    out += "'" + allowed[i] + "'";
  }
  return out;
}

bool is_body(const Problem& p) { return p.loc.size() == 1 && p.loc[0] == "body"; }

// A location without its first part (body, query, path), dotted: "events.1.title".
std::string field_path(const std::vector<std::string>& loc) {
  if (loc.size() <= 1) return loc.empty() ? std::string() : loc[0];
  std::string out;
  for (size_t i = 1; i < loc.size(); ++i) out += (i > 1 ? "." : "") + loc[i];
  return out;
}

// A problem worded `msg` with machine type `type`.
FieldError worded(const Problem& p, std::string msg, std::string type) {
  return {p.loc, std::move(msg), std::move(type)};
}

json field_error_schema() {
  return {{"type", "object"},
          {"required", json::array({"loc", "msg", "type"})},
          {"properties",
           {{"loc", {{"type", "array"}, {"items", {{"type", json::array({"string", "integer"})}}}}},
            {"msg", {{"type", "string"}}},
            {"type", {{"type", "string"}}}}}};
}

// Machine codes by status: the collab document's upper-case ones and the
// gather document's lower-case ones.
std::string upper_code(http::status s) {
  switch (s) {
    case http::status::bad_request:
    case http::status::unprocessable_entity: return "VALIDATION_ERROR";
    case http::status::unauthorized: return "UNAUTHORIZED";
    case http::status::forbidden: return "FORBIDDEN";
    case http::status::not_found: return "NOT_FOUND";
    case http::status::method_not_allowed: return "METHOD_NOT_ALLOWED";
    case http::status::conflict: return "CONFLICT";
    case http::status::precondition_failed: return "PRECONDITION_FAILED";
    case http::status::payload_too_large: return "PAYLOAD_TOO_LARGE";
    case http::status::unsupported_media_type: return "UNSUPPORTED_MEDIA_TYPE";
    case http::status::upgrade_required: return "UPGRADE_REQUIRED";
    case http::status::request_header_fields_too_large: return "REQUEST_HEADER_FIELDS_TOO_LARGE";
    case http::status::too_many_requests: return "RATE_LIMIT_EXCEEDED";
    case http::status::service_unavailable: return "SERVICE_UNAVAILABLE";
    default: return "INTERNAL_ERROR";
  }
}

std::string lower_code(http::status s) {
  switch (s) {
    case http::status::bad_request:
    case http::status::unprocessable_entity: return "validation_error";
    case http::status::unauthorized: return "authentication_failed";
    case http::status::forbidden: return "permission_denied";
    case http::status::not_found: return "not_found";
    case http::status::method_not_allowed: return "method_not_allowed";
    case http::status::conflict: return "conflict";
    case http::status::precondition_failed: return "precondition_failed";
    case http::status::payload_too_large: return "payload_too_large";
    case http::status::unsupported_media_type: return "unsupported_media_type";
    case http::status::upgrade_required: return "upgrade_required";
    case http::status::request_header_fields_too_large: return "request_header_fields_too_large";
    case http::status::too_many_requests: return "rate_limit_exceeded";
    case http::status::service_unavailable: return "service_unavailable";
    default: return "internal_error";
  }
}

}  // namespace

// ---- FastAPI, Pydantic v2 ---------------------------------------------------------

json PydanticV2Dialect::body(const ApiError& e) const {
  if (e.status == http::status::unprocessable_entity && !e.fields.empty()) {
    json list = json::array();
    for (const auto& f : e.fields) {
      json loc = json::array();
      for (const auto& part : f.loc) {
        // Array indices are numbers in FastAPI's loc.
        if (!part.empty() && part.find_first_not_of("0123456789") == std::string::npos && part.size() < 10)
          loc.push_back(std::stoll(part));
        else
          loc.push_back(part);
      }
      list.push_back({{"loc", std::move(loc)}, {"msg", f.msg}, {"type", f.type}});
    }
    return {{"detail", std::move(list)}};
  }
  json body = {{"detail", e.message}};
  for (auto& [k, v] : e.extra.items()) body[k] = v;
  return body;
}

json PydanticV2Dialect::error_schema() const {
  return {{"description", "FastAPI's errors: a message, or for a 422 every field at fault."},
          {"type", "object"},
          {"required", json::array({"detail"})},
          {"properties",
           {{"detail", {{"anyOf", {{{"type", "string"}}, {{"type", "array"}, {"items", field_error_schema()}}}}}}}}};
}

FieldError PydanticV2Dialect::word(const Problem& p) const {
  switch (p.kind) {
    case Problem::kMissing: return worded(p, "Field required", "missing");
    case Problem::kNull:
    case Problem::kType:
      switch (p.type) {
        case ValueType::kString: return worded(p, "Input should be a valid string", "string_type");
        case ValueType::kInteger:
          return p.text_input
                     ? worded(p, "Input should be a valid integer, unable to parse string as an integer", "int_parsing")
                     : worded(p, "Input should be a valid integer", "int_type");
        case ValueType::kNumber:
          return p.text_input
                     ? worded(p, "Input should be a valid number, unable to parse string as a number", "float_parsing")
                     : worded(p, "Input should be a valid number", "float_type");
        case ValueType::kBoolean:
          return p.text_input ? worded(p, "Input should be a valid boolean, unable to interpret input", "bool_parsing")
                              : worded(p, "Input should be a valid boolean", "bool_type");
        case ValueType::kEnum: return worded(p, "Input should be " + or_list(p.allowed), "enum");
        case ValueType::kUuid:
          return p.text_input ? worded(p, "Input should be a valid UUID, unable to parse string as a UUID", "uuid_parsing")
                              : worded(p, "UUID input should be a string, bytes or UUID object", "uuid_type");
        case ValueType::kEmail:
          return worded(p, "value is not a valid email address: " +
                               (p.message.empty() ? std::string("An email address must have an @-sign.") : p.message),
                        "value_error");
        case ValueType::kDate:
          return worded(p, "Input should be a valid date in the format YYYY-MM-DD", "date_parsing");
        case ValueType::kDateTime:
          return worded(p, "Input should be a valid datetime in ISO 8601 format (YYYY-MM-DDTHH:MM:SS)",
                        "datetime_parsing");
        case ValueType::kObject:
          return is_body(p) ? worded(p, "Input should be a valid dictionary or object to extract fields from",
                                     "model_attributes_type")
                            : worded(p, "Input should be a valid dictionary", "dict_type");
        case ValueType::kList: return worded(p, "Input should be a valid list", "list_type");
      }
      break;
    case Problem::kTooShort:
      return p.type == ValueType::kList
                 ? worded(p, "List should have at least " + plural(p.bound, "item", "items") + " after validation",
                          "too_short")
                 : worded(p, "String should have at least " + plural(p.bound, "character", "characters"),
                          "string_too_short");
    case Problem::kTooLong:
      return p.type == ValueType::kList
                 ? worded(p, "List should have at most " + plural(p.bound, "item", "items") + " after validation",
                          "too_long")
                 : worded(p, "String should have at most " + plural(p.bound, "character", "characters"),
                          "string_too_long");
    case Problem::kTooSmall:
      return p.inclusive ? worded(p, "Input should be greater than or equal to " + std::to_string(p.bound),
                                  "greater_than_equal")
                         : worded(p, "Input should be greater than " + std::to_string(p.bound), "greater_than");
    case Problem::kTooBig:
      return p.inclusive
                 ? worded(p, "Input should be less than or equal to " + std::to_string(p.bound), "less_than_equal")
                 : worded(p, "Input should be less than " + std::to_string(p.bound), "less_than");
    case Problem::kNotAllowed: return worded(p, "Input should be " + or_list(p.allowed), "enum");
    case Problem::kTooLarge:
      return worded(p, "Value error, must be at most " + std::to_string(p.bound) + " bytes as JSON", "value_error");
    case Problem::kUndecodable: return worded(p, "JSON decode error", "json_invalid");
    case Problem::kInvalid: break;
  }
  return worded(p, p.message, "value_error");
}

// ---- FastAPI, Pydantic v1 ---------------------------------------------------------

FieldError PydanticV1Dialect::word(const Problem& p) const {
  switch (p.kind) {
    case Problem::kMissing: return worded(p, "field required", "value_error.missing");
    case Problem::kNull: return worded(p, "none is not an allowed value", "type_error.none.not_allowed");
    case Problem::kType:
      switch (p.type) {
        case ValueType::kString: return worded(p, "str type expected", "type_error.str");
        case ValueType::kInteger: return worded(p, "value is not a valid integer", "type_error.integer");
        case ValueType::kNumber: return worded(p, "value is not a valid float", "type_error.float");
        case ValueType::kBoolean: return worded(p, "value could not be parsed to a boolean", "type_error.bool");
        case ValueType::kEnum:
          return worded(p, "value is not a valid enumeration member; permitted: " + or_list(p.allowed),
                        "type_error.enum");
        case ValueType::kUuid: return worded(p, "value is not a valid uuid", "type_error.uuid");
        case ValueType::kEmail: return worded(p, "value is not a valid email address", "value_error.email");
        case ValueType::kDate: return worded(p, "invalid date format", "value_error.date");
        case ValueType::kDateTime: return worded(p, "invalid datetime format", "value_error.datetime");
        case ValueType::kObject: return worded(p, "value is not a valid dict", "type_error.dict");
        case ValueType::kList: return worded(p, "value is not a valid list", "type_error.list");
      }
      break;
    case Problem::kTooShort:
      return p.type == ValueType::kList
                 ? worded(p, "ensure this value has at least " + plural(p.bound, "item", "items"),
                          "value_error.list.min_items")
                 : worded(p, "ensure this value has at least " + std::to_string(p.bound) + " characters",
                          "value_error.any_str.min_length");
    case Problem::kTooLong:
      return p.type == ValueType::kList
                 ? worded(p, "ensure this value has at most " + plural(p.bound, "item", "items"),
                          "value_error.list.max_items")
                 : worded(p, "ensure this value has at most " + std::to_string(p.bound) + " characters",
                          "value_error.any_str.max_length");
    case Problem::kTooSmall:
      return p.inclusive ? worded(p, "ensure this value is greater than or equal to " + std::to_string(p.bound),
                                  "value_error.number.not_ge")
                         : worded(p, "ensure this value is greater than " + std::to_string(p.bound),
                                  "value_error.number.not_gt");
    case Problem::kTooBig:
      return p.inclusive ? worded(p, "ensure this value is less than or equal to " + std::to_string(p.bound),
                                  "value_error.number.not_le")
                         : worded(p, "ensure this value is less than " + std::to_string(p.bound),
                                  "value_error.number.not_lt");
    case Problem::kNotAllowed:
      return worded(p, "value is not a valid enumeration member; permitted: " + or_list(p.allowed),
                    "type_error.enum");
    case Problem::kTooLarge:
      return worded(p, "ensure this value has at most " + std::to_string(p.bound) + " bytes as JSON",
                    "value_error");
    case Problem::kUndecodable: return worded(p, "JSON decode error", "value_error.jsondecode");
    case Problem::kInvalid: break;
  }
  return worded(p, p.message, "value_error");
}

ApiError PydanticV1Dialect::by_code(const Status& s) const {
  ApiError e = PydanticV2Dialect::by_code(s);
  if (s.reason() == Reason::kInvalidEmail)
    for (FieldError& f : e.fields) {
      f.msg = "value is not a valid email address";
      f.type = "value_error.email";
    }
  return e;
}

// ---- {"detail": {"code", "message", "errors"}} -----------------------------------------

json CodedDetailDialect::body(const ApiError& e) const {
  json detail = {{"code", e.code.empty() ? upper_code(e.status) : e.code}, {"message", e.message}};
  if (!e.fields.empty()) {
    json errors = json::array();
    for (const auto& f : e.fields) errors.push_back({{"field", field_path(f.loc)}, {"message", f.msg}});
    detail["errors"] = std::move(errors);
  }
  for (auto& [k, v] : e.extra.items()) detail[k] = v;
  return {{"detail", std::move(detail)}};
}

json CodedDetailDialect::error_schema() const {
  json field = {{"type", "object"},
                {"properties", {{"field", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}};
  json detail = {{"type", "object"},
                 {"required", json::array({"code", "message"})},
                 {"properties",
                  {{"code", {{"type", "string"}, {"examples", json::array({"NOT_FOUND", "VALIDATION_ERROR"})}}},
                   {"message", {{"type", "string"}}},
                   {"errors", {{"type", "array"}, {"items", field}}}}}};
  return {{"description", "A machine code, a message and the fields at fault."},
          {"type", "object"},
          {"required", json::array({"detail"})},
          {"properties", {{"detail", std::move(detail)}}}};
}

std::optional<ApiError> CodedDetailDialect::body_failure(const Problem& p, std::vector<Problem>&) const {
  std::string why = p.kind == Problem::kUndecodable ? p.message : "Input should be an object";
  const char* type = p.kind == Problem::kUndecodable ? "json_invalid" : "model_type";
  return ApiError{http::status::bad_request, "VALIDATION_ERROR", "Invalid request body",
                  {{{"body", "body"}, std::move(why), type}}, json::object()};
}

ApiError CodedDetailDialect::too_many_requests(const RateDecision& d, int64_t) const {
  ApiError e = Dialect::too_many_requests(d, 0);
  e.extra = {{"reset_at", format_utc(d.reset_at_s * 1'000'000)}};
  return e;
}

ApiError CodedDetailDialect::by_code(const Status& s) const {
  ApiError e = PydanticV2Dialect::by_code(s);
  if (s.code() == Code::kConflict && !s.field().empty())
    e.fields.push_back({{"body", s.field()}, s.message(), "conflict"});
  return e;
}

// ---- Django REST framework ----------------------------------------------------------

json DrfDialect::body(const ApiError& e) const {
  json details = json::object();
  for (const auto& f : e.fields) {
    std::string key = f.loc.size() <= 1 ? "non_field_errors" : f.loc.back();
    details[key].push_back(f.msg);
  }
  for (auto& [k, v] : e.extra.items()) details[k] = v;
  return {{"error", e.code.empty() ? lower_code(e.status) : e.code},
          {"message", e.message},
          {"details", std::move(details)},
          {"timestamp", format_utc(now_us())}};
}

json DrfDialect::error_schema() const {
  return {{"description", "A machine code, a message, messages per field and the time."},
          {"type", "object"},
          {"required", json::array({"error", "message", "timestamp"})},
          {"properties",
           {{"error", {{"type", "string"}, {"examples", json::array({"not_found", "validation_error"})}}},
            {"message", {{"type", "string"}}},
            {"details", {{"type", "object"}}},
            {"timestamp", {{"type", "string"}, {"format", "date-time"}}}}}};
}

FieldError DrfDialect::word(const Problem& p) const {
  switch (p.kind) {
    case Problem::kMissing: return worded(p, "This field is required.", "required");
    case Problem::kNull: return worded(p, "This field may not be null.", "null");
    case Problem::kType:
      switch (p.type) {
        case ValueType::kString: return worded(p, "Not a valid string.", "invalid");
        case ValueType::kInteger: return worded(p, "A valid integer is required.", "invalid");
        case ValueType::kNumber: return worded(p, "A valid number is required.", "invalid");
        case ValueType::kBoolean: return worded(p, "Must be a valid boolean.", "invalid");
        case ValueType::kEnum: return worded(p, "\"" + p.given + "\" is not a valid choice.", "invalid_choice");
        case ValueType::kUuid: return worded(p, "Must be a valid UUID.", "invalid");
        case ValueType::kEmail: return worded(p, "Enter a valid email address.", "invalid");
        case ValueType::kDate:
          return worded(p, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.", "invalid");
        case ValueType::kDateTime:
          return worded(p,
                        "Datetime has wrong format. Use one of these formats instead: "
                        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
                        "invalid");
        case ValueType::kObject:
          return is_body(p) ? worded(p, "Invalid data. Expected a dictionary, but got " + p.given + ".", "invalid")
                            : worded(p, "Expected a dictionary of items but got type \"" + p.given + "\".",
                                     "not_a_dict");
        case ValueType::kList:
          return worded(p, "Expected a list of items but got type \"" + p.given + "\".", "not_a_list");
      }
      break;
    case Problem::kTooShort:
      if (p.type == ValueType::kList)
        return worded(p, "Ensure this field has at least " + plural(p.bound, "element", "elements") + ".", "min_length");
      if (p.bound == 1) return worded(p, "This field may not be blank.", "blank");
      return worded(p, "Ensure this field has at least " + plural(p.bound, "character", "characters") + ".",
                    "min_length");
    case Problem::kTooLong:
      return worded(p,
                    "Ensure this field has no more than " +
                        (p.type == ValueType::kList ? plural(p.bound, "element", "elements")
                                                    : plural(p.bound, "character", "characters")) +
                        ".",
                    "max_length");
    case Problem::kTooSmall:
      return worded(p, "Ensure this value is greater than or equal to " +
                           std::to_string(p.inclusive ? p.bound : p.bound + 1) + ".",
                    "min_value");
    case Problem::kTooBig:
      return worded(p, "Ensure this value is less than or equal to " +
                           std::to_string(p.inclusive ? p.bound : p.bound - 1) + ".",
                    "max_value");
    case Problem::kNotAllowed: return worded(p, "\"" + p.given + "\" is not a valid choice.", "invalid_choice");
    case Problem::kTooLarge:
      return worded(p, "Ensure this field has no more than " + std::to_string(p.bound) + " bytes as JSON.",
                    "max_length");
    case Problem::kUndecodable: return worded(p, "Malformed request body: " + p.message, "parse_error");
    case Problem::kInvalid: break;
  }
  return worded(p, p.message, "invalid");
}

std::optional<ApiError> DrfDialect::body_failure(const Problem& p, std::vector<Problem>& problems) const {
  if (p.kind == Problem::kUndecodable)
    return ApiError{http::status::bad_request, "parse_error", "Malformed request body: " + p.message, {},
                    json::object()};
  // DRF reads an empty body as an empty object: its fields are then missing.
  if (p.kind != Problem::kMissing) problems.push_back(p);
  return std::nullopt;
}

ApiError DrfDialect::invalid_fields(std::vector<FieldError> fields) const {
  return {http::status::bad_request, "validation_error", "Invalid input.", std::move(fields), json::object()};
}

ApiError DrfDialect::unauthenticated(AuthFailure failure, const Status&) const {
  if (failure == AuthFailure::kRejected)
    return {http::status::unauthorized, "token_not_valid", "Given token not valid for any token type", {},
            json::object()};
  return {http::status::unauthorized, "not_authenticated", "Authentication credentials were not provided.", {},
          json::object()};
}

ApiError DrfDialect::too_many_requests(const RateDecision& d, int64_t now_s) const {
  const int64_t wait = std::max<int64_t>(1, d.reset_at_s - now_s);
  ApiError e{http::status::too_many_requests, "",
             "Rate limit exceeded. Try again in " + std::to_string(wait) + " seconds.", {}, json::object()};
  e.extra = {{"limit", d.limit}, {"window", "1 minute"}, {"reset_at", format_utc(d.reset_at_s * 1'000'000)}};
  return e;
}

ApiError DrfDialect::by_code(const Status& s) const {
  ApiError e = Dialect::by_code(s);
  if (s.code() == Code::kUnauthenticated) e.code = "token_not_valid";
  return e;
}

}  // namespace almanac::api
