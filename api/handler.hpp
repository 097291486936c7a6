// The handler toolkit: what a contract's handler uses between dispatch (which
// has identified the caller and applied the rate limit) and its answer. Every
// handler has one shape:
//
//   Input in(ex);                                   // 1. parse and validate
//   const int64_t id = in.path("calendar_id", ids());
//   CalendarInput body = in.body(calendar_create());
//   if (auto refused = in.refusal()) co_return std::move(*refused);
//   cmd::UpdateCalendar command{id, body.name, body.color};
//   co_return co_await write(ex, command, calendars(), http::status::ok, id);  // 2. submit  3. render
//
// or, for a query, read the models and answer with show() / reply().
// Refusals go through the route's dialect; nothing here knows a contract.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "api/content.hpp"
#include "api/dialect.hpp"
#include "api/fields.hpp"
#include "api/multipart.hpp"
#include "api/router.hpp"
#include "api/service.hpp"

namespace almanac::api {

// Reads a request's path, query and body against field tables, collecting
// every problem with its location; refusal() answers them all at once in the
// route's dialect. A body the route cannot take (its media type) or cannot
// decode is refused on its own, as the frameworks behind the documents do.
class Input {
 public:
  explicit Input(const Exchange& ex) : ex_(ex) {}

  // A path parameter (always present once routed); V{} when it does not read.
  template <typename V>
  V path(std::string_view name, const Spec<V>& spec) {
    const std::string* raw = ex_.params.get(name);
    auto v = spec.read(json(raw ? *raw : std::string()), true, {"path", std::string(name)}, problems_);
    return v ? std::move(*v) : V{};
  }

  // A query parameter: nullopt when absent (a problem when the spec requires
  // it) or when it does not read.
  template <typename V>
  std::optional<V> query(std::string_view name, const Spec<V>& spec) {
    auto raw = ex_.query_value(name);
    if (!raw) {
      if (spec.required()) problems_.push_back(Problem::at(Problem::kMissing, spec.type(), {"query", std::string(name)}));
      return std::nullopt;
    }
    return spec.read(json(std::move(*raw)), true, {"query", std::string(name)}, problems_);
  }

  // The body, read with `model` (T{} when it does not read).
  template <typename T>
  T body(const Model<T>& model) {
    json object;
    if (!decode_body(object)) return T{};
    return model.read(object, {"body"}, problems_);
  }

  // The body as a JSON object of any fields (json::object() when it does
  // not decode); for routes whose fields are read one by one.
  json body_object() {
    json object;
    return decode_body(object) ? object : json::object();
  }

  // The files of a multipart/form-data body (its other parts are the body's
  // fields), once body() has read it.
  const std::vector<FormPart>& files() const { return files_; }

  // A problem the handler found itself (a rule across parameters).
  void add(Problem p) { problems_.push_back(std::move(p)); }

  bool ok() const { return !refused_ && problems_.empty(); }
  // nullopt when everything read; otherwise the refusal, as an error and as
  // the response in the route's dialect.
  std::optional<ApiError> error() const;
  std::optional<Response> refusal() const;

 private:
  // Decodes the body into `object`; false (with a refusal or a problem) when
  // it is not an object of a media type the route takes. An absent body the
  // dialect reads as empty gives an empty object.
  bool decode_body(json& object);

  const Exchange& ex_;
  std::vector<Problem> problems_;
  std::optional<ApiError> refused_;
  std::vector<FormPart> files_;
};

// ---- answers ------------------------------------------------------------------------

// `body` with `status`, JSON or MessagePack as the request's Accept asks.
Response reply(const Exchange& ex, http::status status, const json& body);
// No body (204).
Response reply_empty(const Exchange& ex, http::status status = http::status::no_content);
// A refusal in the route's dialect.
Response refuse(const Exchange& ex, const ApiError& e);
// A domain refusal as the route's contract answers it (`answers` first).
Response fail(const Exchange& ex, const Status& s, std::span<const ReasonAnswer> answers = {});
// `res` with the ETag of `version`.
Response with_etag(Response res, uint64_t version);

// An aggregate as one contract shows it: how to render it, how to find one
// the caller may see (nullopt otherwise: unknown and not-yours read alike
// unless the contract says otherwise), and the 404 text when there is none.
template <typename View>
struct Resource {
  const Shape<View>& shape;
  std::optional<View> (*find)(const Exchange& ex, int64_t id);
  std::string_view not_found;
};

// The 404 of `resource` in the route's dialect.
template <typename View>
Response no_such(const Exchange& ex, const Resource<View>& resource) {
  return refuse(ex, ex.dialect().domain(almanac::not_found(std::string(resource.not_found))));
}

// `view` rendered with `status` and its ETag (the view's stream version).
template <typename View>
Response show(const Exchange& ex, const Resource<View>& resource, const View& view,
              http::status status = http::status::ok) {
  return with_etag(reply(ex, status, resource.shape.render(view)), view.version);
}

// Finds `id` for the caller and shows it; its 404 when there is none.
template <typename View>
Response show(const Exchange& ex, const Resource<View>& resource, int64_t id) {
  auto view = resource.find(ex, id);
  if (!view) return no_such(ex, resource);
  return show(ex, resource, *view);
}

// ---- writing ------------------------------------------------------------------------

// The id of the aggregate a command created: the stream of its first event.
int64_t created_id(const cmd::CommandResult& r);

// Submits `command` for the route's caller and resumes when it is durable or
// refused. A change to an existing aggregate honours the request's If-Match
// (`conditional`): a version other than the current one refuses it.
template <typename C>
net::awaitable<cmd::CommandResult> submit(Exchange& ex, C& command, bool conditional = false) {
  cmd::CommandEnvelope envelope = ex.service.envelope(ex, std::move(command), ex.caller ? ex.caller->user_id : 0);
  if (conditional) {
    auto expected = if_match(ex);
    if (!expected) {
      cmd::CommandResult refused;
      refused.status = expected.status();
      co_return refused;
    }
    envelope.expected_version = *expected;
  }
  co_return co_await ex.service.submit(std::move(envelope));
}

// Submit, read your own write, answer with its ETag: submits `command` (a
// change to `id`, honouring If-Match, or, with id 0, the creation of a new
// aggregate); refused, the contract's answer (`answers` first). Otherwise
// the aggregate is read back (the writer completes a command once the read
// models hold it) and answered with `status` and its ETag; with 204, nothing
// is read back.
template <typename View, typename C>
net::awaitable<Response> write(Exchange& ex, C& command, const Resource<View>& resource, http::status status,
                               int64_t id = 0, std::span<const ReasonAnswer> answers = {}) {
  cmd::CommandResult r = co_await submit(ex, command, id != 0);
  if (!r.status) co_return fail(ex, r.status, answers);
  if (status == http::status::no_content) co_return reply_empty(ex);
  const int64_t written = id != 0 ? id : created_id(r);
  auto view = resource.find(ex, written);
  if (!view) co_return no_such(ex, resource);
  co_return show(ex, resource, *view, status);
}

}  // namespace almanac::api
