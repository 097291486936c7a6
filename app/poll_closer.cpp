#include "app/poll_closer.hpp"

#include <algorithm>

namespace almanac::app {

PollCloser::PollCloser(boost::asio::io_context& io, cmd::CommandSink& writer, const proj::ReadModels& models,
                       Clock& clock, std::chrono::milliseconds check_every)
    : writer_(writer), models_(models), clock_(clock), check_every_(check_every), timer_(io) {}

PollCloser::~PollCloser() { stop(); }

void PollCloser::start() {
  stopped_ = false;
  tick();
}

void PollCloser::stop() {
  stopped_ = true;
  timer_.cancel();
}

void PollCloser::tick() {
  if (stopped_) return;
  const int64_t now = clock_.now_us();
  for (int64_t id : models_.polls_due(now)) {
    cmd::CommandEnvelope c;
    c.command = cmd::ClosePoll{id};
    c.actor_id = 0;
    c.correlation_id = "poll-closer";
    writer_.submit(std::move(c), [](cmd::CommandResult) {});  // refused when already closed: nothing to do
  }
  arm();
}

void PollCloser::arm() {
  auto wait = check_every_;
  if (auto next = models_.next_poll_deadline()) {
    const int64_t until = *next - clock_.now_us();
    // A deadline already past is being closed: look again after check_every.
    if (until > 0) wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(until)) + std::chrono::milliseconds(1));
  }
  timer_.expires_after(wait);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

}  // namespace almanac::app
