#include "api/health.hpp"

#include <chrono>

#include "api/cluster.hpp"
#include "api/content.hpp"
#include "api/service.hpp"
#include "api/time_format.hpp"

#ifndef ALMANAC_VERSION
#define ALMANAC_VERSION "0.0.0"
#endif

namespace almanac::api::health {

namespace {

using Steady = std::chrono::steady_clock;

double ms_since(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

double round2(double v) { return static_cast<double>(static_cast<int64_t>(v * 100 + 0.5)) / 100; }

// Reads the head of the log and writes (durably) a probe value beside it.
json check_log(Service& s, bool& healthy) {
  auto t = Steady::now();
  Status st = s.store().scan(s.store().head(), 1, [](uint64_t, std::string_view) { return true; });
  if (st) st = s.store().put_meta("health/probe", std::to_string(now_us()));
  json j = {{"status", st ? "healthy" : "unhealthy"}, {"latency_ms", round2(ms_since(t))}};
  if (!st) {
    j["error"] = st.message();
    healthy = false;
  }
  return j;
}

}  // namespace

net::awaitable<Response> health(Exchange& ex) {
  co_return make_response(ex.req, http::status::ok,
                          {{"status", "healthy"}, {"timestamp", format_utc(now_us())}, {"version", ALMANAC_VERSION}});
}

net::awaitable<Response> ready(Exchange& ex) {
  auto started = Steady::now();
  bool healthy = true;
  json checks = json::object();
  // The probe reads and writes the log (a synced write): off the IO threads.
  Service& service = ex.service;
  json database;
  co_await service.run_blocking([&service, &healthy, &database] {
    database = check_log(service, healthy);
    return true;
  });
  checks["database"] = std::move(database);
  {
    auto t = Steady::now();
    bool failed = ex.service.writer().failed();
    if (failed) healthy = false;
    checks["writer"] = {{"status", failed ? "unhealthy" : "healthy"}, {"latency_ms", round2(ms_since(t))}};
  }
  {
    auto t = Steady::now();
    uint64_t head = ex.service.store().head(), applied = ex.service.models().position();
    checks["read_models"] = {{"status", applied >= head ? "healthy" : "catching_up"},
                             {"position", applied},
                             {"log_head", head},
                             {"latency_ms", round2(ms_since(t))}};
  }
  if (ClusterLink* cluster = ex.service.cluster()) {
    auto t = Steady::now();
    const ClusterView v = cluster->view();
    const uint64_t lag = v.head > v.applied ? v.head - v.applied : 0;
    json writer = v.writer_node.empty() ? json(nullptr)
                                        : json{{"node", v.writer_node}, {"address", v.writer_address}};
    // Without a writer, reads go on and writes get 503: the node is up.
    checks["cluster"] = {{"status", v.writer_node.empty() ? "no_writer" : lag > 0 ? "catching_up" : "healthy"},
                         {"role", v.role},
                         {"node", v.node},
                         {"writer", std::move(writer)},
                         {"epoch", v.epoch},
                         {"log_head", v.head},
                         {"position", v.applied},
                         {"lag_events", lag},
                         {"lag_seconds", v.lag_seconds},
                         {"latency_ms", round2(ms_since(t))}};
  }
  {
    auto t = Steady::now();
    checks["channels"] = {{"status", "healthy"},
                          {"subscribers", ex.service.hub().subscribers()},
                          {"latency_ms", round2(ms_since(t))}};
  }
  json body = {{"status", healthy ? "healthy" : "unhealthy"},
               {"timestamp", format_utc(now_us())},
               {"checks", std::move(checks)},
               {"total_latency_ms", round2(ms_since(started))}};
  co_return make_response(ex.req, healthy ? http::status::ok : http::status::service_unavailable, body);
}

net::awaitable<Response> live(Exchange& ex) {
  co_return make_response(ex.req, http::status::ok,
                          {{"status", "alive"}, {"timestamp", format_utc(now_us())}, {"django_ready", true}});
}

net::awaitable<Response> status(Exchange& ex) {
  auto started = Steady::now();
  bool healthy = true;
  Service& service = ex.service;
  // The probe reads and writes the log (a synced write): off the IO threads.
  json log;
  co_await service.run_blocking([&service, &healthy, &log] {
    log = check_log(service, healthy);
    return true;
  });
  json body = {
      {"status", healthy ? "ok" : "degraded"},
      {"timestamp", format_utc(now_us())},
      {"uptime_check_ms", round2(ms_since(started))},
      {"system",
       {{"almanac_version", ALMANAC_VERSION}, {"platform", "Linux"}, {"environment", "production"}}},
      {"database",
       {{"status", healthy ? "connected" : "error"},
        {"version", ex.service.store_description()},
        {"table_count", 3},
        {"log_head", ex.service.store().head()}}},
      {"cache", {{"status", "working"}, {"backend", "in-memory read models"}}},
      {"debug_mode", false},
      {"allowed_hosts", json::array({ex.service.config().host})}};
  co_return make_response(ex.req, http::status::ok, body);
}

net::awaitable<Response> metrics(Exchange& ex) {
  MetricsSnapshot snap;
  snap.log_head = ex.service.store().head();
  snap.read_model_position = ex.service.models().position();
  snap.replay_seconds = ex.service.replay_seconds();
  snap.replay_events = ex.service.replay_events();
  snap.ws_connections = ex.service.hub().subscribers();
  snap.log_buffered_bytes = ex.service.store().buffered_bytes();
  snap.model_counts = ex.service.models().counts();
  if (ClusterLink* cluster = ex.service.cluster()) {
    const ClusterView v = cluster->view();
    snap.cluster = MetricsSnapshot::Cluster{v.role,      v.node,
                                            v.writer_node, v.writer_address,
                                            v.epoch,     v.head > v.applied ? v.head - v.applied : 0,
                                            v.lag_seconds, v.forwarded,
                                            v.takeovers};
  }
  Response res{http::status::ok, ex.req.version()};
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = ex.service.metrics().render(snap);
  res.keep_alive(ex.req.keep_alive());
  res.prepare_payload();
  co_return res;
}

}  // namespace almanac::api::health
