// multipart/form-data parsing (api/multipart): the boundary from a
// Content-Type, then the parts of a body. The first line of an input is the
// Content-Type, the rest the body.
//
// Fails on: a crash or sanitizer report; a part whose bytes are not inside
// the body; a body accepted under a boundary it does not contain.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "api/multipart.hpp"

using namespace almanac;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nl = input.find('\n');
  const std::string_view content_type = input.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);

  std::optional<std::string> boundary = api::multipart_boundary(content_type);
  // The boundary alone, and under an arbitrary one when none is named.
  auto parts = api::parse_multipart(boundary ? *boundary : std::string("XyZ"), body);
  if (!parts) return 0;
  size_t total = 0;
  for (const api::FormPart& p : parts.value()) total += p.data.size() + p.name.size();
  if (total > body.size()) {
    std::fprintf(stderr, "multipart_fuzz: parts hold more bytes than the body\n");
    std::abort();
  }
  if (!parts.value().empty() && body.find(boundary ? *boundary : std::string("XyZ")) == std::string_view::npos) {
    std::fprintf(stderr, "multipart_fuzz: parts found without their boundary\n");
    std::abort();
  }
  return 0;
}
