// bench_users: writes a data directory of N registered users for the user
// listing benchmark (bench/users/run.sh), through the single writer as the
// server would, many commands in flight so they share group commits.
//
//   bench_users --data DIR [--users N] [--password P]
//
// User 1 is "bench_root", a superuser; users 2..N are "bench_user_<n>". Every
// account gets the same Argon2id hash of P (at libsodium's lowest cost, made
// once: hashing N passwords is not what is measured).
#include <charconv>
#include <chrono>
#include <cstring>
#include <deque>
#include <future>
#include <iostream>
#include <string>

#include "api/identity.hpp"
#include "app/node.hpp"

using namespace almanac;

namespace {

int usage() {
  std::cerr << "usage: bench_users --data DIR [--users N] [--password P]\n";
  return 2;
}

cmd::CommandEnvelope registration(int64_t n, const std::string& hash) {
  cmd::RegisterUser r;
  r.username = n == 1 ? "bench_root" : "bench_user_" + std::to_string(n);
  r.email = r.username + "@example.com";
  r.full_name = "Bench User " + std::to_string(n);
  r.password_hash = hash;
  cmd::CommandEnvelope c;
  c.command = std::move(r);
  c.correlation_id = "bench-users";
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, password = "bench-password-1";
  int64_t users = 100'000;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--data") data = argv[++i];
    else if (a == "--password") password = argv[++i];
    else if (a == "--users") {
      std::string_view v = argv[++i];
      if (std::from_chars(v.data(), v.data() + v.size(), users).ec != std::errc() || users < 1) return usage();
    } else return usage();
  }
  if (data.empty()) return usage();

  auto hash = api::PasswordHasher(1, 8192).hash(password);
  if (!hash) {
    std::cerr << "bench_users: " << hash.status().to_string() << "\n";
    return 1;
  }
  app::NodeOptions o;
  o.data_dir = data;
  auto node = app::Node::open(o);
  if (!node) {
    std::cerr << "bench_users: " << node.status().to_string() << "\n";
    return 1;
  }
  if ((*node)->models().users(0, 1).total != 0) {
    std::cerr << "bench_users: " << data << " already holds users\n";
    return 1;
  }
  cmd::Writer& writer = (*node)->start_writer();
  const auto started = std::chrono::steady_clock::now();
  constexpr size_t kInFlight = 512;
  std::deque<std::future<cmd::CommandResult>> in_flight;
  auto settle = [&]() -> bool {
    cmd::CommandResult r = in_flight.front().get();
    in_flight.pop_front();
    if (!r.status) std::cerr << "bench_users: " << r.status.to_string() << "\n";
    return r.status.is_ok();
  };
  // The first account alone, so that it is id 1.
  in_flight.push_back(writer.submit(registration(1, *hash)));
  if (!settle()) return 1;
  for (int64_t n = 2; n <= users; ++n) {
    in_flight.push_back(writer.submit(registration(n, *hash)));
    if (in_flight.size() >= kInFlight && !settle()) return 1;
  }
  while (!in_flight.empty())
    if (!settle()) return 1;
  cmd::CommandEnvelope promote;
  promote.command = cmd::SetSuperuser{1, true};
  promote.correlation_id = "bench-users";
  if (cmd::CommandResult r = writer.submit(std::move(promote)).get(); !r.status) {
    std::cerr << "bench_users: " << r.status.to_string() << "\n";
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (Status s = (*node)->stop(); !s) {
    std::cerr << "bench_users: " << s.to_string() << "\n";
    return 1;
  }
  std::cout << "bench_users: " << users << " users in " << data << " (" << seconds << " s)\n";
  return 0;
}
