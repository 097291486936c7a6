// The router: exact paths (trailing slash included) with typed segments, and
// the Route a contract declares for each (who may call it, which rate limit
// it counts against, which bodies it takes, its documentation).
//
// Patterns: literal segments, "{name}" (any non-empty segment: the handler
// validates it, so a contract can answer 422 for a bad id), "{name:int}"
// (decimal digits) and "{name:uuid}" (8-4-4-4-12 hex). A literal beats a
// typed parameter, which beats an untyped one, segment by segment from the
// left. No match, but a match with the trailing slash toggled: 307 there.
// A matching path with another method: 405 with Allow. Otherwise 404 in the
// shape of the contract owning the longest matching prefix (the fallback
// contract's when none does).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/fields.hpp"
#include "api/http.hpp"
#include "api/identity.hpp"
#include "api/rate_limit.hpp"
#include "api/ws_endpoint.hpp"

namespace almanac::api {

class Service;
class Dialect;
struct Route;

struct PathParams {
  std::vector<std::pair<std::string, std::string>> values;
  // The raw segment for `name`, or nullptr.
  const std::string* get(std::string_view name) const;
};

// Who may call a route. Dispatch identifies the caller once, from the route's
// declaration, before the handler runs; a handler never authenticates.
enum class Caller {
  kAnyone,        // no credentials needed (a token sent along is not read)
  kOptionalUser,  // anonymous, or a user whose credentials must then be valid
  kUser,          // a signed-in user
  kSuperuser,     // a signed-in superuser
  kSelfOrSuperuser,  // a signed-in user whose id is the path parameter Route::self_param,
                     // or a superuser (a parameter that is not an integer is the handler's to refuse)
};

// Which rate limit a route counts against.
enum class Limit {
  kNone,     // health, metrics, docs
  kAuth,     // authentication routes: the strict limit per client IP
  kGeneral,  // the route's rate policy, else its contract's, else the general
             // limit per user (per client IP when anonymous)
};

// Everything a handler sees. Lives for one request.
struct Exchange {
  Service& service;
  Request req;
  PathParams params{};
  std::vector<std::pair<std::string, std::string>> query{};  // decoded, in order
  std::string client_ip{};
  const Route* route = nullptr;
  // The caller, identified at dispatch: set for routes that need a user, and
  // for optional-user routes called with valid credentials.
  std::optional<Principal> caller{};
  std::vector<std::pair<std::string, std::string>> extra_headers{};  // added to the response

  // The first value of a query parameter, or nullopt.
  std::optional<std::string> query_value(std::string_view name) const;
  const Contract& contract() const;
  const Dialect& dialect() const;
  // The signed-in caller of a route that requires one.
  const Principal& user() const { return *caller; }
};

using Handler = std::function<net::awaitable<Response>(Exchange&)>;

// A WebSocket endpoint's open function (api/ws_endpoint.hpp): runs on an
// upgrade request dispatch admitted, and accepts or refuses the connection.
using WsHandler = std::function<net::awaitable<WsAdmission>(Exchange&)>;

// OpenAPI description of a route (schemas are JSON Schema objects).
struct RouteDoc {
  std::string summary;
  json request_schema;                           // null: no body
  json response_schema;                          // null: none documented
  int success_status = 200;
  std::vector<std::pair<std::string, json>> query;  // documented query parameters
};

struct Route {
  http::verb method = http::verb::get;
  std::string pattern;
  const Contract* contract = nullptr;
  Caller caller = Caller::kUser;     // closed unless declared otherwise
  std::string self_param;            // kSelfOrSuperuser: the path parameter holding the user id
  Limit limit = Limit::kGeneral;
  const RatePolicy* rate_policy = nullptr;  // kGeneral: this policy instead of the contract's
  bool takes_form = false;           // application/x-www-form-urlencoded bodies too
  bool takes_multipart = false;      // multipart/form-data bodies too (files)
  uint64_t max_body = 0;             // a larger body limit than the server's (0: the server's)
  Handler handler;                   // plain HTTP requests
  WsHandler ws;                      // set for WebSocket endpoints (GET + Upgrade)
  // WebSocket endpoints whose document says so refuse credentials by closing
  // with this code right after the handshake; 0: an HTTP error instead.
  uint16_t ws_refusal_close = 0;
  RouteDoc doc;

