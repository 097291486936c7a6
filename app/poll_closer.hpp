// The poll closer: once a poll's ends_at has passed, the server appends its
// PollClosed, as the system (actor 0), so everything that follows the log
// (the read models, the event feeds) sees the poll end. It works from the
// read models' open deadlines: at start it closes every poll that ended
// while the server was down, then it wakes at the next deadline (at the
// latest every `check_every`). Closing twice cannot happen: the command is
// refused for a poll already closed, so a close still in the writer's queue
// when the closer wakes again appends nothing.
//
// Thread safety: start() and stop() from one thread; the work runs on the
// given io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

#include "commands/command_sink.hpp"
#include "events/clock.hpp"
#include "projections/read_models.hpp"

namespace almanac::app {

class PollCloser {
 public:
  PollCloser(boost::asio::io_context& io, cmd::CommandSink& writer, const proj::ReadModels& models, Clock& clock,
             std::chrono::milliseconds check_every = std::chrono::seconds(1));
  ~PollCloser();

  // Closes what is due now, then keeps watching.
  void start();
  void stop();

 private:
  void tick();
  void arm();

  cmd::CommandSink& writer_;
  const proj::ReadModels& models_;
  Clock& clock_;
  std::chrono::milliseconds check_every_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace almanac::app
