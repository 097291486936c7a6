// Times on the wire: ISO 8601 in and out, UTC microseconds inside.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace almanac::api {

// The current UTC time in microseconds.
int64_t now_us();

// "2024-03-20T10:00:00Z" (microseconds shown only when non-zero:
// "2024-03-20T10:00:00.500000Z").
std::string format_utc(int64_t us);

// "2024-03-20T10:00:00" with no offset: naive local (floating) times.
std::string format_naive(int64_t us);

// "2024-03-20".
std::string format_date(int64_t us);

struct ParsedTime {
  int64_t us = 0;        // UTC, or wall-clock time read as UTC when naive
  bool naive = false;    // no offset was given
};

// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.ffffff]]" with an optional "Z"
// or "+HH:MM"/"-HH:MM" offset (space accepted for 'T'). nullopt when malformed
// or out of range (years 1..9999).
std::optional<ParsedTime> parse_datetime(std::string_view s);

// Parses "YYYY-MM-DD" only; days since 1970-01-01.
std::optional<int32_t> parse_date(std::string_view s);

}  // namespace almanac::api
