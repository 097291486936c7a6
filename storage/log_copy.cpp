#include "storage/log_copy.hpp"

#include <string>

namespace almanac::storage {

Result<CopyStats> copy_log(const EventStore& from, const MetaValues& meta, LogImport& to,
                           const VerifyProgress& progress) {
  CopyStats stats;
  const uint64_t head = from.head();
  uint64_t expected = 1;
  Status problem = Status::ok();
  // Each entry is read through a copy on the heap: a store may hand out bytes
  // at any address, and FlatBuffers reads its scalars aligned.
  std::string aligned;
  aligned.reserve(1024);
  if (progress) progress(0, head);
  Status scanned = from.scan(1, head, [&](uint64_t position, std::string_view stored) {
    aligned.assign(stored);
    const std::string_view bytes = aligned;
    const std::string where = "log position " + std::to_string(position);
    if (position != expected) {
      problem = data_loss("log position " + std::to_string(expected) + " is missing (next is " +
                          std::to_string(position) + ")");
      return false;
    }
    if (Status v = verify_bytes(bytes); !v) {
      problem = data_loss(where + ": " + v.message());
      return false;
    }
    const auto* envelope = ev::GetEventEnvelope(bytes.data());
    if (envelope->position() != position) {
      problem = data_loss(where + " holds an envelope for position " + std::to_string(envelope->position()));
      return false;
    }
    if (Status added = to.add(position, *envelope, bytes); !added) {
      problem = std::move(added);
      return false;
    }
    ++expected;
    ++stats.events;
    if (progress && stats.events % 65536 == 0) progress(stats.events, head);
    return true;
  });
  if (!scanned) return scanned;
  if (!problem) return problem;
  if (stats.events != head)
    return data_loss("the log ends at position " + std::to_string(stats.events) + ", before its head " +
                     std::to_string(head));
  for (const auto& [name, value] : meta) {
    if (Status s = to.add_meta(name, value); !s) return s;
    ++stats.meta_values;
  }
  if (Status s = to.finish(); !s) return s;
  if (progress) progress(head, head);
  return stats;
}

}  // namespace almanac::storage
