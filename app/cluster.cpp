#include "app/cluster.hpp"

#include <pthread.h>

#include <algorithm>
#include <ostream>
#include <utility>

namespace almanac::app {

namespace {

using Steady = std::chrono::steady_clock;

int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Steady::now().time_since_epoch()).count();
}

// Retries of a forward that reached no writer, while the deadline allows.
constexpr std::chrono::milliseconds kForwardRetry{100};

std::string seconds_text(std::chrono::milliseconds d) {
  return std::to_string(d.count() / 1000) + "." + std::to_string(d.count() % 1000 / 100) + " s";
}

}  // namespace

const char* role_name(Cluster::Role role) {
  switch (role) {
    case Cluster::Role::kWriter: return "writer";
    case Cluster::Role::kCandidate: return "candidate";
    case Cluster::Role::kFollower: break;
  }
  return "follower";
}

Cluster::Cluster(Node& node, ClusterOptions options, api::CommandForwarder& forwarder, cmd::BatchHook publish)
    : node_(node),
      store_(*node.log().postgres()),
      options_(std::move(options)),
      forwarder_(forwarder),
      publish_(std::move(publish)) {}

Cluster::~Cluster() { stop(); }

void Cluster::start(std::string node_id, std::string address) {
  options_.node_id = std::move(node_id);
  options_.address = std::move(address);
  refresh_writer_record();
  thread_ = std::thread([this] { run(); });
  barrier_thread_ = std::thread([this] { run_barrier(); });
}

