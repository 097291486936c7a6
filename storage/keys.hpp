// Key and value layouts of the RocksDB event log: the one place in code that
// encodes them. docs/storage-format.md describes the same bytes in prose; a
// change here is a change of the on-disk format and must be made there too.
//
// All integers are big-endian so that RocksDB's bytewise key order equals the
// numeric order. Signed ids have their sign bit flipped first (offset binary)
// so negative ids, should they ever appear, sort before positive ones.
// Everything here is pure and thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "events/event.hpp"

namespace almanac::storage::keys {

// Column family names.
inline constexpr const char* kLogFamily = "log";
inline constexpr const char* kStreamsFamily = "streams";
inline constexpr const char* kMetaFamily = "meta";

inline constexpr size_t kPositionSize = 8;
inline constexpr size_t kStreamPrefixSize = 1 + 8;               // category + id
inline constexpr size_t kStreamKeySize = kStreamPrefixSize + 8;  // + version

// First byte of every `meta` key: which kind of record it is.
inline constexpr char kNamedTag = 'M';        // put_meta / get_meta values
inline constexpr char kIdempotencyTag = 'I';  // (actor, key) -> positions
inline constexpr char kInternalTag = 'S';     // the store's own records

// Internal records: the on-disk format version, and the position range of the
// last committed batch (written in that same batch; checked at open).
inline constexpr std::string_view kFormatRecord = "Sformat";
inline constexpr std::string_view kHeadRecord = "Shead";
inline constexpr std::string_view kFormatVersion = "1";

inline void put_u64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out.append(b, 8);
}

// Reads 8 big-endian bytes; the caller guarantees they are there.
inline uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

inline uint64_t ordered_i64(int64_t v) {
  return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
}
inline int64_t from_ordered_i64(uint64_t v) {
  return static_cast<int64_t>(v ^ (uint64_t{1} << 63));
}

// `log` key: the global position.
inline std::string position_key(uint64_t position) {
  std::string k;
  k.reserve(kPositionSize);
  put_u64(k, position);
  return k;
}

// `streams` key prefix shared by all versions of one stream.
inline std::string stream_prefix(StreamId stream) {
  std::string k;
  k.reserve(kStreamKeySize);
  k.push_back(static_cast<char>(stream.category));
  put_u64(k, ordered_i64(stream.id));
  return k;
}

// `streams` key: category byte, stream id, stream version.
inline std::string stream_key(StreamId stream, uint64_t version) {
  std::string k = stream_prefix(stream);
  put_u64(k, version);
  return k;
}

// Splits a `streams` key; false when it has the wrong length.
inline bool parse_stream_key(std::string_view k, StreamId* stream, uint64_t* version) {
  if (k.size() != kStreamKeySize) return false;
  stream->category = static_cast<Category>(static_cast<uint8_t>(k[0]));
  stream->id = from_ordered_i64(get_u64(k.data() + 1));
  *version = get_u64(k.data() + kStreamPrefixSize);
  return true;
}

// `meta` key of an idempotency record. The actor has a fixed width, so the
// key bytes that follow need no terminator and may hold any byte.
inline std::string idempotency_key(int64_t actor_id, std::string_view key) {
  std::string k;
  k.reserve(1 + 8 + key.size());
  k.push_back(kIdempotencyTag);
  put_u64(k, ordered_i64(actor_id));
  k.append(key);
  return k;
}

// `meta` key of a named value.
inline std::string named_key(std::string_view name) {
  std::string k;
  k.reserve(1 + name.size());
  k.push_back(kNamedTag);
  k.append(name);
  return k;
}

// Value of an idempotency record: the positions, 8 bytes each.
inline std::string encode_positions(const uint64_t* positions, size_t n) {
  std::string v;
  v.reserve(n * 8);
  for (size_t i = 0; i < n; ++i) put_u64(v, positions[i]);
  return v;
}

}  // namespace almanac::storage::keys
