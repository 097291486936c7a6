// Field tables: one table per request or response model drives parsing,
// validation and the model's OpenAPI schema, so the three cannot drift apart.
//
// A request model is a Model<T> over a plain struct T: each field names a
// member and a Spec (how to read one value: its type, bounds, whether it may
// be absent or null). Reading collects every problem (missing, wrong type,
// out of bounds, ...) with its location; the route's dialect words them
// (api/dialect.hpp). The member's type says what absence means:
//   V              required, or with .optional() the member keeps its default
//   std::optional  absent (or null when .nullable()) is nullopt
//   Patch<V>       absent, null and a value are told apart (partial updates)
//
// A response model is a Shape<View>: each field names how to render it from
// the view and its JSON Schema.
//
// Specs, models and shapes are built once (function-local statics in the
// contracts) and only read afterwards: safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "api/dialect.hpp"
#include "api/http.hpp"
#include "api/time_format.hpp"
#include "events/event.hpp"

namespace almanac::api {

using Loc = std::vector<std::string>;

// A member that tells an absent field from a null one (partial updates).
template <typename V>
struct Patch {
  enum State { kAbsent, kNull, kValue };
  State state = kAbsent;
  V value{};

  bool present() const { return state != kAbsent; }
  bool is_null() const { return state == kNull; }
  bool has_value() const { return state == kValue; }
};

// How to read one value of type V, and its JSON Schema.
template <typename V>
class Spec {
 public:
  // Reads a non-null value; `text` when it arrived as text (a path or query
  // parameter). On failure fills the problem's kind (and what its wording
  // needs) and returns nullopt; a value holding values of its own (a list, a
  // nested object) instead appends every problem inside it to `inner`.
  using Parse = std::function<std::optional<V>(const json& value, bool text, Problem& problem,
                                               std::vector<Problem>& inner)>;

  Spec(ValueType type, json schema, Parse parse)
      : type_(type), schema_(std::move(schema)), parse_(std::move(parse)) {}

  // May be absent. A member of type V then keeps its default, which the
  // schema shows when `fallback` is given.
  Spec& optional(std::optional<json> fallback = std::nullopt) {
    required_ = false;
    if (fallback) schema_["default"] = *fallback;
    return *this;
  }
  // May be null (and absent: a nullable field is optional).
  Spec& nullable() {
    nullable_ = true;
    required_ = false;
    return *this;
  }
  // Strings: length in characters (code points); lists: items.
  Spec& min_length(int64_t n) {
    min_length_ = n;
    schema_[type_ == ValueType::kList ? "minItems" : "minLength"] = n;
    return *this;
  }
  Spec& max_length(int64_t n) {
    max_length_ = n;
    schema_[type_ == ValueType::kList ? "maxItems" : "maxLength"] = n;
    return *this;
  }
  // Integers.
  Spec& at_least(int64_t n) { return lower(n, true); }
  Spec& greater_than(int64_t n) { return lower(n, false); }
  Spec& at_most(int64_t n) {
    max_ = n;
    schema_["maximum"] = n;
    return *this;
  }
  Spec& describe(std::string text) {
    schema_["description"] = std::move(text);
    return *this;
  }

  bool required() const { return required_; }
  bool is_nullable() const { return nullable_; }
  ValueType type() const { return type_; }

  // The schema, as anyOf [schema, null] when nullable.
  json schema() const {
    if (!nullable_) return schema_;
    json s = schema_;
    json out = json::object();
    for (const char* k : {"description", "default"})
      if (s.contains(k)) {
        out[k] = s[k];
        s.erase(k);
      }
    out["anyOf"] = json::array({std::move(s), {{"type", "null"}}});
    return out;
  }

