// The router: exact paths (trailing slash included) with typed segments.
//
// Patterns: literal segments, "{name}" (any non-empty segment: the handler
// validates it, so a contract can answer 422 for a bad id), "{name:int}"
// (decimal digits) and "{name:uuid}" (8-4-4-4-12 hex). A literal beats a
// typed parameter, which beats an untyped one, segment by segment from the
// left. No match, but a match with the trailing slash toggled: 307 there.
// A matching path with another method: 405 with Allow. Otherwise 404 in the
// shape of the contract owning the longest matching prefix.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.hpp"

namespace almanac::api {

class Service;

struct PathParams {
  std::vector<std::pair<std::string, std::string>> values;
  // The raw segment for `name`, or nullptr.
  const std::string* get(std::string_view name) const;
};

// Who may call a route, and which rate limit applies.
enum class Access {
  kPublic,      // no token needed, limited per client IP with the general limit
  kAuthLimited, // an authentication route: the strict per-IP limit
  kUser,        // a user's route: limited per user (per IP when anonymous)
  kUnlimited,   // health, metrics, docs: never limited
};

// Everything a handler sees. Lives for one request.
struct Exchange {
  Service& service;
  Request req;
  PathParams params{};
  std::vector<std::pair<std::string, std::string>> query{};  // decoded, in order
  std::string client_ip{};
  Contract contract = Contract::kNone;
  std::string route{};  // the route pattern, for metrics and logs
  std::vector<std::pair<std::string, std::string>> extra_headers{};  // added to the response

  // The first value of a query parameter, or nullopt.
  std::optional<std::string> query_value(std::string_view name) const;
};

using Handler = std::function<net::awaitable<Response>(Exchange&)>;

// A WebSocket endpoint: takes over the connection after the upgrade request
// was routed to it (it accepts, or refuses, the handshake itself).
using WsHandler = std::function<net::awaitable<void>(Exchange&, beast::tcp_stream)>;

// OpenAPI description of a route (schemas are JSON Schema objects).
struct RouteDoc {
  std::string summary;
  json request_schema;                     // null: no body
  json response_schema;                    // null: none documented
  int success_status = 200;
  std::vector<std::string> query;          // documented query parameters
};

struct Route {
  http::verb method = http::verb::get;
  std::string pattern;
  Contract contract = Contract::kNone;
  Access access = Access::kUser;
  Handler handler;                         // plain HTTP requests
  WsHandler ws;                            // set for WebSocket endpoints (GET + Upgrade)
  RouteDoc doc;
};

class Router {
 public:
  // Routes are added before serving starts; matching is then read-only and
  // safe from any thread.
  void add(Route route);

  // Errors for paths no route matches are rendered in the shape of the
  // contract that owns the longest prefix registered here.
  void set_prefix_owner(std::string prefix, Contract contract);

  struct Match {
    enum Kind { kFound, kRedirect, kWrongMethod, kNotFound } kind = kNotFound;
    const Route* route = nullptr;
    PathParams params;
    std::string location;   // kRedirect: the path to go to
    std::string allow;      // kWrongMethod: "GET, PUT"
    Contract owner = Contract::kNone;
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
  std::vector<std::pair<std::string, Contract>> owners_;
};

// Splits "/a/b/" into {"a", "b", ""}: the empty last part is the trailing slash.
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace almanac::api
