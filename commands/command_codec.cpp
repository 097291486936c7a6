#include "commands/command_codec.hpp"

#include <flatbuffers/flatbuffers.h>

#include <cstring>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace almanac::cmd {

namespace {

constexpr uint8_t kCommandTag = 'C';
constexpr uint8_t kResultTag = 'R';
constexpr uint8_t kFormat = 1;
constexpr uint32_t kCommandKinds = std::variant_size_v<Command>;

template <typename T>
concept HasFields = requires(T& c) { fields(c); };

// Every alternative of Command needs its fields() line in the header.
template <size_t... I>
constexpr bool all_have_fields(std::index_sequence<I...>) {
  return (HasFields<std::variant_alternative_t<I, Command>> && ...);
}
static_assert(all_have_fields(std::make_index_sequence<kCommandKinds>()),
              "a command without its fields() line in commands/command_codec.hpp cannot be forwarded");

template <typename T>
concept FlatTable = requires { typename T::TableType; };

// Little-endian integers, length-prefixed strings and lists.
class Out {
 public:
  std::string bytes;

  void u8(uint8_t v) { bytes.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void blob(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes.append(s);
  }

  void put(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void put(uint64_t v) { u64(v); }
  void put(uint32_t v) { u32(v); }
  void put(bool v) { u8(v ? 1 : 0); }
  void put(const std::string& s) { blob(s); }
  template <typename T>
  void put(const std::optional<T>& v) {
    u8(v ? 1 : 0);
    if (v) put(*v);
  }
  template <typename E>
    requires std::is_enum_v<E>
  void put(E e) {
    u64(static_cast<uint64_t>(static_cast<int64_t>(e)));
  }
  template <FlatTable T>
  void put(const T& table) {
    flatbuffers::FlatBufferBuilder fbb(256);
    fbb.Finish(T::TableType::Pack(fbb, &table));
    blob({reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()});
  }
  template <typename T>
  void put(const std::vector<T>& list) {
    u32(static_cast<uint32_t>(list.size()));
    for (const T& item : list) put(item);
  }
  // A struct of fields (a command, or a ScheduleEvent inside one). fields()
  // hands out references for reading and writing alike; encoding only reads.
  template <HasFields T>
  void put(const T& c) {
    std::apply([&](const auto&... f) { (put(f), ...); }, fields(const_cast<T&>(c)));
  }
};

class In {
 public:
  explicit In(std::string_view b) : b_(b) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && b_.empty(); }

  uint8_t u8() {
    if (!need(1)) return 0;
    uint8_t v = static_cast<uint8_t>(b_[0]);
    b_.remove_prefix(1);
    return v;
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b_[i]);
    b_.remove_prefix(4);
    return v;
  }
  uint64_t u64() {
    if (!need(8)) return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b_[i]);
    b_.remove_prefix(8);
    return v;
  }
  std::string_view blob() {
    const uint32_t n = u32();
    if (!need(n)) return {};
    std::string_view v = b_.substr(0, n);
    b_.remove_prefix(n);
    return v;
  }

  void get(int64_t& v) { v = static_cast<int64_t>(u64()); }
  void get(uint64_t& v) { v = u64(); }
  void get(uint32_t& v) { v = u32(); }
  void get(bool& v) { v = u8() != 0; }
  void get(std::string& s) { s = std::string(blob()); }
  template <typename T>
  void get(std::optional<T>& v) {
    if (u8()) {
      T value{};
      get(value);
      v = std::move(value);
    } else {
      v.reset();
    }
  }
  template <typename E>
    requires std::is_enum_v<E>
  void get(E& e) {
    e = static_cast<E>(static_cast<int64_t>(u64()));
  }
  template <FlatTable T>
  void get(T& table) {
    const std::string_view b = blob();
    if (!ok_) return;
    // A copy, so that the table's scalars are aligned as FlatBuffers reads them.
    std::vector<uint8_t> copy(b.begin(), b.end());
    flatbuffers::Verifier v(copy.data(), copy.size());
    if (copy.empty() || !v.VerifyBuffer<typename T::TableType>(nullptr)) {
      ok_ = false;
      return;
    }
    table = T();
    flatbuffers::GetRoot<typename T::TableType>(copy.data())->UnPackTo(&table);
  }
  template <typename T>
  void get(std::vector<T>& list) {
    const uint32_t n = u32();
    list.clear();
    // Each item takes at least a byte: a count past the input is damage.
    if (!ok_ || n > b_.size()) {
      ok_ = false;
      return;
    }
    list.resize(n);
    for (T& item : list) get(item);
  }
  template <HasFields T>
  void get(T& c) {
    std::apply([&](auto&... f) { (get(f), ...); }, fields(c));
  }

