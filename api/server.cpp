#include "api/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

#include <thread>
#include <vector>

#include "api/content.hpp"
#include "api/dialect.hpp"

namespace almanac::api {

namespace {
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
}

Server::Server(Service& service, const ServerConfig& config)
    : service_(service), config_(config), largest_body_(config.body_limit), acceptor_(ioc_) {
  for (const Route& r : service_.router().routes()) largest_body_ = std::max(largest_body_, r.max_body);
}

Server::~Server() = default;

Status Server::listen() {
  boost::system::error_code ec;
  auto address = net::ip::make_address(config_.host, ec);
  if (ec) return invalid("'" + config_.host + "' is not an IP address; use e.g. 127.0.0.1");
  net::ip::tcp::endpoint endpoint(address, config_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return unavailable("cannot listen on " + config_.host + ":" + std::to_string(config_.port) +
                       ": " + ec.message() + " (is another server running? choose --listen HOST:PORT)");
  return Status::ok();
}

std::string Server::local_endpoint() const {
  boost::system::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  if (ec) return {};
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

void Server::run(int threads) {
  net::co_spawn(ioc_, accept_loop(), net::detached);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : pool) t.join();
}

void Server::stop(int grace_s) {
  if (stopping_.exchange(true)) return;
  net::post(ioc_, [this, grace_s] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    service_.hub().shutdown();
    // Wait for sessions to finish their in-flight requests, then end run().
    auto timer = std::make_shared<net::steady_timer>(ioc_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_s);
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, timer, deadline, poll] {
      if (active_ == 0 || std::chrono::steady_clock::now() >= deadline) {
        ioc_.stop();
        *poll = nullptr;  // break the cycle
        return;
      }
      timer->expires_after(std::chrono::milliseconds(20));
      timer->async_wait([poll](boost::system::error_code) {
        if (*poll) (*poll)();
      });
    };
    (*poll)();
  });
}

net::awaitable<void> Server::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(net::make_strand(ioc_), kTuple);
    if (ec) {
      if (stopping_ || ec == net::error::operation_aborted) co_return;
      continue;  // e.g. too many open files: keep serving the others
    }
    if (active_.load() >= static_cast<int>(config_.max_connections)) {
      boost::system::error_code ignored;
      socket.close(ignored);  // at the limit: the others keep their service
      continue;
    }
    auto ex = socket.get_executor();
    net::co_spawn(ex, session(std::move(socket)), net::detached);
  }
}

net::awaitable<void> Server::session(net::ip::tcp::socket socket) {
  struct Active {
    std::atomic<int>& n;
    explicit Active(std::atomic<int>& c) : n(c) { ++n; }
    ~Active() { --n; }
  } active(active_);

  boost::system::error_code ec;
  std::string client_ip;
  auto remote = socket.remote_endpoint(ec);
  if (!ec) client_ip = remote.address().to_string();
  beast::tcp_stream stream(std::move(socket));
  // No cap of its own: the parser's header and body limits bound what a
  // request may put in it (a capped buffer would turn a large but allowed
  // header block into a 400 before the header limit could answer 431).
  beast::flat_buffer buffer;

  for (uint32_t served = 0; served < config_.max_requests_per_connection; ++served) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(config_.header_limit);
    parser.body_limit(largest_body_);

    // Between requests the idle timeout applies; once a request has started,
    // the read timeout bounds the rest of it.
    stream.expires_after(std::chrono::seconds(buffer.size() ? config_.read_timeout_s : config_.idle_timeout_s));
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    if (!hec && !parser.is_done()) {
      // Once the route is known, its own limit: a route that takes files may
      // take a larger body than the server's default.
      uint64_t limit = config_.body_limit;
      if (largest_body_ > limit) {
        std::string_view target = parser.get().target();
        auto m = service_.router().match(parser.get().method(), target.substr(0, target.find('?')));
        if (m.kind == Router::Match::kFound) limit = std::max(limit, m.route->max_body);
      }
      if (auto length = parser.content_length(); length && *length > limit) {
        hec = http::error::body_limit;
      } else {
        parser.body_limit(limit);
        stream.expires_after(std::chrono::seconds(config_.read_timeout_s));
        auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kTuple);
        hec = bec;
      }
    }
    if (hec) {
      if (hec == http::error::end_of_stream || hec == beast::error::timeout ||
          hec == net::error::operation_aborted || hec == net::error::connection_reset || stopping_)
        break;
      // A request we cannot take: answer once, then close.
      Refusal kind = hec == http::error::body_limit     ? Refusal::kPayloadTooLarge
                     : hec == http::error::header_limit ? Refusal::kHeadersTooLarge
                                                        : Refusal::kMalformedRequest;
      Request req;
      req.version(11);
      // The start line is parsed before any limit can trip, so the error
      // takes the shape of the contract owning the path even when the
      // header block itself was refused.
      if (!parser.get().target().empty()) {
        req.method(parser.get().method());
        req.target(parser.get().target());
        if (auto accept = parser.get().find(http::field::accept); accept != parser.get().end())
          req.set(http::field::accept, accept->value());
      }
      std::string detail = kind == Refusal::kPayloadTooLarge
                               ? "Request body exceeds the limit of " + std::to_string(config_.body_limit) + " bytes"
                           : kind == Refusal::kHeadersTooLarge
                               ? "Request headers exceed the limit of " + std::to_string(config_.header_limit) + " bytes"
                               : std::string();
      Response res = service_.refuse(req, kind, std::move(detail));
      res.keep_alive(false);
      stream.expires_after(std::chrono::seconds(config_.read_timeout_s));
      co_await http::async_write(stream, res, kTuple);
      break;
    }

    Request req = parser.release();
    if (beast::websocket::is_upgrade(req)) {
      // Built outside the co_await: see docs/decisions.md on coroutines.
      auto upgrading = service_.upgrade(req, client_ip, stream);
      if (co_await std::move(upgrading)) co_return;
    }

    auto handling = service_.handle(std::move(req), client_ip);  // see above: not inside co_await
    Response res = co_await std::move(handling);
    // The last request a connection may carry says so (Connection: close):
    // a client would otherwise send the next one on a socket being closed.
    if (stopping_ || served + 1 == config_.max_requests_per_connection) res.keep_alive(false);
    bool keep = res.keep_alive();
    stream.expires_after(std::chrono::seconds(config_.read_timeout_s));
    auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
    if (wec || !keep) break;
  }
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace almanac::api