  // ---- declaring (chained after Routes::get(), post(), ...) ----
  Route& anyone() { return set_caller(Caller::kAnyone); }
  Route& optional_user() { return set_caller(Caller::kOptionalUser); }
  Route& user() { return set_caller(Caller::kUser); }
  Route& superuser() { return set_caller(Caller::kSuperuser); }
  // The user whose id is in path parameter `param`, or a superuser.
  Route& self_or_superuser(std::string param) {
    self_param = std::move(param);
    return set_caller(Caller::kSelfOrSuperuser);
  }
  Route& auth_limit() {
    limit = Limit::kAuth;
    return *this;
  }
  Route& unlimited() {
    limit = Limit::kNone;
    return *this;
  }
  // Counts against `policy` (which must outlive the router).
  Route& rate(const RatePolicy& policy) {
    limit = Limit::kGeneral;
    rate_policy = &policy;
    return *this;
  }
  Route& form() {
    takes_form = true;
    return *this;
  }
  // multipart/form-data bodies too, of up to `limit` bytes.
  Route& multipart(uint64_t limit) {
    takes_multipart = true;
    max_body = limit;
    return *this;
  }
  Route& close_on_refusal(uint16_t code) {
    ws_refusal_close = code;
    return *this;
  }
  Route& summary(std::string text) {
    doc.summary = std::move(text);
    return *this;
  }
  Route& body(json schema) {
    doc.request_schema = std::move(schema);
    return *this;
  }
  template <typename T>
  Route& body(const Model<T>& model) {
    return body(model.schema());
  }
  Route& answers(int status, json schema = nullptr) {
    doc.success_status = status;
    doc.response_schema = std::move(schema);
    return *this;
  }
  template <typename V>
  Route& answers(int status, const Shape<V>& shape) {
    return answers(status, shape.schema());
  }
  Route& query(std::string name, json schema) {
    doc.query.emplace_back(std::move(name), std::move(schema));
    return *this;
  }
  template <typename V>
  Route& query(std::string name, const Spec<V>& spec) {
    return query(std::move(name), spec.schema());
  }

 private:
  Route& set_caller(Caller c) {
    caller = c;
    return *this;
  }
};

class Router {
 public:
  // Routes are added before serving starts; matching is then read-only and
  // safe from any thread. The reference stays valid until the next add().
  Route& add(Route route);

  // Errors for paths no route matches are rendered in the shape of the
  // contract that owns the longest prefix registered here, else the fallback's.
  void set_prefix_owner(std::string prefix, const Contract& contract);
  void set_fallback_owner(const Contract& contract) { fallback_ = &contract; }

  struct Match {
    enum Kind { kFound, kRedirect, kWrongMethod, kNotFound } kind = kNotFound;
    const Route* route = nullptr;
    PathParams params;
    std::string location;   // kRedirect: the path to go to
    std::string allow;      // kWrongMethod: "GET, PUT"
    const Contract* owner = nullptr;  // whose shape an error takes (never null once a fallback is set)
  };
  Match match(http::verb method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Segment {
    enum Kind { kLiteral, kInt, kUuid, kAny } kind;
    std::string text;       // literal text, or parameter name
  };
  struct Compiled {
    std::vector<Segment> segments;
  };

  // Scores of a matching route, one per segment (3 literal, 2 typed, 1 any),
  // or nullopt when it does not match.
  std::optional<std::vector<int>> score(const Compiled& c, const std::vector<std::string_view>& parts,
                                        PathParams* params) const;

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
  std::vector<std::pair<std::string, const Contract*>> owners_;
  const Contract* fallback_ = nullptr;
};

// Splits "/a/b/" into {"a", "b", ""}: the empty last part is the trailing slash.
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace almanac::api
