// Calendars: unique name per owner; deleting one deletes its events in the
// same decision.
#include <algorithm>
#include <cctype>

#include "commands/aggregates.hpp"

namespace almanac::cmd {

namespace {

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isspace(ch); });
}

Status name_taken(const std::string& name) {
  return conflict("Calendar with name '" + name + "' already exists.", "name")
      .because(Reason::kDuplicateCalendarName);
}

// The actor's live calendar, or nullptr (someone else's counts as unknown).
const CalendarState* own_calendar(const Context& c, int64_t id) {
  const CalendarState* cal = c.state.calendar(id);
  if (!cal || cal->deleted || cal->owner_id != c.actor) return nullptr;
  return cal;
}

// Name index upkeep for apply: an entry is removed only while it still names
// `id`.
void index_name(WriteState& s, const CalendarState& cal, int64_t id) {
  auto it = s.calendar_names.find(std::pair<int64_t, std::string_view>(cal.owner_id, cal.name));
  if (it != s.calendar_names.end())
    it->second = id;
  else
    s.calendar_names.emplace(std::pair<int64_t, std::string>(cal.owner_id, cal.name), id);
}

void unindex_name(WriteState& s, const CalendarState& cal, int64_t id) {
  auto it = s.calendar_names.find(std::pair<int64_t, std::string_view>(cal.owner_id, cal.name));
  if (it != s.calendar_names.end() && it->second == id) s.calendar_names.erase(it);
}

}  // namespace

Status decide_command(Context& c, const CreateCalendar& cmd) {
  int64_t owner = cmd.owner_id != 0 ? cmd.owner_id : c.actor;
  if (owner != c.actor && c.actor != 0 && !c.state.is_superuser(c.actor))
    return forbidden("Not enough permissions");
  const UserState* u = c.state.user(owner);
  if (!u || u->deleted) return not_found("User not found");
  if (blank(cmd.name)) return invalid("Calendar name must not be empty", "name");
  if (c.state.calendar_by_name(owner, cmd.name) != 0) return name_taken(cmd.name);
  ev::CalendarCreatedT e;
  e.uuid = c.ids.uuid();
  e.owner_id = owner;
  e.name = cmd.name;
  e.has_color = cmd.color.has_value();
  e.color = cmd.color.value_or("");
  c.out.emit({Category::Calendar, c.out.allocate(Category::Calendar)}, std::move(e));
  return Status::ok();
}

Status decide_command(Context& c, const UpdateCalendar& cmd) {
  const CalendarState* cal = own_calendar(c, cmd.calendar_id);
  if (!cal) return not_found("Calendar not found");
  if (blank(cmd.name)) return invalid("Calendar name must not be empty", "name");
  int64_t holder = c.state.calendar_by_name(cal->owner_id, cmd.name);
  if (holder != 0 && holder != cmd.calendar_id) return name_taken(cmd.name);
  ev::CalendarUpdatedT e;
  e.name = cmd.name;
  e.has_color = cmd.color.has_value();
  e.color = cmd.color.value_or("");
  c.out.emit({Category::Calendar, cmd.calendar_id}, std::move(e));
  return Status::ok();
}

Status decide_command(Context& c, const DeleteCalendar& cmd) {
  const CalendarState* cal = own_calendar(c, cmd.calendar_id);
  if (!cal) return not_found("Calendar not found");
  c.out.emit({Category::Calendar, cmd.calendar_id}, ev::CalendarDeletedT{});
  for (int64_t event_id : cal->events) {
    ev::EventDeletedT e;
    e.with_calendar = true;
    c.out.emit({Category::Event, event_id}, std::move(e));
  }
  return Status::ok();
}

void apply_calendar(WriteState& s, const Envelope& e) {
  int64_t id = e.stream_id;
  switch (e.payload.type) {
    case ev::Payload::CalendarCreated: {
      const auto* p = e.payload.AsCalendarCreated();
      CalendarState& cal = s.calendars[id];
      cal.owner_id = p->owner_id;
      cal.name = p->name;
      index_name(s, cal, id);
      break;
    }
    case ev::Payload::CalendarUpdated: {
      CalendarState& cal = s.calendars[id];
      unindex_name(s, cal, id);
      cal.name = e.payload.AsCalendarUpdated()->name;
      index_name(s, cal, id);
      break;
    }
    case ev::Payload::CalendarDeleted: {
      CalendarState& cal = s.calendars[id];
      cal.deleted = true;
      unindex_name(s, cal, id);
      break;
    }
    default: break;
  }
}

}  // namespace almanac::cmd
