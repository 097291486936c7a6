// Typed domain events and the envelope that carries them through the log.
//
// The types are the FlatBuffers object-API classes generated from
// events/schema.fbs (almanac::ev::*T), so the in-memory event and the stored
// bytes can never drift apart. This header adds stream ids, the field bitmasks
// used by *Updated events, and the byte codec (docs/storage-format.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "events/schema_generated.h"
#include "events/status.hpp"

namespace almanac {

using Envelope = ev::EventEnvelopeT;   // a recorded (or about-to-be) event
using Payload = ev::PayloadUnion;      // one typed domain event
using ev::Category;

// A stream is one aggregate instance: (category, dense id).
struct StreamId {
  Category category = Category::None;
  int64_t id = 0;
  friend bool operator==(const StreamId&, const StreamId&) = default;
  friend auto operator<=>(const StreamId&, const StreamId&) = default;
};

struct StreamIdHash {
  size_t operator()(const StreamId& s) const noexcept {
    return std::hash<int64_t>{}(s.id * 16 + static_cast<int64_t>(s.category));
  }
};

inline StreamId stream_of(const Envelope& e) { return {e.category, e.stream_id}; }

// "user", "session", ... as used in /streams/{category}/{id} and `almanac log`.
const char* category_name(Category c);
// Inverse of category_name; Category::None when unknown.
Category category_from_name(std::string_view name);
// "EventScheduled", ... (the union member name).
const char* payload_name(ev::Payload type);

// Bitmasks for the `fields` / `nulls` members of the events that carry a subset.
namespace user_field {
enum : uint32_t {
  kUsername = 1u << 0, kEmail = 1u << 1, kFirstName = 1u << 2, kLastName = 1u << 3,
  kFullName = 1u << 4, kBio = 1u << 5, kAvatar = 1u << 6,
};
}
namespace event_field {
enum : uint32_t {
  kTitle = 1u << 0, kDescription = 1u << 1, kStart = 1u << 2, kEnd = 1u << 3,
  kAllDay = 1u << 4, kFloating = 1u << 5, kLocation = 1u << 6, kCategory = 1u << 7,
  kMetadata = 1u << 8, kRecurring = 1u << 9, kRepeat = 1u << 10, kRepeatUntil = 1u << 11,
  kVisibility = 1u << 12, kMaxParticipants = 1u << 13,
};
}
namespace task_field {
enum : uint32_t {
  kTitle = 1u << 0, kDescription = 1u << 1, kStatus = 1u << 2, kPriority = 1u << 3,
  kDue = 1u << 4, kAssignee = 1u << 5,
};
}
namespace inbox_field {
enum : uint32_t {
  kContent = 1u << 0, kCategory = 1u << 1, kPriority = 1u << 2, kStatus = 1u << 3,
  kMetadata = 1u << 4, kPriorityLevel = 1u << 5,
};
}

// The text of events/schema.fbs as this binary was built from it, for
// rendering stored events by FlatBuffers reflection (the audit log, the event
// streams).
extern const char* const kEventSchemaText;

// Serialises an envelope to the bytes stored in the log (FlatBuffers, file
// identifier "ALMC"). Never fails.
std::string encode(const Envelope& e);

// Verifies and decodes stored bytes. DataLoss when the bytes are not a valid
// envelope or the payload type is unknown to this build.
Result<Envelope> decode(std::string_view bytes);
// The same, into `out` (for a caller that decodes many into a vector it
// reuses). `out` must be a default-constructed envelope; on failure its
// contents are unspecified.
Status decode_into(std::string_view bytes, Envelope& out);

// Verifies without unpacking (for `verify`).
Status verify_bytes(std::string_view bytes);

}  // namespace almanac
