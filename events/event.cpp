#include "events/event.hpp"

#include <array>

namespace almanac {

namespace {
constexpr std::array<const char*, 10> kCategoryNames = {
    "none", "user", "session", "password_reset", "calendar",
    "event", "task", "poll", "inbox", "notification"};
}

const char* category_name(Category c) {
  auto i = static_cast<size_t>(c);
  return i < kCategoryNames.size() ? kCategoryNames[i] : "unknown";
}

Category category_from_name(std::string_view name) {
  for (size_t i = 1; i < kCategoryNames.size(); ++i)
    if (name == kCategoryNames[i]) return static_cast<Category>(i);
  return Category::None;
}

const char* payload_name(ev::Payload type) { return ev::EnumNamePayload(type); }

std::string encode(const Envelope& e) {
  flatbuffers::FlatBufferBuilder fbb(256);
  auto root = ev::EventEnvelope::Pack(fbb, &e);
  ev::FinishEventEnvelopeBuffer(fbb, root);
  return {reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()};
}

Status verify_bytes(std::string_view bytes) {
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!ev::VerifyEventEnvelopeBuffer(v)) return data_loss("event bytes fail verification");
  auto* env = ev::GetEventEnvelope(bytes.data());
  if (env->payload_type() == ev::Payload::NONE ||
      env->payload_type() > ev::Payload::MAX)
    return data_loss("event has no known payload type");
  // The verifier lets a union's table be absent; every reader of an event
  // expects its payload.
  if (env->payload() == nullptr) return data_loss("event names a payload type but holds no payload");
  return Status::ok();
}

Status decode_into(std::string_view bytes, Envelope& out) {
  if (Status s = verify_bytes(bytes); !s) return s;
  ev::GetEventEnvelope(bytes.data())->UnPackTo(&out);
  return Status::ok();
}

Result<Envelope> decode(std::string_view bytes) {
  Envelope e;
  if (Status s = decode_into(bytes, e); !s) return s;
  return e;
}

}  // namespace almanac
