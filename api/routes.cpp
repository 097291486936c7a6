#include "api/routes.hpp"

#include <algorithm>

#include "api/contract.hpp"

namespace almanac::api {

namespace {

// A WebSocket endpoint asked for without the upgrade.
net::awaitable<Response> upgrade_required(Exchange& ex) {
  Response res = ex.dialect().render(
      ex.req, ex.dialect().refusal(Refusal::kUpgradeRequired,
                                   "This endpoint is a WebSocket: connect with Upgrade: websocket"));
  res.set(http::field::upgrade, "websocket");
  co_return res;
}

}  // namespace

Route& Routes::add(http::verb method, std::string pattern, Handler handler) {
  Route r;
  r.method = method;
  r.pattern = std::move(pattern);
  r.contract = &contract_;
  r.handler = std::move(handler);
  return router_.add(std::move(r));
}

Route& Routes::websocket(std::string pattern, WsHandler endpoint) {
  Route& r = add(http::verb::get, std::move(pattern), upgrade_required);
  r.ws = std::move(endpoint);
  r.doc.success_status = 101;
  return r;
}

std::vector<std::string> rate_policy_names(const Router& router) {
  std::vector<std::string> names;
  for (const Route& r : router.routes()) {
    if (r.rate_policy) names.emplace_back(r.rate_policy->name);
    if (r.contract && r.contract->rate_policy) names.emplace_back(r.contract->rate_policy->name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void add_contracts(Router& router, std::span<const Contract* const> contracts) {
  for (const Contract* c : contracts) {
    Routes routes(router, *c);
    c->add_routes(routes);
  }
  if (!contracts.empty()) router.set_fallback_owner(*contracts.front());
}

}  // namespace almanac::api
