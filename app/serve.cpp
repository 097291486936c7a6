#include "app/serve.hpp"

#include <sys/resource.h>

#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include "api/contracts/contracts.hpp"
#include "api/routes.hpp"
#include "api/server.hpp"
#include "app/node.hpp"
#include "app/poll_closer.hpp"

namespace almanac::app {

namespace net = boost::asio;

namespace {

// The settings serve understands, with their environment variable names.
const char* const kSettingNames[] = {
    "data", "listen", "threads", "rate-limits", "auth-per-minute", "user-per-minute",
    "body-limit", "header-limit", "read-timeout", "idle-timeout", "max-requests-per-connection", "access-ttl", "refresh-ttl",
    "anonymous-calendars", "bench-fast-hash", "access-log", "ws-queue-limit", "max-connections",
    "web-assets",
    "expand-max-days", "batch-max-events",
    "ws-ping-interval", "ws-pong-timeout", "reset-ttl", "smtp-host", "smtp-port", "smtp-starttls",
    "smtp-username", "smtp-password", "mail-from", "reset-link-base", "rate-policy", "ws-per-ip"};

// Raises the soft open-file limit to the hard one (every connection is a
// descriptor) and says when even that is short of --max-connections.
void raise_open_files(uint32_t max_connections, std::ostream& err) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  // The log, the listening socket and the rest of the process need some too.
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + 256;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < wanted) {
    err << "almanac: the open-file limit is " << lim.rlim_cur << ", short of --max-connections "
        << max_connections << "; raise it (ulimit -n) or lower --max-connections" << std::endl;
  }
}

std::string env_name(const std::string& setting) {
  std::string e = "ALMANAC_";
  for (char c : setting) e += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return e;
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool parse_bool(const std::string& v, bool& out) {
  if (v == "on" || v == "true" || v == "1" || v == "yes") return out = true, true;
  if (v == "off" || v == "false" || v == "0" || v == "no") return out = false, true;
  return false;
}

template <typename T>
bool parse_number(const std::string& v, T& out) {
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size() || n < 0) return false;
    out = static_cast<T>(n);
    return true;
  } catch (...) {
    return false;
  }
}

// Seconds, fractions allowed ("0.5"), as milliseconds.
bool parse_seconds_ms(const std::string& v, int64_t& out_ms) {
  try {
    size_t used = 0;
    double seconds = std::stod(v, &used);
    if (used != v.size() || !(seconds >= 0) || seconds > 1e6) return false;
    out_ms = static_cast<int64_t>(seconds * 1000 + 0.5);
    return true;
  } catch (...) {
    return false;
  }
}

// Every policy the configuration names must be one a route declares.
std::string check_rate_policies(const api::ServerConfig& config) {
  if (config.rate_policies.empty()) return {};
  api::Router router;
  api::add_contracts(router, api::all_contracts());
  const std::vector<std::string> declared = api::rate_policy_names(router);
  for (const auto& [name, rule] : config.rate_policies) {
    if (std::find(declared.begin(), declared.end(), name) != declared.end()) continue;
    std::string known;
    for (const auto& d : declared) known += (known.empty() ? "" : ", ") + d;
    return "rate-policy: no route declares a policy named '" + name + "' (the policies are: " +
           (known.empty() ? "none" : known) + ")";
  }
  return {};
}

}  // namespace

