// The API layer on a node of a cluster, without sockets: the read barrier
// every request passes before it is identified, 503 with Retry-After in the
// contract's shape while no writer answers, the internal route the writer
// takes forwarded commands on, and the cluster in /health/ready and /metrics.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>

#include "api/cluster.hpp"
#include "api/service_harness.hpp"  // tests/unit/api
#include "commands/command_codec.hpp"
#include "commands/decide.hpp"

using namespace almanac;
using namespace almanac::api;

namespace {

constexpr const char* kSecret = "the-secret-of-this-test-cluster";

// A cluster of one node whose role the test sets: as the writer it submits
// to a real writer; as a follower it refuses writes as a node without a
// writer does.
class FakeCluster final : public testing::ClusterNode {
 public:
  explicit FakeCluster(cmd::Writer& writer) : writer_(writer) {}
  std::atomic<bool> writing{false};
  std::atomic<int> barriers{0};

  void submit(cmd::CommandEnvelope c, cmd::Completion done) override {
    if (writing) return writer_.submit(std::move(c), std::move(done));
    done(cmd::CommandResult{unavailable("no node is the writer of the log; retry shortly"), {}, false});
  }
  bool failed() const override { return false; }
  ClusterView view() const override {
    ClusterView v;
    v.role = writing ? "writer" : "follower";
    v.node = "node-b";
    v.writer_node = "node-a";
    v.writer_address = "10.0.0.1:8000";
    v.epoch = 7;
    v.head = 12;
    v.applied = 10;
    v.lag_seconds = 0.25;
    v.forwarded = 3;
    return v;
  }
  void after_acknowledged_writes(std::function<void()> resume) override {
    ++barriers;
    resume();
  }
  void submit_forwarded(cmd::CommandEnvelope c,
                        std::function<void(std::optional<cmd::CommandResult>)> done) override {
    if (!writing) return done(std::nullopt);
    writer_.submit(std::move(c), [done = std::move(done)](cmd::CommandResult r) { done(std::move(r)); });
  }
  std::string_view secret() const override { return kSecret; }

 private:
  cmd::Writer& writer_;
};

class Harness {
 public:
  Harness() = default;

  Response call(http::verb method, std::string target, std::string body = {},
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request req{method, target, 11};
    for (auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
      if (req[http::field::content_type].empty()) req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
      req.prepare_payload();
    }
    return h_.call(std::move(req));
  }

  FakeCluster& cluster() { return *cluster_; }
  proj::ReadModels& models() { return h_.models(); }

 private:
  FakeCluster* cluster_ = nullptr;   // made, and owned, by h_
  testing::ServiceHarness h_{{}, nullptr, {}, [this](cmd::Writer& writer) {
    auto node = std::make_unique<FakeCluster>(writer);
    cluster_ = node.get();
    return node;
  }};
};

json body_of(const Response& r) { return json::parse(r.body()); }

const std::string kRegistration = R"({"username":"ann","email":"ann@example.com","password":"securepass1"})";

}  // namespace

TEST_CASE("on a cluster node every request that reads the models passes the read barrier first") {
  Harness h;
  h.cluster().writing = true;
  CHECK(h.call(http::verb::get, "/calendars/").result() == http::status::unauthorized);
  CHECK(h.cluster().barriers == 1);
  CHECK(h.call(http::verb::post, "/users/register", kRegistration).result() == http::status::ok);
  CHECK(h.cluster().barriers == 2);
  // Operational routes answer without it.
  for (const char* path : {"/health/live", "/health/ready", "/metrics", "/openapi.json"})
    CHECK(h.call(http::verb::get, path).result() == http::status::ok);
  CHECK(h.cluster().barriers == 2);
}

