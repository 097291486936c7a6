// A node of a cluster: one of several almanac processes sharing one log in
// PostgreSQL (DESIGN.md §8, docs/cluster.md).
//
// Every node rebuilds its write state and read models from the log at start
// (Node::open) and then follows it: woken by the writer's notification of
// each commit, or by a poll when none comes, it applies the new events to
// both and publishes them to its own WebSocket subscribers, in log order. One
// node at a time is the writer, the one holding the log's lock
// (PostgresEventStore::try_lead): a follower tries to take it every tenth of
// the writer timeout; having it, it catches up to the head the claim fixed
// and starts the single writer. The writer renews its lease every tenth of
// the timeout and steps down when it loses the lease or a commit fails (its
// write state is then rebuilt from the log).
//
// Commands submitted on a follower are forwarded to the writer (over
// api::CommandForwarder) and answered once this node's read models hold
// their events; while no writer answers they are retried for up to the
// writer timeout, then refused with Unavailable. Every request that reads
// the models on a follower first passes a read barrier: the log's head is
// read, and the request waits until the read models hold it, so whatever was
// acknowledged anywhere before is visible here.
//
// Threads: the cluster thread follows, contends and heartbeats; the barrier
// thread serves read barriers; forwards complete on the forwarder's thread.
// The write state and read models are changed either by the node's writer
// (role writer) or, under apply_mu_, by the cluster and barrier threads
// (otherwise), never both.
#pragma once

#include <atomic>
#include <chrono>
#include <iosfwd>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/cluster.hpp"
#include "app/node.hpp"
#include "commands/command_sink.hpp"

namespace almanac::app {

struct ClusterOptions {
  std::string node_id;       // this node's name in the control row and the views
  std::string address;       // host:port where it takes forwarded commands
  std::string secret;        // what forwarded commands carry
  // A writer silent this long has lost the role and another node has taken
  // it (PostgreSQL ends its session at 60% of it; the others try every 10%).
  std::chrono::milliseconds writer_timeout{5000};
  // How long a follower waits for its read models to reach a forwarded
  // write before it answers Unavailable.
  std::chrono::milliseconds catch_up_timeout{30000};
  // Where changes of role are told (standard error); may be null.
  std::ostream* log = nullptr;
};

class Cluster final : public cmd::CommandSink, public api::ClusterLink {
 public:
  enum class Role { kFollower, kCandidate, kWriter };

  // `node` must be opened on a PostgreSQL log and outlive the cluster; so
  // must `forwarder`. `publish` gets every batch this node applies, whoever
  // wrote it, in log order (the hub).
  Cluster(Node& node, ClusterOptions options, api::CommandForwarder& forwarder, cmd::BatchHook publish);
  ~Cluster() override;
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Starts following the log and contending for the writer's role, as
  // `node_id`, taking forwarded commands at `address` (known once listening).
  void start(std::string node_id, std::string address);
  // Gives the role up (the writer completes what it has queued), stops the
  // threads. Waiting callers get Unavailable; later commands too. Idempotent;
  // any thread but the cluster's own.
  void stop();

  Role role() const;
  // False while the write state is ahead of the log (a writer's failed
  // commit, not yet rebuilt): no summary of it may be saved.
  bool state_consistent() const { return !dirty_; }

  // cmd::CommandSink
  using cmd::CommandSink::submit;
  void submit(cmd::CommandEnvelope command, cmd::Completion done) override;
  bool failed() const override { return false; }

  // api::ClusterLink
  api::ClusterView view() const override;
  void after_acknowledged_writes(std::function<void()> resume) override;
  void submit_forwarded(cmd::CommandEnvelope command,
                        std::function<void(std::optional<cmd::CommandResult>)> done) override;
  std::string_view secret() const override { return options_.secret; }

 private:
  void run();
  void run_barrier();
  // Cluster thread: refreshes the head and applies what is new. apply_mu_ taken.
  void follow();
  // Cluster thread: the lock is ours with `epoch`; catch up and start writing.
  void lead(uint64_t epoch);
  // Cluster thread: stops writing (the lease is lost, or a commit failed, or stopping).
  void step_down(const std::string& why);
  // Applies the log up to the store's head (not as the writer). apply_mu_ held.
  Status catch_up_locked();
  // Runs the waiters whose position the read models have reached, and the
  // overdue ones with `late`.
  void settle_waiters();
  void refresh_writer_record();
  // To the writer: this node's, or forwarded to the one the control row
  // names, retried until `deadline` while none answers.
  void route(cmd::CommandEnvelope command, cmd::Completion done, std::chrono::steady_clock::time_point deadline);
  // Completes `done` with `result` once the read models hold its events.
  void when_applied(cmd::CommandResult result, cmd::Completion done);

  Node& node_;
  storage::PostgresEventStore& store_;
  ClusterOptions options_;  // node_id and address set by start(), then read-only
  api::CommandForwarder& forwarder_;
  cmd::BatchHook publish_;

  // Held while the write state and read models are changed by anyone but
  // the writer, and across every change of role (taken before role_mu_).
  std::mutex apply_mu_;
  // Guards role_ and writer_ for submitters: held shared while a command is
  // handed to the writer, exclusive while the role changes.
  mutable std::shared_mutex role_mu_;
  Role role_ = Role::kFollower;
  cmd::Writer* writer_ = nullptr;

  // The control row as last read, for forwarding and the views. Guarded by record_mu_.
  mutable std::mutex record_mu_;
  storage::WriterRecord record_;

  // Commands waiting for the read models to reach their events.
  struct Waiter {
    cmd::CommandResult result;
    cmd::Completion done;
    std::chrono::steady_clock::time_point deadline;
  };
  std::mutex waiters_mu_;
  std::multimap<uint64_t, Waiter> waiters_;  // guarded by waiters_mu_, by position

  // Read barriers waiting for the next reading of the head.
  std::mutex barrier_mu_;
  std::condition_variable barrier_cv_;
  std::vector<std::function<void()>> barrier_waiting_;  // guarded by barrier_mu_

  // How long the read models have been behind (steady clock, 0: caught up).
  std::atomic<int64_t> behind_since_us_{0};
  std::atomic<bool> dirty_{false};            // the write state is ahead of the log
  std::atomic<bool> refresh_wanted_{false};  // a forward found the record stale
  std::atomic<uint64_t> forwarded_{0};
  std::atomic<uint64_t> takeovers_{0};

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::atomic<bool> stopped_{false};
  std::thread thread_;
  std::thread barrier_thread_;
};

const char* role_name(Cluster::Role role);

}  // namespace almanac::app
