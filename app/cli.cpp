#include "app/cli.hpp"

#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <iomanip>
#include <map>
#include <ostream>
#include <thread>

#include "api/cluster.hpp"
#include "app/event_text.hpp"
#include "app/node.hpp"
#include "app/serve.hpp"

namespace almanac::app {

namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_signal(int) { g_interrupted = 1; }

std::string absolute(const std::string& dir) {
  std::error_code ec;
  auto p = fs::absolute(dir, ec);
  return ec ? dir : p.lexically_normal().string();
}

int fail(std::ostream& err, const std::string& what, const Status& s, const std::string& hint = {}) {
  err << "almanac: " << what << ": " << s.message() << "\n";
  if (!hint.empty()) err << "almanac: " << hint << "\n";
  return 1;
}

// A hint for the usual reason a log cannot be opened (app::open_hint for a
// data directory).
std::string log_hint(const LogLocation& where, const Status& why) {
  if (where.postgres())
    return "check that " + where.describe() + " is reachable and holds an almanac log (--log)";
  return open_hint(absolute(where.data_dir), why);
}

// The log a tool works on: --log when given, else --data when given, else
// ALMANAC_LOG when set, else the data directory's default.
LogLocation locate(const std::string& data, bool data_given, const std::string& log) {
  if (!log.empty()) return LogLocation{data, log};
  if (!data_given)
    if (const char* env = std::getenv("ALMANAC_LOG"); env && *env) return LogLocation{data, env};
  return LogLocation{data, ""};
}

// `almanac copy` names either end by one string: a directory or a conninfo.
LogLocation location_of(const std::string& s) {
  return storage::is_postgres_log(s) ? LogLocation{"", s} : LogLocation{s, ""};
}

// Reads DIR/jwt.key; empty when there is none.
std::string read_key_file(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "jwt.key", std::ios::binary);
  if (!in) return {};
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Writes DIR/jwt.key, readable by its owner only.
Status write_key_file(const std::string& dir, const std::string& key) {
  const std::string path = (fs::path(dir) / "jwt.key").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
  if (fd < 0) return unavailable("cannot create " + path + ": " + std::strerror(errno));
  const bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::ok() : unavailable("cannot write " + path);
}

void print_counts(std::ostream& out, const ModelSummary& s) {
  for (const auto& [name, n] : s.counts) out << "  " << std::left << std::setw(16) << name << with_commas(n) << "\n";
}

int cmd_log(const LogLocation& where, uint64_t from, uint64_t limit, bool follow, bool json, std::ostream& out,
            std::ostream& err) {
  EventText text;
  uint64_t next = std::max<uint64_t>(from, 1);
  uint64_t printed = 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::unique_ptr<LogStore> log;
  for (;;) {
    // A read-only RocksDB store is a snapshot: following reopens it. The
    // PostgreSQL store reads the head the writer last committed instead.
    if (!log || log->rocks()) {
      log.reset();
      auto opened = open_log(where, true, false, 1);
      if (!opened) return fail(err, "cannot open the log", opened.status(), log_hint(where, opened.status()));
      log = std::move(opened).value();
    } else if (auto head = log->postgres()->refresh_head(); !head) {
      return fail(err, "cannot read the log", head.status());
    }
    Status bad;
    uint64_t want = limit ? limit - printed : 0;
    Status s = log->store().scan(next, want, [&](uint64_t position, std::string_view bytes) {
      auto rendered = json ? text.json(bytes) : text.line(bytes);
      if (!rendered) {
        bad = rendered.status();
        return false;
      }
      out << *rendered << "\n";
      next = position + 1;
      ++printed;
      return true;
    });
    out.flush();
    if (!s) return fail(err, "cannot read the log", s);
    if (!bad) return fail(err, "cannot render event at position " + std::to_string(next), bad);
    if (!follow || (limit && printed >= limit)) return 0;
    for (int i = 0; i < 5 && !g_interrupted; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (g_interrupted) return 0;
  }
}

int cmd_replay(const LogLocation& where, std::ostream& out, std::ostream& err) {
  NodeOptions o;
  o.data_dir = where.data_dir;
  o.log = where.log;
  o.read_only = true;
  o.create_if_missing = false;
  o.progress = &err;
  auto node = Node::open(o);
  if (!node) return fail(err, "replay failed", node.status(), log_hint(where, node.status()));
  const auto& r = (*node)->replay_stats();
  out << "replayed " << with_commas(r.events) << " events, " << with_commas(r.streams)
      << " streams in " << std::fixed << std::setprecision(3) << r.seconds << " s ("
      << with_commas(static_cast<uint64_t>(r.events_per_second())) << " events/s)\n";
  auto summary = (*node)->summary();
  out << "read models at position " << summary.position << ":\n";
  print_counts(out, summary);
  out << "write-state checksum " << summary.write_checksum << ", read-model checksum "
      << summary.read_checksum << "\n";
  return 0;
}

int cmd_verify(const LogLocation& where, std::ostream& out, std::ostream& err) {
  std::optional<ModelSummary> saved;
  {
    auto log = open_log(where, true, false, 1);
    if (!log) return fail(err, "verify failed: cannot open the log", log.status(), log_hint(where, log.status()));
    out << "checking " << with_commas((*log)->store().head()) << " events in " << where.describe() << "\n";
    auto last_report = std::chrono::steady_clock::now();
    Status s = (*log)->verify([&](uint64_t done, uint64_t total) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_report < std::chrono::seconds(1) && done != total) return;
      last_report = now;
      err << "verify: " << with_commas(done) << " / " << with_commas(total) << " events\n";
    });
    if (!s) return fail(err, "verify failed", s, s.code() == Code::kDataLoss ? log_hint(where, s) : "");
    out << "ok: positions and stream versions contiguous, every payload decodes, "
           "stream index agrees with the log\n";
    auto text = (*log)->store().get_meta(kSummaryKey);
    if (!text) return fail(err, "verify failed: cannot read the saved summary", text.status());
    if (text->has_value()) {
      saved = ModelSummary::parse(**text);
      if (!saved) return fail(err, "verify failed", data_loss("the saved model summary is unreadable"));
    }
  }
  NodeOptions o;
  o.data_dir = where.data_dir;
  o.log = where.log;
  o.read_only = true;
  o.create_if_missing = false;
  o.progress = &err;
  o.replay_to = saved ? saved->position : 0;
  if (saved && saved->position == 0) {
    out << "ok: the saved summary is of an empty log\n";
    return 0;
  }
  auto node = Node::open(o);
  if (!node) {
    const Status& why = node.status();
    return fail(err, "verify failed: replay", why, why.code() == Code::kDataLoss ? log_hint(where, why) : "");
  }
  ModelSummary fresh = (*node)->summary();
  if (!saved) {
    out << "ok: replayed " << with_commas(fresh.position)
        << " events; no summary saved by a previous run to compare with\n";
    return 0;
  }
  if (fresh == *saved) {
    out << "ok: a fresh replay to position " << saved->position
        << " reproduces the read models and write state saved by the last run\n";
    return 0;
  }
  err << "almanac: verify failed: a fresh replay to position " << saved->position
      << " differs from the state saved by the last run\n";
  err << "  saved:\n" << saved->to_text() << "  replayed:\n" << fresh.to_text();
  return 1;
}