TEST_CASE("without a writer, writes get 503 with Retry-After in each contract's shape") {
  Harness h;
  Response r = h.call(http::verb::post, "/users/register", kRegistration);
  CHECK(r.result() == http::status::service_unavailable);
  CHECK(r[http::field::retry_after] == "1");
  CHECK(body_of(r)["detail"] == "no node is the writer of the log; retry shortly");
  r = h.call(http::verb::post, "/api/auth/register",
             R"({"email":"bob@example.com","password":"securepass1","username":"bob"})");
  CHECK(r.result() == http::status::service_unavailable);
  CHECK(r[http::field::retry_after] == "1");
  CHECK(body_of(r)["detail"]["code"] == "SERVICE_UNAVAILABLE");
  CHECK(h.models().position() == 0);
}

TEST_CASE("the internal route takes forwarded commands with the secret, and only on the writer") {
  Harness h;
  cmd::CommandEnvelope c;
  c.command = cmd::RegisterUser{"cat", "cat@example.com", "$argon2id$x", "", "", ""};
  c.correlation_id = "forwarded-1";
  const std::string bytes = cmd::encode_command(c);
  const std::string path(kForwardPath);
  const std::vector<std::pair<std::string, std::string>> secret = {{std::string(kSecretHeader), kSecret},
                                                                   {"Content-Type", "application/octet-stream"}};

  CHECK(h.call(http::verb::post, path, bytes, {{"Content-Type", "application/octet-stream"}}).result() ==
        http::status::forbidden);
  CHECK(h.call(http::verb::post, path, bytes,
               {{std::string(kSecretHeader), std::string(kSecret) + "x"}, {"Content-Type", "application/octet-stream"}})
            .result() == http::status::forbidden);
  CHECK(h.call(http::verb::post, path, "garbage", secret).result() == http::status::bad_request);
  // A follower decides nothing: the sender looks for the writer again.
  CHECK(h.call(http::verb::post, path, bytes, secret).result() == http::status::misdirected_request);
  CHECK(h.models().position() == 0);

  h.cluster().writing = true;
  Response r = h.call(http::verb::post, path, bytes, secret);
  REQUIRE(r.result() == http::status::ok);
  auto result = cmd::decode_result(r.body());
  REQUIRE(result.is_ok());
  CHECK(result->status.is_ok());
  REQUIRE(result->events.size() == 1);
  CHECK(result->events[0].position == 1);
  CHECK(result->events[0].correlation_id == "forwarded-1");
  CHECK(h.models().user_by_username("cat").has_value());
  // A refusal travels back as a result, with its reason.
  r = h.call(http::verb::post, path, bytes, secret);
  REQUIRE(r.result() == http::status::ok);
  result = cmd::decode_result(r.body());
  REQUIRE(result.is_ok());
  CHECK(result->status.code() == Code::kConflict);
  CHECK(result->status.reason() == Reason::kDuplicateUsername);
}

TEST_CASE("health and metrics of a cluster node say its role, the writer, the epoch and the lag") {
  Harness h;
  Response r = h.call(http::verb::get, "/health/ready");
  REQUIRE(r.result() == http::status::ok);
  json cluster = body_of(r)["checks"]["cluster"];
  CHECK(cluster["role"] == "follower");
  CHECK(cluster["node"] == "node-b");
  CHECK(cluster["writer"] == json{{"node", "node-a"}, {"address", "10.0.0.1:8000"}});
  CHECK(cluster["epoch"] == 7);
  CHECK(cluster["lag_events"] == 2);
  CHECK(cluster["lag_seconds"] == 0.25);
  CHECK(cluster["status"] == "catching_up");

  r = h.call(http::verb::get, "/metrics");
  const std::string text = r.body();
  CHECK(text.find("almanac_cluster_role{role=\"follower\"} 1\n") != std::string::npos);
  CHECK(text.find("almanac_cluster_role{role=\"writer\"} 0\n") != std::string::npos);
  CHECK(text.find("almanac_cluster_writer{node=\"node-a\",address=\"10.0.0.1:8000\"} 1\n") != std::string::npos);
  CHECK(text.find("almanac_cluster_epoch 7\n") != std::string::npos);
  CHECK(text.find("almanac_cluster_lag_events 2\n") != std::string::npos);
  CHECK(text.find("almanac_cluster_lag_seconds 0.25\n") != std::string::npos);
  CHECK(text.find("almanac_cluster_forwarded_total 3\n") != std::string::npos);
}
