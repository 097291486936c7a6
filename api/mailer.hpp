// Outgoing mail: plain-text messages to one recipient each (password-reset
// links). Two ways out, chosen by the configuration (make_mailer):
//   SmtpMailer    an SMTP server, through libcurl (STARTTLS, credentials)
//   OutboxMailer  an .eml file per message in a directory (<data>/outbox/ by
//                 default): for development, tests, and operators who hand
//                 the files to a mail system of their own
// Both deliver the same bytes, render_message()'s RFC 5322 message.
//
// send() blocks (a network exchange, a file write): call it off the IO
// threads (Service::in_background). Both mailers keep no state between
// calls and are safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/config.hpp"
#include "events/status.hpp"

namespace almanac::api {

struct Mail {
  std::string to;        // one address
  std::string subject;   // one line
  std::string text;      // the body, UTF-8, lines separated by "\n"
};

// The message as delivered: Date, From, To, Subject (RFC 2047 encoded when
// not ASCII), Message-ID, MIME-Version and a text/plain UTF-8 body in 8bit,
// every line ending in CRLF. `date_us`: UTC microseconds.
std::string render_message(const Mail& mail, std::string_view from, int64_t date_us,
                           std::string_view message_id);

// InvalidArgument when `mail` cannot be sent as given: an address or subject
// with a line break or control character (header injection), an address
// without '@', an empty recipient.
Status check_mail(const Mail& mail);

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Delivers `mail`. On success, where it went, for the operator's log
  // ("smtp://host:port", or the file's path); otherwise why not
  // (InvalidArgument for a message check_mail() refuses, Unavailable when
  // the server or the directory could not take it).
  virtual Result<std::string> send(const Mail& mail) = 0;
};

class OutboxMailer final : public Mailer {
 public:
  // Messages go into `dir`, created (0700) when missing.
  OutboxMailer(std::string dir, std::string from) : dir_(std::move(dir)), from_(std::move(from)) {}
  // Writes <dir>/<UTC time>-<random>.eml, mode 0600 (a link in it may be a
  // secret): first under a temporary name, then renamed, so that a reader
  // of the directory never sees part of a message.
  Result<std::string> send(const Mail& mail) override;

 private:
  std::string dir_, from_;
};

struct SmtpSettings {
  std::string host;
  uint16_t port = 587;
  bool starttls = true;        // refuse to send unless the server upgrades to TLS
  std::string username;        // empty: no AUTH
  std::string password;
  std::string from;
  long timeout_s = 30;         // the whole exchange
};

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpSettings settings);
  // One SMTP session per message (MAIL FROM, RCPT TO, DATA).
  Result<std::string> send(const Mail& mail) override;

 private:
  SmtpSettings settings_;
};

// SMTP when config.smtp_host is set, else the outbox <data_dir>/outbox/.
std::unique_ptr<Mailer> make_mailer(const ServerConfig& config);

}  // namespace almanac::api
