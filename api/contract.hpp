// A contract: the routes of one of the documents in seeds/, served over the
// one domain, and how they word their errors.
//
// Each api/contracts/<name>/ defines one Contract: its name (the OpenAPI tag
// and the contract of every route it adds), its dialect (api/dialect.hpp),
// and one function that adds its routes, their documentation and its
// WebSocket endpoints. The shared layer does the rest: it parses bodies,
// identifies the caller once at dispatch, rate-limits, validates against
// the field tables, submits, and renders every refusal through the dialect.
// docs/contracts/README.md walks through adding a route and a contract.
#pragma once

#include <string_view>

#include "api/dialect.hpp"
#include "api/http.hpp"
#include "api/identity.hpp"
#include "api/rate_limit.hpp"
#include "events/status.hpp"

namespace almanac::api {

class Routes;
class Service;

// Who a request without credentials acts as on a route that needs a user
// (mcal's local user): nullopt when nobody (the usual 401); a refusal when
// that user cannot act.
using AnonymousUser = net::awaitable<std::optional<Result<Principal>>> (*)(Service& service);

struct Contract {
  std::string_view name;          // "mcal": the OpenAPI tag, the metrics and logs
  std::string_view description;   // the OpenAPI tag's description
  const Dialect& dialect;
  void (*add_routes)(Routes& routes);
  AnonymousUser anonymous = nullptr;
  // The rate limit of its routes that keep the general one (Limit::kGeneral
  // without a policy of their own); nullptr: the general limit.
  const RatePolicy* rate_policy = nullptr;
};

}  // namespace almanac::api
