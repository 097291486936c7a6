#include "api/errors.hpp"

#include "api/content.hpp"
#include "api/time_format.hpp"

namespace almanac::api {

const char* contract_name(Contract c) {
  switch (c) {
    case Contract::kCollab: return "collab";
    case Contract::kFlowstate: return "flowstate";
    case Contract::kMcal: return "mcal";
    case Contract::kAdmin: return "admin";
    case Contract::kGather: return "gather";
    case Contract::kNative: return "native";
    case Contract::kNone: break;
  }
  return "none";
}

http::status status_for(Code code) {
  switch (code) {
    case Code::kOk: return http::status::ok;
    case Code::kNotFound: return http::status::not_found;
    case Code::kInvalidArgument: return http::status::unprocessable_entity;
    case Code::kConflict: return http::status::conflict;
    case Code::kForbidden: return http::status::forbidden;
    case Code::kUnauthenticated: return http::status::unauthorized;
    case Code::kFailedPrecondition: return http::status::bad_request;
    case Code::kUnavailable: return http::status::service_unavailable;
    case Code::kInternal:
    case Code::kDataLoss: return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

ApiError from_status(const Status& s) {
  ApiError e;
  e.status = status_for(s.code());
  e.message = s.message();
  if (!s.field().empty())
    e.fields.push_back({{"body", s.field()}, s.message(),
                        s.code() == Code::kInvalidArgument ? "value_error" : "conflict"});
  return e;
}

ApiError not_found_error(std::string message) {
  return {http::status::not_found, "", std::move(message), {}, json::object()};
}

ApiError validation_error(std::vector<FieldError> fields, std::string message) {
  return {http::status::unprocessable_entity, "", std::move(message), std::move(fields), json::object()};
}

ApiError unauthorized_error(std::string message) {
  return {http::status::unauthorized, "", std::move(message), {}, json::object()};
}

namespace {

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
    case http::status::too_many_requests: return "rate_limit_exceeded";
    case http::status::service_unavailable: return "service_unavailable";
    default: return "internal_error";
  }
}

json collab_body(const ApiError& e) {
  json detail = {{"code", e.code.empty() ? upper_code(e.status) : e.code}, {"message", e.message}};
  if (!e.fields.empty()) {
    json errors = json::array();
    for (const auto& f : e.fields)
      errors.push_back({{"field", f.loc.empty() ? "" : f.loc.back()}, {"message", f.msg}});
    detail["errors"] = std::move(errors);
  }
  for (auto& [k, v] : e.extra.items()) detail[k] = v;
  return {{"detail", std::move(detail)}};
}

json fastapi_body(const ApiError& e) {
  if (e.status == http::status::unprocessable_entity && !e.fields.empty()) {
    json list = json::array();
    for (const auto& f : e.fields) {
      json loc = json::array();
      for (const auto& part : f.loc) {
        // Array indices are numbers in FastAPI's loc.
        if (!part.empty() && part.find_first_not_of("0123456789") == std::string::npos)
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

json gather_body(const ApiError& e) {
  json details = json::object();
  for (const auto& f : e.fields) {
    std::string key = f.loc.empty() ? "non_field_errors" : f.loc.back();
    details[key].push_back(f.msg);
  }
  for (auto& [k, v] : e.extra.items()) details[k] = v;
  return {{"error", e.code.empty() ? lower_code(e.status) : e.code},
          {"message", e.message},
          {"details", std::move(details)},
          {"timestamp", format_utc(now_us())}};
}

}  // namespace

Response render_error(Contract contract, const Request& req, const ApiError& e) {
  json body;
  switch (contract) {
    case Contract::kCollab: body = collab_body(e); break;
    case Contract::kGather: body = gather_body(e); break;
    default: body = fastapi_body(e); break;
  }
  Response res = make_response(req, e.status, body);
  // A 401 names the scheme the client should use (RFC 9110 §11.6.1).
  if (e.status == http::status::unauthorized) res.set(http::field::www_authenticate, "Bearer");
  return res;
}

}  // namespace almanac::api
