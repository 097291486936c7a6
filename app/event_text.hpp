// Renders stored events for people and tools: one JSON object per event
// (the whole envelope, enum names as strings) or one human-readable line.
// The schema text built into the binary drives the rendering, so every field
// of every event type is shown without per-type code.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "events/status.hpp"

namespace almanac::app {

class EventText {
 public:
  EventText();
  ~EventText();

  // One line of JSON for the stored bytes of an event; DataLoss when the bytes
  // are not a valid envelope.
  Result<std::string> json(std::string_view bytes) const;

  // "#12  2026-11-21T14:22:18.123456Z  event/3 v2  EventUpdated  actor=1  {...payload...}"
  Result<std::string> line(std::string_view bytes) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "2026-11-21T14:22:18.123456Z" for UTC microseconds.
std::string format_utc_us(int64_t us);

}  // namespace almanac::app
