#include "app/serve.hpp"

#include <sys/resource.h>

#include <boost/asio/signal_set.hpp>
#include <sodium.h>
#include <unistd.h>

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
#include "api/cluster.hpp"
#include "app/cluster.hpp"
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
    "smtp-username", "smtp-password", "mail-from", "reset-link-base", "rate-policy", "ws-per-ip",
    "log", "node-id", "advertise", "cluster-secret", "writer-timeout"};

// The settings of a cluster node, parsed by build_cluster_settings().
bool is_cluster_setting(const std::string& k) {
  return k == "log" || k == "node-id" || k == "advertise" || k == "cluster-secret" || k == "writer-timeout";
}

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

// The file, then the environment, then flags: later ones win. An error
// message when the file does not read.
std::string merge_settings(const Settings& flags, Settings& s) {
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
  // --data on the command line means the data directory's own log, whatever
  // the environment or the file say of a shared one.
  if (flags.count("data") && !flags.count("log")) s.erase("log");
  return {};
}

}  // namespace

std::string build_config(const Settings& flags, api::ServerConfig& c) {
  Settings s;
  if (std::string problem = merge_settings(flags, s); !problem.empty()) return problem;

  for (const auto& [k, v] : s) {
    bool ok = true;
    if (is_cluster_setting(k)) continue;  // build_cluster_settings()
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

std::string build_cluster_settings(const Settings& flags, ClusterSettings& c) {
  Settings s;
  if (std::string problem = merge_settings(flags, s); !problem.empty()) return problem;
  for (const auto& [k, v] : s) {
    if (k == "log") c.log = v;
    else if (k == "node-id") c.node_id = v;
    else if (k == "advertise") {
      const size_t colon = v.rfind(':');
      uint16_t port = 0;
      if (colon == std::string::npos || colon == 0 || !parse_number(v.substr(colon + 1), port) || port == 0)
        return "advertise: expected HOST:PORT where the other nodes reach this one, got '" + v + "'";
      c.advertise = v;
    } else if (k == "cluster-secret") c.secret = v;
    else if (k == "writer-timeout") {
      int64_t ms = 0;
      if (!parse_seconds_ms(v, ms) || ms < 500 || ms > 3600 * 1000)
        return "writer-timeout: expected seconds between 0.5 and 3600, got '" + v + "'";
      c.writer_timeout_ms = ms;
    }
  }
  if (!c.log.empty() && c.secret.size() < 16)
    return "cluster-secret: a node on a shared log (--log) needs the cluster's secret, at least 16 characters "
           "(--cluster-secret or ALMANAC_CLUSTER_SECRET): the nodes authenticate forwarded writes with it";
  return {};
}

namespace {

struct AppendObserverGuard {
  LogStore& log;
  ~AppendObserverGuard() { log.set_observer({}); }
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
  ClusterSettings cs;
  if (std::string problem = build_cluster_settings(flags, cs); !problem.empty()) {
    err << "almanac: " << problem << "\n";
    return 2;
  }
  const bool clustered = !cs.log.empty();
  bool access_log = true;
  if (auto it = flags.find("access-log"); it != flags.end()) parse_bool(it->second, access_log);

  std::error_code ec;
  auto data_abs = std::filesystem::absolute(config.data_dir, ec).lexically_normal().string();
  const LogLocation where{config.data_dir, cs.log};
  err << "almanac " << "starting: " << (clustered ? "log in " : "data directory ") << where.describe() << std::endl;
  NodeOptions o;
  o.data_dir = config.data_dir;
  o.log = cs.log;
  o.connections = 8;  // reads on the blocking pool, the read barrier, the follower, the writer's checks
  o.progress = &err;
  auto node = Node::open(o);
  if (!node) {
    err << "almanac: cannot open " << where.describe() << ": " << node.status().message() << "\n";
    if (clustered)
      err << "almanac: check that the database is reachable with that conninfo (--log)\n";
    else
      err << "almanac: " << open_hint(data_abs, node.status()) << "\n";
    return 1;
  }
  Node& n = **node;
  const auto& r = n.replay_stats();
  err << "almanac: replayed " << with_commas(r.events) << " events (" << with_commas(r.streams)
      << " streams) in " << std::fixed << std::setprecision(3) << r.seconds << " s" << std::endl;

  // The nodes of a cluster share the token key beside their log: a token one
  // issues, every other accepts.
  Result<std::unique_ptr<api::TokenService>> tokens = internal_error("no token key");
  if (clustered) {
    std::string candidate(32, '\0');
    randombytes_buf(candidate.data(), candidate.size());
    auto key = n.log().postgres()->meta_or_insert(kJwtKeyMeta, candidate);
    tokens = key ? api::TokenService::from_key(std::move(key).value()) : Result<std::unique_ptr<api::TokenService>>(key.status());
  } else {
    tokens = api::TokenService::open(config.data_dir);
  }
  if (!tokens) {
    err << "almanac: " << tokens.status().message() << "\n";
    return 1;
  }
  api::Hub hub;
  api::Metrics metrics;
  n.log().set_observer([&metrics](size_t tx, size_t events, size_t bytes, int64_t sync_us) {
    metrics.observe_append(tx, events, bytes, sync_us);
  });
  AppendObserverGuard observer_guard{n.log()};
  cmd::BatchHook publish = [&hub](std::span<const Envelope> batch) { hub.publish(batch); };

  // A node on its own writes; a node of a cluster writes only while it is
  // the writer, and forwards otherwise.
  std::unique_ptr<api::HttpForwarder> forwarder;
  std::unique_ptr<Cluster> cluster;
  cmd::CommandSink* sink = nullptr;
  if (clustered) {
    forwarder = std::make_unique<api::HttpForwarder>(cs.secret, std::chrono::seconds(30));
    ClusterOptions co;
    co.secret = cs.secret;
    co.writer_timeout = std::chrono::milliseconds(cs.writer_timeout_ms);
    co.log = &err;
    cluster = std::make_unique<Cluster>(n, co, *forwarder, publish);
    sink = cluster.get();
  } else {
    sink = &n.start_writer(publish);
  }
  cmd::CommandSink& writer = *sink;

  api::ServiceDeps deps{.config = config,
                        .writer = writer,
                        .models = n.models(),
                        .store = n.store(),
                        .clock = n.clock(),
                        .tokens = **tokens,
                        .hub = hub,
                        .metrics = metrics,
                        .access_log = access_log ? &std::cout : nullptr,
                        .store_description = n.log().engine(),
                        .replay_seconds = r.seconds,
                        .replay_events = r.events,
                        .cluster = cluster.get(),
                        .notices = &err};
  api::Service service(deps);
  api::add_contracts(service.router(), api::all_contracts());
  if (clustered) api::add_cluster_routes(service.router());

  api::Server server(service, config);
  if (Status s = server.listen(); !s) {
    err << "almanac: " << s.message() << "\n";
    return 1;
  }
  service.set_origin("http://" + server.local_endpoint());
  if (clustered) {
    std::string address = cs.advertise;
    if (address.empty()) {
      address = server.local_endpoint();
      // A wildcard address is no address for the others: the host's name is.
      if (address.rfind("0.0.0.0:", 0) == 0 || address.rfind("[::]:", 0) == 0) {
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        address = std::string(host) + address.substr(address.rfind(':'));
      }
    }
    cluster->start(cs.node_id.empty() ? address : cs.node_id, address);
    err << "almanac: cluster node " << (cs.node_id.empty() ? address : cs.node_id) << ", forwarded writes at "
        << address << ", writer timeout " << cs.writer_timeout_ms / 1000.0 << " s" << std::endl;
  }
  // Polls whose time is up are closed, those that ended while the server was down first.
  PollCloser poll_closer(server.io(), writer, n.models(), n.clock());
  poll_closer.start();
  int threads = config.threads > 0 ? config.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  net::signal_set signals(server.io(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& e, int sig) {
    if (e) return;
    err << "almanac: " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
        << ": stopping (finishing in-flight requests)" << std::endl;
    // A node of a cluster gives the writer's role up first (its queued commands
    // complete): another node writes at once instead of after this one's
    // connections, the other nodes' kept-alive forwards among them, have
    // drained. Writes still arriving here get 503 with Retry-After meanwhile.
    if (cluster) cluster->stop();
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
  if (clustered) {
    // The writer's role goes to another node at once; forwards still
    // waiting end before the cluster they report to.
    cluster->stop();
    forwarder.reset();
    if (!cluster->state_consistent()) {
      err << "almanac: stopped at log position " << n.store().head() << " without saving a summary" << std::endl;
      return 0;
    }
    if (Status s = n.save_summary(); !s) {
      err << "almanac: stopped, but could not save the model summary: " << s.message() << "\n";
      return 1;
    }
  } else if (Status s = n.stop(); !s) {
    err << "almanac: stopped, but could not save the model summary: " << s.message() << "\n";
    return 1;
  }
  err << "almanac: stopped cleanly at log position " << n.store().head() << std::endl;
  return 0;
}

}  // namespace almanac::app