// Copies the log at `from` into `to`, which must be empty (a PostgreSQL log
// without events, or a directory that does not exist yet, written beside it
// and renamed when whole), then checks the copy. `what` names the command
// in messages.
int copy_log_to(const LogLocation& from, const LogLocation& to, const std::string& what, std::ostream& out,
                std::ostream& err) {
  if (!to.postgres() && fs::exists(to.data_dir))
    return fail(err, what + " failed", invalid(absolute(to.data_dir) + " already exists"),
                "name a directory that does not exist yet; the " + what + " creates it");
  auto source = open_log(from, true, false, 1);
  if (!source) return fail(err, what + " failed: cannot open " + from.describe(), source.status(), log_hint(from, source.status()));
  auto meta = (*source)->meta_values();
  if (!meta) return fail(err, what + " failed: cannot read the meta values", meta.status());

  // The token signing key goes with the log: a lone node keeps it in its
  // data directory, nodes sharing a PostgreSQL log beside the log.
  std::string key;
  if (!from.postgres()) key = read_key_file(from.data_dir);
  storage::MetaValues values;
  for (auto& [name, value] : *meta) {
    if (name == kJwtKeyMeta) {
      key = value;
      if (!to.postgres()) continue;  // the target keeps it as a file
    }
    values.emplace_back(name, value);
  }
  if (to.postgres() && !key.empty() && from.postgres() == false) values.emplace_back(kJwtKeyMeta, key);

  LogLocation writing = to;
  if (!to.postgres()) writing.data_dir = to.data_dir + ".partial-" + std::to_string(::getpid());
  const uint64_t head = (*source)->store().head();
  err << what << ": " << with_commas(head) << " events from " << from.describe() << " to " << to.describe() << "\n";
  {
    auto target = open_log(writing, false, true, 1);
    if (!target) return fail(err, what + " failed: cannot open " + to.describe(), target.status(), log_hint(to, target.status()));
    auto loader = (*target)->import();
    if (!loader) return fail(err, what + " failed", loader.status());
    auto last_report = std::chrono::steady_clock::now();
    auto copied = storage::copy_log((*source)->store(), values, **loader, [&](uint64_t done, uint64_t total) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_report < std::chrono::seconds(1) && done != total) return;
      last_report = now;
      err << what << ": " << with_commas(done) << " / " << with_commas(total) << " events\n";
    });
    if (!copied) {
      loader->reset();
      target->reset();
      if (!to.postgres()) fs::remove_all(writing.data_dir);
      return fail(err, what + " failed", copied.status());
    }
  }
  if (!to.postgres()) {
    if (!key.empty())
      if (Status s = write_key_file(writing.data_dir, key); !s) return fail(err, what + " failed", s);
    std::error_code ec;
    fs::rename(writing.data_dir, to.data_dir, ec);
    if (ec) return fail(err, what + " failed", unavailable("cannot rename " + writing.data_dir + ": " + ec.message()));
  }
  auto check = open_log(to, true, false, 1);
  if (!check) return fail(err, what + " failed: cannot reopen the copy", check.status());
  if (Status s = (*check)->verify({}); !s) return fail(err, what + " failed: the copy does not verify", s);
  if ((*check)->store().head() != head)
    return fail(err, what + " failed", data_loss("the copy ends at position " +
                                                 std::to_string((*check)->store().head()) + ", not " +
                                                 std::to_string(head)));
  out << what << " of " << with_commas(head) << " events (" << values.size() << " meta values) written to "
      << to.describe() << "; it verifies\n";
  return 0;
}