void Cluster::stop() {
  {
    std::lock_guard lock(stop_mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  {
    // Under the barrier's mutex: its thread checks the flag under it.
    std::lock_guard lock(barrier_mu_);
    stopped_ = true;
  }
  stop_cv_.notify_all();
  barrier_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (barrier_thread_.joinable()) barrier_thread_.join();
  // Whoever still waits is told so.
  std::multimap<uint64_t, Waiter> waiting;
  {
    std::lock_guard lock(waiters_mu_);
    waiting.swap(waiters_);
  }
  for (auto& [position, w] : waiting)
    w.done(cmd::CommandResult{unavailable("the server is shutting down; retry shortly"), {}, false});
}

Cluster::Role Cluster::role() const {
  std::shared_lock lock(role_mu_);
  return role_;
}

// ---- the cluster thread ----------------------------------------------------------

void Cluster::run() {
  pthread_setname_np(pthread_self(), "cluster");
  const auto tick = std::max(std::chrono::milliseconds(20), options_.writer_timeout / 10);
  const storage::WriterClaim claim{options_.node_id, options_.address, options_.writer_timeout * 6 / 10};
  std::unique_ptr<storage::PostgresEventStore::Listener> listener;
  auto next_try = Steady::now();

  for (;;) {
    {
      std::lock_guard lock(stop_mu_);
      if (stopping_) break;
    }
    if (role() == Role::kWriter) {
      {
        std::unique_lock lock(stop_mu_);
        stop_cv_.wait_for(lock, tick, [&] { return stopping_; });
        if (stopping_) break;
      }
      cmd::Writer* writer = node_.writer();
      if (Status s = store_.renew_lease(); !s) {
        step_down(s.message());
      } else if (!store_.leading() || (writer && writer->failed())) {
        step_down("a commit to the log failed");
      }
      settle_waiters();
      continue;
    }

    if (refresh_wanted_.exchange(false)) refresh_writer_record();
    if (Steady::now() >= next_try) {
      next_try = Steady::now() + tick;
      refresh_writer_record();
      if (dirty_) {
        std::lock_guard apply(apply_mu_);
        if (Status s = node_.rebuild_write_state(); s) {
          dirty_ = false;
        } else if (options_.log) {
          *options_.log << "almanac: cannot rebuild the write state: " << s.message() << std::endl;
        }
      }
      if (!dirty_) {
        auto led = store_.try_lead(claim);
        if (led && led->has_value()) {
          lead(**led);
          continue;
        }
      }
    }
    if (!listener) {
      auto l = store_.listen();
      if (l) listener = std::move(l).value();
    }
    const auto wait = std::max(std::chrono::milliseconds(1),
                               std::chrono::duration_cast<std::chrono::milliseconds>(next_try - Steady::now()));
    if (listener) {
      if (auto woken = listener->wait(std::min(wait, tick)); !woken) listener.reset();
    } else {
      std::unique_lock lock(stop_mu_);
      stop_cv_.wait_for(lock, std::min(wait, tick), [&] { return stopping_; });
    }
    follow();
  }
  if (role() == Role::kWriter) step_down("the server is stopping");
}

void Cluster::follow() {
  if (!store_.refresh_head()) return;  // the database is away: try again next time
  std::lock_guard apply(apply_mu_);
  if (role() == Role::kWriter) return;
  (void)catch_up_locked();
}

Status Cluster::catch_up_locked() {
  if (node_.models().position() < store_.head() && behind_since_us_.load() == 0) behind_since_us_ = steady_us();
  Status s = node_.catch_up(publish_);
  if (node_.models().position() >= store_.head()) behind_since_us_ = 0;
  settle_waiters();
  if (!s && options_.log) *options_.log << "almanac: cannot follow the log: " << s.message() << std::endl;
  return s;
}

void Cluster::lead(uint64_t epoch) {
  std::lock_guard apply(apply_mu_);
  {
    std::unique_lock lock(role_mu_);
    role_ = Role::kCandidate;
  }
  // The claim fixed the head: nobody else appends now. Take all of it first.
  Status s = catch_up_locked();
  if (s && node_.models().position() != store_.head())
    s = data_loss("the log ends before its head " + std::to_string(store_.head()));
  if (s) s = store_.renew_lease();
  if (!s) {
    store_.resign();
    std::unique_lock lock(role_mu_);
    role_ = Role::kFollower;
    if (options_.log) *options_.log << "almanac: gave up the writer's role: " << s.message() << std::endl;
    return;
  }
  cmd::Writer& writer = node_.start_writer(publish_);
  {
    std::unique_lock lock(role_mu_);
    role_ = Role::kWriter;
    writer_ = &writer;
  }
  ++takeovers_;
  refresh_writer_record();
  if (options_.log)
    *options_.log << "almanac: node " << options_.node_id << " is the writer (epoch " << epoch << ", log head "
                  << store_.head() << ")" << std::endl;
}

void Cluster::step_down(const std::string& why) {
  std::lock_guard apply(apply_mu_);
  {
    std::unique_lock lock(role_mu_);
    role_ = Role::kFollower;
    writer_ = nullptr;
  }
  // The writer completes what it has queued: with the role gone, those
  // commits fail and their callers get Unavailable.
  const bool failed = node_.stop_writer();
  store_.resign();
  if (failed) {
    // Decided and never committed: the write state is ahead of the log.
    dirty_ = true;
    if (Status s = node_.rebuild_write_state(); s)
      dirty_ = false;
    else if (options_.log)
      *options_.log << "almanac: cannot rebuild the write state yet: " << s.message() << std::endl;
  }
  if (options_.log) *options_.log << "almanac: node " << options_.node_id << " stopped writing: " << why << std::endl;
  refresh_writer_record();
}

void Cluster::refresh_writer_record() {
  auto w = store_.writer();
  if (!w) return;
  std::lock_guard lock(record_mu_);
  record_ = std::move(w).value();
}

// ---- waiting for positions --------------------------------------------------------

void Cluster::settle_waiters() {
  const uint64_t applied = node_.models().position();
  const auto now = Steady::now();
  std::vector<Waiter> ready, late;
  std::vector<uint64_t> late_positions;
  {
    std::lock_guard lock(waiters_mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->first <= applied) {
        ready.push_back(std::move(it->second));
        it = waiters_.erase(it);
      } else if (it->second.deadline <= now) {
        late_positions.push_back(it->first);
        late.push_back(std::move(it->second));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Waiter& w : ready) w.done(std::move(w.result));
  for (size_t i = 0; i < late.size(); ++i)
    late[i].done(cmd::CommandResult{
        unavailable("the write is durable at log position " + std::to_string(late_positions[i]) +
                    " but this node has not caught up with it in " + seconds_text(options_.catch_up_timeout) +
                    "; read it on another node, or retry with the same Idempotency-Key"),
        {},
        false});
}

void Cluster::when_applied(cmd::CommandResult result, cmd::Completion done) {
  uint64_t position = 0;
  for (const Envelope& e : result.events) position = std::max<uint64_t>(position, e.position);
  if (position == 0 || node_.models().position() >= position) {
    done(std::move(result));
    return;
  }
  {
    std::lock_guard lock(waiters_mu_);
    waiters_.emplace(position, Waiter{std::move(result), std::move(done), Steady::now() + options_.catch_up_timeout});
  }
  // The read models may have passed it meanwhile.
  settle_waiters();
}

// ---- commands ---------------------------------------------------------------------

void Cluster::submit(cmd::CommandEnvelope command, cmd::Completion done) {
  route(std::move(command), std::move(done), Steady::now() + options_.writer_timeout);
}

void Cluster::route(cmd::CommandEnvelope command, cmd::Completion done, Steady::time_point deadline) {
  {
    std::shared_lock lock(role_mu_);
    if (role_ == Role::kWriter && writer_) {
      writer_->submit(std::move(command), std::move(done));
      return;
    }
  }
  if (stopped_) {
    done(cmd::CommandResult{unavailable("the server is shutting down; retry shortly"), {}, false});
    return;
  }
  std::string address, writer_node;
  {
    std::lock_guard lock(record_mu_);
    if (record_.held) {
      address = record_.address;
      writer_node = record_.node;
    }
  }
  auto retry = [this, deadline](cmd::CommandEnvelope c, cmd::Completion d, std::string why) {
    if (stopped_ || Steady::now() >= deadline) {
      d(cmd::CommandResult{unavailable("no node is the writer of the log (" + why + "); retry shortly"), {}, false});
      return;
    }
    auto shared = std::make_shared<std::pair<cmd::CommandEnvelope, cmd::Completion>>(std::move(c), std::move(d));
    forwarder_.after(kForwardRetry, [this, shared, deadline] {
      route(std::move(shared->first), std::move(shared->second), deadline);
    });
  };
  if (address.empty() || writer_node == options_.node_id) {
    retry(std::move(command), std::move(done), "none holds the writer's lock");
    return;
  }
  ++forwarded_;
  auto copy = std::make_shared<cmd::CommandEnvelope>(command);
  forwarder_.forward(address, command, [this, copy, done = std::move(done), retry](api::Forwarded f) mutable {
    switch (f.outcome) {
      case api::Forwarded::kDone:
        when_applied(std::move(f.result), std::move(done));
        return;
      case api::Forwarded::kNotSent:
        refresh_wanted_ = true;
        retry(std::move(*copy), std::move(done), f.why);
        return;
      case api::Forwarded::kUnknown:
        done(cmd::CommandResult{unavailable(f.why + "; the command may or may not have been applied: retry with the "
                                                    "same Idempotency-Key"),
                                {},
                                false});
        return;
    }
  });
}

void Cluster::submit_forwarded(cmd::CommandEnvelope command,
                               std::function<void(std::optional<cmd::CommandResult>)> done) {
  {
    std::shared_lock lock(role_mu_);
    if (role_ == Role::kWriter && writer_) {
      writer_->submit(std::move(command), [done = std::move(done)](cmd::CommandResult r) { done(std::move(r)); });
      return;
    }
  }
  done(std::nullopt);
}

// ---- the read barrier ---------------------------------------------------------------

void Cluster::after_acknowledged_writes(std::function<void()> resume) {
  if (role() == Role::kWriter) {
    resume();
    return;
  }
  {
    std::lock_guard lock(barrier_mu_);
    if (!stopped_) {
      barrier_waiting_.push_back(std::move(resume));
      barrier_cv_.notify_one();
      return;
    }
  }
  resume();
}

void Cluster::run_barrier() {
  pthread_setname_np(pthread_self(), "cluster-reads");
  for (;;) {
    std::vector<std::function<void()>> batch;
    {
      std::unique_lock lock(barrier_mu_);
      barrier_cv_.wait(lock, [&] { return stopped_ || !barrier_waiting_.empty(); });
      batch.swap(barrier_waiting_);
      if (stopped_ && batch.empty()) return;
    }
    // Every write acknowledged before these requests arrived is in the head
    // read now; once the read models hold it, they may go on. When the
    // database cannot be read, they go on with what this node has: reads
    // keep working.
    if (!stopped_ && role() != Role::kWriter && store_.refresh_head()) {
      std::lock_guard apply(apply_mu_);
      if (role() != Role::kWriter) (void)catch_up_locked();
    }
    for (auto& resume : batch) resume();
  }
}

// ---- views ----------------------------------------------------------------------------

api::ClusterView Cluster::view() const {
  api::ClusterView v;
  const Role r = role();
  v.role = role_name(r);
  v.node = options_.node_id;
  {
    std::lock_guard lock(record_mu_);
    v.epoch = record_.epoch;
    if (record_.held) {
      v.writer_node = record_.node;
      v.writer_address = record_.address;
    }
  }
  if (r == Role::kWriter) {
    v.writer_node = options_.node_id;
    v.writer_address = options_.address;
    v.epoch = store_.epoch();
  }
  v.head = store_.head();
  v.applied = node_.models().position();
  const int64_t behind = behind_since_us_.load();
  if (r != Role::kWriter && behind != 0 && v.applied < v.head)
    v.lag_seconds = static_cast<double>(steady_us() - behind) / 1e6;
  v.forwarded = forwarded_.load();
  v.takeovers = takeovers_.load();
  return v;
}

}  // namespace almanac::app
