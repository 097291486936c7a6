// A whole service over the in-memory store, for the fuzz targets that drive
// requests through Service::handle: every contract's routes, real tokens, the
// real writer and read models; no socket, no disk beyond a temp directory.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <random>
#include <string>

#include "api/contracts/contracts.hpp"
#include "api/mailer.hpp"
#include "api/routes.hpp"
#include "api/service.hpp"
#include "commands/writer.hpp"
#include "events/clock.hpp"
#include "projections/read_models.hpp"
#include "storage/memory_event_store.hpp"

namespace almanac::fuzz {

namespace net = boost::asio;

// Drops every message: a fuzzer must not fill a disk with password-reset mail.
class DiscardingMailer final : public api::Mailer {
 public:
  Result<std::string> send(const api::Mail&) override { return std::string("nowhere"); }
};

class ServiceHarness {
 public:
  ServiceHarness() : notices_(nullptr) {
    dir_ = std::filesystem::temp_directory_path() /
           ("almanac-fuzz-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    tokens_ = std::move(api::TokenService::open(dir_.string()).value());
    writer_ = std::make_unique<cmd::Writer>(store_, state_, clock_, ids_);
    writer_->on_apply([this](std::span<const Envelope> batch) { models_.apply_batch(batch); });
    writer_->start();
    api::ServerConfig config;
    config.data_dir = dir_.string();
    config.rate_limits = false;    // every input must reach its route
    config.argon2_ops = 1;         // hashing at the minimum cost keeps runs fast
    config.argon2_mem = 8192;
    service_ = std::make_unique<api::Service>(api::ServiceDeps{.config = config,
                                                               .writer = *writer_,
                                                               .models = models_,
                                                               .store = store_,
                                                               .clock = clock_,
                                                               .tokens = *tokens_,
                                                               .hub = hub_,
                                                               .metrics = metrics_,
                                                               .mailer = &mailer_,
                                                               .notices = &notices_});
    api::add_contracts(service_->router(), api::all_contracts());
  }
  ~ServiceHarness() {
    service_.reset();
    writer_->stop();
    std::filesystem::remove_all(dir_);
  }

  api::Service& service() { return *service_; }
  uint64_t head() const { return store_.head(); }

  // Runs Service::handle to its answer.
  api::Response call(api::Request req) {
    net::io_context io;
    auto guard = net::make_work_guard(io);
    std::optional<api::Response> out;
    net::co_spawn(io, service_->handle(std::move(req), "10.0.0.1"),
                  [&](std::exception_ptr e, api::Response r) {
                    if (e) std::abort();  // a handler let an exception escape
                    out = std::move(r);
                    guard.reset();
                  });
    io.run();
    return std::move(*out);
  }

  // Registers `name` (through collab) and logs in (through flowstate): an
  // access token.
  std::string signed_in(const std::string& name) {
    call(json_request(api::http::verb::post, "/api/auth/register",
                      {{"email", name + "@example.com"}, {"password", "securepass"}, {"username", name}}));
    api::Response r = call(json_request(api::http::verb::post, "/users/login",
                                        {{"username_or_email", name}, {"password", "securepass"}}));
    return api::json::parse(r.body()).value("access_token", "");
  }

  static api::Request json_request(api::http::verb method, std::string target, const api::json& body) {
    api::Request req{method, target, 11};
    req.set(api::http::field::content_type, "application/json");
    req.body() = body.dump();
    req.prepare_payload();
    return req;
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
  DiscardingMailer mailer_;
  std::ostream notices_;           // no buffer: notices are dropped
  std::unique_ptr<cmd::Writer> writer_;
  std::unique_ptr<api::Service> service_;
};

}  // namespace almanac::fuzz
