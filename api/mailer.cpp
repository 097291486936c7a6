#include "api/mailer.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>

#include "api/identity.hpp"

namespace almanac::api {

namespace {

bool is_ascii_text(std::string_view s) {
  for (unsigned char ch : s)
    if (ch < 0x20 || ch >= 0x7f) return false;
  return true;
}

bool has_control(std::string_view s) {
  for (unsigned char ch : s)
    if (ch < 0x20 || ch == 0x7f) return true;
  return false;
}

// "Thu, 05 Dec 2024 10:00:00 +0000" (RFC 5322 §3.3).
std::string rfc5322_date(int64_t us) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t s = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// "20241205T100000Z" for file names.
std::string compact_utc(int64_t us) {
  const std::time_t s = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// An RFC 2047 encoded word when `text` is not plain ASCII.
std::string header_text(std::string_view text) {
  if (is_ascii_text(text)) return std::string(text);
  const size_t n = sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string b64(n, '\0');
  sodium_bin2base64(b64.data(), n, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  b64.resize(std::strlen(b64.c_str()));
  return "=?UTF-8?B?" + b64 + "?=";
}

std::string domain_of(std::string_view address) {
  const size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string("localhost") : std::string(address.substr(at + 1));
}

int64_t wall_now_us() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

Status io_failure(const std::string& what) {
  return unavailable(what + ": " + std::strerror(errno));
}

}  // namespace

std::string render_message(const Mail& mail, std::string_view from, int64_t date_us,
                           std::string_view message_id) {
  std::string out;
  out.reserve(mail.text.size() + 512);
  auto header = [&](std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  };
  header("Date", rfc5322_date(date_us));
  header("From", from);
  header("To", mail.to);
  header("Subject", header_text(mail.subject));
  header("Message-ID", message_id);
  header("MIME-Version", "1.0");
  header("Content-Type", "text/plain; charset=utf-8");
  header("Content-Transfer-Encoding", "8bit");
  out += "\r\n";
  for (size_t i = 0; i < mail.text.size(); ++i) {
    const char ch = mail.text[i];
    if (ch == '\r') continue;  // line ends are ours to write
    if (ch == '\n') {
      out += "\r\n";
    } else {
      out += ch;
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

Status check_mail(const Mail& mail) {
  if (mail.to.empty() || mail.to.find('@') == std::string::npos || has_control(mail.to) ||
      mail.to.find_first_of(" <>,") != std::string::npos)
    return invalid("The recipient is not one email address", "to");
  if (has_control(mail.subject)) return invalid("The subject must be one line", "subject");
  return Status::ok();
}

// ---- the outbox ------------------------------------------------------------------

Result<std::string> OutboxMailer::send(const Mail& mail) {
  if (Status st = check_mail(mail); !st) return st;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return unavailable("cannot create the outbox " + dir_ + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);

  const int64_t now = wall_now_us();
  const std::string id = random_token_id();
  const std::string text =
      render_message(mail, from_, now, "<" + id + "@" + domain_of(from_) + ">");
  const std::string name = compact_utc(now) + "-" + id.substr(0, 12) + ".eml";
  const fs::path final_path = fs::path(dir_) / name;
  const fs::path temp_path = fs::path(dir_) / ("." + name + ".tmp");

  const int fd = ::open(temp_path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return io_failure("cannot create " + temp_path.string());
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = io_failure("cannot write " + temp_path.string());
      ::close(fd);
      ::unlink(temp_path.c_str());
      return st;
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    Status st = io_failure("cannot write " + temp_path.string());
    ::unlink(temp_path.c_str());
    return st;
  }
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    Status st = io_failure("cannot rename " + temp_path.string());
    ::unlink(temp_path.c_str());
    return st;
  }
  return final_path.string();
}

// ---- SMTP ------------------------------------------------------------------------

namespace {

// The message libcurl reads for DATA.
struct Upload {
  std::string_view rest;
};

size_t read_upload(char* buffer, size_t size, size_t items, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * items, up->rest.size());
  std::memcpy(buffer, up->rest.data(), n);
  up->rest.remove_prefix(n);
  return n;
}

}  // namespace

SmtpMailer::SmtpMailer(SmtpSettings settings) : settings_(std::move(settings)) {
  // curl_global_init is not safe to race with other curl calls: once, here,
  // before any send.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<std::string> SmtpMailer::send(const Mail& mail) {
  if (Status st = check_mail(mail); !st) return st;
  const std::string where = "smtp://" + settings_.host + ":" + std::to_string(settings_.port);
  const std::string text = render_message(mail, settings_.from, wall_now_us(),
                                          "<" + random_token_id() + "@" + domain_of(settings_.from) + ">");
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return unavailable("cannot start an SMTP session");
  const std::string from = "<" + settings_.from + ">";
  const std::string to = "<" + mail.to + ">";
  curl_slist* recipients = curl_slist_append(nullptr, to.c_str());
  Upload upload{text};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, where.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, std::min(settings_.timeout_s, 10L));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, settings_.timeout_s);
  if (settings_.starttls) curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!settings_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, settings_.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(recipients);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK)
    return unavailable("SMTP delivery through " + where + " failed: " +
                       (error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(rc))));
  return where;
}

std::unique_ptr<Mailer> make_mailer(const ServerConfig& config) {
  if (config.smtp_host.empty())
    return std::make_unique<OutboxMailer>((std::filesystem::path(config.data_dir) / "outbox").string(),
                                          config.mail_from);
  SmtpSettings s;
  s.host = config.smtp_host;
  s.port = config.smtp_port;
  s.starttls = config.smtp_starttls;
  s.username = config.smtp_username;
  s.password = config.smtp_password;
  s.from = config.mail_from;
  return std::make_unique<SmtpMailer>(std::move(s));
}

}  // namespace almanac::api
