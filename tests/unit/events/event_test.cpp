#include <catch2/catch.hpp>

#include "events/event.hpp"

using namespace almanac;

TEST_CASE("an envelope survives encode/decode with its payload") {
  Envelope e;
  e.position = 7;
  e.category = Category::Event;
  e.stream_id = 3;
  e.version = 2;
  e.recorded_at = 1'700'000'000'000'000;
  e.actor_id = 9;
  e.correlation_id = "c-1";
  e.idempotency_key = "k-1";
  ev::EventScheduledT s;
  s.title = "Team Meeting";
  s.start = 10;
  s.end = 20;
  s.fields = event_field::kTitle | event_field::kStart | event_field::kEnd;
  e.payload.Set(std::move(s));

  auto bytes = encode(e);
  auto back = decode(bytes);
  REQUIRE(back.is_ok());
  CHECK(back->position == 7);
  CHECK(back->category == Category::Event);
  CHECK(back->stream_id == 3);
  CHECK(back->version == 2);
  CHECK(back->actor_id == 9);
  CHECK(back->correlation_id == "c-1");
  CHECK(back->idempotency_key == "k-1");
  REQUIRE(back->payload.type == ev::Payload::EventScheduled);
  CHECK(back->payload.AsEventScheduled()->title == "Team Meeting");
  CHECK(back->payload.AsEventScheduled()->end == 20);
}

TEST_CASE("damaged bytes are DataLoss, never a crash") {
  Envelope e;
  e.payload.Set(ev::UserDeletedT{});
  auto bytes = encode(e);
  for (size_t cut : {size_t{0}, size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    auto r = decode(std::string_view(bytes).substr(0, cut));
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Code::kDataLoss);
  }
  std::string flipped = bytes;
  flipped[4] ^= 0x55;  // file identifier
  CHECK_FALSE(decode(flipped).is_ok());
}

TEST_CASE("a payload type without its payload is DataLoss") {
  // Found by tests/fuzz/envelope_fuzz: the verifier accepts a union whose
  // table is absent, and every reader of the event would dereference it.
  flatbuffers::FlatBufferBuilder fbb;
  ev::EventEnvelopeBuilder b(fbb);
  b.add_position(1);
  b.add_payload_type(ev::Payload::UserRegistered);
  ev::FinishEventEnvelopeBuffer(fbb, b.Finish());
  const std::string_view bytes(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  auto r = decode(bytes);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Code::kDataLoss);
  CHECK_FALSE(verify_bytes(bytes).is_ok());
}

TEST_CASE("category names round-trip") {
  for (int i = 1; i <= 9; ++i) {
    auto c = static_cast<Category>(i);
    CHECK(category_from_name(category_name(c)) == c);
  }
  CHECK(category_from_name("nope") == Category::None);
}
