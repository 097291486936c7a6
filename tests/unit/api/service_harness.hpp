// A whole service over the in-memory store, without a socket: every
// contract's routes (and any a test adds), real tokens, the real writer and
// read models, a temp directory for what the service keeps on disk, and
// optionally a cluster node in front of the writer. For the Service::handle
// tests, the cluster tests and the request fuzzer (tests/fuzz/http_fuzz).
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "api/cluster.hpp"
#include "api/contracts/contracts.hpp"
#include "api/mailer.hpp"
#include "api/routes.hpp"
#include "api/service.hpp"
#include "commands/writer.hpp"
#include "events/clock.hpp"
#include "projections/read_models.hpp"
#include "storage/memory_event_store.hpp"

namespace almanac::testing {

// A node of a cluster in front of the harness's writer: commands go through
// it, and the service sees it as its cluster.
struct ClusterNode : cmd::CommandSink, api::ClusterLink {};
using MakeClusterNode = std::function<std::unique_ptr<ClusterNode>(cmd::Writer&)>;

class ServiceHarness {
 public:
  // `config` as given, with the cheapest Argon2 cost; `mailer` null: the one
  // the configuration names. `extra` contracts are served beside all five.
  // With `make_node`, the service is a node of a cluster: its commands go to
  // that node, and the cluster's internal routes are served too.
  explicit ServiceHarness(api::ServerConfig config = {}, api::Mailer* mailer = nullptr,
                          std::vector<const api::Contract*> extra = {}, MakeClusterNode make_node = {}) {
    dir_ = std::filesystem::temp_directory_path() /
           ("almanac-service-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    tokens_ = std::move(api::TokenService::open(dir_.string()).value());
    writer_ = std::make_unique<cmd::Writer>(store_, state_, clock_, ids_);
    writer_->on_apply([this](std::span<const Envelope> batch) { models_.apply_batch(batch); });
    writer_->start();
    if (make_node) node_ = make_node(*writer_);
    config.data_dir = dir_.string();
    config.argon2_ops = 1;
    config.argon2_mem = 8192;
    service_ = std::make_unique<api::Service>(api::ServiceDeps{.config = config,
                                                               .writer = node_ ? static_cast<cmd::CommandSink&>(*node_)
                                                                               : static_cast<cmd::CommandSink&>(*writer_),
                                                               .models = models_,
                                                               .store = store_,
                                                               .clock = clock_,
                                                               .tokens = *tokens_,
                                                               .hub = hub_,
                                                               .metrics = metrics_,
                                                               .cluster = node_.get(),
                                                               .mailer = mailer,
                                                               .notices = &notices_});
    std::vector<const api::Contract*> contracts(api::all_contracts().begin(), api::all_contracts().end());
    contracts.insert(contracts.end(), extra.begin(), extra.end());
    api::add_contracts(service_->router(), contracts);
    if (node_) api::add_cluster_routes(service_->router());
  }
  ~ServiceHarness() {
    service_.reset();
    writer_->stop();
    std::filesystem::remove_all(dir_);
  }

  api::Service& service() { return *service_; }
  cmd::Writer& writer() { return *writer_; }
  ManualClock& clock() { return clock_; }
  proj::ReadModels& models() { return models_; }
  uint64_t head() const { return store_.head(); }
  std::string notices() const { return notices_.str(); }

  // Runs Service::handle to its answer; an exception a handler let escape
  // is thrown from here.
  api::Response call(api::Request req) {
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    std::optional<api::Response> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(io, service_->handle(std::move(req), "10.0.0.1"),
                          [&](std::exception_ptr e, api::Response r) {
                            failure = e;
                            out = std::move(r);
                            guard.reset();
                          });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
  }

  static api::Request json_request(api::http::verb method, std::string target, const api::json& body) {
    api::Request req{method, target, 11};
    req.set(api::http::field::content_type, "application/json");
    req.body() = body.dump();
    req.prepare_payload();
    return req;
  }

  // Registers `name` through collab and logs in through flowstate: an access
  // token, empty when either is refused.
  std::string signed_in(const std::string& name) {
    api::Response r = call(json_request(api::http::verb::post, "/api/auth/register",
                                        {{"email", name + "@example.com"}, {"password", "securepass"},
                                         {"username", name}}));
    if (r.result() != api::http::status::created) return {};
    r = call(json_request(api::http::verb::post, "/users/login",
                          {{"username_or_email", name}, {"password", "securepass"}}));
    if (r.result() != api::http::status::ok) return {};
    return api::json::parse(r.body()).value("access_token", "");
  }

 private:
  std::filesystem::path dir_;
  storage::MemoryEventStore store_;
  cmd::WriteState state_;
  ManualClock clock_;
  SequentialIds ids_;
  proj::ReadModels models_;
  std::unique_ptr<api::TokenService> tokens_;
  api::Hub hub_;
  api::Metrics metrics_;
  std::ostringstream notices_;
  std::unique_ptr<cmd::Writer> writer_;
  std::unique_ptr<ClusterNode> node_;
  std::unique_ptr<api::Service> service_;
};

}  // namespace almanac::testing
