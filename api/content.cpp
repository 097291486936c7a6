#include "api/content.hpp"

#include <boost/beast/version.hpp>

namespace almanac::api {

namespace {

bool has_type(std::string_view header, std::string_view type) {
  return header.find(type) != std::string_view::npos;
}

}  // namespace

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

Result<json> parse_body(const Request& req) {
  const std::string& body = req.body();
  std::string_view type = req[http::field::content_type];
  if (has_type(type, "application/x-www-form-urlencoded")) {
    json form = json::object();
    std::string_view rest = body;
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      if (pair.empty()) continue;
      size_t eq = pair.find('=');
      std::string key = url_decode(pair.substr(0, eq));
      form[key] = eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    }
    if (!is_utf8(form)) return invalid("the form is not valid UTF-8", "body");
    return form;
  }
  if (body.empty()) return json(nullptr);
  if (has_type(type, "application/x-msgpack") || has_type(type, "application/msgpack")) {
    json j = json::from_msgpack(body, true, false);
    if (j.is_discarded()) return invalid("the body is not valid MessagePack", "body");
    if (!is_utf8(j)) return invalid("a string in the body is not valid UTF-8", "body");
    return j;
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return invalid("the body is not valid JSON", "body");
  return j;
}

bool is_utf8(const json& value) {
  try {
    (void)value.dump();  // the strict serialiser refuses invalid UTF-8
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

bool wants_msgpack(const Request& req) {
  std::string_view accept = req[http::field::accept];
  return has_type(accept, "application/x-msgpack") || has_type(accept, "application/msgpack");
}

Response make_response(const Request& req, http::status status, const json& body) {
  Response res{status, req.version()};
  res.set(http::field::server, "almanac");
  if (wants_msgpack(req)) {
    auto bytes = json::to_msgpack(body);
    res.set(http::field::content_type, "application/x-msgpack");
    res.body().assign(bytes.begin(), bytes.end());
  } else {
    res.set(http::field::content_type, "application/json");
    res.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

Response make_empty(const Request& req, http::status status) {
  Response res{status, req.version()};
  res.set(http::field::server, "almanac");
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

}  // namespace almanac::api
