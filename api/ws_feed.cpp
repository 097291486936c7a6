#include "api/ws_feed.hpp"

#include <memory>
#include <optional>

#include "api/event_json.hpp"
#include "api/service.hpp"
#include "api/ws_session.hpp"
#include "projections/user_feed.hpp"

namespace almanac::api {

void follow_user(WsConnection& c, Service& service, FeedMessage message) {
  const Principal who = c.principal;
  // Touched on the session's strand only: seeded by on_open, read by translate.
  auto feed = std::make_shared<std::optional<proj::UserFeed>>();
  c.on_open = [feed, who, &service, then = std::move(c.on_open)](WsSession& session) {
    feed->emplace(who.user_id, service.models().feed_seed(who.user_id));
    if (then) then(session);
  };
  c.translate = [feed, who, message = std::move(message)](WsSession& session,
                                                          const SharedBatch& batch) -> std::vector<WsMessage> {
    std::vector<WsMessage> out;
    if (!*feed) return out;
    for (const Envelope& e : *batch) {
      if ((*feed)->admit(e)) {
        auto rendered = event_json(e);
        if (!rendered) {
          session.close(kCloseInternal, "cannot render event " + std::to_string(e.position));
          break;
        }
        out.push_back(WsMessage{message(e, *rendered), e.position});
      }
      if (who.session_id != 0 && e.category == Category::Session && e.stream_id == who.session_id &&
          e.payload.type == ev::Payload::SessionEnded) {
        // The token this connection was opened with no longer works.
        session.close(kClosePolicy, "session ended");
        return {};
      }
    }
    return out;
  };
}

std::function<void(WsSession&, std::string)> json_messages(std::function<void(WsSession&, json)> on_json,
                                                           std::function<void(WsSession&)> on_invalid) {
  return [on_json = std::move(on_json), on_invalid = std::move(on_invalid)](WsSession& session, std::string text) {
    json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded())
      on_invalid(session);
    else
      on_json(session, std::move(value));
  };
}

}  // namespace almanac::api
