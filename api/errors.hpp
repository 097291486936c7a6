// Errors as each contract's clients expect them.
//
// A handler describes what went wrong once, as an ApiError (status, a machine
// code, a message, the fields at fault); render_error() writes it in the shape
// of the contract that owns the route:
//   collab     {"detail":{"code":"NOT_FOUND","message":"...","errors":[{"field","message"}]}}
//   flowstate, mcal, admin, native (FastAPI)
//              {"detail":"..."}  and for 422  {"detail":[{"loc":[...],"msg":"...","type":"..."}]}
//   gather     {"error":"not_found","message":"...","details":{"field":["..."]},"timestamp":"..."}
#pragma once

#include <string>
#include <vector>

#include "api/http.hpp"
#include "events/status.hpp"

namespace almanac::api {

struct FieldError {
  std::vector<std::string> loc;  // e.g. {"body", "email"}, {"path", "calendar_id"}
  std::string msg;               // "Field required"
  std::string type;              // "missing", "value_error", ...
};

struct ApiError {
  http::status status = http::status::internal_server_error;
  std::string code;              // collab/gather machine code; derived from status when empty
  std::string message;
  std::vector<FieldError> fields;
  json extra = json::object();   // contract extras (reset_at, limit, ...), merged into the body
};

// The one table from domain codes to HTTP statuses. Contracts that document a
// different status for a case say so where they handle it.
http::status status_for(Code code);

// A domain Status as an ApiError (status from the table, message as phrased by
// the domain, the field when it names one).
ApiError from_status(const Status& s);

// Helpers for the common cases.
ApiError not_found_error(std::string message);
ApiError validation_error(std::vector<FieldError> fields, std::string message = "Validation error");
ApiError unauthorized_error(std::string message);

// The error body in `contract`'s shape, JSON or MessagePack per `req`'s Accept;
// a 401 also carries "WWW-Authenticate: Bearer".
Response render_error(Contract contract, const Request& req, const ApiError& error);

}  // namespace almanac::api
