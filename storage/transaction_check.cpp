#include "storage/transaction_check.hpp"

#include <unordered_map>

namespace almanac::storage {

std::string stream_text(StreamId s) {
  return std::string(category_name(s.category)) + "/" + std::to_string(s.id);
}

Status check_transaction(const Transaction& tx,
                         const std::function<Result<uint64_t>(StreamId, uint64_t)>& version_of) {
  std::unordered_map<StreamId, uint64_t, StreamIdHash> tx_versions;
  for (size_t i = 0; i < tx.events.size(); ++i) {
    const PendingEvent& pe = tx.events[i];
    if (pe.stream.category == Category::None)
      return invalid("event " + std::to_string(i) + " has no stream category");
    if (pe.payload.type == ev::Payload::NONE)
      return invalid("event " + std::to_string(i) + " has no payload");
    uint64_t current = 0;
    if (auto t = tx_versions.find(pe.stream); t != tx_versions.end()) {
      current = t->second;
    } else {
      auto v = version_of(pe.stream, pe.expected_version);
      if (!v) return v.status();
      current = *v;
    }
    if (pe.expected_version != current)
      return conflict("stream " + stream_text(pe.stream) + " is at version " + std::to_string(current) +
                      ", expected " + std::to_string(pe.expected_version));
    tx_versions[pe.stream] = current + 1;
  }
  return Status::ok();
}

}  // namespace almanac::storage
