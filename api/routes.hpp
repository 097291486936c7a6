// Adding routes: each contract's add_routes() gets a Routes for itself, so
// every route it adds belongs to it (its dialect renders the route's
// refusals, its name tags the route in /openapi.json).
//
//   routes.owns("/calendars/");
//   routes.get("/calendars/{calendar_id}/", get_calendar)
//       .summary("A calendar (ETag: its version)")
//       .answers(200, calendar_shape());
//
// A route needs a signed-in user unless it says otherwise (anyone(),
// optional_user()), and counts against its contract's rate policy (else the
// general rate limit) unless it says rate(policy), auth_limit() or unlimited().
#pragma once

#include <span>
#include <string>
#include <vector>

#include "api/router.hpp"

namespace almanac::api {

class Routes {
 public:
  Routes(Router& router, const Contract& contract) : router_(router), contract_(contract) {}

  Route& get(std::string pattern, Handler handler) { return add(http::verb::get, std::move(pattern), std::move(handler)); }
  Route& post(std::string pattern, Handler handler) { return add(http::verb::post, std::move(pattern), std::move(handler)); }
  Route& put(std::string pattern, Handler handler) { return add(http::verb::put, std::move(pattern), std::move(handler)); }
  Route& patch(std::string pattern, Handler handler) { return add(http::verb::patch, std::move(pattern), std::move(handler)); }
  Route& del(std::string pattern, Handler handler) { return add(http::verb::delete_, std::move(pattern), std::move(handler)); }
  // A WebSocket endpoint (GET with Upgrade). Without the upgrade, the request
  // is answered 426 in the contract's shape.
  Route& websocket(std::string pattern, WsHandler endpoint);

  // Paths under `prefix` that no route matches get this contract's 404.
  void owns(std::string prefix) { router_.set_prefix_owner(std::move(prefix), contract_); }

  const Contract& contract() const { return contract_; }

 private:
  Route& add(http::verb method, std::string pattern, Handler handler);

  Router& router_;
  const Contract& contract_;
};

// Adds every route of `contracts` to `router`; paths no prefix claims get
// the first contract's 404.
void add_contracts(Router& router, std::span<const Contract* const> contracts);

// The names of the rate policies the routes of `router` and their contracts
// declare (what ServerConfig::rate_policies may name), sorted, without repeats.
std::vector<std::string> rate_policy_names(const Router& router);

}  // namespace almanac::api
