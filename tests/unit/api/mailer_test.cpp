// Outgoing mail: the message as delivered, the checks against header
// injection, the outbox's files, and secrets for links.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/identity.hpp"
#include "api/mailer.hpp"

using namespace almanac;
using namespace almanac::api;

namespace fs = std::filesystem;

namespace {

constexpr int64_t kDate = 1'733'392'800'000'000;  // 2024-12-05T10:00:00Z, a Thursday

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("almanac-mailer-" + random_token_id());
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("render_message writes RFC 5322 headers and a CRLF body") {
  Mail m{"ada@example.com", "Reset your password", "Hello,\nthe link:\nhttp://x/?t=1"};
  const std::string text = render_message(m, "almanac@example.org", kDate, "<id1@example.org>");
  CHECK(text ==
        "Date: Thu, 05 Dec 2024 10:00:00 +0000\r\n"
        "From: almanac@example.org\r\n"
        "To: ada@example.com\r\n"
        "Subject: Reset your password\r\n"
        "Message-ID: <id1@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Hello,\r\nthe link:\r\nhttp://x/?t=1\r\n");
}

TEST_CASE("a subject that is not ASCII is an RFC 2047 encoded word") {
  Mail m{"ada@example.com", "Réinitialiser", "x"};
  const std::string text = render_message(m, "a@b.c", kDate, "<i@b.c>");
  CHECK(text.find("Subject: =?UTF-8?B?UsOpaW5pdGlhbGlzZXI=?=\r\n") != std::string::npos);
}

TEST_CASE("check_mail refuses header injection and bad recipients") {
  CHECK(check_mail({"ada@example.com", "Hi", "body"}).is_ok());
  CHECK(check_mail({"ada@example.com\r\nBcc: eve@example.com", "Hi", "x"}).field() == "to");
  CHECK(check_mail({"ada@example.com", "Hi\r\nBcc: eve@example.com", "x"}).field() == "subject");
  CHECK(check_mail({"", "Hi", "x"}).code() == Code::kInvalidArgument);
  CHECK(check_mail({"no-at-sign", "Hi", "x"}).code() == Code::kInvalidArgument);
  CHECK(check_mail({"a@b.c, eve@evil.example", "Hi", "x"}).code() == Code::kInvalidArgument);
}

TEST_CASE("the outbox writes one private .eml file per message") {
  TempDir dir;
  OutboxMailer outbox((dir.path / "outbox").string(), "almanac@example.org");
  auto first = outbox.send({"ada@example.com", "One", "first\n"});
  REQUIRE(first);
  auto second = outbox.send({"bob@example.com", "Two", "second\n"});
  REQUIRE(second);
  CHECK(*first != *second);
  CHECK(fs::path(*first).parent_path() == dir.path / "outbox");
  CHECK(fs::path(*first).extension() == ".eml");
  const std::string text = read_file(*first);
  CHECK(text.find("To: ada@example.com\r\n") != std::string::npos);
  CHECK(text.find("From: almanac@example.org\r\n") != std::string::npos);
  CHECK(text.find("\r\n\r\nfirst\r\n") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat(first->c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path / "outbox")) {
    CHECK(entry.path().extension() == ".eml");  // no temporary file left behind
    ++files;
  }
  CHECK(files == 2);
  auto refused = outbox.send({"ada@example.com\nBcc: x@y.z", "One", "x"});
  CHECK(refused.status().code() == Code::kInvalidArgument);
}

TEST_CASE("the outbox reports a directory it cannot create") {
  TempDir dir;
  fs::create_directories(dir.path);
  std::ofstream(dir.path / "file") << "x";
  OutboxMailer outbox((dir.path / "file" / "outbox").string(), "a@b.c");
  auto r = outbox.send({"ada@example.com", "One", "x"});
  CHECK(r.status().code() == Code::kUnavailable);
}

TEST_CASE("SMTP delivery to a port nobody listens on is Unavailable, naming the server") {
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.port = 1;  // privileged and closed
  s.starttls = false;
  s.from = "almanac@example.org";
  s.timeout_s = 5;
  SmtpMailer smtp(s);
  auto r = smtp.send({"ada@example.com", "One", "x"});
  CHECK(r.status().code() == Code::kUnavailable);
  CHECK(r.status().message().find("smtp://127.0.0.1:1") != std::string::npos);
}

TEST_CASE("make_mailer: the outbox under the data directory unless an SMTP host is set") {
  TempDir dir;
  ServerConfig c;
  c.data_dir = dir.path.string();
  auto outbox = make_mailer(c);
  auto r = outbox->send({"ada@example.com", "x", "y"});
  REQUIRE(r);
  CHECK(fs::path(*r).parent_path() == dir.path / "outbox");
  c.smtp_host = "127.0.0.1";
  c.smtp_port = 1;
  c.smtp_starttls = false;
  CHECK(make_mailer(c)->send({"ada@example.com", "x", "y"}).status().code() == Code::kUnavailable);
}

TEST_CASE("link secrets are random, URL-safe and stored only as their SHA-256") {
  const std::string a = random_secret(), b = random_secret();
  CHECK(a != b);
  CHECK(a.size() == 43);  // 256 bits in unpadded base64
  CHECK(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
  CHECK(secret_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(secret_hash(a) != secret_hash(b));
  CHECK(secret_hash(a).size() == 64);
}
