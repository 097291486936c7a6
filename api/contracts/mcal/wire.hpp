// mcal on the wire: request parsing and validation into commands, and the
// rendering of views into the document's models. Pure functions (no I/O, no
// state), so each can be called from any thread. Validation problems are
// appended to an error list in FastAPI's shape ({loc, msg, type}); the caller
// answers 422 with all of them. Business rules (end after start, all-day
// normalisation, unique names, repeat_until bounds) are not checked here:
// the commands decide them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/errors.hpp"
#include "api/http.hpp"
#include "commands/command.hpp"
#include "projections/views.hpp"

namespace almanac::api::mcal {

// A path or query id that must be an integer > 0. `where` is "path" or
// "query". Returns nullopt and appends an error when the text is not an
// integer ("int_parsing") or not > 0 ("greater_than"). An integer too large
// for int64 is returned as INT64_MAX: it names nothing, so lookups answer 404.
std::optional<int64_t> parse_id(std::string_view text, const char* where, const char* name,
                                std::vector<FieldError>& errors);

// CalendarCreate: name (string, required), color (string or null, optional).
struct CalendarInput {
  std::string name;
  std::optional<std::string> color;
};
// `body` is the parsed request body (null when empty).
CalendarInput parse_calendar(const json& body, std::vector<FieldError>& errors);

// EventCreate. Times are UTC microseconds; naive ones (no offset) are the
// wall-clock time read as UTC and marked floating.
struct EventInput {
  std::string title;
  std::optional<std::string> description;
  int64_t start = 0;
  int64_t end = 0;
  bool floating = true;
  bool is_all_day = false;
  ev::RepeatFrequency repeat = ev::RepeatFrequency::None;
  std::optional<int32_t> repeat_until_day;   // days since 1970-01-01
};
EventInput parse_event(const json& body, std::vector<FieldError>& errors);

// The command that creates `in` in `calendar_id` for `owner`.
cmd::ScheduleEvent schedule_command(const EventInput& in, int64_t owner, int64_t calendar_id);
// The command that replaces every EventCreate field of `event_id` with `in`
// (the calendar stays).
cmd::UpdateEvent update_command(const EventInput& in, int64_t event_id);

// GET /events/expanded/ query: whole days, inclusive.
struct RangeInput {
  int32_t start_day = 0;
  int32_t end_day = 0;
  std::optional<int64_t> calendar_id;
};
RangeInput parse_range(const std::optional<std::string>& start_date,
                       const std::optional<std::string>& end_date,
                       const std::optional<std::string>& calendar_id,
                       std::vector<FieldError>& errors);

// The 422 for a body that is not valid JSON / MessagePack.
FieldError undecodable_body(const std::string& message);

json render_calendar(const proj::CalendarView& c);
json render_event(const proj::EventView& e);
json render_occurrence(const proj::OccurrenceView& o);

// The JSON text of render_occurrence() for every item, as one array, written
// straight into a string: the expanded view can hold thousands of
// occurrences, and building a json value for each costs several times the
// text itself. Strings that are not plain ASCII go through the json
// serializer, so the escaping (and the replacement of invalid UTF-8) is the
// same as make_response()'s.
std::string occurrences_json(const std::vector<proj::OccurrenceView>& items);

}  // namespace almanac::api::mcal
