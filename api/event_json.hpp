// Stored events as JSON for the native event stream (docs/streams.md).
//
// One object per event: position, stream {category, id}, version, type,
// recorded_at (ISO 8601 UTC), actor_id, correlation_id and payload. The
// payload is rendered by FlatBuffers reflection over the schema text built
// into this library, so every field of every event type appears without
// per-type code; UUIDs are shown as strings, enums by name, and secrets
// (password hashes, refresh-token ids, reset-token digests) are left out.
//
// Thread safety: every function may be called from any thread at once (the
// parsed schema is built once, on first use, and only read afterwards).
#pragma once

#include <string_view>

#include "api/http.hpp"
#include "events/event.hpp"
#include "events/status.hpp"

namespace almanac::api {

// The event stored as `bytes` (one log entry). DataLoss when the bytes are
// not a valid envelope; Internal when the built-in schema cannot render it.
Result<json> event_json(std::string_view bytes);

// The same for an envelope in memory (as the hub publishes them).
Result<json> event_json(const Envelope& envelope);

}  // namespace almanac::api