int cmd_backup(const LogLocation& where, const std::string& target, std::ostream& out, std::ostream& err) {
  if (fs::exists(target))
    return fail(err, "backup failed", invalid(absolute(target) + " already exists"),
                "name a directory that does not exist yet; the backup creates it");
  if (where.postgres()) {
    // A copy of the shared log as a data directory, from a consistent
    // reading (entries are immutable; the copy ends at the head it began at).
    int code = copy_log_to(where, LogLocation{target, ""}, "backup", out, err);
    if (code == 0) out << "start a server on it with --data " << target << "\n";
    return code;
  }
  storage::RocksOptions ro;
  ro.create_if_missing = false;
  auto store = storage::RocksEventStore::open(where.data_dir, ro);
  if (!store) return fail(err, "backup failed: cannot open the log", store.status(), log_hint(where, store.status()));
  err << "backup: checkpoint of " << with_commas((*store)->head()) << " events to "
      << absolute(target) << "\n";
  if (Status s = (*store)->checkpoint(target); !s) return fail(err, "backup failed", s);
  out << "backup of " << with_commas((*store)->head()) << " events written to " << absolute(target)
      << "; start a server on it with --data " << target << "\n";
  return 0;
}

// Sends `command` to the writer of a shared log over the internal interface
// and waits for its result.
Result<cmd::CommandResult> send_to_writer(const std::string& address, const std::string& secret,
                                          cmd::CommandEnvelope command) {
  api::HttpForwarder forwarder(secret, std::chrono::seconds(30));
  std::promise<api::Forwarded> answered;
  auto future = answered.get_future();
  forwarder.forward(address, command, [&answered](api::Forwarded f) { answered.set_value(std::move(f)); });
  api::Forwarded f = future.get();
  if (f.outcome == api::Forwarded::kNotSent) return unavailable(f.why + "; retry shortly");
  if (f.outcome == api::Forwarded::kUnknown) return unavailable(f.why + "; the change may or may not be made");
  return std::move(f.result);
}

