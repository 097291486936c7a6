#include "events/event_store.hpp"

namespace almanac {

Result<std::vector<Envelope>> EventStore::read(uint64_t from, uint64_t limit) const {
  std::vector<Envelope> out;
  Status bad;
  Status s = scan(from, limit, [&](uint64_t position, std::string_view bytes) {
    auto e = decode(bytes);
    if (!e) {
      bad = data_loss("position " + std::to_string(position) + ": " + e.status().message());
      return false;
    }
    out.push_back(std::move(e).value());
    return true;
  });
  if (!s) return s;
  if (!bad) return bad;
  return out;
}

}  // namespace almanac
