#include "api/contracts/flowstate/sync.hpp"

#include <chrono>

#include "api/contracts/flowstate/models.hpp"
#include "api/fields.hpp"
#include "api/ws_session.hpp"

namespace almanac::api::flowstate {

namespace {

// The close code of a connection whose pongs stopped (the service's own).
constexpr uint16_t kCloseNoPong = 4000;

std::string message(std::string_view type, json payload) {
  return json{{"type", type}, {"payload", std::move(payload)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_message(std::string_view detail) { return message("error", {{"detail", detail}}); }

// What a client sends: {"type": "...", "payload": {...}} (payload optional).
struct ClientMessage {
  std::string type;
  json payload = json::object();
};

const Model<ClientMessage>& client_message() {
  static const Model<ClientMessage> m = Model<ClientMessage>("SyncMessage")
                                            .field("type", &ClientMessage::type, text())
                                            .field("payload", &ClientMessage::payload, object(kWsReadLimit).optional());
  return m;
}

void on_client_message(WsSession& session, const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  std::vector<Problem> problems;
  ClientMessage m;
  if (!j.is_discarded() && j.is_object()) m = client_message().read(j, {}, problems);
  if (j.is_discarded() || !j.is_object() || !problems.empty()) {
    session.send(error_message("invalid_message"));
    return;
  }
  if (m.type == "ping") {
    session.send(message("pong", json::object()));
  } else if (m.type == "pong") {
    session.pong();
  } else if (m.type == "event_update" || m.type == "inbox_update") {
    session.send(message("ack", {{"received_type", m.type}, {"status", "ok"}}));
  } else {
    session.send(error_message("unknown_type"));
  }
}

// Who the connection is: the user's id and UUID.
struct Subscriber {
  int64_t user_id = 0;
  ev::Uuid uuid;
};

// The sync message for one envelope of an Event stream, when the event is
// the subscriber's.
void event_message(const proj::ReadModels& models, const Subscriber& me, const Envelope& e,
                   std::vector<WsMessage>& out) {
  const char* type = nullptr;
  switch (e.payload.type) {
    case ev::Payload::EventScheduled: type = "event_created"; break;
    case ev::Payload::EventUpdated: type = "event_updated"; break;
    case ev::Payload::EventDeleted: type = "event_deleted"; break;
    default: return;  // shares and participants: not part of this contract
  }
  auto who = models.event_identity(e.stream_id);
  if (!who || who->owner_id != me.user_id) return;
  if (e.payload.type == ev::Payload::EventDeleted) {
    out.push_back({message(type, {{"event_id", format_uuid(who->uuid)}}), e.position});
    return;
  }
  // The event as it is now: gone already when a later batch deleted it
  // (its event_deleted follows).
  auto view = models.event(e.stream_id);
  if (!view) return;
  const uint64_t version = view->version;
  out.push_back({message(type, event_response().render(EventOut{std::move(*view), me.uuid, version})), e.position});
}

void inbox_message(const proj::ReadModels& models, const Subscriber& me, const Envelope& e,
                   std::vector<WsMessage>& out) {
  const char* type = nullptr;
  switch (e.payload.type) {
    case ev::Payload::InboxItemCaptured: type = "inbox_item_created"; break;
    case ev::Payload::InboxItemUpdated:
    case ev::Payload::InboxItemScheduled: type = "inbox_item_updated"; break;
    case ev::Payload::InboxItemDeleted: type = "inbox_item_deleted"; break;
    default: return;
  }
  auto who = models.inbox_identity(e.stream_id);
  if (!who || who->owner_id != me.user_id) return;
  if (e.payload.type == ev::Payload::InboxItemDeleted) {
    out.push_back({message(type, {{"inbox_item_id", format_uuid(who->uuid)}}), e.position});
    return;
  }
  auto item = models.inbox_item(e.stream_id);
  if (!item) return;
  const uint64_t version = item->version;
  out.push_back({message(type, inbox_response().render(InboxOut{std::move(*item), me.uuid, version})), e.position});
}

net::awaitable<WsAdmission> open_sync(Exchange& ex) {
  auto user = ex.service.models().user(ex.user().user_id);
  if (!user) co_return WsRefusal{ex.dialect().unauthenticated(AuthFailure::kRejected, Status()), kClosePolicy,
                                 "Could not validate credentials"};
  const Subscriber me{user->id, user->uuid};
  const ServerConfig& config = ex.service.config();
  WsConnection c;
  c.principal = ex.user();
  c.translate = [me](WsSession& session, const SharedBatch& batch) {
    std::vector<WsMessage> out;
    const proj::ReadModels& models = session.service().models();
    for (const Envelope& e : *batch) {
      if (e.category == Category::Event)
        event_message(models, me, e, out);
      else if (e.category == Category::Inbox)
        inbox_message(models, me, e, out);
    }
    return out;
  };
  c.on_message = [](WsSession& session, std::string text) { on_client_message(session, text); };
  c.heartbeat.interval = std::chrono::milliseconds(config.ws_ping_interval_ms);
  c.heartbeat.timeout = std::chrono::milliseconds(config.ws_pong_timeout_ms);
  c.heartbeat.ping = message("ping", json::object());
  c.heartbeat.close_code = kCloseNoPong;
  c.heartbeat.close_reason = "heartbeat timeout: no pong";
  co_return c;
}

}  // namespace

void add_sync_routes(Routes& routes) {
  routes.websocket("/ws/sync", open_sync)
      .close_on_refusal(kClosePolicy)
      .summary("Live sync of the caller's events and inbox items (WebSocket, ?token=)");
}

}  // namespace almanac::api::flowstate