int cmd_promote(const LogLocation& where, const std::string& username, bool demote, const std::string& secret,
                std::ostream& out, std::ostream& err) {
  NodeOptions o;
  o.data_dir = where.data_dir;
  o.log = where.log;
  o.create_if_missing = false;
  auto node = Node::open(o);
  if (!node) return fail(err, "cannot open the log", node.status(), log_hint(where, node.status()));
  std::optional<storage::WriterRecord> writer;  // the node to send the change to
  if (storage::PostgresEventStore* pg = (*node)->log().postgres()) {
    // Only the writer appends to a shared log: when no node is, this command
    // becomes it for as long as it takes; otherwise the writer is sent it.
    auto led = pg->try_lead(storage::WriterClaim{"almanac users promote", "", std::chrono::seconds(30)});
    if (!led) return fail(err, "cannot take the writer's role", led.status());
    if (led->has_value()) {
      // Events committed since the replay are in the head the term began at.
      if (Status s = (*node)->catch_up(); !s) return fail(err, "cannot read the log", s);
    } else {
      auto w = pg->writer();
      if (!w) return fail(err, "cannot read the log's writer", w.status());
      writer = std::move(w).value();
      if (secret.empty())
        return fail(err, "cannot change the user",
                    failed_precondition("node '" + writer->node + "' is the writer of this log"),
                    "give the cluster's secret (--cluster-secret or ALMANAC_CLUSTER_SECRET) to send it the change");
    }
  }
  auto user = (*node)->models().user_by_username(username);
  if (!user) {
    err << "almanac: no user named '" << username << "' in " << where.describe() << "\n";
    return 1;
  }
  cmd::CommandEnvelope c;
  c.command = cmd::SetSuperuser{user->id, !demote};
  c.correlation_id = "cli-users-promote";
  if (writer) {
    auto result = send_to_writer(writer->address, secret, std::move(c));
    if (!result) return fail(err, "cannot change the user through node '" + writer->node + "'", result.status());
    if (!result->status) return fail(err, "cannot change the user", result->status);
  } else {
    auto result = (*node)->start_writer().submit(std::move(c)).get();
    if (!result.status) return fail(err, "cannot change the user", result.status);
    if (Status s = (*node)->stop(); !s) return fail(err, "cannot save the model summary", s);
  }
  out << "user '" << username << "' (id " << user->id << ") is "
      << (demote ? "no longer a superuser" : "now a superuser") << "\n";
  return 0;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"almanac: an event-sourced calendar and gatherings server"};
  app.require_subcommand(1);
  std::string data = "data";

  std::string log_url;
  const std::string log_help =
      "The log in PostgreSQL (a libpq conninfo or postgresql:// URI) instead of the data directory "
      "(default: ALMANAC_LOG when --data is not given)";
  auto* serve = app.add_subcommand("serve", "Run the server: open (create) the data directory, replay the log, "
                                             "listen, serve until SIGINT/SIGTERM");
  serve->add_option("--data", data, "Data directory (created when missing)")->capture_default_str();
  serve->add_option("--log", log_url, "The log in PostgreSQL, shared by every node of a cluster "
                                      "(a libpq conninfo or postgresql:// URI; also ALMANAC_LOG)");
  // Every other serve setting is also read from ALMANAC_<NAME> and from the
  // --config file; a flag given here wins.
  Settings serve_settings;
  std::vector<std::pair<std::string, std::string>> serve_options = {
      {"config", "A file of 'name = value' lines (names as the flags, without --)"},
      {"listen", "HOST:PORT to listen on (default 127.0.0.1:8000; port 0 picks a free one)"},
      {"threads", "IO threads (default: one per core)"},
      {"rate-limits", "on|off (default on: 5/min per IP on auth routes, 100/min per user elsewhere, "
                      "contracts' own policies where they declare one)"},
      {"auth-per-minute", "Requests per minute per client IP on authentication routes"},
      {"user-per-minute", "Requests per minute per user on other routes"},
      {"body-limit", "Largest request body in bytes (default 1048576)"},
      {"header-limit", "Largest request header block in bytes (default 16384)"},
      {"read-timeout", "Seconds a client has to send a whole request (default 30)"},
      {"idle-timeout", "Seconds an idle keep-alive connection stays open (default 75)"},
      {"max-requests-per-connection", "Requests one keep-alive connection may carry; the last answer says "
                                      "Connection: close (default 10000)"},
      {"access-ttl", "Access token lifetime in seconds (default 3600)"},
      {"refresh-ttl", "Refresh token lifetime in seconds (default 604800)"},
      {"ws-queue-limit", "Messages queued for a slow WebSocket client before it is closed (default 1024)"},
      {"max-connections", "Open connections at once, HTTP and WebSocket; more are closed on accept (default 10000)"},
      {"ws-per-ip", "WebSocket connections open at once from one client address (default 32; 0: no limit)"},
      {"rate-policy", "Replace the rule of a contract's rate policy: NAME=COUNT/WINDOW[+BURST],... "
                      "(e.g. admin=10/s+20, the default of the admin routes)"},
      {"expand-max-days", "Longest range /events/expanded/ accepts, in days (default 366)"},
      {"batch-max-events", "Most events one POST /api/events/batch may create (default 100)"},
      {"ws-ping-interval", "Seconds between the JSON pings of /ws/sync (default 15; fractions allowed)"},
      {"ws-pong-timeout", "Seconds /ws/sync waits for a pong before closing with 4000 (default 45)"},
      {"reset-ttl", "Lifetime of a password-reset link in seconds (default 3600)"},
      {"smtp-host", "SMTP server for outgoing mail (default: none, mail is written to <data>/outbox/)"},
      {"smtp-port", "SMTP port (default 587)"},
      {"smtp-starttls", "on|off: require STARTTLS (default on)"},
      {"smtp-username", "SMTP user name (default: no authentication)"},
      {"smtp-password", "SMTP password (prefer ALMANAC_SMTP_PASSWORD or the config file)"},
      {"mail-from", "Sender address of outgoing mail (default almanac@localhost)"},
      {"reset-link-base", "Reset links are this followed by the token (default http://<listen>/reset-password?token=)"},
      {"web-assets", "node_modules directory with swagger-ui-dist and redoc for /docs and /redoc (default: build/web/node_modules)"},
      {"access-log", "on|off: one line per request on standard output (default on)"},
      {"node-id", "With --log: this node's name in the cluster (default: its --advertise address)"},
      {"advertise", "With --log: HOST:PORT where the other nodes reach this one (default: the listening address)"},
      {"cluster-secret", "With --log, required: the secret the nodes authenticate forwarded writes with "
                         "(better given as ALMANAC_CLUSTER_SECRET or in the --config file)"},
      {"writer-timeout", "With --log: seconds after which a silent writer has lost the role to another node (default 5)"},
  };
  std::map<std::string, std::string> serve_values;
  for (const auto& [name, help] : serve_options) serve->add_option("--" + name, serve_values[name], help);
  bool anonymous_calendars = false, fast_hash = false;
  serve->add_flag("--anonymous-calendars", anonymous_calendars,
                  "Serve the mcal routes without a token, as one local user (never on by default)");
  serve->add_flag("--bench-fast-hash", fast_hash,
                  "Benchmarks only: the lowest Argon2id cost libsodium allows");

  uint64_t from = 1, limit = 0;
  bool follow = false, json = false;
  auto* log = app.add_subcommand("log", "Print the event log, one event a line (the audit view)");
  log->add_option("--data", data, "Data directory")->capture_default_str();
  log->add_option("--log", log_url, log_help);
  log->add_option("--from", from, "First position to print")->capture_default_str();
  log->add_option("--limit", limit, "Print at most N events (0: all)")->capture_default_str();
  log->add_flag("--follow,-f", follow, "Keep printing new events as they are appended (Ctrl-C stops)");
  log->add_flag("--json", json, "One JSON object per line instead of the human-readable form");

  auto* replay = app.add_subcommand("replay", "Rebuild the read models from the log and report the time it takes");
  replay->add_option("--data", data, "Data directory")->capture_default_str();
  replay->add_option("--log", log_url, log_help);

  auto* verify = app.add_subcommand(
      "verify", "Check the log (positions, versions, payloads, index) and that a fresh replay "
                "reproduces the state saved by the last run; non-zero exit on the first problem");
  verify->add_option("--data", data, "Data directory")->capture_default_str();
  verify->add_option("--log", log_url, log_help);

  std::string target;
  auto* backup = app.add_subcommand("backup", "Write a consistent copy of the data directory that --data can open");
  backup->add_option("DIR", target, "Directory to create for the backup")->required();
  backup->add_option("--data", data, "Data directory")->capture_default_str();
  backup->add_option("--log", log_url, log_help);

  std::string copy_from, copy_to;
  auto* copy = app.add_subcommand(
      "copy", "Copy a log between a data directory and PostgreSQL (either way), byte for byte, and verify the copy");
  copy->add_option("--from", copy_from, "The log to copy: a data directory or a PostgreSQL conninfo/URI")->required();
  copy->add_option("--to", copy_to,
                   "Where to: a directory that does not exist yet, or a PostgreSQL database without events")
      ->required();

  std::string username;
  bool demote = false;
  auto* users = app.add_subcommand("users", "User administration");
  users->require_subcommand(1);
  auto* promote = users->add_subcommand("promote", "Make a user a superuser (recorded as an event)");
  promote->add_option("USERNAME", username, "The user's username")->required();
  promote->add_option("--data", data, "Data directory")->capture_default_str();
  promote->add_option("--log", log_url, log_help);
  promote->add_flag("--demote", demote, "Take the superuser role away instead");
  std::string cluster_secret;
  promote->add_option("--cluster-secret", cluster_secret,
                      "With --log while a node writes the log: the cluster's secret, to send it the change "
                      "(default: ALMANAC_CLUSTER_SECRET)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const std::string first = argc > 1 ? argv[1] : "";
    const bool known = first.empty() || first[0] == '-' || first == "serve" || first == "log" ||
                       first == "replay" || first == "verify" || first == "backup" || first == "copy" ||
                       first == "users";
    if (!known) {
      err << "almanac: unknown command '" << argv[1]
          << "'; the commands are serve, log, replay, verify, backup, copy and users (see almanac --help)\n";
      return 2;
    }
    return app.exit(e, out, err);
  }

  if (serve->parsed()) {
    if (serve->count("--data")) serve_settings["data"] = data;
    if (serve->count("--log")) serve_settings["log"] = log_url;
    for (const auto& [name, help] : serve_options)
      if (serve->count("--" + name)) serve_settings[name] = serve_values[name];
    if (anonymous_calendars) serve_settings["anonymous-calendars"] = "on";
    if (fast_hash) serve_settings["bench-fast-hash"] = "on";
    return app::serve(serve_settings, out, err);
  }
  auto where = [&](CLI::App* command) { return locate(data, command->count("--data") > 0, log_url); };
  if (log->parsed()) return cmd_log(where(log), from, limit, follow, json, out, err);
  if (replay->parsed()) return cmd_replay(where(replay), out, err);
  if (verify->parsed()) return cmd_verify(where(verify), out, err);
  if (backup->parsed()) return cmd_backup(where(backup), target, out, err);
  if (copy->parsed()) return copy_log_to(location_of(copy_from), location_of(copy_to), "copy", out, err);
  if (promote->parsed()) {
    if (cluster_secret.empty())
      if (const char* env = std::getenv("ALMANAC_CLUSTER_SECRET")) cluster_secret = env;
    return cmd_promote(where(promote), username, demote, cluster_secret, out, err);
  }
  return 1;
}

}  // namespace almanac::app
