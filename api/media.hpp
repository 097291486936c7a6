// Media: images clients upload (gather's avatars), stored content-addressed
// under <data dir>/media/ and served back with their type, an ETag and a
// long cache lifetime. The log records only a file's digest and type (in its
// name, "avatars/<sha256>.<ext>"), never its bytes.
//
// Thread safety: every member may be called from any thread; put() and
// get() block on the file system, so call them on the blocking pool.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "events/status.hpp"

namespace almanac::api {

// The image type of `bytes` by their first bytes, whatever the file's name
// or declared type: "image/png", "image/jpeg", "image/gif", "image/webp";
// nullopt for anything else.
std::optional<std::string_view> image_type(std::string_view bytes);
// "png", "jpg", "gif", "webp" for those types.
std::string_view image_extension(std::string_view type);
// The type of a stored name's extension; nullopt when it is not one of ours.
std::optional<std::string_view> type_of_extension(std::string_view name);

class MediaStore {
 public:
  // Files live under `root` (created on first use).
  explicit MediaStore(std::string root) : root_(std::move(root)) {}

  // Stores `bytes` durably (written, synced, renamed into place, directory
  // synced) as "<kind>/<sha256 hex>.<extension>"; returns that name. Storing
  // the same bytes again changes nothing.
  Result<std::string> put(std::string_view kind, std::string_view extension, std::string_view bytes) const;
  // The bytes of a stored name; NotFound when there is none (or the name is
  // not a stored name's shape).
  Result<std::string> get(std::string_view name) const;

 private:
  std::string root_;
};

}  // namespace almanac::api
