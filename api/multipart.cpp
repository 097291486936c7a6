#include "api/multipart.hpp"

#include <cctype>

namespace almanac::api {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of parameter `name` in "form-data; name="x"; filename="y"".
std::optional<std::string> parameter(std::string_view header, std::string_view name) {
  size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    std::string_view rest = trim(header.substr(pos + 1));
    size_t eq = rest.find('=');
    if (eq != std::string_view::npos && iequals(trim(rest.substr(0, eq)), name)) {
      std::string_view value = trim(rest.substr(eq + 1));
      if (!value.empty() && value.front() == '"') {
        std::string out;
        for (size_t i = 1; i < value.size(); ++i) {
          if (value[i] == '\\' && i + 1 < value.size()) {
            out += value[++i];
          } else if (value[i] == '"') {
            return out;
          } else {
            out += value[i];
          }
        }
        return std::nullopt;  // no closing quote
      }
      return std::string(value.substr(0, value.find(';')));
    }
    ++pos;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  size_t semi = content_type.find(';');
  if (!iequals(trim(content_type.substr(0, semi)), "multipart/form-data")) return std::nullopt;
  auto b = parameter(content_type, "boundary");
  if (!b || b->empty() || b->size() > 70) return std::nullopt;
  return b;
}

Result<std::vector<FormPart>> parse_multipart(std::string_view boundary, std::string_view body) {
  const std::string delimiter = "--" + std::string(boundary);
  std::vector<FormPart> parts;
  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return invalid("the body has no part with the declared boundary", "body");
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") return invalid("a multipart boundary line is not followed by CRLF", "body");
    pos += 2;
    size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return invalid("a multipart part has no end of headers", "body");
    FormPart part;
    bool disposition = false;
    for (size_t line = pos; line < headers_end;) {
      size_t eol = body.find("\r\n", line);
      if (eol == std::string_view::npos || eol > headers_end) eol = headers_end;
      std::string_view header = body.substr(line, eol - line);
      size_t colon = header.find(':');
      if (colon != std::string_view::npos) {
        std::string_view name = trim(header.substr(0, colon)), value = trim(header.substr(colon + 1));
        if (iequals(name, "Content-Disposition")) {
          if (!iequals(trim(value.substr(0, value.find(';'))), "form-data"))
            return invalid("a multipart part is not form-data", "body");
          auto n = parameter(value, "name");
          if (!n) return invalid("a multipart part has no name", "body");
          part.name = *n;
          part.filename = parameter(value, "filename");
          disposition = true;
        } else if (iequals(name, "Content-Type")) {
          part.content_type = std::string(value);
        }
      }
      line = eol + 2;
    }
    if (!disposition) return invalid("a multipart part has no Content-Disposition", "body");
    const size_t data = headers_end + 4;
    const size_t next = body.find("\r\n" + delimiter, data);
    if (next == std::string_view::npos) return invalid("the multipart body ends before its closing boundary", "body");
    part.data = std::string(body.substr(data, next - data));
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

}  // namespace almanac::api
