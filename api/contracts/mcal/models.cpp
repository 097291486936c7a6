#include "api/contracts/mcal/models.hpp"

#include "api/time_format.hpp"
#include "events/time.hpp"

namespace almanac::api::mcal {

namespace {

namespace ef = event_field;

using Calendar = proj::CalendarView;
using Event = proj::EventView;
using Occurrence = proj::OccurrenceView;

json nullable_text(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
json nullable_id(const std::optional<int64_t>& id) { return id ? json(*id) : json(nullptr); }

const char* frequency_name(ev::RepeatFrequency f) {
  switch (f) {
    case ev::RepeatFrequency::Daily: return "daily";
    case ev::RepeatFrequency::Weekly: return "weekly";
    case ev::RepeatFrequency::Monthly: return "monthly";
    case ev::RepeatFrequency::Yearly: return "yearly";
    default: return "none";
  }
}

// The fields every mcal write sets, whole (the contract has no partial
// update): EventScheduledT and EventUpdatedT name them alike.
template <typename EventTable>
void fill_fields(const EventInput& in, EventTable& e) {
  e.title = in.title;
  e.start = in.start_time.us;
  e.end = in.end_time.us;
  e.is_all_day = in.is_all_day;
  e.floating = in.start_time.naive;
  e.is_recurring = in.repeat_frequency != ev::RepeatFrequency::None;
  e.repeat = in.repeat_frequency;
  e.fields = ef::kTitle | ef::kDescription | ef::kStart | ef::kEnd | ef::kAllDay | ef::kFloating | ef::kRecurring |
             ef::kRepeat | ef::kRepeatUntil;
  if (in.description)
    e.description = *in.description;
  else
    e.nulls |= ef::kDescription;
  if (in.repeat_until)
    e.repeat_until_day = *in.repeat_until;
  else
    e.nulls |= ef::kRepeatUntil;
}

// Start and end are both naive (floating) or both carry an offset.
void same_kind_of_time(const EventInput& in, const Loc& base, std::vector<Problem>& problems) {
  if (in.start_time.naive == in.end_time.naive) return;
  Loc loc = base;
  loc.push_back("end_time");
  problems.push_back(
      Problem::because(std::move(loc), "start_time and end_time must both be naive local times or both carry a UTC offset"));
}

}  // namespace

const Spec<int64_t>& ids() {
  static const Spec<int64_t> s = integer().greater_than(0);
  return s;
}

const Spec<int64_t>& calendar_filter() {
  static const Spec<int64_t> s = Spec<int64_t>(ids()).optional();
  return s;
}

const Spec<int32_t>& day() {
  static const Spec<int32_t> s = date();
  return s;
}

const Model<CalendarInput>& calendar_create() {
  static const Model<CalendarInput> m = Model<CalendarInput>("CalendarCreate")
                                            .field("name", &CalendarInput::name, text())
                                            .field("color", &CalendarInput::color, text().nullable());
  return m;
}

const Model<EventInput>& event_create() {
  static const Model<EventInput> m =
      Model<EventInput>("EventCreate")
          .field("title", &EventInput::title, text())
          .field("description", &EventInput::description, text().nullable())
          .field("start_time", &EventInput::start_time, date_time())
          .field("end_time", &EventInput::end_time, date_time())
          .field("is_all_day", &EventInput::is_all_day, boolean().optional(false))
          .field("repeat_frequency", &EventInput::repeat_frequency,
                 one_of<ev::RepeatFrequency>({{"none", ev::RepeatFrequency::None},
                                              {"daily", ev::RepeatFrequency::Daily},
                                              {"weekly", ev::RepeatFrequency::Weekly},
                                              {"monthly", ev::RepeatFrequency::Monthly},
                                              {"yearly", ev::RepeatFrequency::Yearly}})
                     .optional("none"))
          .field("repeat_until", &EventInput::repeat_until, date().nullable())
          .rule(same_kind_of_time);
  return m;
}

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

const Shape<Calendar>& calendar_shape() {
  static const Shape<Calendar> s =
      Shape<Calendar>("Calendar")
          .field("id", schema::integer(), [](const Calendar& c) { return json(c.id); })
          .field("name", schema::string(), [](const Calendar& c) { return json(c.name); })
          .field("color", schema::nullable(schema::string()), [](const Calendar& c) { return nullable_text(c.color); });
  return s;
}

const Shape<Event>& event_shape() {
  static const Shape<Event> s =
      Shape<Event>("Event")
          .field("id", schema::integer(), [](const Event& e) { return json(e.id); })
          .field("calendar_id", schema::nullable(schema::integer()),
                 [](const Event& e) { return nullable_id(e.calendar_id); })
          .field("title", schema::string(), [](const Event& e) { return json(e.title); })
          .field("description", schema::nullable(schema::string()),
                 [](const Event& e) { return nullable_text(e.description); })
          .field("start_time", schema::string("date-time"), [](const Event& e) { return json(format_naive(e.start)); })
          .field("end_time", schema::nullable(schema::string("date-time")),
                 [](const Event& e) { return e.end ? json(format_naive(*e.end)) : json(nullptr); })
          .field("is_all_day", schema::boolean(), [](const Event& e) { return json(e.is_all_day); })
          .field("repeat_frequency", schema::enumeration({"none", "daily", "weekly", "monthly", "yearly"}),
                 [](const Event& e) { return json(frequency_name(e.repeat)); })
          .field("repeat_until", schema::nullable(schema::string("date")), [](const Event& e) {
            return e.repeat_until_day ? json(format_date(*e.repeat_until_day * kMicrosPerDay)) : json(nullptr);
          });
  return s;
}

const Shape<Occurrence>& occurrence_shape() {
  static const Shape<Occurrence> s =
      Shape<Occurrence>("EventOccurrence")
          .field("original_event_id", schema::integer(), [](const Occurrence& o) { return json(o.event_id); })
          .field("calendar_id", schema::nullable(schema::integer()),
                 [](const Occurrence& o) { return nullable_id(o.calendar_id); })
          .field("title", schema::string(), [](const Occurrence& o) { return json(o.title); })
          .field("description", schema::nullable(schema::string()),
                 [](const Occurrence& o) { return nullable_text(o.description); })
          .field("start_time", schema::string("date-time"),
                 [](const Occurrence& o) { return json(format_naive(o.start)); })
          .field("end_time", schema::string("date-time"), [](const Occurrence& o) { return json(format_naive(o.end)); })
          .field("is_all_day", schema::boolean(), [](const Occurrence& o) { return json(o.is_all_day); })
          .field("color", schema::nullable(schema::string()), [](const Occurrence& o) { return nullable_text(o.color); });
  return s;
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

std::string occurrences_json(const std::vector<Occurrence>& items) {
  std::string out;
  out.reserve(items.size() * 220 + 2);
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    const Occurrence& o = items[i];
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
