#include "api/media.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace almanac::api {

namespace fs = std::filesystem;

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "<kind>/<64 hex>.<ext>" with a kind of lower-case letters.
bool stored_name(std::string_view name) {
  size_t slash = name.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  for (char c : name.substr(0, slash))
    if (c < 'a' || c > 'z') return false;
  std::string_view file = name.substr(slash + 1);
  size_t dot = file.find('.');
  if (dot != 64 || !type_of_extension(file)) return false;
  for (char c : file.substr(0, 64))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Status sync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags);
  if (fd < 0) return unavailable("cannot open " + p.string() + ": " + std::strerror(errno));
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return unavailable("cannot sync " + p.string() + ": " + std::strerror(errno));
  return Status::ok();
}

}  // namespace

std::optional<std::string_view> image_type(std::string_view b) {
  if (starts_with(b, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts_with(b, "\xFF\xD8\xFF")) return "image/jpeg";
  if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) return "image/gif";
  if (b.size() >= 12 && starts_with(b, "RIFF") && b.substr(8, 4) == "WEBP") return "image/webp";
  return std::nullopt;
}

std::string_view image_extension(std::string_view type) {
  if (type == "image/png") return "png";
  if (type == "image/jpeg") return "jpg";
  if (type == "image/gif") return "gif";
  return "webp";
}

std::optional<std::string_view> type_of_extension(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view ext = name.substr(dot + 1);
  if (ext == "png") return "image/png";
  if (ext == "jpg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "webp") return "image/webp";
  return std::nullopt;
}

Result<std::string> MediaStore::put(std::string_view kind, std::string_view extension, std::string_view bytes) const {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  const std::string name = std::string(kind) + "/" + hex + "." + std::string(extension);
  const fs::path dir = fs::path(root_) / std::string(kind);
  const fs::path target = fs::path(root_) / name;
  std::error_code ec;
  if (fs::exists(target, ec)) return name;  // content-addressed: already there
  fs::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
  const fs::path temp = dir / (std::string(hex) + ".tmp");
  {
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return unavailable("cannot create " + temp.string() + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int err = errno;
        ::close(fd);
        fs::remove(temp, ec);
        return unavailable("cannot write " + temp.string() + ": " + std::strerror(err));
      }
      done += static_cast<size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) {
      fs::remove(temp, ec);
      return unavailable("cannot sync " + temp.string());
    }
  }
  fs::rename(temp, target, ec);
  if (ec) return unavailable("cannot store " + target.string() + ": " + ec.message());
  if (Status s = sync_path(dir, O_RDONLY | O_DIRECTORY); !s) return s;
  return name;
}

Result<std::string> MediaStore::get(std::string_view name) const {
  if (!stored_name(name)) return not_found("No such file");
  std::ifstream in(fs::path(root_) / std::string(name), std::ios::binary);
  if (!in) return not_found("No such file");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace almanac::api
