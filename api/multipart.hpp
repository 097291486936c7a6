// multipart/form-data bodies (RFC 7578): the parts of an HTML form that
// carries files. Pure: no I/O; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/status.hpp"

namespace almanac::api {

struct FormPart {
  std::string name;
  std::optional<std::string> filename;  // set for a file
  std::string content_type;             // as the client declared it (never trusted for files)
  std::string data;
};

// The boundary named by a "multipart/form-data; boundary=..." Content-Type.
std::optional<std::string> multipart_boundary(std::string_view content_type);

// The parts of `body`; InvalidArgument (with what is wrong) when it is not a
// well-formed multipart body with that boundary.
Result<std::vector<FormPart>> parse_multipart(std::string_view boundary, std::string_view body);

}  // namespace almanac::api
