// Stored events (events/event): the FlatBuffers verifier and decoder, and the
// audit rendering by reflection (api/event_json), on arbitrary bytes and on
// real envelopes with bytes altered. The real ones come from a workload of
// every kind of command, committed to an in-memory log at start.
//
// Fails on: a crash or sanitizer report; bytes that decode but do not verify
// (or the reverse); a decoded envelope whose encoding changes through another
// decode and encode; a decoded envelope that cannot be rendered.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <future>

#include "api/event_json.hpp"
#include "app/workload.hpp"
#include "commands/writer.hpp"
#include "events/clock.hpp"
#include "events/event.hpp"
#include "storage/memory_event_store.hpp"

using namespace almanac;

namespace {

// One stored envelope of each payload type the workload produces.
const std::vector<std::string>& samples() {
  static const std::vector<std::string> out = [] {
    storage::MemoryEventStore store;
    cmd::WriteState state;
    ManualClock clock;
    SequentialIds ids;
    cmd::Writer writer(store, state, clock, ids);
    writer.start();
    app::Workload workload(11, clock.now_us());
    for (int i = 0; i < 1500; ++i) workload.observe(writer.submit(workload.next()).get());
    writer.stop();
    std::vector<std::string> found;
    std::vector<bool> seen(256, false);
    (void)store.scan(1, store.head(), [&](uint64_t, std::string_view bytes) {
      auto e = decode(bytes);
      if (e && !seen[static_cast<uint8_t>(e->payload.type)]) {
        seen[static_cast<uint8_t>(e->payload.type)] = true;
        found.emplace_back(bytes);
      }
      return true;
    });
    if (found.empty()) std::abort();
    return found;
  }();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& real = samples();
  FuzzedDataProvider in(data, size);
  std::string bytes;
  if (in.ConsumeBool()) {
    bytes = in.ConsumeRemainingBytesAsString();
  } else {
    bytes = real[in.ConsumeIntegralInRange<size_t>(0, real.size() - 1)];
    while (in.remaining_bytes() >= 3) {
      size_t at = in.ConsumeIntegralInRange<size_t>(0, bytes.size() - 1);
      bytes[at] = static_cast<char>(in.ConsumeIntegral<uint8_t>());
    }
  }

  const bool verified = verify_bytes(bytes).is_ok();
  auto decoded = decode(bytes);
  if (decoded.is_ok() != verified) {
    std::fprintf(stderr, "envelope_fuzz: decode says %d but verify says %d\n", decoded.is_ok(), verified);
    std::abort();
  }
  if (!decoded) return 0;
  const std::string encoded = encode(*decoded);
  auto again = decode(encoded);
  if (!again || encode(*again) != encoded) {
    std::fprintf(stderr, "envelope_fuzz: an envelope changed through encode and decode\n");
    std::abort();
  }
  if (auto rendered = api::event_json(bytes); !rendered) {
    std::fprintf(stderr, "envelope_fuzz: a decodable envelope could not be rendered: %s\n",
                 rendered.status().message().c_str());
    std::abort();
  }
  return 0;
}