std::string build_config(const Settings& flags, api::ServerConfig& c) {
  Settings s;
  // The file, then the environment, then flags: later ones win.
  std::string file;
  if (auto it = flags.find("config"); it != flags.end()) file = it->second;
  else if (const char* e = std::getenv("ALMANAC_CONFIG")) file = e;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return "cannot read the configuration file " + file;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      line = trim(line.substr(0, line.find('#')));
      if (line.empty()) continue;
      size_t eq = line.find('=');
      if (eq == std::string::npos) return file + ":" + std::to_string(n) + ": expected 'name = value'";
      s[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
  }
  for (const char* name : kSettingNames)
    if (const char* e = std::getenv(env_name(name).c_str())) s[name] = e;
  for (const auto& [k, v] : flags)
    if (k != "config") s[k] = v;

  for (const auto& [k, v] : s) {
    bool ok = true;
    if (k == "data") c.data_dir = v;
    else if (k == "listen") {
      size_t colon = v.rfind(':');
      ok = colon != std::string::npos && colon > 0 && parse_number(v.substr(colon + 1), c.port);
      if (ok) c.host = v.substr(0, colon);
      if (!ok) return "listen: expected HOST:PORT (e.g. 127.0.0.1:8000), got '" + v + "'";
    } else if (k == "threads") ok = parse_number(v, c.threads);
    else if (k == "rate-limits") ok = parse_bool(v, c.rate_limits);
    else if (k == "auth-per-minute") ok = parse_number(v, c.auth_per_minute);
    else if (k == "user-per-minute") ok = parse_number(v, c.user_per_minute);
    else if (k == "body-limit") ok = parse_number(v, c.body_limit);
    else if (k == "header-limit") ok = parse_number(v, c.header_limit);
    else if (k == "read-timeout") ok = parse_number(v, c.read_timeout_s);
    else if (k == "idle-timeout") ok = parse_number(v, c.idle_timeout_s);
    else if (k == "max-requests-per-connection") ok = parse_number(v, c.max_requests_per_connection);
    else if (k == "access-ttl") ok = parse_number(v, c.access_ttl_s);
    else if (k == "refresh-ttl") ok = parse_number(v, c.refresh_ttl_s);
    else if (k == "ws-queue-limit") ok = parse_number(v, c.ws_queue_limit);
    else if (k == "max-connections") ok = parse_number(v, c.max_connections);
    else if (k == "ws-per-ip") ok = parse_number(v, c.ws_per_ip);
    else if (k == "rate-policy") {
      if (std::string problem = api::parse_rate_policies(v, c.rate_policies); !problem.empty())
        return "rate-policy: " + problem;
    }
    else if (k == "expand-max-days") ok = parse_number(v, c.expand_max_days);
    else if (k == "batch-max-events") ok = parse_number(v, c.batch_max_events);
    else if (k == "anonymous-calendars") ok = parse_bool(v, c.anonymous_calendars);
    else if (k == "web-assets") c.web_assets = v;
    else if (k == "ws-ping-interval") ok = parse_seconds_ms(v, c.ws_ping_interval_ms);
    else if (k == "ws-pong-timeout") ok = parse_seconds_ms(v, c.ws_pong_timeout_ms);
    else if (k == "reset-ttl") ok = parse_number(v, c.reset_ttl_s);
    else if (k == "smtp-host") c.smtp_host = v;
    else if (k == "smtp-port") ok = parse_number(v, c.smtp_port);
    else if (k == "smtp-starttls") ok = parse_bool(v, c.smtp_starttls);
    else if (k == "smtp-username") c.smtp_username = v;
    else if (k == "smtp-password") c.smtp_password = v;
    else if (k == "mail-from") c.mail_from = v;
    else if (k == "reset-link-base") c.reset_link_base = v;
    else if (k == "bench-fast-hash") {
      bool fast = false;
      ok = parse_bool(v, fast);
      if (fast) {  // libsodium's minimum cost: benchmarks only
        c.argon2_ops = 1;
        c.argon2_mem = 8192;
      }
    } else if (k == "access-log") continue;
    else return "unknown setting '" + k + "'";
    if (!ok) return k + ": invalid value '" + v + "'";
  }
  return c.validate();
}

namespace {

struct AppendObserverGuard {
  storage::RocksEventStore& store;
  ~AppendObserverGuard() { store.set_observer({}); }
};

}  // namespace

