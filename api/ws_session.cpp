#include "api/ws_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>

#include "api/content.hpp"

namespace almanac::api {

namespace websocket = beast::websocket;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr size_t kMaxCloseReason = 123;  // RFC 6455: a control frame carries at most 125 bytes

websocket::close_reason make_close(uint16_t code, std::string reason) {
  if (reason.size() > kMaxCloseReason) reason.resize(kMaxCloseReason);
  websocket::close_reason cr(code);
  cr.reason = std::move(reason);
  return cr;
}

}  // namespace

net::awaitable<void> run_websocket(Exchange& ex, beast::tcp_stream stream, WsAdmission admission) {
  const ServerConfig& config = ex.service.config();
  if (auto* refusal = std::get_if<WsRefusal>(&admission); refusal && refusal->close_code == 0) {
    Response res = ex.dialect().render(ex.req, refusal->error);
    for (const auto& [name, value] : ex.extra_headers) res.set(name, value);
    res.keep_alive(false);
    stream.expires_after(std::chrono::seconds(config.read_timeout_s));
    co_await http::async_write(stream, res, kTuple);
    boost::system::error_code ec;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    co_return;
  }

  boost::system::error_code ec;
  stream.socket().set_option(net::socket_base::send_buffer_size(kWsSendBufferBytes), ec);
  stream.expires_never();  // the WebSocket timeouts below take over
  WsSession::Stream ws(std::move(stream));
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = std::chrono::seconds(config.read_timeout_s);
  timeouts.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
  timeouts.keep_alive_pings = true;  // a ping at half the idle timeout
  ws.set_option(timeouts);
  ws.read_message_max(kWsReadLimit);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "almanac"); }));

  auto [aec] = co_await ws.async_accept(ex.req, kTuple);
  if (aec) co_return;

  if (auto* refusal = std::get_if<WsRefusal>(&admission)) {
    co_await ws.async_close(make_close(refusal->close_code, refusal->close_reason), kTuple);
    co_return;
  }
  auto session = std::make_shared<WsSession>(ex.service, std::move(ws), std::move(std::get<WsConnection>(admission)));
  co_await session->run();
}

WsSession::WsSession(Service& service, Stream ws, WsConnection connection)
    : service_(service),
      ws_(std::move(ws)),
      strand_(ws_.get_executor()),
      connection_(std::move(connection)),
      limit_(std::max<size_t>(1, service.config().ws_queue_limit)),
      wake_(strand_),
      room_(strand_),
      beat_(strand_) {}

WsSession::~WsSession() {
  if (subscription_) service_.hub().unsubscribe(subscription_);
}

net::awaitable<void> WsSession::run() {
  auto self = shared_from_this();
  std::weak_ptr<WsSession> weak = self;
  // The listener runs on a writer thread: it only posts to this strand.
  subscription_ = service_.hub().subscribe(
      [weak](const SharedBatch& batch) {
        if (auto s = weak.lock()) net::post(s->strand_, [s, batch] { s->deliver(batch); });
      },
      [weak] {
        if (auto s = weak.lock())
          net::post(s->strand_, [s] { s->close(kCloseGoingAway, "server shutting down"); });
      });
  net::co_spawn(strand_, [self]() { return self->write_loop(); }, net::detached);
  if (connection_.heartbeat.interval.count() > 0)
    net::co_spawn(strand_, [self]() { return self->heartbeat_loop(); }, net::detached);
  if (connection_.on_open) connection_.on_open(*this);

  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws_.async_read(buffer, kTuple);
    if (ec) break;
    if (ws_.got_text() && connection_.on_message && !closing())
      connection_.on_message(*this, beast::buffers_to_string(buffer.data()));
    buffer.consume(buffer.size());
  }
  ended_ = true;
  service_.hub().unsubscribe(subscription_);
  subscription_ = 0;
  if (!queue_.empty()) service_.metrics().ws_message_dropped(queue_.size());
  queue_.clear();
  wake_writer();
  room_.cancel();
  beat_.cancel();
}