  // Reads a present, non-null `value` at `loc`, checking the bounds; a
  // problem is appended on failure.
  std::optional<V> read(const json& value, bool text, const Loc& loc, std::vector<Problem>& problems) const {
    Problem p;
    p.type = type_;
    p.loc = loc;
    // A JSON string counts as text where Pydantic would parse it (numbers,
    // UUIDs); a boolean given as a JSON string is of the wrong type.
    p.text_input = text || (value.is_string() && type_ != ValueType::kBoolean);
    std::vector<Problem> inner;
    std::optional<V> out = parse_(value, text, p, inner);
    if (!inner.empty()) {
      problems.insert(problems.end(), std::make_move_iterator(inner.begin()), std::make_move_iterator(inner.end()));
      return std::nullopt;
    }
    if (out && !within_bounds(*out, p)) out.reset();
    if (!out) problems.push_back(std::move(p));
    return out;
  }

 private:
  Spec& lower(int64_t n, bool inclusive) {
    min_ = n;
    min_inclusive_ = inclusive;
    schema_[inclusive ? "minimum" : "exclusiveMinimum"] = n;
    return *this;
  }

  // False, with `p` saying which bound, when `v` is out of bounds.
  bool within_bounds(const V& v, Problem& p) const;

  ValueType type_;
  json schema_;
  Parse parse_;
  bool required_ = true;
  bool nullable_ = false;
  std::optional<int64_t> min_length_, max_length_, min_, max_;
  bool min_inclusive_ = true;
};

// Characters (code points) in UTF-8 text.
size_t code_points(std::string_view s);

template <typename V>
bool Spec<V>::within_bounds(const V& v, Problem& p) const {
  auto out_of = [&](Problem::Kind kind, int64_t bound, bool inclusive = true) {
    p.kind = kind;
    p.bound = bound;
    p.inclusive = inclusive;
    return false;
  };
  if constexpr (std::is_same_v<V, std::string>) {
    const auto n = static_cast<int64_t>(code_points(v));
    if (min_length_ && n < *min_length_) return out_of(Problem::kTooShort, *min_length_);
    if (max_length_ && n > *max_length_) return out_of(Problem::kTooLong, *max_length_);
  } else if constexpr (std::is_same_v<V, int64_t>) {
    if (min_ && (min_inclusive_ ? v < *min_ : v <= *min_)) return out_of(Problem::kTooSmall, *min_, min_inclusive_);
    if (max_ && v > *max_) return out_of(Problem::kTooBig, *max_);
  } else if constexpr (requires { v.size(); typename V::value_type; }) {
    const auto n = static_cast<int64_t>(v.size());
    if (min_length_ && n < *min_length_) return out_of(Problem::kTooShort, *min_length_);
    if (max_length_ && n > *max_length_) return out_of(Problem::kTooLong, *max_length_);
  }
  return true;
}

// ---- the field readers -------------------------------------------------------------

// A string.
Spec<std::string> text();
// An integer (from text too, for path and query parameters). Beyond the int64
// range it saturates, unless a bound refuses it.
Spec<int64_t> integer();
Spec<double> number();
// true / false (from text: true, false, 1, 0, yes, no, on, off).
Spec<bool> boolean();
Spec<ev::Uuid> uuid();
// An email address: one '@', a local part, a domain with a dot in it.
Spec<std::string> email();
// "YYYY-MM-DD": days since 1970-01-01.
Spec<int32_t> date();
// ISO 8601 date-time; ParsedTime::naive says whether it had no offset (what a
// naive time means, UTC or floating, is the contract's to say).
Spec<ParsedTime> date_time();
// A JSON object of at most `max_bytes` when encoded.
Spec<json> object(size_t max_bytes);

// One of `values` (their text as sent on the wire).
template <typename E>
Spec<E> one_of(std::vector<std::pair<std::string, E>> values) {
  json names = json::array();
  std::vector<std::string> allowed;
  for (const auto& [name, v] : values) {
    names.push_back(name);
    allowed.push_back(name);
  }
  return Spec<E>(ValueType::kEnum, {{"type", "string"}, {"enum", names}},
                 [values = std::move(values), allowed = std::move(allowed)](
                     const json& j, bool, Problem& p, std::vector<Problem>&) -> std::optional<E> {
                   if (j.is_string())
                     for (const auto& [name, v] : values)
                       if (j.get_ref<const std::string&>() == name) return v;
                   p.kind = Problem::kNotAllowed;
                   p.allowed = allowed;
                   p.given = j.is_string() ? j.get<std::string>() : j.dump();
                   return std::nullopt;
                 });
}

// A list of `item`; every problem of every item is reported, at its index.
template <typename V>
Spec<std::vector<V>> list_of(Spec<V> item) {
  json schema = {{"type", "array"}, {"items", item.schema()}};
  return Spec<std::vector<V>>(
      ValueType::kList, std::move(schema),
      [item = std::move(item)](const json& j, bool, Problem& p,
                               std::vector<Problem>& inner) -> std::optional<std::vector<V>> {
        if (!j.is_array()) {
          p.kind = Problem::kType;
          p.given = j.type_name();
          return std::nullopt;
        }
        std::vector<V> out;
        for (size_t i = 0; i < j.size(); ++i) {
          Loc at = p.loc;
          at.push_back(std::to_string(i));
          if (j[i].is_null()) {
            inner.push_back(Problem::at(Problem::kNull, item.type(), std::move(at)));
            continue;
          }
          if (auto v = item.read(j[i], false, at, inner)) out.push_back(std::move(*v));
        }
        return out;
      });
}

// A list of `item` written as one text of comma-separated values
// ("TODO,IDEA"), the way a query parameter carries a list. White space
// around a value is ignored and empty values are skipped; every value `item`
// refuses is a problem of the list's own location.
template <typename V>
Spec<std::vector<V>> comma_separated(Spec<V> item) {
  json schema = {{"type", "string"},
                 {"description", "comma-separated: " + item.schema().dump()}};
  return Spec<std::vector<V>>(
      ValueType::kList, std::move(schema),
      [item = std::move(item)](const json& j, bool, Problem& p,
                               std::vector<Problem>& inner) -> std::optional<std::vector<V>> {
        if (!j.is_string()) {
          p.kind = Problem::kType;
          p.given = j.type_name();
          return std::nullopt;
        }
        std::vector<V> out;
        std::string_view rest = j.get_ref<const std::string&>();
        while (true) {
          const size_t comma = rest.find(',');
          std::string_view part = rest.substr(0, comma);
          while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
          while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
          if (!part.empty())
            if (auto v = item.read(json(std::string(part)), true, p.loc, inner)) out.push_back(std::move(*v));
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
        return out;
      });
}

// ---- request models ---------------------------------------------------------------------

template <typename T>
class Model {
 public:
  explicit Model(std::string title) : title_(std::move(title)) {}

  // A field read into `member` with `spec` (see the header comment for what
  // the member's type means).
  template <typename M, typename V>
  Model& field(std::string name, M T::*member, Spec<V> spec) {
    Entry e;
    e.name = name;
    e.schema = spec.schema();
    e.required = spec.required();
    e.read = [name, member, spec = std::move(spec)](const json& object, T& out, const Loc& base,
                                                   std::vector<Problem>& problems) {
      Loc loc = base;
      loc.push_back(name);
      auto it = object.find(name);
      const bool absent = it == object.end();
      if (absent || it->is_null()) {
        if ((absent && spec.required()) || (!absent && !spec.is_nullable())) {
          problems.push_back(Problem::at(absent ? Problem::kMissing : Problem::kNull, spec.type(), std::move(loc)));
          return;
        }
        if constexpr (std::is_same_v<M, Patch<V>>) (out.*member).state = absent ? M::kAbsent : M::kNull;
        else if constexpr (std::is_same_v<M, std::optional<V>>) (out.*member).reset();
        return;
      }
      auto v = spec.read(*it, false, loc, problems);
      if (!v) return;
      if constexpr (std::is_same_v<M, Patch<V>>) {
        (out.*member).state = M::kValue;
        (out.*member).value = std::move(*v);
      } else {
        out.*member = std::move(*v);
      }
    };
    entries_.push_back(std::move(e));
    return *this;
  }

  // A rule across fields, checked once every field read without a problem.
  Model& rule(std::function<void(const T&, const Loc& base, std::vector<Problem>&)> check) {
    rules_.push_back(std::move(check));
    return *this;
  }

  // Reads the JSON object `object` into a T; problems are located under `base`.
  T read(const json& object, const Loc& base, std::vector<Problem>& problems) const {
    T out{};
    const size_t before = problems.size();
    for (const Entry& e : entries_) e.read(object, out, base, problems);
    if (problems.size() == before)
      for (const auto& check : rules_) check(out, base, problems);
    return out;
  }

  json schema() const {
    json props = json::object();
    json required = json::array();
    for (const Entry& e : entries_) {
      props[e.name] = e.schema;
      if (e.required) required.push_back(e.name);
    }
    json s = {{"title", title_}, {"type", "object"}, {"properties", std::move(props)}};
    if (!required.empty()) s["required"] = std::move(required);
    return s;
  }

  const std::string& title() const { return title_; }

 private:
  struct Entry {
    std::string name;
    json schema;
    bool required = true;
    std::function<void(const json&, T&, const Loc&, std::vector<Problem>&)> read;
  };
  std::string title_;
  std::vector<Entry> entries_;
  std::vector<std::function<void(const T&, const Loc&, std::vector<Problem>&)>> rules_;
};

// A nested object read with `model`; its problems are reported at their own
// locations.
template <typename T>
Spec<T> nested(const Model<T>& model) {
  return Spec<T>(ValueType::kObject, model.schema(),
                 [&model](const json& j, bool, Problem& p, std::vector<Problem>& inner) -> std::optional<T> {
                   if (!j.is_object()) {
                     p.kind = Problem::kType;
                     p.given = j.type_name();
                     return std::nullopt;
                   }
                   return model.read(j, p.loc, inner);
                 });
}

// ---- response models ----------------------------------------------------------------

// JSON Schemas for response fields.
namespace schema {
json integer();
json string(const char* format = nullptr);
json boolean();
json number();
json object();
json nullable(json s);
json array(json items);
json enumeration(std::initializer_list<const char*> values);
}  // namespace schema

template <typename View>
class Shape {
 public:
  using Get = std::function<json(const View&)>;

  explicit Shape(std::string title) : title_(std::move(title)) {}

  // A field rendered by `get`, documented by `schema`. Every field of a
  // response is always present (null when the view has no value).
  Shape& field(std::string name, json schema, Get get) {
    fields_.push_back({std::move(name), std::move(schema), std::move(get)});
    return *this;
  }

  json render(const View& v) const {
    json out = json::object();
    for (const auto& f : fields_) out[f.name] = f.get(v);
    return out;
  }

  json render_list(const std::vector<View>& views) const {
    json out = json::array();
    for (const View& v : views) out.push_back(render(v));
    return out;
  }

  json schema() const {
    json props = json::object();
    json required = json::array();
    for (const auto& f : fields_) {
      props[f.name] = f.schema;
      required.push_back(f.name);
    }
    return {{"title", title_}, {"type", "object"}, {"required", std::move(required)}, {"properties", std::move(props)}};
  }

  json list_schema() const { return schema::array(schema()); }

 private:
  struct Field {
    std::string name;
    json schema;
    Get get;
  };
  std::string title_;
  std::vector<Field> fields_;
};

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower-case hex.
std::string format_uuid(const ev::Uuid& uuid);
// The inverse; nullopt when `text` is not a UUID in that form (any case).
std::optional<ev::Uuid> parse_uuid(std::string_view text);

}  // namespace almanac::api