int serve(const Settings& flags, std::ostream& out, std::ostream& err) {
  api::ServerConfig config;
  if (std::string problem = build_config(flags, config); !problem.empty()) {
    err << "almanac: " << problem << "\n";
    return 2;
  }
  if (std::string problem = check_rate_policies(config); !problem.empty()) {
    err << "almanac: " << problem << "\n";
    return 2;
  }
  bool access_log = true;
  if (auto it = flags.find("access-log"); it != flags.end()) parse_bool(it->second, access_log);

  std::error_code ec;
  auto data_abs = std::filesystem::absolute(config.data_dir, ec).lexically_normal().string();
  err << "almanac " << "starting: data directory " << data_abs << std::endl;
  NodeOptions o;
  o.data_dir = config.data_dir;
  o.progress = &err;
  auto node = Node::open(o);
  if (!node) {
    err << "almanac: cannot open " << data_abs << ": " << node.status().message() << "\n"
        << "almanac: " << open_hint(data_abs, node.status()) << "\n";
    return 1;
  }
  Node& n = **node;
  const auto& r = n.replay_stats();
  err << "almanac: replayed " << with_commas(r.events) << " events (" << with_commas(r.streams)
      << " streams) in " << std::fixed << std::setprecision(3) << r.seconds << " s" << std::endl;

  auto tokens = api::TokenService::open(config.data_dir);
  if (!tokens) {
    err << "almanac: " << tokens.status().message() << "\n";
    return 1;
  }
  api::Hub hub;
  api::Metrics metrics;
  n.store().set_observer([&metrics](size_t tx, size_t events, size_t bytes, int64_t sync_us) {
    metrics.observe_append(tx, events, bytes, sync_us);
  });
  AppendObserverGuard observer_guard{n.store()};
  auto& writer = n.start_writer([&hub](std::span<const Envelope> batch) { hub.publish(batch); });

  api::ServiceDeps deps{.config = config,
                        .writer = writer,
                        .models = n.models(),
                        .store = n.store(),
                        .clock = n.clock(),
                        .tokens = **tokens,
                        .hub = hub,
                        .metrics = metrics,
                        .access_log = access_log ? &std::cout : nullptr,
                        .store_description = storage::RocksEventStore::engine_description(),
                        .replay_seconds = r.seconds,
                        .replay_events = r.events,
                        .notices = &err};
  api::Service service(deps);
  api::add_contracts(service.router(), api::all_contracts());

  api::Server server(service, config);
  if (Status s = server.listen(); !s) {
    err << "almanac: " << s.message() << "\n";
    return 1;
  }
  service.set_origin("http://" + server.local_endpoint());
  // Polls whose time is up are closed, those that ended while the server was down first.
  PollCloser poll_closer(server.io(), writer, n.models(), n.clock());
  poll_closer.start();
  int threads = config.threads > 0 ? config.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  net::signal_set signals(server.io(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& e, int sig) {
    if (e) return;
    err << "almanac: " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
        << ": stopping (finishing in-flight requests)" << std::endl;
    server.stop();
  });
  if (config.anonymous_calendars)
    err << "almanac: --anonymous-calendars is on: mcal routes answer without a token as one local user"
        << std::endl;
  if (!config.rate_limits) err << "almanac: rate limits are off" << std::endl;
  raise_open_files(config.max_connections, err);
  if (config.smtp_host.empty())
    err << "almanac: mail (password-reset links) goes to " << data_abs << "/outbox/ as .eml files; "
        << "--smtp-host sends it instead" << std::endl;
  else
    err << "almanac: mail goes through smtp://" << config.smtp_host << ":" << config.smtp_port
        << (config.smtp_starttls ? " (STARTTLS required)" : " (no TLS)") << std::endl;
  out << "listening on " << server.local_endpoint() << std::endl;
  err << "almanac: " << threads << " IO threads; /docs for the API, /metrics for Prometheus" << std::endl;
  server.run(threads);
  // Background work (reset mails) still queued runs while the writer takes commands.
  service.finish_background();
  poll_closer.stop();

  // The IO threads are done: no request is in flight. Drain the writer (every
  // queued command completes), save the summary, close the log.
  if (Status s = n.stop(); !s) {
    err << "almanac: stopped, but could not save the model summary: " << s.message() << "\n";
    return 1;
  }
  err << "almanac: stopped cleanly at log position " << n.store().head() << std::endl;
  return 0;
}

}  // namespace almanac::app
