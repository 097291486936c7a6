#include "api/fields.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace almanac::api {

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) ++n;
  return n;
}

namespace {

template <typename V>
std::optional<V> wrong_type(const json& j, Problem& p) {
  p.kind = Problem::kType;
  p.given = j.is_string() ? j.get<std::string>() : std::string(j.type_name());
  return std::nullopt;
}

// Decimal digits with an optional sign; beyond int64 the value saturates.
std::optional<int64_t> integer_text(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (ec == std::errc::result_out_of_range || v > kMax)
    return negative ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

bool valid_email(std::string_view e) {
  if (e.size() < 3 || e.size() > 254) return false;
  for (unsigned char ch : e)
    if (ch <= ' ' || ch == 0x7f) return false;
  size_t at = e.find('@');
  if (at == std::string_view::npos || at == 0 || e.find('@', at + 1) != std::string_view::npos) return false;
  std::string_view domain = e.substr(at + 1);
  size_t dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size()) return false;
  return domain.front() != '.' && domain.find("..") == std::string_view::npos;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Spec<std::string> text() {
  return Spec<std::string>(ValueType::kString, {{"type", "string"}},
                           [](const json& j, bool, Problem& p, std::vector<Problem>&) -> std::optional<std::string> {
                             if (!j.is_string()) return wrong_type<std::string>(j, p);
                             return j.get<std::string>();
                           });
}

Spec<int64_t> integer() {
  return Spec<int64_t>(ValueType::kInteger, {{"type", "integer"}},
                       [](const json& j, bool text, Problem& p, std::vector<Problem>&) -> std::optional<int64_t> {
                         if (text && j.is_string())
                           if (auto v = integer_text(j.get_ref<const std::string&>())) return v;
                         if (j.is_number_integer()) {
                           if (j.is_number_unsigned() &&
                               j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                             return std::numeric_limits<int64_t>::max();
                           return j.get<int64_t>();
                         }
                         return wrong_type<int64_t>(j, p);
                       });
}

Spec<double> number() {
  return Spec<double>(ValueType::kNumber, {{"type", "number"}},
                      [](const json& j, bool text, Problem& p, std::vector<Problem>&) -> std::optional<double> {
                        if (j.is_number()) return j.get<double>();
                        if (text && j.is_string()) {
                          const std::string& s = j.get_ref<const std::string&>();
                          double v = 0;
                          auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
                          if (!s.empty() && ec == std::errc() && end == s.data() + s.size() && std::isfinite(v))
                            return v;
                        }
                        return wrong_type<double>(j, p);
                      });
}

Spec<bool> boolean() {
  return Spec<bool>(ValueType::kBoolean, {{"type", "boolean"}},
                    [](const json& j, bool text, Problem& p, std::vector<Problem>&) -> std::optional<bool> {
                      if (j.is_boolean()) return j.get<bool>();
                      if (text && j.is_string()) {
                        const std::string& s = j.get_ref<const std::string&>();
                        for (const char* yes : {"true", "True", "1", "yes", "on"})
                          if (s == yes) return true;
                        for (const char* no : {"false", "False", "0", "no", "off"})
                          if (s == no) return false;
                      }
                      return wrong_type<bool>(j, p);
                    });
}

Spec<ev::Uuid> uuid() {
  return Spec<ev::Uuid>(ValueType::kUuid, {{"type", "string"}, {"format", "uuid"}},
                        [](const json& j, bool, Problem& p, std::vector<Problem>&) -> std::optional<ev::Uuid> {
                          if (j.is_string())
                            if (auto u = parse_uuid(j.get_ref<const std::string&>())) return u;
                          return wrong_type<ev::Uuid>(j, p);
                        });
}

Spec<std::string> email() {
  return Spec<std::string>(ValueType::kEmail, {{"type", "string"}, {"format", "email"}},
                           [](const json& j, bool, Problem& p, std::vector<Problem>&) -> std::optional<std::string> {
                             if (!j.is_string()) {
                               p.kind = Problem::kType;
                               p.type = ValueType::kString;
                               return std::nullopt;
                             }
                             const std::string& s = j.get_ref<const std::string&>();
                             if (valid_email(s)) return s;
                             p.kind = Problem::kType;
                             p.given = s;
                             p.message = s.find('@') == std::string::npos
                                             ? "An email address must have an @-sign."
                                             : "The part after the @-sign is not valid.";
                             return std::nullopt;
                           });
}

Spec<int32_t> date() {
  return Spec<int32_t>(ValueType::kDate, {{"type", "string"}, {"format", "date"}},
                       [](const json& j, bool, Problem& p, std::vector<Problem>&) -> std::optional<int32_t> {
                         if (j.is_string())
                           if (auto d = parse_date(j.get_ref<const std::string&>())) return d;
                         return wrong_type<int32_t>(j, p);
                       });
}

Spec<ParsedTime> date_time() {
  return Spec<ParsedTime>(ValueType::kDateTime, {{"type", "string"}, {"format", "date-time"}},
                          [](const json& j, bool, Problem& p, std::vector<Problem>&) -> std::optional<ParsedTime> {
                            if (j.is_string())
                              if (auto t = parse_datetime(j.get_ref<const std::string&>())) return t;
                            return wrong_type<ParsedTime>(j, p);
                          });
}

Spec<json> object(size_t max_bytes) {
  return Spec<json>(ValueType::kObject, {{"type", "object"}},
                    [max_bytes](const json& j, bool, Problem& p, std::vector<Problem>&) -> std::optional<json> {
                      if (!j.is_object()) return wrong_type<json>(j, p);
                      if (j.dump().size() > max_bytes) {
                        p.kind = Problem::kTooLarge;
                        p.bound = static_cast<int64_t>(max_bytes);
                        return std::nullopt;
                      }
                      return j;
                    });
}

namespace schema {
json integer() { return {{"type", "integer"}}; }
json string(const char* format) {
  json s = {{"type", "string"}};
  if (format) s["format"] = format;
  return s;
}
json boolean() { return {{"type", "boolean"}}; }
json number() { return {{"type", "number"}}; }
json object() { return {{"type", "object"}}; }
json nullable(json s) { return {{"anyOf", json::array({std::move(s), {{"type", "null"}}})}}; }
json array(json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
json enumeration(std::initializer_list<const char*> values) {
  json names = json::array();
  for (const char* v : values) names.push_back(v);
  return {{"type", "string"}, {"enum", std::move(names)}};
}
}  // namespace schema

std::string format_uuid(const ev::Uuid& uuid) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  auto put = [&](uint64_t v, int from_nibble, int count) {
    for (int i = from_nibble; i < from_nibble + count; ++i) out.push_back(kHex[(v >> (60 - 4 * i)) & 0xF]);
  };
  const uint64_t hi = uuid.hi(), lo = uuid.lo();
  put(hi, 0, 8);
  out.push_back('-');
  put(hi, 8, 4);
  out.push_back('-');
  put(hi, 12, 4);
  out.push_back('-');
  put(lo, 0, 4);
  out.push_back('-');
  put(lo, 4, 12);
  return out;
}

std::optional<ev::Uuid> parse_uuid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  uint64_t half[2] = {0, 0};
  int nibble = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    const int v = hex_value(text[i]);
    if (v < 0) return std::nullopt;
    uint64_t& h = half[nibble / 16];
    h = (h << 4) | static_cast<uint64_t>(v);
    ++nibble;
  }
  return ev::Uuid(half[0], half[1]);
}

}  // namespace almanac::api
