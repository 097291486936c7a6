#include "app/cli.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <iomanip>
#include <map>
#include <ostream>
#include <thread>

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

void print_counts(std::ostream& out, const ModelSummary& s) {
  for (const auto& [name, n] : s.counts) out << "  " << std::left << std::setw(16) << name << with_commas(n) << "\n";
}

int cmd_log(const std::string& data, uint64_t from, uint64_t limit, bool follow, bool json,
            std::ostream& out, std::ostream& err) {
  EventText text;
  uint64_t next = std::max<uint64_t>(from, 1);
  uint64_t printed = 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  for (;;) {
    storage::RocksOptions ro;
    ro.read_only = true;
    ro.create_if_missing = false;
    auto store = storage::RocksEventStore::open(data, ro);
    if (!store) return fail(err, "cannot open the log", store.status(), open_hint(absolute(data), store.status()));
    Status bad;
    uint64_t want = limit ? limit - printed : 0;
    Status s = (*store)->scan(next, want, [&](uint64_t position, std::string_view bytes) {
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
    // Following: a read-only view is a snapshot, so look again shortly.
    for (int i = 0; i < 5 && !g_interrupted; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (g_interrupted) return 0;
  }
}

int cmd_replay(const std::string& data, std::ostream& out, std::ostream& err) {
  NodeOptions o;
  o.data_dir = data;
  o.read_only = true;
  o.create_if_missing = false;
  o.progress = &err;
  auto node = Node::open(o);
  if (!node) return fail(err, "replay failed", node.status(), open_hint(absolute(data), node.status()));
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

int cmd_verify(const std::string& data, std::ostream& out, std::ostream& err) {
  storage::RocksOptions ro;
  ro.read_only = true;
  ro.create_if_missing = false;
  std::optional<ModelSummary> saved;
  {
    auto store = storage::RocksEventStore::open(data, ro);
    if (!store) return fail(err, "verify failed: cannot open the log", store.status(), open_hint(absolute(data), store.status()));
    out << "checking " << with_commas((*store)->head()) << " events in " << absolute(data) << "\n";
    auto last_report = std::chrono::steady_clock::now();
    Status s = (*store)->verify([&](uint64_t done, uint64_t total) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_report < std::chrono::seconds(1) && done != total) return;
      last_report = now;
      err << "verify: " << with_commas(done) << " / " << with_commas(total) << " events\n";
    });
    if (!s) return fail(err, "verify failed", s, s.code() == Code::kDataLoss ? open_hint(absolute(data), s) : "");
    out << "ok: positions and stream versions contiguous, every payload decodes, "
           "stream index agrees with the log\n";
    auto text = (*store)->get_meta(kSummaryKey);
    if (!text) return fail(err, "verify failed: cannot read the saved summary", text.status());
    if (text->has_value()) {
      saved = ModelSummary::parse(**text);
      if (!saved) return fail(err, "verify failed", data_loss("the saved model summary is unreadable"));
    }
  }
  NodeOptions o;
  o.data_dir = data;
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
    return fail(err, "verify failed: replay", why, why.code() == Code::kDataLoss ? open_hint(absolute(data), why) : "");
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

int cmd_backup(const std::string& data, const std::string& target, std::ostream& out,
               std::ostream& err) {
  if (fs::exists(target))
    return fail(err, "backup failed", invalid(absolute(target) + " already exists"),
                "name a directory that does not exist yet; the backup creates it");
  storage::RocksOptions ro;
  ro.create_if_missing = false;
  auto store = storage::RocksEventStore::open(data, ro);
  if (!store) return fail(err, "backup failed: cannot open the log", store.status(), open_hint(absolute(data), store.status()));
  err << "backup: checkpoint of " << with_commas((*store)->head()) << " events to "
      << absolute(target) << "\n";
  if (Status s = (*store)->checkpoint(target); !s) return fail(err, "backup failed", s);
  out << "backup of " << with_commas((*store)->head()) << " events written to " << absolute(target)
      << "; start a server on it with --data " << target << "\n";
  return 0;
}

int cmd_promote(const std::string& data, const std::string& username, bool demote,
                std::ostream& out, std::ostream& err) {
  NodeOptions o;
  o.data_dir = data;
  o.create_if_missing = false;
  auto node = Node::open(o);
  if (!node) return fail(err, "cannot open the data directory", node.status(), open_hint(absolute(data), node.status()));
  auto user = (*node)->models().user_by_username(username);
  if (!user) {
    err << "almanac: no user named '" << username << "' in " << absolute(data) << "\n";
    return 1;
  }
  cmd::CommandEnvelope c;
  c.command = cmd::SetSuperuser{user->id, !demote};
  c.correlation_id = "cli-users-promote";
  auto result = (*node)->start_writer().submit(std::move(c)).get();
  if (!result.status) return fail(err, "cannot change the user", result.status);
  if (Status s = (*node)->stop(); !s) return fail(err, "cannot save the model summary", s);
  out << "user '" << username << "' (id " << user->id << ") is "
      << (demote ? "no longer a superuser" : "now a superuser") << "\n";
  return 0;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"almanac: an event-sourced calendar and gatherings server"};
  app.require_subcommand(1);
  std::string data = "data";

  auto* serve = app.add_subcommand("serve", "Run the server: open (create) the data directory, replay the log, "
                                             "listen, serve until SIGINT/SIGTERM");
  serve->add_option("--data", data, "Data directory (created when missing)")->capture_default_str();
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
  log->add_option("--from", from, "First position to print")->capture_default_str();
  log->add_option("--limit", limit, "Print at most N events (0: all)")->capture_default_str();
  log->add_flag("--follow,-f", follow, "Keep printing new events as they are appended (Ctrl-C stops)");
  log->add_flag("--json", json, "One JSON object per line instead of the human-readable form");

  auto* replay = app.add_subcommand("replay", "Rebuild the read models from the log and report the time it takes");
  replay->add_option("--data", data, "Data directory")->capture_default_str();

  auto* verify = app.add_subcommand(
      "verify", "Check the log (positions, versions, payloads, index) and that a fresh replay "
                "reproduces the state saved by the last run; non-zero exit on the first problem");
  verify->add_option("--data", data, "Data directory")->capture_default_str();

  std::string target;
  auto* backup = app.add_subcommand("backup", "Write a consistent copy of the data directory that --data can open");
  backup->add_option("DIR", target, "Directory to create for the backup")->required();
  backup->add_option("--data", data, "Data directory")->capture_default_str();

  std::string username;
  bool demote = false;
  auto* users = app.add_subcommand("users", "User administration");
  users->require_subcommand(1);
  auto* promote = users->add_subcommand("promote", "Make a user a superuser (recorded as an event)");
  promote->add_option("USERNAME", username, "The user's username")->required();
  promote->add_option("--data", data, "Data directory")->capture_default_str();
  promote->add_flag("--demote", demote, "Take the superuser role away instead");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const std::string first = argc > 1 ? argv[1] : "";
    const bool known = first.empty() || first[0] == '-' || first == "serve" || first == "log" ||
                       first == "replay" || first == "verify" || first == "backup" || first == "users";
    if (!known) {
      err << "almanac: unknown command '" << argv[1]
          << "'; the commands are serve, log, replay, verify, backup and users (see almanac --help)\n";
      return 2;
    }
    return app.exit(e, out, err);
  }

  if (serve->parsed()) {
    if (serve->count("--data")) serve_settings["data"] = data;
    for (const auto& [name, help] : serve_options)
      if (serve->count("--" + name)) serve_settings[name] = serve_values[name];
    if (anonymous_calendars) serve_settings["anonymous-calendars"] = "on";
    if (fast_hash) serve_settings["bench-fast-hash"] = "on";
    return app::serve(serve_settings, out, err);
  }
  if (log->parsed()) return cmd_log(data, from, limit, follow, json, out, err);
  if (replay->parsed()) return cmd_replay(data, out, err);
  if (verify->parsed()) return cmd_verify(data, out, err);
  if (backup->parsed()) return cmd_backup(data, target, out, err);
  if (promote->parsed()) return cmd_promote(data, username, demote, out, err);
  return 1;
}

}  // namespace almanac::app
