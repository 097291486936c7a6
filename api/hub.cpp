#include "api/hub.hpp"

namespace almanac::api {

uint64_t Hub::subscribe(HubListener listener, std::function<void()> on_shutdown) {
  uint64_t id;
  bool late;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    late = shut_down_;
    listeners_.emplace(id, Subscriber{std::make_shared<HubListener>(std::move(listener)), on_shutdown});
  }
  // A session that subscribes while the server is stopping closes at once.
  if (late && on_shutdown) on_shutdown();
  return id;
}

void Hub::unsubscribe(uint64_t id) {
  std::lock_guard lock(mu_);
  listeners_.erase(id);
}

void Hub::publish(std::span<const Envelope> batch) {
  if (batch.empty()) return;
  auto shared = std::make_shared<const std::vector<Envelope>>(batch.begin(), batch.end());
  std::vector<std::shared_ptr<HubListener>> targets;
  {
    std::lock_guard lock(mu_);
    published_ = batch.back().position;
    targets.reserve(listeners_.size());
    for (auto& [id, s] : listeners_) targets.push_back(s.listener);
  }
  for (auto& l : targets) (*l)(shared);
}

void Hub::shutdown() {
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    for (auto& [id, s] : listeners_)
      if (s.on_shutdown) closers.push_back(s.on_shutdown);
  }
  for (auto& c : closers) c();
}

size_t Hub::subscribers() const {
  std::lock_guard lock(mu_);
  return listeners_.size();
}

uint64_t Hub::published_position() const {
  std::lock_guard lock(mu_);
  return published_;
}

}  // namespace almanac::api
