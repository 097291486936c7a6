// The nodes of a cluster as the API layer sees them (docs/cluster.md): what
// it asks of the cluster (ClusterLink: its state for /health/ready and
// /metrics, the read barrier a request passes on a follower, and the
// commands other nodes forward), the internal route the writer takes
// forwarded commands on, and the HTTP client a follower forwards them with.
//
// The internal route is authenticated with the cluster's shared secret
// (a header compared in constant time); its bodies are the byte forms of
// commands/command_codec.hpp.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "commands/command_sink.hpp"

namespace almanac::api {

class Router;

// What a node says about the cluster, at the moment it is asked.
struct ClusterView {
  std::string role;            // "writer", "follower", or "candidate" (catching up to lead)
  std::string node;            // this node's id
  std::string writer_node;     // the writer's id as last read; "" when none
  std::string writer_address;
  uint64_t epoch = 0;          // the writer's epoch as last read
  uint64_t head = 0;           // the log's head as this node knows it
  uint64_t applied = 0;        // the read models' position
  double lag_seconds = 0;      // how long the read models have been behind the head; 0 when caught up
  uint64_t forwarded = 0;      // commands this node forwarded to the writer
  uint64_t takeovers = 0;      // times this node became the writer
};

// Implemented by the node's cluster (app/cluster.hpp). Thread-safe.
class ClusterLink {
 public:
  virtual ~ClusterLink() = default;
  virtual ClusterView view() const = 0;
  // Calls `resume` once this node's read models hold every write any node
  // acknowledged before the call (at once on the writer). `resume` may run
  // on any thread: it must only post.
  virtual void after_acknowledged_writes(std::function<void()> resume) = 0;
  // A command another node forwarded. Decided here when this node is the
  // writer: `done` gets its result; otherwise `done` gets nullopt at once
  // and nothing was decided.
  virtual void submit_forwarded(cmd::CommandEnvelope command,
                                std::function<void(std::optional<cmd::CommandResult>)> done) = 0;
  // The shared secret forwarded commands must carry.
  virtual std::string_view secret() const = 0;
};

inline constexpr std::string_view kForwardPath = "/internal/v1/commands";
inline constexpr std::string_view kSecretHeader = "X-Almanac-Cluster-Secret";

// Adds the internal route (POST kForwardPath) to `router`: 403 without the
// secret, 400 for a body that is not a command of this build, 421 when this
// node is not the writer (nothing was decided), else 200 with the result.
void add_cluster_routes(Router& router);

// How a forward ended.
struct Forwarded {
  enum Outcome {
    kDone,     // the writer answered: `result`
    kNotSent,  // not reached, or not the writer: nothing was decided; safe to retry
    kUnknown,  // sent without an answer: it may have been decided
  };
  Outcome outcome = kNotSent;
  cmd::CommandResult result;
  std::string why;
};

class CommandForwarder {
 public:
  virtual ~CommandForwarder() = default;
  // Sends `command` to the node at `address` (host:port). `done` runs once,
  // on a thread of the forwarder's.
  virtual void forward(const std::string& address, const cmd::CommandEnvelope& command,
                       std::function<void(Forwarded)> done) = 0;
  // Runs `fn` after `delay` on a thread of the forwarder's.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
};

// Forwards over HTTP/1.1 on a thread of its own, keeping connections to the
// writer alive between commands (closing them before the writer would).
class HttpForwarder final : public CommandForwarder {
 public:
  // `timeout`: for connecting, and for the whole exchange.
  HttpForwarder(std::string secret, std::chrono::milliseconds timeout);
  ~HttpForwarder() override;
  HttpForwarder(const HttpForwarder&) = delete;
  HttpForwarder& operator=(const HttpForwarder&) = delete;

  void forward(const std::string& address, const cmd::CommandEnvelope& command,
               std::function<void(Forwarded)> done) override;
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace almanac::api