 private:
  bool need(size_t n) {
    if (!ok_ || b_.size() < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  std::string_view b_;
  bool ok_ = true;
};

template <size_t I = 0>
bool get_alternative(In& in, uint32_t index, Command& out) {
  if constexpr (I == kCommandKinds) {
    return false;
  } else {
    if (index != I) return get_alternative<I + 1>(in, index, out);
    std::variant_alternative_t<I, Command> c{};
    in.get(c);
    out = std::move(c);
    return true;
  }
}

Status unreadable(const char* what) { return invalid(std::string("a forwarded ") + what + " does not read"); }

}  // namespace

std::string encode_command(const CommandEnvelope& c) {
  Out out;
  out.u8(kCommandTag);
  out.u8(kFormat);
  out.u32(kCommandKinds);
  out.put(c.actor_id);
  out.put(c.correlation_id);
  out.put(c.idempotency_key);
  out.u8(c.expected_version ? 1 : 0);
  if (c.expected_version) out.u64(*c.expected_version);
  out.u32(static_cast<uint32_t>(c.command.index()));
  std::visit([&](const auto& alternative) { out.put(alternative); }, c.command);
  return std::move(out.bytes);
}

Result<CommandEnvelope> decode_command(std::string_view bytes) {
  In in(bytes);
  if (in.u8() != kCommandTag || !in.ok()) return unreadable("command");
  const uint8_t format = in.u8();
  const uint32_t kinds = in.u32();
  if (!in.ok()) return unreadable("command");
  if (format != kFormat || kinds != kCommandKinds)
    return failed_precondition("the forwarded command comes from another build (format " + std::to_string(format) +
                               ", " + std::to_string(kinds) + " kinds of command; this one reads format " +
                               std::to_string(kFormat) + ", " + std::to_string(kCommandKinds) +
                               "): run the same build on every node");
  CommandEnvelope c;
  in.get(c.actor_id);
  in.get(c.correlation_id);
  in.get(c.idempotency_key);
  if (in.u8()) c.expected_version = in.u64();
  const uint32_t index = in.u32();
  if (!in.ok() || !get_alternative(in, index, c.command) || !in.done()) return unreadable("command");
  return c;
}

std::string encode_result(const CommandResult& r) {
  Out out;
  out.u8(kResultTag);
  out.u8(kFormat);
  out.u8(static_cast<uint8_t>(r.status.code()));
  out.u32(static_cast<uint32_t>(r.status.reason()));
  out.blob(r.status.message());
  out.blob(r.status.field());
  out.put(r.duplicate);
  out.u32(static_cast<uint32_t>(r.events.size()));
  for (const Envelope& e : r.events) out.blob(encode(e));
  return std::move(out.bytes);
}

Result<CommandResult> decode_result(std::string_view bytes) {
  In in(bytes);
  if (in.u8() != kResultTag || in.u8() != kFormat || !in.ok()) return unreadable("result");
  CommandResult r;
  const uint8_t code = in.u8();
  const uint32_t reason = in.u32();
  std::string message(in.blob());
  std::string field(in.blob());
  in.get(r.duplicate);
  const uint32_t n = in.u32();
  if (!in.ok() || code > static_cast<uint8_t>(Code::kDataLoss) || n > bytes.size()) return unreadable("result");
  if (code != static_cast<uint8_t>(Code::kOk))
    r.status = Status(static_cast<Code>(code), std::move(message), std::move(field), static_cast<Reason>(reason));
  r.events.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    const std::string_view b = in.blob();
    if (!in.ok()) return unreadable("result");
    auto e = decode(std::string(b));
    if (!e) return unreadable("result");
    r.events.push_back(std::move(e).value());
  }
  if (!in.done()) return unreadable("result");
  return r;
}

}  // namespace almanac::cmd
