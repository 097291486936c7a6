// collab's notifications (/api/notifications...): the caller's notifications
// (a read model of the domain events, projections/notifications.hpp), read
// marks, and the WebSocket that pushes each new one to every open connection
// of its user.
#include "api/contracts/collab/notifications.hpp"

#include "api/handler.hpp"
#include "api/ws_session.hpp"

namespace almanac::api::collab {

namespace {

using Note = proj::NotificationView;

const Shape<Note>& note_shape() {
  static const Shape<Note> s =
      Shape<Note>("Notification")
          .field("id", schema::integer(), [](const Note& n) { return json(n.id); })
          .field("type", schema::string(), [](const Note& n) { return json(n.type); })
          .field("event_id", schema::nullable(schema::integer()),
                 [](const Note& n) { return n.event_id ? json(*n.event_id) : json(nullptr); })
          .field("message", schema::string(), [](const Note& n) { return json(n.message); })
          .field("is_read", schema::boolean(), [](const Note& n) { return json(n.is_read); })
          .field("created_at", schema::string("date-time"), [](const Note& n) { return json(format_utc(n.created_at)); });
  return s;
}

// The document's push message.
std::string pushed(const Note& n) {
  json m = {{"type", "notification"},
            {"data",
             {{"type", n.type},
              {"event_id", n.event_id ? json(*n.event_id) : json(nullptr)},
              {"message", n.message},
              {"timestamp", format_utc(n.created_at)}}}};
  return m.dump(-1, ' ', false, json::error_handler_t::replace);
}

const Spec<int64_t>& ids() {
  static const Spec<int64_t> s = integer().greater_than(0);
  return s;
}

// The caller's notification `id`; another user's reads as unknown.
std::optional<Note> own(const Exchange& ex, int64_t id) {
  auto n = ex.service.models().notification(id);
  if (!n || n->user_id != ex.user().user_id) return std::nullopt;
  return n;
}

net::awaitable<Response> list(Exchange& ex) {
  static const Spec<int64_t> kSkip = integer().at_least(0).optional(0);
  static const Spec<int64_t> kLimit = integer().at_least(1).at_most(1000).optional(100);
  Input in(ex);
  const int64_t skip = in.query("skip", kSkip).value_or(0);
  const int64_t limit = in.query("limit", kLimit).value_or(100);
  if (auto refused = in.refusal()) co_return std::move(*refused);
  proj::NotificationPage page =
      ex.service.models().notifications(ex.user().user_id, static_cast<size_t>(skip), static_cast<size_t>(limit));
  co_return reply(ex, http::status::ok, {{"total", page.total}, {"items", note_shape().render_list(page.items)}});
}

net::awaitable<Response> mark_read(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("notification_id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!own(ex, id)) co_return fail(ex, not_found("Notification not found"));
  cmd::MarkNotificationRead command{id};
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  auto note = own(ex, id);
  if (!note) co_return fail(ex, not_found("Notification not found"));
  co_return reply(ex, http::status::ok, note_shape().render(*note));
}

net::awaitable<Response> mark_all_read(Exchange& ex) {
  // Everything the caller could have seen by now; later ones stay unread.
  cmd::MarkAllNotificationsRead command{ex.service.models().last_notification_id()};
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  co_return reply_empty(ex);
}

// The session of a connection ends: logout, revocation, the account going.
bool ends_connection(const Envelope& e, const Principal& who) {
  switch (e.payload.type) {
    case ev::Payload::SessionEnded: return e.category == Category::Session && e.stream_id == who.session_id;
    case ev::Payload::UserDeleted:
    case ev::Payload::UserDeactivated: return e.category == Category::User && e.stream_id == who.user_id;
    default: return false;
  }
}

net::awaitable<WsAdmission> open_socket(Exchange& ex) {
  WsConnection c;
  c.principal = ex.user();
  // The last notification this connection has pushed (or skipped as old).
  auto last = std::make_shared<int64_t>(ex.service.models().last_notification_id());
  c.translate = [last](WsSession& session, const SharedBatch& batch) -> std::vector<WsMessage> {
    std::vector<WsMessage> out;
    const Principal& who = session.principal();
    for (const Envelope& e : *batch)
      if (ends_connection(e, who)) {
        session.close(kClosePolicy, "session ended");
        return out;
      }
    for (const Note& n : session.service().models().notifications_after(who.user_id, *last)) {
      out.push_back(WsMessage{pushed(n), 0});
      *last = n.id;
    }
    return out;
  };
  co_return c;
}

}  // namespace

void add_notification_routes(Routes& routes) {
  routes.get("/api/notifications", list)
      .summary("The caller's notifications, newest first")
      .query("skip", integer().at_least(0))
      .query("limit", integer().at_least(1).at_most(1000))
      .answers(200, json{{"title", "NotificationList"},
                         {"type", "object"},
                         {"properties", {{"total", schema::integer()}, {"items", note_shape().list_schema()}}}});
  routes.put("/api/notifications/read-all", mark_all_read).summary("Mark every notification read").answers(204);
  routes.put("/api/notifications/{notification_id:int}/read", mark_read)
      .summary("Mark one notification read")
      .answers(200, note_shape());
  routes.websocket("/api/notifications/ws", open_socket)
      .close_on_refusal(kClosePolicy)
      .summary("WebSocket: each new notification of the token's user, as {type: notification, data}");
}

}  // namespace almanac::api::collab
