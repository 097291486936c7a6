// WebSocket sessions: the machinery every WebSocket endpoint shares (the
// native live stream, and the contracts' notification, sync, echo and event
// sockets).
//
// Dispatch (Service::upgrade) routes an upgrade request, identifies its
// caller as the route declares and rate-limits it; the endpoint's open
// function then accepts or refuses it (api/ws_endpoint.hpp), and
// run_websocket() performs the handshake and runs the session. An accepted
// endpoint supplies:
//   1. translate(session, batch) -> messages: called for every batch the
//      writer commits (Hub), turns domain events into this endpoint's messages.
//   2. on_message(session, text): called for every text message the client
//      sends (acks, JSON pings, echo requests).
// Optionally on_open(session) runs once after the handshake, before any batch
// (greetings, or starting a catch-up coroutine on session.executor()).
//
// What the session guarantees:
// - One strand per connection (the connection's executor): the callbacks, the
//   read loop and the write loop all run on it, so endpoint state captured by
//   the callbacks needs no lock. One read and one write are in flight at most.
// - A bounded outbound queue of ServerConfig::ws_queue_limit messages. A
//   send() that finds it full drops the queue and closes the connection with
//   kCloseTooSlow (4008) and a reason ("too slow: ..."; endpoints whose
//   messages carry positions say where to resume). Memory per session is
//   bounded by the limit; the kernel send buffer is bounded too
//   (kWsSendBufferBytes), so a reader that stops reading is detected soon.
// - Batches from the hub arrive on a writer thread and are posted to the
//   session's strand; nothing else runs on the writer's threads.
// - Protocol ping/pong: a ping goes out when nothing has arrived for half of
//   ServerConfig::idle_timeout_s; a peer from which nothing (not even a pong)
//   arrives for the whole idle timeout is disconnected.
// - The endpoint's heartbeat, when it has one (WsConnection::heartbeat): its
//   ping every interval, and a close when no pong() follows within the
//   timeout.
// - Graceful stop: Hub::shutdown() closes every session with 1001 (going away).
// - Metrics: every completed write counts in ws_message_sent, every message
//   dropped by an overflow in ws_message_dropped; Hub::subscribers() is the
//   connections gauge.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api/hub.hpp"
#include "api/router.hpp"
#include "api/service.hpp"
#include "api/ws_endpoint.hpp"

namespace almanac::api {

// Close codes used by the sessions (docs/streams.md).
inline constexpr uint16_t kCloseGoingAway = 1001;     // the server is shutting down
inline constexpr uint16_t kClosePolicy = 1008;        // refused after the handshake
inline constexpr uint16_t kCloseTooBig = 1009;        // a client message over the read limit
inline constexpr uint16_t kCloseInternal = 1011;      // the server could not go on (log read failed)
inline constexpr uint16_t kCloseTryAgainLater = 1013; // refused for now (the per-address connection limit)
inline constexpr uint16_t kCloseTooSlow = 4008;       // the outbound queue overflowed

// The kernel send buffer of a WebSocket connection: small, so the outbound
// queue (not the kernel) is what absorbs a slow reader.
inline constexpr int kWsSendBufferBytes = 64 << 10;
// The largest message a client may send.
inline constexpr size_t kWsReadLimit = 64 << 10;

// Performs the handshake for an admitted connection and runs its session
// until it ends; for a refusal, answers the upgrade request with the error in
// the route's dialect (with the exchange's extra headers), or accepts and
// closes with its code. Runs on the connection's strand.
net::awaitable<void> run_websocket(Exchange& ex, beast::tcp_stream stream, WsAdmission admission);

// One WebSocket connection after its handshake. Owned by shared_ptr: the
// session coroutine, the write loop, and work posted from the hub each hold
// one, so the session lives until the last of them ends.
//
// Thread safety: every member function must be called on the session's strand
// (executor()), i.e. from the WsConnection callbacks or from coroutines
// spawned on executor(); the only exception is post().
class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  using Stream = beast::websocket::stream<beast::tcp_stream>;

  WsSession(Service& service, Stream ws, WsConnection connection);
  ~WsSession();
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  // Subscribes to the hub, calls on_open, runs the read loop and the write
  // loop; returns when the connection has ended. Called once.
  net::awaitable<void> run();

  // Queues a message. False when the session is closing, or when the queue
  // was full: the queue is then dropped and the session closes with
  // kCloseTooSlow.
  bool send(WsMessage message);
  bool send(std::string text) { return send(WsMessage{std::move(text), 0}); }

  // Starts the close handshake with `code` once the write in flight (if any)
  // has finished; queued messages not yet written are dropped (and counted).
  // The first close wins; later calls do nothing.
  void close(uint16_t code, std::string reason);

  // Resumes when the queue has room for at least half the limit again, or the
  // session is closing (check closing() after). For producers that pace
  // themselves (a catch-up from the log) instead of overflowing.
  net::awaitable<void> wait_for_room();

  // Runs `fn` on the session's strand if the session is still alive. Safe from
  // any thread.
  void post(std::function<void(WsSession&)> fn);

  // The client answered the heartbeat: no ping is unanswered any more.
  void pong() { unanswered_since_.reset(); }

  bool closing() const { return close_code_ != 0 || ended_ || writer_done_; }
  size_t queued() const { return queue_.size(); }
  size_t queue_limit() const { return limit_; }
  // Messages that may still be queued before the next send() overflows.
  size_t room() const { return queue_.size() >= limit_ ? 0 : limit_ - queue_.size(); }
  // The position of the last message whose write completed (0 when none).
  uint64_t last_written_position() const { return last_written_; }
  const Principal& principal() const { return connection_.principal; }
  Service& service() { return service_; }
  // The connection's strand. Safe from any thread (never changes).
  const net::any_io_executor& executor() const { return strand_; }

 private:
  void deliver(const SharedBatch& batch);
  net::awaitable<void> write_loop();
  net::awaitable<void> heartbeat_loop();
  void wake_writer();

  Service& service_;
  Stream ws_;
  const net::any_io_executor strand_;
  WsConnection connection_;
  size_t limit_;
  // Everything below is touched on the strand only.
  std::deque<WsMessage> queue_;
  net::steady_timer wake_;        // the write loop sleeps on it; cancel() wakes it
  net::steady_timer room_;        // wait_for_room() sleeps on it
  net::steady_timer beat_;        // the heartbeat loop sleeps on it
  // When the first ping that has no pong yet went out.
  std::optional<std::chrono::steady_clock::time_point> unanswered_since_;
  uint16_t close_code_ = 0;       // non-zero once a close was asked for
  std::string close_reason_;
  bool overflowed_ = false;
  bool ended_ = false;            // the read loop has ended: the connection is gone
  bool writer_done_ = false;      // the write loop has ended (closed, or the socket failed)
  uint64_t last_written_ = 0;
  uint64_t subscription_ = 0;
};

}  // namespace almanac::api
