#include "api/router.hpp"

#include <algorithm>

#include "api/contract.hpp"

namespace almanac::api {

const std::string* PathParams::get(std::string_view name) const {
  for (const auto& [k, v] : values)
    if (k == name) return &v;
  return nullptr;
}

std::optional<std::string> Exchange::query_value(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return std::nullopt;
}

const Contract& Exchange::contract() const { return *route->contract; }

const Dialect& Exchange::dialect() const { return route->contract->dialect; }

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path[0] != '/') return parts;
  size_t start = 1;
  for (;;) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(path.substr(start));
      break;
    }
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

namespace {

bool is_int(std::string_view s) {
  return !s.empty() && s.size() <= 19 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Route& Router::add(Route route) {
  Compiled c;
  for (std::string_view part : split_path(route.pattern)) {
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      std::string_view inner = part.substr(1, part.size() - 2);
      size_t colon = inner.find(':');
      std::string name(inner.substr(0, colon));
      std::string_view type = colon == std::string_view::npos ? "" : inner.substr(colon + 1);
      Segment::Kind kind = type == "int" ? Segment::kInt : type == "uuid" ? Segment::kUuid : Segment::kAny;
      c.segments.push_back({kind, std::move(name)});
    } else {
      c.segments.push_back({Segment::kLiteral, std::string(part)});
    }
  }
  compiled_.push_back(std::move(c));
  routes_.push_back(std::move(route));
  return routes_.back();
}

void Router::set_prefix_owner(std::string prefix, const Contract& contract) {
  owners_.emplace_back(std::move(prefix), &contract);
  std::sort(owners_.begin(), owners_.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::optional<std::vector<int>> Router::score(const Compiled& c,
                                              const std::vector<std::string_view>& parts,
                                              PathParams* params) const {
  if (c.segments.size() != parts.size()) return std::nullopt;
  std::vector<int> scores;
  scores.reserve(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    const Segment& s = c.segments[i];
    std::string_view p = parts[i];
    switch (s.kind) {
      case Segment::kLiteral:
        if (p != s.text) return std::nullopt;
        scores.push_back(3);
        break;
      case Segment::kInt:
        if (!is_int(p)) return std::nullopt;
        scores.push_back(2);
        break;
      case Segment::kUuid:
        if (!is_uuid(p)) return std::nullopt;
        scores.push_back(2);
        break;
      case Segment::kAny:
        if (p.empty()) return std::nullopt;
        scores.push_back(1);
        break;
    }
  }
  if (params) {
    params->values.clear();
    for (size_t i = 0; i < parts.size(); ++i)
      if (c.segments[i].kind != Segment::kLiteral)
        params->values.emplace_back(c.segments[i].text, std::string(parts[i]));
  }
  return scores;
}

Router::Match Router::match(http::verb method, std::string_view path) const {
  Match m;
  auto parts = split_path(path);
  std::optional<std::vector<int>> best_score, best_any_score;
  std::vector<const Route*> any_method;
  for (size_t i = 0; i < routes_.size(); ++i) {
    auto s = score(compiled_[i], parts, nullptr);
    if (!s) continue;
    any_method.push_back(&routes_[i]);
    if (routes_[i].method != method) continue;
    if (!best_score || *s > *best_score) {
      best_score = s;
      m.route = &routes_[i];
    }
  }
  if (m.route) {
    m.kind = Match::kFound;
    score(compiled_[m.route - routes_.data()], parts, &m.params);
    m.owner = m.route->contract;
    return m;
  }
  if (!any_method.empty()) {
    m.kind = Match::kWrongMethod;
    std::vector<std::string> methods;
    for (const Route* r : any_method) methods.emplace_back(http::to_string(r->method));
    std::sort(methods.begin(), methods.end());
    methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
    for (const auto& name : methods) m.allow += (m.allow.empty() ? "" : ", ") + name;
    m.owner = any_method.front()->contract;
    return m;
  }
  // The same path with the trailing slash toggled?
  std::string toggled(path);
  if (toggled.size() > 1 && toggled.back() == '/')
    toggled.pop_back();
  else
    toggled += '/';
  auto toggled_parts = split_path(toggled);
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (score(compiled_[i], toggled_parts, nullptr)) {
      m.kind = Match::kRedirect;
      m.location = toggled;
      m.owner = routes_[i].contract;
      return m;
    }
  }
  m.kind = Match::kNotFound;
  m.owner = fallback_;
  for (const auto& [prefix, contract] : owners_)
    if (path.substr(0, prefix.size()) == prefix) {
      m.owner = contract;
      break;
    }
  return m;
}

}  // namespace almanac::api
