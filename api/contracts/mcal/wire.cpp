#include "api/contracts/mcal/wire.hpp"

#include <limits>

#include "api/time_format.hpp"

namespace almanac::api::mcal {

namespace {

namespace ef = event_field;

constexpr int64_t kDayUs = 86'400'000'000;

void missing(std::vector<FieldError>& errors, const char* field) {
  errors.push_back({{"body", field}, "Field required", "missing"});
}

void not_a_string(std::vector<FieldError>& errors, const char* field) {
  errors.push_back({{"body", field}, "Input should be a valid string", "string_type"});
}

// The body as an object; an error (and false) when it is absent or another type.
bool body_object(const json& body, std::vector<FieldError>& errors) {
  if (body.is_null()) {
    errors.push_back({{"body"}, "Field required", "missing"});
    return false;
  }
  if (!body.is_object()) {
    errors.push_back({{"body"}, "Input should be a valid dictionary or object to extract fields from",
                      "model_attributes_type"});
    return false;
  }
  return true;
}

// A required string member; nullopt (with an error) when absent or not a string.
std::optional<std::string> required_string(const json& body, const char* field,
                                           std::vector<FieldError>& errors) {
  auto it = body.find(field);
  if (it == body.end()) {
    missing(errors, field);
    return std::nullopt;
  }
  if (!it->is_string()) {
    not_a_string(errors, field);
    return std::nullopt;
  }
  return it->get<std::string>();
}

// An optional string member (absent or null: nullopt).
std::optional<std::string> optional_string(const json& body, const char* field,
                                           std::vector<FieldError>& errors) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    not_a_string(errors, field);
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<ParsedTime> required_time(const json& body, const char* field,
                                        std::vector<FieldError>& errors) {
  auto it = body.find(field);
  if (it == body.end()) {
    missing(errors, field);
    return std::nullopt;
  }
  std::optional<ParsedTime> t;
  if (it->is_string()) t = parse_datetime(it->get_ref<const std::string&>());
  if (!t)
    errors.push_back({{"body", field},
                      "Input should be a valid datetime in ISO 8601 format (YYYY-MM-DDTHH:MM:SS)",
                      "datetime_parsing"});
  return t;
}

std::optional<ev::RepeatFrequency> frequency_from(std::string_view s) {
  if (s == "none") return ev::RepeatFrequency::None;
  if (s == "daily") return ev::RepeatFrequency::Daily;
  if (s == "weekly") return ev::RepeatFrequency::Weekly;
  if (s == "monthly") return ev::RepeatFrequency::Monthly;
  if (s == "yearly") return ev::RepeatFrequency::Yearly;
  return std::nullopt;
}

const char* frequency_name(ev::RepeatFrequency f) {
  switch (f) {
    case ev::RepeatFrequency::Daily: return "daily";
    case ev::RepeatFrequency::Weekly: return "weekly";
    case ev::RepeatFrequency::Monthly: return "monthly";
    case ev::RepeatFrequency::Yearly: return "yearly";
    default: return "none";
  }
}

std::optional<int32_t> date_param(const std::optional<std::string>& text, const char* where,
                                  const char* name, bool required, std::vector<FieldError>& errors) {
  if (!text) {
    if (required) errors.push_back({{where, name}, "Field required", "missing"});
    return std::nullopt;
  }
  auto day = parse_date(*text);
  if (!day)
    errors.push_back({{where, name}, "Input should be a valid date in the format YYYY-MM-DD",
                      "date_parsing"});
  return day;
}

json nullable(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

}  // namespace

std::optional<int64_t> parse_id(std::string_view text, const char* where, const char* name,
                                std::vector<FieldError>& errors) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    errors.push_back({{where, name}, "Input should be a valid integer, unable to parse string as an integer",
                      "int_parsing"});
    return std::nullopt;
  }
  size_t first = digits.find_first_not_of('0');
  if (negative || first == std::string_view::npos) {
    errors.push_back({{where, name}, "Input should be greater than 0", "greater_than"});
    return std::nullopt;
  }
  digits.remove_prefix(first);
  if (digits.size() > 18) {
    // Compare as text against INT64_MAX (19 digits): anything above names nothing.
    constexpr std::string_view kMax = "9223372036854775807";
    if (digits.size() > kMax.size() || (digits.size() == kMax.size() && digits > kMax))
      return std::numeric_limits<int64_t>::max();
  }
  int64_t v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

CalendarInput parse_calendar(const json& body, std::vector<FieldError>& errors) {
  CalendarInput in;
  if (!body_object(body, errors)) return in;
  if (auto name = required_string(body, "name", errors)) in.name = std::move(*name);
  in.color = optional_string(body, "color", errors);
  return in;
}

EventInput parse_event(const json& body, std::vector<FieldError>& errors) {
  EventInput in;
  if (!body_object(body, errors)) return in;
  if (auto title = required_string(body, "title", errors)) in.title = std::move(*title);
  in.description = optional_string(body, "description", errors);
  auto start = required_time(body, "start_time", errors);
  auto end = required_time(body, "end_time", errors);
  if (start && end) {
    if (start->naive != end->naive)
      errors.push_back({{"body", "end_time"},
                        "start_time and end_time must both be naive local times or both carry a UTC offset",
                        "value_error"});
    in.start = start->us;
    in.end = end->us;
    in.floating = start->naive;
  }
  if (auto it = body.find("is_all_day"); it != body.end()) {
    if (it->is_boolean())
      in.is_all_day = it->get<bool>();
    else
      errors.push_back({{"body", "is_all_day"}, "Input should be a valid boolean", "bool_type"});
  }
  if (auto it = body.find("repeat_frequency"); it != body.end()) {
    std::optional<ev::RepeatFrequency> f;
    if (it->is_string()) f = frequency_from(it->get_ref<const std::string&>());
    if (f)
      in.repeat = *f;
    else
      errors.push_back({{"body", "repeat_frequency"},
                        "Input should be 'none', 'daily', 'weekly', 'monthly' or 'yearly'", "enum"});
  }
  if (auto it = body.find("repeat_until"); it != body.end() && !it->is_null()) {
    std::optional<int32_t> day;
    if (it->is_string()) day = parse_date(it->get_ref<const std::string&>());
    if (day)
      in.repeat_until_day = day;
    else
      errors.push_back({{"body", "repeat_until"}, "Input should be a valid date in the format YYYY-MM-DD",
                        "date_parsing"});
  }
  return in;
}

namespace {

// The fields every mcal write sets, whole (the contract has no partial
// update): EventScheduledT and EventUpdatedT name them alike.
template <typename EventTable>
void fill_fields(const EventInput& in, EventTable& e) {
  e.title = in.title;
  e.start = in.start;
  e.end = in.end;
  e.is_all_day = in.is_all_day;
  e.floating = in.floating;
  e.is_recurring = in.repeat != ev::RepeatFrequency::None;
  e.repeat = in.repeat;
  e.fields = ef::kTitle | ef::kDescription | ef::kStart | ef::kEnd | ef::kAllDay | ef::kFloating |
             ef::kRecurring | ef::kRepeat | ef::kRepeatUntil;
  if (in.description)
    e.description = *in.description;
  else
    e.nulls |= ef::kDescription;
  if (in.repeat_until_day)
    e.repeat_until_day = *in.repeat_until_day;
  else
    e.nulls |= ef::kRepeatUntil;
}

}  // namespace

cmd::ScheduleEvent schedule_command(const EventInput& in, int64_t owner, int64_t calendar_id) {
  cmd::ScheduleEvent c;
  c.event.owner_id = owner;
  c.event.calendar_id = calendar_id;
  c.event.visibility = ev::Visibility::Private;
  fill_fields(in, c.event);
  return c;
}

cmd::UpdateEvent update_command(const EventInput& in, int64_t event_id) {
  cmd::UpdateEvent c;
  c.event_id = event_id;
  fill_fields(in, c.changes);
  return c;
}

RangeInput parse_range(const std::optional<std::string>& start_date,
                       const std::optional<std::string>& end_date,
                       const std::optional<std::string>& calendar_id,
                       std::vector<FieldError>& errors) {
  RangeInput r;
  if (auto d = date_param(start_date, "query", "start_date", true, errors)) r.start_day = *d;
  if (auto d = date_param(end_date, "query", "end_date", true, errors)) r.end_day = *d;
  if (calendar_id) r.calendar_id = parse_id(*calendar_id, "query", "calendar_id", errors);
  return r;
}

FieldError undecodable_body(const std::string& message) {
  return {{"body"}, "JSON decode error: " + message, "json_invalid"};
}

json render_calendar(const proj::CalendarView& c) {
  return {{"id", c.id}, {"name", c.name}, {"color", nullable(c.color)}};
}

json render_event(const proj::EventView& e) {
  return {{"id", e.id},
          {"calendar_id", e.calendar_id ? json(*e.calendar_id) : json(nullptr)},
          {"title", e.title},
          {"description", nullable(e.description)},
          {"start_time", format_naive(e.start)},
          {"end_time", e.end ? json(format_naive(*e.end)) : json(nullptr)},
          {"is_all_day", e.is_all_day},
          {"repeat_frequency", frequency_name(e.repeat)},
          {"repeat_until", e.repeat_until_day ? json(format_date(*e.repeat_until_day * kDayUs))
                                              : json(nullptr)}};
}

json render_occurrence(const proj::OccurrenceView& o) {
  return {{"original_event_id", o.event_id},
          {"calendar_id", o.calendar_id ? json(*o.calendar_id) : json(nullptr)},
          {"title", o.title},
          {"description", nullable(o.description)},
          {"start_time", format_naive(o.start)},
          {"end_time", format_naive(o.end)},
          {"is_all_day", o.is_all_day},
          {"color", nullable(o.color)}};
}

namespace {

void append_string(std::string& out, std::string_view s) {
  bool plain = true;
  for (unsigned char ch : s)
    if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
      plain = false;
      break;
    }
  if (plain) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

void append_nullable(std::string& out, const std::optional<std::string>& s) {
  if (s)
    append_string(out, *s);
  else
    out += "null";
}

}  // namespace

std::string occurrences_json(const std::vector<proj::OccurrenceView>& items) {
  std::string out;
  out.reserve(items.size() * 220 + 2);
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    const proj::OccurrenceView& o = items[i];
    if (i) out += ',';
    out += "{\"original_event_id\":";
    out += std::to_string(o.event_id);
    out += ",\"calendar_id\":";
    out += o.calendar_id ? std::to_string(*o.calendar_id) : std::string("null");
    out += ",\"title\":";
    append_string(out, o.title);
    out += ",\"description\":";
    append_nullable(out, o.description);
    out += ",\"start_time\":\"";
    out += format_naive(o.start);
    out += "\",\"end_time\":\"";
    out += format_naive(o.end);
    out += "\",\"is_all_day\":";
    out += o.is_all_day ? "true" : "false";
    out += ",\"color\":";
    append_nullable(out, o.color);
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace almanac::api::mcal
