#include "api/contracts/admin/ws.hpp"

#include <cctype>

#include "api/handler.hpp"
#include "api/ws_feed.hpp"
#include "api/ws_session.hpp"

namespace almanac::api::admin {

namespace {

constexpr size_t kMaxClientId = 64;

bool client_id_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; }

// 1 to 64 characters of [A-Za-z0-9_.-].
const Spec<std::string>& client_id_param() {
  static const Spec<std::string> s =
      Spec<std::string>(ValueType::kString, {{"type", "string"}, {"pattern", "^[A-Za-z0-9_.-]+$"}},
                        [](const json& j, bool, Problem& p, std::vector<Problem>&) -> std::optional<std::string> {
                          const std::string& text = j.get_ref<const std::string&>();
                          for (unsigned char c : text)
                            if (!client_id_char(c)) {
                              p.kind = Problem::kInvalid;
                              p.message = "string does not match regex \"^[A-Za-z0-9_.-]+$\"";
                              return std::nullopt;
                            }
                          return text;
                        })
          .min_length(1)
          .max_length(kMaxClientId);
  return s;
}

// "EventScheduled" -> "event_scheduled".
std::string snake_case(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (!out.empty()) out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

// The document's message format.
std::string message(std::string_view type, json data, int64_t at_us, json extra = json::object()) {
  json m = {{"type", type}, {"data", std::move(data)}, {"timestamp", format_utc(at_us)}};
  for (auto& [k, v] : extra.items()) m[k] = std::move(v);
  return m.dump();
}

int64_t now(WsSession& session) { return session.service().clock().now_us(); }

net::awaitable<WsAdmission> open(Exchange& ex) {
  Input in(ex);
  std::string client_id = in.path("client_id", client_id_param());
  if (auto error = in.error())
    co_return WsRefusal{std::move(*error), kClosePolicy,
                        "invalid client_id: 1 to 64 characters of letters, digits, '_', '.' and '-'"};

  WsConnection c;
  const bool signed_in = ex.caller.has_value();
  if (signed_in) c.principal = *ex.caller;
  c.translate = [](WsSession&, const SharedBatch&) { return std::vector<WsMessage>{}; };
  c.on_open = [client_id, signed_in, user = c.principal.user_id](WsSession& session) {
    json data = {{"client_id", client_id}, {"user_id", signed_in ? json(user) : json(nullptr)}, {"events", signed_in}};
    session.send(message("connected", std::move(data), now(session)));
  };
  c.on_message = json_messages(
      [client_id](WsSession& session, json value) {
        if (!value.is_object()) {
          session.send(message("error", {{"detail", "A message must be a JSON object"}}, now(session)));
          return;
        }
        // The document's echo ({client_id, message, type}) in its message
        // format: what was sent is the data.
        json said = value.contains("message") ? value["message"] : json(nullptr);
        session.send(message("echo", std::move(value), now(session),
                             {{"client_id", client_id}, {"message", std::move(said)}}));
      },
      [](WsSession& session) {
        session.send(message("error", {{"detail", "Invalid JSON: a message must be a JSON object"}}, now(session)));
      });
  if (signed_in)
    follow_user(c, ex.service, [](const Envelope& e, const json& event) {
      return message(snake_case(payload_name(e.payload.type)), event, e.recorded_at);
    });
  co_return c;
}

}  // namespace

void add_ws_routes(Routes& routes) {
  routes.websocket("/api/v1/ws/{client_id}", open)
      .optional_user()
      .close_on_refusal(kClosePolicy)
      .summary("Echo of JSON messages; with ?token=, the user's own domain events too");
}

}  // namespace almanac::api::admin
