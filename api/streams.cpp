#include "api/streams.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <charconv>
#include <deque>
#include <memory>

#include "api/event_json.hpp"
#include "api/handler.hpp"
#include "api/ws_session.hpp"

namespace almanac::api::streams {

namespace {

// Events read from the log per step of a live catch-up (fewer when the
// session's queue has less room).
constexpr uint64_t kCatchUpChunk = 256;

// The page a request asks for: after `from` (default 0), `limit` entries
// (default when absent, at least 1, lowered to the cap).
struct PageQuery {
  uint64_t after = 0;
  uint64_t limit = 0;
};

PageQuery read_page(Input& in) {
  const int64_t from = in.query("from", from_param()).value_or(0);
  const int64_t limit = in.query("limit", limit_param()).value_or(kStreamDefaultLimit);
  return {static_cast<uint64_t>(from), std::min(static_cast<uint64_t>(limit), kStreamMaxLimit)};
}

bool wants_ndjson(const Request& req) {
  return req[http::field::accept].find("application/x-ndjson") != std::string_view::npos;
}

// A page of events as the client asked for it.
Response page_response(const Exchange& ex, const std::vector<json>& events, uint64_t next) {
  if (wants_ndjson(ex.req)) {
    Response res{http::status::ok, ex.req.version()};
    res.set(http::field::content_type, "application/x-ndjson");
    std::string body;
    for (const auto& e : events) {
      body += e.dump();
      body += '\n';
    }
    res.body() = std::move(body);
    res.keep_alive(ex.req.keep_alive());
    res.prepare_payload();
    return res;
  }
  json body = json::object();
  body["events"] = events;
  body["next"] = next;
  return make_response(ex.req, http::status::ok, body);
}

// Log entries with position > after, at most `limit`, rendered. Blocking: run
// it on the blocking pool.
Result<std::vector<json>> read_log(const EventStore& store, uint64_t after, uint64_t limit) {
  std::vector<json> out;
  Status failure = Status::ok();
  Status s = store.scan(after + 1, limit, [&](uint64_t, std::string_view bytes) {
    auto j = event_json(bytes);
    if (!j) {
      failure = j.status();
      return false;
    }
    out.push_back(std::move(*j));
    return true;
  });
  if (!s) return s;
  if (!failure) return failure;
  return out;
}

struct StreamPage {
  bool exists = false;
  std::vector<json> events;
};

// A stream's events with version > after. Blocking.
Result<StreamPage> read_entity(const EventStore& store, StreamId stream, uint64_t after, uint64_t limit) {
  StreamPage page;
  page.exists = store.stream_version(stream) > 0;
  if (!page.exists) return page;
  auto envelopes = store.read_stream(stream, after + 1, limit);
  if (!envelopes) return envelopes.status();
  for (const auto& e : *envelopes) {
    auto j = event_json(e);
    if (!j) return j.status();
    page.events.push_back(std::move(*j));
  }
  return page;
}

}  // namespace

bool may_read(Service& service, const Principal& who, StreamId stream) {
  if (who.is_superuser) return true;
  auto& m = service.models();
  const int64_t me = who.user_id;
  switch (stream.category) {
    case Category::User:
    case Category::Notification:  // Notification/<user id>
      return stream.id == me;
    case Category::Session: {
      auto s = m.session(stream.id);
      return s && s->user_id == me;
    }
    case Category::Event:
      return m.can_view(me, stream.id);
    case Category::Calendar: {
      auto c = m.calendar(stream.id);
      return c && c->owner_id == me;
    }
    case Category::Task: {
      auto t = m.task(stream.id);
      return t && (t->creator_id == me || t->assignee_id == me || m.can_view(me, t->event_id));
    }
    case Category::Poll: {
      auto p = m.poll(stream.id, service.clock().now_us(), me);
      return p && (p->creator_id == me || m.can_view(me, p->event_id));
    }
    case Category::Inbox: {
      auto i = m.inbox_item(stream.id);
      return i && i->owner_id == me;
    }
    default:  // password resets and anything newer: superusers only
      return false;
  }
}

const Spec<int64_t>& from_param() {
  static const Spec<int64_t> s = integer().at_least(0).optional(0);
  return s;
}

const Spec<int64_t>& limit_param() {
  static const Spec<int64_t> s = integer().at_least(1).optional(kStreamDefaultLimit);
  return s;
}

net::awaitable<Response> all(Exchange& ex) {
  Input in(ex);
  const PageQuery asked = read_page(in);
  if (auto refused = in.refusal()) co_return std::move(*refused);

  const EventStore& store = ex.service.store();
  uint64_t after = asked.after, n = asked.limit;
  auto events = co_await ex.service.run_blocking([&store, after, n] { return read_log(store, after, n); });
  if (!events) co_return fail(ex, events.status());
  uint64_t next = events->empty() ? after : events->back()["position"].get<uint64_t>();
  co_return page_response(ex, *events, next);
}

net::awaitable<Response> entity(Exchange& ex) {
  const std::string* cat = ex.params.get("category");
  const std::string* id_text = ex.params.get("id");
  StreamId stream{cat ? category_from_name(*cat) : Category::None, 0};
  auto [end, ec] = std::from_chars(id_text->data(), id_text->data() + id_text->size(), stream.id);
  // Unknown categories, ids out of range and streams the caller may not read
  // are all the same 404, so existence does not leak.
  const Status unknown = not_found("Stream not found");
  if (stream.category == Category::None || ec != std::errc() || stream.id <= 0 ||
      !may_read(ex.service, ex.user(), stream))
    co_return fail(ex, unknown);
  Input in(ex);
  const PageQuery asked = read_page(in);
  if (auto refused = in.refusal()) co_return std::move(*refused);

  const EventStore& store = ex.service.store();
  uint64_t after = asked.after, n = asked.limit;
  auto page = co_await ex.service.run_blocking(
      [&store, stream, after, n] { return read_entity(store, stream, after, n); });
  if (!page) co_return fail(ex, page.status());
  if (!page->exists) co_return fail(ex, unknown);
  uint64_t next = page->events.empty() ? after : page->events.back()["version"].get<uint64_t>();
  co_return page_response(ex, page->events, next);
}

// ---- /streams/live -------------------------------------------------------

namespace {

// One live session's progress. Touched on the session's strand only.
struct LiveState {
  uint64_t from = 0;               // the position the client asked to start after
  uint64_t last_sent = 0;          // the last position queued; every later message is after it
  bool catching_up = true;         // batches are buffered, not sent, while true
  std::deque<SharedBatch> buffer;  // live batches that arrived during the catch-up
  size_t buffered_events = 0;
  bool buffer_dropped = false;     // the buffer outgrew its bound: read the log again
};

// Messages for the events of `batch` after state.last_sent (advancing it).
std::vector<WsMessage> render_after(WsSession& session, LiveState& state, const std::vector<Envelope>& batch) {
  std::vector<WsMessage> out;
  for (const auto& e : batch) {
    if (e.position <= state.last_sent) continue;  // already sent from the log
    auto j = event_json(e);
    if (!j) {
      session.close(kCloseInternal, "cannot render event " + std::to_string(e.position));
      break;
    }
    out.push_back(WsMessage{j->dump(), e.position});
    state.last_sent = e.position;
  }
  return out;
}

// Sends the log after state.last_sent, then the buffered live batches, pacing
// itself on the session's queue (it never overflows it). When it returns with
// the session open, the session is live: batches go straight out.
net::awaitable<void> catch_up(std::shared_ptr<WsSession> session, std::shared_ptr<LiveState> state) {
  const EventStore& store = session->service().store();
  bool log_done = false;
  for (;;) {
    co_await session->wait_for_room();
    if (session->closing()) co_return;
    if (state->buffer_dropped) {
      // Batches were dropped from the buffer: they are in the log by now.
      state->buffer_dropped = false;
      log_done = false;
    }
    if (!log_done) {
      uint64_t after = state->last_sent, n = std::min<uint64_t>(kCatchUpChunk, session->room());
      auto chunk = co_await session->service().run_blocking([&store, after, n]() -> Result<std::vector<WsMessage>> {
        auto events = read_log(store, after, n);
        if (!events) return events.status();
        std::vector<WsMessage> out;
        out.reserve(events->size());
        for (const auto& e : *events) out.push_back(WsMessage{e.dump(), e["position"].get<uint64_t>()});
        return out;
      });
      if (session->closing()) co_return;
      if (!chunk) {
        session->close(kCloseInternal, "cannot read the log");
        co_return;
      }
      if (chunk->empty()) log_done = true;
      for (auto& m : *chunk) {
        if (m.position <= state->last_sent) continue;
        uint64_t p = m.position;
        if (!session->send(std::move(m))) co_return;
        state->last_sent = p;
      }
      continue;  // re-check the buffer bound before draining
    }
    if (state->buffer.empty()) break;
    SharedBatch batch = std::move(state->buffer.front());
    state->buffer.pop_front();
    state->buffered_events -= batch->size();
    for (auto& m : render_after(*session, *state, *batch)) {
      if (session->room() == 0) co_await session->wait_for_room();
      if (!session->send(std::move(m))) co_return;
    }
  }
  state->catching_up = false;
}

}  // namespace

net::awaitable<WsAdmission> live(Exchange& ex) {
  Input in(ex);
  const int64_t from = in.query("from", from_param()).value_or(0);
  if (auto error = in.error()) co_return WsRefusal{std::move(*error), 0, {}};

  auto state = std::make_shared<LiveState>();
  state->from = state->last_sent = static_cast<uint64_t>(from);
  WsConnection c;
  c.principal = ex.user();
  c.translate = [state](WsSession& session, const SharedBatch& batch) -> std::vector<WsMessage> {
    if (state->catching_up) {
      // Bounded like the queue; past it the batches are dropped and the
      // catch-up reads them from the log instead.
      if (state->buffered_events + batch->size() > session.queue_limit()) {
        state->buffer.clear();
        state->buffered_events = 0;
        state->buffer_dropped = true;
      } else {
        state->buffer.push_back(batch);
        state->buffered_events += batch->size();
      }
      return {};
    }
    return render_after(session, *state, *batch);
  };
  c.on_open = [state](WsSession& session) {
    // After the hub subscription: whatever the catch-up does not find in the
    // log arrives as a batch.
    net::co_spawn(session.executor(), catch_up(session.shared_from_this(), state), net::detached);
  };
  c.overflow_reason = [state](WsSession& session) {
    return "too slow: resume from position " + std::to_string(std::max(state->from, session.last_written_position()));
  };
  co_return c;
}

}  // namespace almanac::api::streams
