#include "api/handler.hpp"

namespace almanac::api {

namespace {

bool has_type(std::string_view header, std::string_view type) { return header.find(type) != std::string_view::npos; }

// Whether a body of media type `type` can be read by `route` (JSON when no
// type is given; MessagePack always; forms and files where the route takes them).
bool readable(std::string_view type, const Route& route) {
  if (type.empty() || has_type(type, "application/json") || has_type(type, "+json")) return true;
  if (has_type(type, "application/x-msgpack") || has_type(type, "application/msgpack")) return true;
  if (route.takes_multipart && has_type(type, "multipart/form-data")) return true;
  return route.takes_form && has_type(type, "application/x-www-form-urlencoded");
}

}  // namespace

bool Input::decode_body(json& object) {
  const Dialect& dialect = ex_.dialect();
  const std::string_view type = ex_.req[http::field::content_type];
  const Route& route = *ex_.route;
  if (!readable(type, route)) {
    if (!refused_)
      refused_ = dialect.refusal(Refusal::kUnsupportedMediaType,
                                 "Unsupported media type '" + std::string(type) +
                                     "': send application/json or application/x-msgpack" +
                                     (route.takes_form ? " or application/x-www-form-urlencoded" : "") +
                                     (route.takes_multipart ? " or multipart/form-data" : ""));
    return false;
  }
  Problem p;
  p.type = ValueType::kObject;
  p.loc = {"body"};
  if (has_type(type, "multipart/form-data")) {
    // Files aside; the other parts are the body's fields, as text.
    auto boundary = multipart_boundary(type);
    auto parts = boundary ? parse_multipart(*boundary, ex_.req.body())
                          : Result<std::vector<FormPart>>(invalid("the multipart Content-Type names no boundary", "body"));
    if (parts) {
      object = json::object();
      for (FormPart& part : *parts) {
        if (part.filename)
          files_.push_back(std::move(part));
        else
          object[part.name] = std::move(part.data);
      }
      if (is_utf8(object)) return true;
      parts = invalid("a field of the form is not valid UTF-8", "body");
    }
    p.kind = Problem::kUndecodable;
    p.message = parts.status().message();
    if (auto refusal = dialect.body_failure(p, problems_))
      if (!refused_) refused_ = std::move(*refusal);
    return false;
  }
  Result<json> body = parse_body(ex_.req);
  if (!body) {
    p.kind = Problem::kUndecodable;
    p.message = body.status().message();
  } else if (body->is_null()) {
    p.kind = Problem::kMissing;
  } else if (!body->is_object()) {
    p.kind = Problem::kType;
    p.given = body->type_name();
  } else {
    object = std::move(body.value());
    return true;
  }
  const size_t before = problems_.size();
  if (auto refusal = dialect.body_failure(p, problems_)) {
    if (!refused_) refused_ = std::move(*refusal);
    return false;
  }
  if (problems_.size() != before) return false;
  object = json::object();  // the style reads a missing body as an empty object
  return true;
}

std::optional<ApiError> Input::error() const {
  if (refused_) return refused_;
  if (!problems_.empty()) return ex_.dialect().invalid(problems_);
  return std::nullopt;
}

std::optional<Response> Input::refusal() const {
  auto e = error();
  if (!e) return std::nullopt;
  return ex_.dialect().render(ex_.req, *e);
}

Response reply(const Exchange& ex, http::status status, const json& body) { return make_response(ex.req, status, body); }

Response reply_empty(const Exchange& ex, http::status status) { return make_empty(ex.req, status); }

Response refuse(const Exchange& ex, const ApiError& e) { return ex.dialect().render(ex.req, e); }

Response fail(const Exchange& ex, const Status& s, std::span<const ReasonAnswer> answers) {
  return refuse(ex, ex.dialect().domain(s, answers));
}

Response with_etag(Response res, uint64_t version) {
  res.set(http::field::etag, etag(version));
  return res;
}

int64_t created_id(const cmd::CommandResult& r) { return r.events.empty() ? 0 : r.events.front().stream_id; }

}  // namespace almanac::api
