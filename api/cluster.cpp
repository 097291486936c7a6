#include "api/cluster.hpp"

#include <pthread.h>
#include <sodium.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "api/contract.hpp"
#include "api/dialects.hpp"
#include "api/routes.hpp"
#include "api/service.hpp"
#include "commands/command_codec.hpp"

namespace almanac::api {

namespace {

// ---- the internal route ---------------------------------------------------------

Response plain(const Request& req, http::status status, std::string text) {
  Response res{status, req.version()};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::move(text);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

bool secret_matches(std::string_view given, std::string_view expected) {
  if (expected.empty() || given.size() != expected.size()) return false;
  return sodium_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

net::awaitable<Response> forwarded_command(Exchange& ex) {
  ClusterLink* link = ex.service.cluster();
  if (!link) co_return plain(ex.req, http::status::not_found, "this node is not part of a cluster");
  if (!secret_matches(ex.req[kSecretHeader], link->secret()))
    co_return plain(ex.req, http::status::forbidden, "the cluster secret is missing or wrong");
  auto command = cmd::decode_command(ex.req.body());
  if (!command) co_return plain(ex.req, http::status::bad_request, command.status().message());

  // The initiation captures pointers into this frame only (GCC 12 and
  // temporaries of co_await expressions: docs/decisions.md).
  cmd::CommandEnvelope* pending = &command.value();
  auto op = net::async_initiate<decltype(net::use_awaitable), void(std::optional<cmd::CommandResult>)>(
      [link, pending](auto handler) {
        auto ex = net::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        link->submit_forwarded(std::move(*pending), [h, ex](std::optional<cmd::CommandResult> r) {
          net::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        });
      },
      net::use_awaitable);
  std::optional<cmd::CommandResult> result = co_await std::move(op);
  if (!result) co_return plain(ex.req, http::status::misdirected_request, "this node is not the writer");
  Response res{http::status::ok, ex.req.version()};
  res.set(http::field::content_type, "application/octet-stream");
  res.body() = cmd::encode_result(*result);
  res.keep_alive(ex.req.keep_alive());
  res.prepare_payload();
  co_return res;
}

void add_routes(Routes& routes) {
  routes.owns("/internal/");
  routes.post(std::string(kForwardPath), forwarded_command)
      .anyone()
      .unlimited()
      .summary("Internal: a command another node of the cluster forwards to the writer (X-Almanac-Cluster-Secret)");
}

const Contract& contract() {
  static const PydanticV2Dialect dialect;
  static const Contract c{"cluster", "The internal interface between the nodes of a cluster", dialect, add_routes};
  return c;
}

}  // namespace

void add_cluster_routes(Router& router) {
  Routes routes(router, contract());
  contract().add_routes(routes);
}

// ---- the forwarding client ------------------------------------------------------

namespace {

using tcp = net::ip::tcp;

// A kept-alive connection is closed this long after its last use, well
// before the writer's idle timeout: the writer never closes one under a
// request, so a connection that fails means a writer that failed.
constexpr auto kIdleKeep = std::chrono::seconds(20);

struct IdleStream {
  std::unique_ptr<beast::tcp_stream> stream;
  std::chrono::steady_clock::time_point since;
};

}  // namespace

struct HttpForwarder::State {
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::string secret;
  std::chrono::milliseconds timeout;
  std::mutex mu;
  std::map<std::string, std::vector<IdleStream>> idle;  // guarded by mu, by address
  std::thread thread;

  std::unique_ptr<beast::tcp_stream> take(const std::string& address) {
    std::lock_guard lock(mu);
    auto& list = idle[address];
    const auto now = std::chrono::steady_clock::now();
    while (!list.empty()) {
      IdleStream s = std::move(list.back());
      list.pop_back();
      if (now - s.since < kIdleKeep) return std::move(s.stream);
    }
    return nullptr;
  }
  void give(const std::string& address, std::unique_ptr<beast::tcp_stream> s) {
    std::lock_guard lock(mu);
    idle[address].push_back({std::move(s), std::chrono::steady_clock::now()});
  }
};

namespace {

net::awaitable<void> run_forward(std::shared_ptr<HttpForwarder::State> state, std::string address,
                                 std::string body, std::function<void(Forwarded)> done) {
  Forwarded out;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    out.why = "the writer's address '" + address + "' is not host:port";
    done(std::move(out));
    co_return;
  }
  const std::string host = address.substr(0, colon), port = address.substr(colon + 1);

  std::unique_ptr<beast::tcp_stream> stream = state->take(address);
  if (!stream) {
    stream = std::make_unique<beast::tcp_stream>(state->ioc);
    tcp::resolver resolver(state->ioc);
    auto resolving = resolver.async_resolve(host, port, net::as_tuple(net::use_awaitable));
    auto [rerr, endpoints] = co_await std::move(resolving);
    if (rerr) {
      out.why = "cannot resolve the writer's address " + address + ": " + rerr.message();
      done(std::move(out));
      co_return;
    }
    stream->expires_after(state->timeout);
    auto connecting = stream->async_connect(endpoints, net::as_tuple(net::use_awaitable));
    auto [cerr, ep] = co_await std::move(connecting);
    if (cerr) {
      out.why = "cannot reach the writer at " + address + ": " + cerr.message();
      done(std::move(out));
      co_return;
    }
  }

  Request req{http::verb::post, std::string(kForwardPath), 11};
  req.set(http::field::host, address);
  req.set(http::field::content_type, "application/octet-stream");
  req.set(kSecretHeader, state->secret);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();

  stream->expires_after(state->timeout);
  auto writing = http::async_write(*stream, req, net::as_tuple(net::use_awaitable));
  auto [werr, wn] = co_await std::move(writing);
  if (werr) {
    // The writer read nothing of it: nothing was decided.
    out.why = "cannot send to the writer at " + address + ": " + werr.message();
    done(std::move(out));
    co_return;
  }
  beast::flat_buffer buffer;
  Response res;
  auto reading = http::async_read(*stream, buffer, res, net::as_tuple(net::use_awaitable));
  auto [rderr, rn] = co_await std::move(reading);
  if (rderr) {
    out.outcome = Forwarded::kUnknown;
    out.why = "the writer at " + address + " did not answer: " + rderr.message();
    done(std::move(out));
    co_return;
  }
  const bool keep = res.keep_alive();
  switch (res.result()) {
    case http::status::ok: {
      auto result = cmd::decode_result(res.body());
      if (!result) {
        out.outcome = Forwarded::kUnknown;
        out.why = "the writer's answer does not read: " + result.status().message();
      } else {
        out.outcome = Forwarded::kDone;
        out.result = std::move(result).value();
      }
      break;
    }
    case http::status::misdirected_request:
      out.why = "the node at " + address + " is not the writer";
      break;
    default:
      // Refused before anything was decided (a wrong secret, another build):
      // an operator's problem, reported as it is.
      out.outcome = Forwarded::kDone;
      out.result.status = unavailable("the writer at " + address + " refused the forwarded command (" +
                                      std::to_string(res.result_int()) + "): " + res.body());
      break;
  }
  if (keep) {
    stream->expires_never();
    state->give(address, std::move(stream));
  }
  done(std::move(out));
}

}  // namespace

HttpForwarder::HttpForwarder(std::string secret, std::chrono::milliseconds timeout)
    : state_(std::make_shared<State>()) {
  state_->secret = std::move(secret);
  state_->timeout = timeout;
  state_->thread = std::thread([s = state_.get()] {
    pthread_setname_np(pthread_self(), "forwarder");
    s->ioc.run();
  });
}

HttpForwarder::~HttpForwarder() {
  state_->work.reset();
  state_->ioc.stop();
  if (state_->thread.joinable()) state_->thread.join();
}

void HttpForwarder::forward(const std::string& address, const cmd::CommandEnvelope& command,
                            std::function<void(Forwarded)> done) {
  net::co_spawn(state_->ioc, run_forward(state_, address, cmd::encode_command(command), std::move(done)),
                net::detached);
}

void HttpForwarder::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<net::steady_timer>(state_->ioc, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& e) {
    if (!e) fn();
  });
}

}  // namespace almanac::api
