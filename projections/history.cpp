#include "projections/history.hpp"

#include "projections/events.hpp"

namespace almanac::proj {

std::vector<EventVersionView> event_history(std::span<const Envelope> stream) {
  std::vector<EventVersionView> out;
  out.reserve(stream.size());
  EventsModel model;
  for (const Envelope& e : stream) {
    model.apply(e);
    model.set_version(e.stream_id, e.version);
    EventVersionView v;
    v.version = e.version;
    v.recorded_at = e.recorded_at;
    v.actor_id = e.actor_id;
    v.type = e.payload.type;
    if (const EventView* now = model.find(e.stream_id)) v.state = *now;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace almanac::proj
