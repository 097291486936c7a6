// Operational routes: /health, /health/ready, /health/live, /health/status in
// the shapes of the gather document, and /metrics (Prometheus text format).
#pragma once

#include "api/router.hpp"

namespace almanac::api::health {

net::awaitable<Response> health(Exchange& ex);
net::awaitable<Response> ready(Exchange& ex);
net::awaitable<Response> live(Exchange& ex);
net::awaitable<Response> status(Exchange& ex);
net::awaitable<Response> metrics(Exchange& ex);

}  // namespace almanac::api::health
