// The operator commands, driven through run_cli() on a real data directory.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli.hpp"
#include "app/node.hpp"
#include "app/workload.hpp"
#include "storage/store_test_support.hpp"

using namespace almanac;
namespace fs = std::filesystem;

namespace {

struct Run {
  int code;
  std::string out, err;
};

Run run(std::vector<std::string> args) {
  args.insert(args.begin(), "almanac");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  int code = app::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

// A data directory holding a few hundred events, with the summary saved.
struct DataDir {
  fs::path dir;
  uint64_t head = 0;
  explicit DataDir(const std::string& name) {
    dir = fs::temp_directory_path() / ("almanac-cli-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    app::NodeOptions o;
    o.data_dir = dir.string();
    auto node = app::Node::open(o);
    REQUIRE(node.is_ok());
    auto& writer = (*node)->start_writer();
    app::Workload workload(3, (*node)->clock().now_us());
    for (int i = 0; i < 400; ++i) workload.observe(writer.submit(workload.next()).get());
    REQUIRE((*node)->stop().is_ok());
    head = (*node)->store().head();
    REQUIRE(head > 100);
  }
  ~DataDir() { fs::remove_all(dir); }
};

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("every command has --help") {
  for (auto cmd : {"serve", "log", "replay", "verify", "backup"}) {
    auto r = run({cmd, "--help"});
    CHECK(r.code == 0);
    CHECK(r.out.find("--data") != std::string::npos);
    CHECK(r.out.find("--log") != std::string::npos);
  }
  auto copy = run({"copy", "--help"});
  CHECK(copy.code == 0);
  CHECK(copy.out.find("--from") != std::string::npos);
  auto top = run({"--help"});
  CHECK(top.code == 0);
  CHECK(top.out.find("verify") != std::string::npos);
  auto promote = run({"users", "promote", "--help"});
  CHECK(promote.code == 0);
  CHECK(promote.out.find("USERNAME") != std::string::npos);
}

TEST_CASE("log prints one event a line, human or JSON, from a position") {
  DataDir d("log");
  auto r = run({"log", "--data", d.dir.string(), "--limit", "3"});
  REQUIRE(r.code == 0);
  auto ls = lines(r.out);
  REQUIRE(ls.size() == 3);
  CHECK(ls[0].rfind("#1  ", 0) == 0);
  CHECK(ls[2].rfind("#3  ", 0) == 0);
  CHECK(ls[0].find("UserRegistered") != std::string::npos);

  auto j = run({"log", "--data", d.dir.string(), "--from", "5", "--limit", "2", "--json"});
  REQUIRE(j.code == 0);
  auto jl = lines(j.out);
  REQUIRE(jl.size() == 2);
  auto first = nlohmann::json::parse(jl[0]);
  CHECK(first["position"] == 5);
  CHECK(first.contains("payload_type"));
  CHECK(first["version"].get<uint64_t>() >= 1);

  auto all = run({"log", "--data", d.dir.string()});
  CHECK(lines(all.out).size() == d.head);
}

TEST_CASE("replay reports events, streams, time and rate") {
  DataDir d("replay");
  auto r = run({"replay", "--data", d.dir.string()});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("replayed " + app::with_commas(d.head) + " events") != std::string::npos);
  CHECK(r.out.find("events/s") != std::string::npos);
}

TEST_CASE("verify passes on a healthy directory and fails when the saved state disagrees") {
  DataDir d("verify");
  auto ok = run({"verify", "--data", d.dir.string()});
  INFO(ok.err);
  REQUIRE(ok.code == 0);
  CHECK(ok.out.find("reproduces") != std::string::npos);

  {  // a summary that no replay can reproduce
    storage::RocksOptions ro;
    auto store = storage::RocksEventStore::open(d.dir.string(), ro);
    REQUIRE(store.is_ok());
    app::ModelSummary wrong{d.head, 1, 2, {{"users", 999}}};
    REQUIRE((*store)->put_meta(app::kSummaryKey, wrong.to_text()).is_ok());
  }
  auto bad = run({"verify", "--data", d.dir.string()});
  CHECK(bad.code == 1);
  CHECK(bad.err.find("differs") != std::string::npos);
}

TEST_CASE("backup writes a checkpoint that opens with the same events") {
  DataDir d("backup");
  fs::path target = d.dir.string() + "-copy";
  fs::remove_all(target);
  auto r = run({"backup", target.string(), "--data", d.dir.string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto copy = run({"verify", "--data", target.string()});
  CHECK(copy.code == 0);
  auto again = run({"backup", target.string(), "--data", d.dir.string()});
  CHECK(again.code == 1);  // refuses to overwrite
  CHECK(again.err.find("already exists") != std::string::npos);
  fs::remove_all(target);
}

TEST_CASE("users promote records an event and the user becomes a superuser") {
  DataDir d("promote");
  auto r = run({"users", "promote", "user1", "--data", d.dir.string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("now a superuser") != std::string::npos);
  auto log = run({"log", "--data", d.dir.string(), "--from", std::to_string(d.head + 1)});
  CHECK(log.out.find("UserPromoted") != std::string::npos);
  auto missing = run({"users", "promote", "nobody", "--data", d.dir.string()});
  CHECK(missing.code == 1);
  CHECK(missing.err.find("no user named 'nobody'") != std::string::npos);
}

TEST_CASE("a missing data directory is a clear error, not a new empty log") {
  auto r = run({"replay", "--data", "/nonexistent/almanac-data"});
  CHECK(r.code == 1);
  CHECK(r.err.find("almanac:") == 0);
}

TEST_CASE("every log command works on a PostgreSQL log, and copy moves a log there and back") {
  DataDir d("pgcopy");
  storage::testing::TestSchema schema;
  const std::string url = schema.conninfo();
  const std::string dir = d.dir.string();

  auto copied = run({"copy", "--from", dir, "--to", url});
  INFO(copied.err);
  REQUIRE(copied.code == 0);
  CHECK(copied.out.find("it verifies") != std::string::npos);
  auto again = run({"copy", "--from", dir, "--to", url});
  CHECK(again.code == 1);
  CHECK(again.err.find("already holds events") != std::string::npos);

  // The same log, rendered the same from either store.
  auto from_rocks = run({"log", "--data", dir, "--json"});
  auto from_pg = run({"log", "--log", url, "--json"});
  REQUIRE(from_pg.code == 0);
  CHECK(lines(from_pg.out).size() == d.head);
  CHECK(from_pg.out == from_rocks.out);
  CHECK(run({"log", "--log", url, "--limit", "3"}).out == run({"log", "--data", dir, "--limit", "3"}).out);

  auto verified = run({"verify", "--log", url});
  INFO(verified.err);
  REQUIRE(verified.code == 0);
  CHECK(verified.out.find("reproduces") != std::string::npos);
  auto replayed = run({"replay", "--log", url});
  REQUIRE(replayed.code == 0);
  CHECK(replayed.out.find("replayed " + app::with_commas(d.head) + " events") != std::string::npos);

  auto promoted = run({"users", "promote", "user1", "--log", url});
  INFO(promoted.err);
  REQUIRE(promoted.code == 0);
  CHECK(run({"log", "--log", url, "--from", std::to_string(d.head + 1)}).out.find("UserPromoted") !=
        std::string::npos);
  CHECK(run({"verify", "--log", url}).code == 0);

  fs::path backup = dir + "-pg-backup";
  fs::remove_all(backup);
  auto backed = run({"backup", backup.string(), "--log", url});
  INFO(backed.err);
  REQUIRE(backed.code == 0);
  auto backup_verified = run({"verify", "--data", backup.string()});
  INFO(backup_verified.err);
  CHECK(backup_verified.code == 0);
  CHECK(backup_verified.out.find("reproduces") != std::string::npos);

  fs::path back = dir + "-back";
  fs::remove_all(back);
  auto returned = run({"copy", "--from", url, "--to", back.string()});
  INFO(returned.err);
  REQUIRE(returned.code == 0);
  CHECK(run({"log", "--data", back.string(), "--json"}).out == run({"log", "--log", url, "--json"}).out);
  CHECK(run({"verify", "--data", back.string()}).code == 0);
  auto exists = run({"copy", "--from", url, "--to", back.string()});
  CHECK(exists.code == 1);
  CHECK(exists.err.find("already exists") != std::string::npos);
  fs::remove_all(backup);
  fs::remove_all(back);
}

TEST_CASE("a PostgreSQL database without a log is a clear error, not a new empty log") {
  storage::testing::TestSchema schema;
  auto r = run({"replay", "--log", schema.conninfo()});
  CHECK(r.code == 1);
  CHECK(r.err.find("no almanac log in this database") != std::string::npos);
  auto unreachable = run({"verify", "--log", "postgresql:///nowhere?host=/nonexistent-almanac-socket"});
  CHECK(unreachable.code == 1);
  CHECK(unreachable.err.find("cannot connect to PostgreSQL") != std::string::npos);
}
