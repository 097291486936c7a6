// gather's event feed (WS /ws/events/?token=): every change to a gathering,
// its tasks and its polls, as {type, data, timestamp}, produced from the
// domain events of each committed batch, in log order, exactly once. The
// data is the thing as the read models hold it once the batch is applied.
#include "api/contracts/gather/common.hpp"
#include "api/contracts/gather/routes.hpp"
#include "api/time_format.hpp"
#include "api/ws_session.hpp"

namespace almanac::api::gather {

namespace {

using ev::Payload;

std::string message(const char* type, json data, int64_t at) {
  json m = {{"type", type}, {"data", std::move(data)}, {"timestamp", format_utc(at)}};
  return m.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A public event's feed message for `e`, or nothing.
std::optional<WsMessage> translate_event(const Exchange& ex, const Envelope& e) {
  const char* type = nullptr;
  switch (e.payload.type) {
    case Payload::EventScheduled: type = "event_created"; break;
    case Payload::EventUpdated: type = "event_updated"; break;
    case Payload::ParticipantJoined: type = "event_joined"; break;
    case Payload::ParticipantLeft: type = "event_left"; break;
    default: return std::nullopt;
  }
  auto view = gathering(ex, e.stream_id);
  if (!view) return std::nullopt;  // not a gathering, or gone since
  json data = gathering_json(ex, *view);
  if (e.payload.type == Payload::ParticipantJoined)
    data = {{"event", std::move(data)}, {"user", user_json(ex, e.payload.AsParticipantJoined()->user_id, UserFields::kFull)}};
  if (e.payload.type == Payload::ParticipantLeft)
    data = {{"event", std::move(data)}, {"user", user_json(ex, e.payload.AsParticipantLeft()->user_id, UserFields::kFull)}};
  return WsMessage{message(type, std::move(data), e.recorded_at), e.position};
}

std::optional<WsMessage> translate_task(const Exchange& ex, const Envelope& e) {
  const char* type = nullptr;
  switch (e.payload.type) {
    case Payload::TaskCreated: type = "task_created"; break;
    case Payload::TaskUpdated: type = "task_updated"; break;
    case Payload::TaskAssigned: type = "task_assigned"; break;
    case Payload::TaskCompleted: type = "task_completed"; break;
    default: return std::nullopt;
  }
  auto task = ex.service.models().task(e.stream_id);
  if (!task || !gathering(ex, task->event_id)) return std::nullopt;
  return WsMessage{message(type, task_json(ex, *task), e.recorded_at), e.position};
}

void translate_poll(const Exchange& ex, const Envelope& e, std::vector<WsMessage>& out) {
  auto poll = ex.service.models().poll(e.stream_id, ex.service.clock().now_us(), 0);
  if (!poll || !gathering(ex, poll->event_id)) return;
  switch (e.payload.type) {
    case Payload::PollCreated:
      out.push_back({message("vote_created", poll_json(ex, *poll), e.recorded_at), e.position});
      break;
    case Payload::BallotCast: {
      const auto* b = e.payload.AsBallotCast();
      json cast = {{"vote_id", poll->id}, {"user", user_json(ex, b->user_id, UserFields::kName)}, {"options", b->option_ids}};
      out.push_back({message("vote_cast", std::move(cast), e.recorded_at), e.position});
      out.push_back({message("vote_results", results_json(*poll), e.recorded_at), e.position});
      break;
    }
    case Payload::PollClosed:
      out.push_back({message("vote_ended", results_json(*poll), e.recorded_at), e.position});
      break;
    default: break;
  }
}

net::awaitable<WsAdmission> open_feed(Exchange& ex) {
  WsConnection c;
  c.principal = ex.user();
  Service* service = &ex.service;
  c.translate = [service](WsSession& session, const SharedBatch& batch) -> std::vector<WsMessage> {
    // The renderings need an exchange for the read models only.
    Exchange view{.service = *service};
    std::vector<WsMessage> out;
    for (const Envelope& e : *batch) {
      switch (e.category) {
        case Category::Event:
          if (auto m = translate_event(view, e)) out.push_back(std::move(*m));
          break;
        case Category::Task:
          if (auto m = translate_task(view, e)) out.push_back(std::move(*m));
          break;
        case Category::Poll: translate_poll(view, e, out); break;
        case Category::Session:
          if (e.payload.type == Payload::SessionEnded && e.stream_id == session.principal().session_id) {
            session.close(kClosePolicy, "session ended");
            return {};
          }
          break;
        default: break;
      }
    }
    return out;
  };
  co_return c;
}

}  // namespace

void add_feed_routes(Routes& routes) {
  routes.websocket("/ws/events/", open_feed)
      .close_on_refusal(kClosePolicy)
      .summary("WebSocket: every change to the gatherings, their tasks and polls, as {type, data, timestamp}");
}

}  // namespace almanac::api::gather
