// The error styles of the five documents. A contract's dialect is one of
// these, or a subclass of one in the contract's folder that overrides what
// its document words differently (and holds its table of answers by reason).
//
//   PydanticV2Dialect   FastAPI with Pydantic v2 (mcal, flowstate, the native routes):
//                       {"detail": "..."}; 422 {"detail": [{"loc", "msg", "type"}]}
//   PydanticV1Dialect   FastAPI with Pydantic v1 (admin): the same shapes, v1's wording
//                       and types ("field required", "value_error.missing")
//   CodedDetailDialect  a FastAPI service whose handlers wrap every error (collab):
//                       {"detail": {"code", "message", "errors": [{"field", "message"}]}},
//                       validation 400 with Pydantic v2's wording; a nested field is
//                       named by its dotted path ("events.1.title")
//   DrfDialect          Django REST framework (gather):
//                       {"error", "message", "details": {field: [...]}, "timestamp"},
//                       validation 400 with DRF's wording
#pragma once

#include "api/dialect.hpp"

namespace almanac::api {

class PydanticV2Dialect : public Dialect {
 public:
  json body(const ApiError& e) const override;
  std::string_view error_schema_name() const override { return "FastApiError"; }
  json error_schema() const override;
  FieldError word(const Problem& p) const override;
};

class PydanticV1Dialect : public PydanticV2Dialect {
 public:
  FieldError word(const Problem& p) const override;

 protected:
  // An email the domain refuses is Pydantic v1's value_error.email, worded as
  // its EmailStr words it.
  ApiError by_code(const Status& s) const override;
};

class CodedDetailDialect : public PydanticV2Dialect {
 public:
  json body(const ApiError& e) const override;
  std::string_view error_schema_name() const override { return "CodedDetailError"; }
  json error_schema() const override;
  http::status validation_status() const override { return http::status::bad_request; }
  std::optional<ApiError> body_failure(const Problem& p, std::vector<Problem>& problems) const override;
  ApiError too_many_requests(const RateDecision& d, int64_t now_s) const override;

 protected:
  // A conflict names its field in `errors`.
  ApiError by_code(const Status& s) const override;
};

class DrfDialect : public Dialect {
 public:
  json body(const ApiError& e) const override;
  std::string_view error_schema_name() const override { return "DrfError"; }
  json error_schema() const override;
  http::status validation_status() const override { return http::status::bad_request; }
  FieldError word(const Problem& p) const override;
  std::optional<ApiError> body_failure(const Problem& p, std::vector<Problem>& problems) const override;
  ApiError unauthenticated(AuthFailure failure, const Status& why) const override;
  ApiError too_many_requests(const RateDecision& d, int64_t now_s) const override;

 protected:
  ApiError invalid_fields(std::vector<FieldError> fields) const override;
  // Every refusal of a token is simplejwt's token_not_valid.
  ApiError by_code(const Status& s) const override;
};

}  // namespace almanac::api
