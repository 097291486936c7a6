// mcal's models: the request field tables (CalendarCreate, EventCreate, the
// expanded view's query), the response shapes (Calendar, Event,
// EventOccurrence) and the commands an EventCreate becomes. Business rules
// (end after start, all-day normalisation, unique names, repeat_until
// bounds) are the commands' to decide.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/fields.hpp"
#include "commands/command.hpp"
#include "projections/views.hpp"

namespace almanac::api::mcal {

// Path and query ids: integers > 0 (larger than int64 names nothing: 404).
const Spec<int64_t>& ids();

struct CalendarInput {
  std::string name;
  std::optional<std::string> color;
};
const Model<CalendarInput>& calendar_create();

// Naive times (no offset) are wall-clock times, stored floating.
struct EventInput {
  std::string title;
  std::optional<std::string> description;
  ParsedTime start_time;
  ParsedTime end_time;
  bool is_all_day = false;
  ev::RepeatFrequency repeat_frequency = ev::RepeatFrequency::None;
  std::optional<int32_t> repeat_until;   // days since 1970-01-01
};
const Model<EventInput>& event_create();

// The command that creates `in` in `calendar_id` for `owner`.
cmd::ScheduleEvent schedule_command(const EventInput& in, int64_t owner, int64_t calendar_id);
// The command that replaces every EventCreate field of `event_id` with `in`
// (the calendar stays).
cmd::UpdateEvent update_command(const EventInput& in, int64_t event_id);

// GET /events/expanded/ query parameters: start_date and end_date (required
// days), calendar_id (optional).
const Spec<int32_t>& day();
const Spec<int64_t>& calendar_filter();

const Shape<proj::CalendarView>& calendar_shape();
const Shape<proj::EventView>& event_shape();
const Shape<proj::OccurrenceView>& occurrence_shape();

// The JSON text of occurrence_shape() for every item, as one array, written
// straight into a string: the expanded view can hold thousands of
// occurrences, and building a json value for each costs several times the
// text itself. Strings that are not plain ASCII go through the json
// serializer, so the escaping (and the replacement of invalid UTF-8) is the
// same as the shape's.
std::string occurrences_json(const std::vector<proj::OccurrenceView>& items);

}  // namespace almanac::api::mcal
