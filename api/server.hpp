// The network side: a Beast/Asio server with C++20 coroutines. One strand per
// connection; sessions only move bytes and call Service::handle().
//
// Every connection lives under limits: header and body size (431/413 in the
// owning contract's shape), a read timeout for a request, an idle timeout
// between keep-alive requests, a cap on requests per connection. Requests on
// one connection are handled one at a time, in order (pipelined requests wait
// in the read buffer).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "api/service.hpp"

namespace almanac::api {

class Server {
 public:
  Server(Service& service, const ServerConfig& config);
  ~Server();

  // Binds and listens. InvalidArgument/Unavailable with a clear message when
  // the address is bad or taken.
  Status listen();
  // "127.0.0.1:8000" once listening (the real port when 0 was asked).
  std::string local_endpoint() const;

  // Runs the IO threads until stop() has drained the server. Blocks.
  void run(int threads);

  // Graceful stop, callable from any thread (a signal handler's strand):
  // stops accepting, lets in-flight requests finish, closes WebSockets with
  // 1001, then ends run() (after at most `grace_s` seconds).
  void stop(int grace_s = 10);

  net::io_context& io() { return ioc_; }

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> session(net::ip::tcp::socket socket);

  Service& service_;
  ServerConfig config_;
  // The largest body any route takes: the limit while a request's head is
  // read, before its route is known.
  uint64_t largest_body_ = 0;
  net::io_context ioc_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_{0};
};

}  // namespace almanac::api