void WsSession::deliver(const SharedBatch& batch) {
  if (closing()) return;
  std::vector<WsMessage> messages = connection_.translate(*this, batch);
  for (size_t i = 0; i < messages.size(); ++i) {
    if (!send(std::move(messages[i]))) {
      if (size_t rest = messages.size() - i - 1) service_.metrics().ws_message_dropped(rest);
      break;
    }
  }
}

bool WsSession::send(WsMessage message) {
  if (closing()) return false;
  if (queue_.size() >= limit_) {
    service_.metrics().ws_message_dropped(1);
    overflowed_ = true;
    close(kCloseTooSlow, "too slow: more than " + std::to_string(limit_) + " messages queued");
    return false;
  }
  queue_.push_back(std::move(message));
  wake_writer();
  return true;
}

void WsSession::close(uint16_t code, std::string reason) {
  if (closing()) return;
  close_code_ = code;
  close_reason_ = std::move(reason);
  if (!queue_.empty()) service_.metrics().ws_message_dropped(queue_.size());
  queue_.clear();
  wake_writer();
  room_.cancel();
  beat_.cancel();
}

net::awaitable<void> WsSession::wait_for_room() {
  const size_t wanted = std::max<size_t>(1, limit_ / 2);
  while (!closing() && room() < wanted) {
    room_.expires_at(net::steady_timer::time_point::max());
    co_await room_.async_wait(kTuple);
  }
}

void WsSession::post(std::function<void(WsSession&)> fn) {
  net::post(strand_, [self = shared_from_this(), fn = std::move(fn)] {
    if (!self->ended_) fn(*self);
  });
}

void WsSession::wake_writer() { wake_.cancel(); }

net::awaitable<void> WsSession::heartbeat_loop() {
  using Clock = std::chrono::steady_clock;
  const WsHeartbeat& hb = connection_.heartbeat;
  auto next_ping = Clock::now() + hb.interval;
  while (!closing()) {
    // Wake for the next ping, or for the deadline of the unanswered one.
    auto wake_at = next_ping;
    if (unanswered_since_) wake_at = std::min(wake_at, *unanswered_since_ + hb.timeout);
    beat_.expires_at(wake_at);
    co_await beat_.async_wait(kTuple);
    if (closing()) break;
    const auto now = Clock::now();
    if (unanswered_since_ && now >= *unanswered_since_ + hb.timeout) {
      close(hb.close_code, hb.close_reason);
      break;
    }
    if (now >= next_ping) {
      if (!send(hb.ping)) break;
      if (!unanswered_since_) unanswered_since_ = now;
      next_ping = now + hb.interval;
    }
  }
}

net::awaitable<void> WsSession::write_loop() {
  for (;;) {
    while (queue_.empty() && close_code_ == 0 && !ended_) {
      wake_.expires_at(net::steady_timer::time_point::max());
      co_await wake_.async_wait(kTuple);
    }
    if (ended_) break;
    if (close_code_ != 0) {
      // Computed now, after the last write finished, so a reason that names
      // a resume position names the last one the client will receive.
      std::string reason = overflowed_ && connection_.overflow_reason ? connection_.overflow_reason(*this)
                                                                      : close_reason_;
      co_await ws_.async_close(make_close(close_code_, std::move(reason)), kTuple);
      break;
    }
    WsMessage message = std::move(queue_.front());
    queue_.pop_front();
    ws_.text(true);
    auto [ec, n] = co_await ws_.async_write(net::buffer(message.text), kTuple);
    if (ec) {
      beast::get_lowest_layer(ws_).close();  // ends the read loop too
      break;
    }
    service_.metrics().ws_message_sent();
    if (message.position) last_written_ = message.position;
    room_.cancel();
  }
  writer_done_ = true;
  if (!queue_.empty()) service_.metrics().ws_message_dropped(queue_.size());
  queue_.clear();
  room_.cancel();
}

}  // namespace almanac::api
