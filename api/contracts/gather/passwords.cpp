#include "api/contracts/gather/passwords.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace almanac::api::gather {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool atext(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+/=?^_`{}|~-").find(static_cast<char>(c)) != std::string_view::npos;
}

// A dot-atom: atoms of atext separated by single dots.
bool dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (s[i + 1] == '.') return false;
    } else if (c >= 0x80 || !atext(c)) {
      return false;
    }
  }
  return true;
}

// A quoted local part: "..." of printable characters, with \ escapes.
bool quoted(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (++i + 1 >= s.size()) return false;
    } else if (c < 0x20 || c == '"' || c >= 0x7f) {
      return false;
    }
  }
  return true;
}

bool label(std::string_view l, bool top) {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  if (!std::all_of(l.begin(), l.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; })) return false;
  return !top || l.size() >= 2;
}

bool domain(std::string_view d) {
  if (d.size() > 2 && d.front() == '[' && d.back() == ']') {  // an address literal: [192.0.2.1]
    std::string_view ip = d.substr(1, d.size() - 2);
    int parts = 0;
    for (size_t start = 0; start <= ip.size();) {
      size_t dot = ip.find('.', start);
      std::string_view part = ip.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), ::isdigit) || std::stoi(std::string(part)) > 255)
        return false;
      ++parts;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    return parts == 4;
  }
  // At least two labels: Django's domain pattern wants a top-level label.
  size_t last = d.rfind('.');
  if (last == std::string_view::npos) return false;
  for (size_t start = 0;;) {
    size_t dot = d.find('.', start);
    if (dot == std::string_view::npos) return label(d.substr(start), true);
    if (!label(d.substr(start, dot - start), false)) return false;
    start = dot + 1;
  }
}

// The longest common block of a[alo, ahi) and b[blo, bhi), as difflib finds it.
struct Block {
  size_t a = 0, b = 0, size = 0;
};
Block longest_match(std::string_view a, std::string_view b, size_t alo, size_t ahi, size_t blo, size_t bhi) {
  Block best{alo, blo, 0};
  std::vector<size_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
  for (size_t i = alo; i < ahi; ++i) {
    std::fill(cur.begin(), cur.end(), 0);
    for (size_t j = blo; j < bhi; ++j) {
      if (a[i] != b[j]) continue;
      cur[j + 1] = (j > blo ? prev[j] : 0) + 1;
      if (cur[j + 1] > best.size) best = {i + 1 - cur[j + 1], j + 1 - cur[j + 1], cur[j + 1]};
    }
    std::swap(prev, cur);
  }
  return best;
}

size_t matches(std::string_view a, std::string_view b, size_t alo, size_t ahi, size_t blo, size_t bhi) {
  Block m = longest_match(a, b, alo, ahi, blo, bhi);
  if (m.size == 0) return 0;
  return m.size + matches(a, b, alo, m.a, blo, m.b) + matches(a, b, m.a + m.size, ahi, m.b + m.size, bhi);
}

// Splits on runs of characters that are not letters, digits or '_' (\W+).
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c >= 0x80) {
      cur += static_cast<char>(c);
    } else {
      out.push_back(cur);
      cur.clear();
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

bool valid_email(std::string_view email) {
  if (email.empty() || email.size() > 320) return false;
  size_t at = email.rfind('@');
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view user = email.substr(0, at), host = email.substr(at + 1);
  return (dot_atom(user) || quoted(user)) && domain(host);
}

double similarity(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  return 2.0 * static_cast<double>(matches(a, b, 0, a.size(), 0, b.size())) / static_cast<double>(a.size() + b.size());
}

std::vector<std::string> password_problems(const auth::NewUser& user) {
  std::vector<std::string> out;
  const std::string& password = user.password;
  const std::string pw = lower(password);
  // UserAttributeSimilarityValidator: each attribute and each of its words.
  const std::pair<const std::string*, const char*> attributes[] = {
      {&user.username, "username"}, {&user.first_name, "first name"}, {&user.last_name, "last name"}, {&user.email, "email address"}};
  for (const auto& [value, name] : attributes) {
    if (value->empty()) continue;
    std::vector<std::string> parts = words(*value);
    parts.push_back(*value);
    const bool similar = std::any_of(parts.begin(), parts.end(), [&](const std::string& part) {
      return !part.empty() && similarity(pw, lower(part)) >= 0.7;
    });
    if (similar) {
      out.push_back(std::string("The password is too similar to the ") + name + ".");
      break;
    }
  }
  if (code_points(password) < 8) out.push_back("This password is too short. It must contain at least 8 characters.");
  const auto& common = common_passwords();
  const std::string trimmed = [&] {
    std::string t = pw;
    t.erase(0, t.find_first_not_of(" \t\r\n"));
    t.erase(t.find_last_not_of(" \t\r\n") + 1);
    return t;
  }();
  static const std::unordered_set<std::string_view> kCommon(common.begin(), common.end());
  if (kCommon.count(trimmed)) out.push_back("This password is too common.");
  if (!password.empty() && std::all_of(password.begin(), password.end(), [](unsigned char c) { return std::isdigit(c); }))
    out.push_back("This password is entirely numeric.");
  return out;
}

void registration_rules(const auth::NewUser& user, const Loc& base, std::vector<Problem>& problems) {
  auto at = [&](const char* field) {
    Loc loc = base;
    loc.push_back(field);
    return loc;
  };
  if (!valid_email(user.email)) problems.push_back(Problem::because(at("email"), "Enter a valid email address."));
  for (std::string& reason : password_problems(user)) problems.push_back(Problem::because(at("password"), std::move(reason)));
  // The bound every contract's passwords share, so that hashing stays bounded.
  if (code_points(user.password) > auth::kMaxPasswordLength) problems.push_back(Problem::because(at("password"), "Ensure this field has no more than 128 characters."));
}

}  // namespace almanac::api::gather
